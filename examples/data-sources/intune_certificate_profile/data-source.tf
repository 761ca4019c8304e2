# A SCEP profile made in the Intune admin center, found by its exact name,
# and assigned to the Wi-Fi users from Terraform.
data "intune_certificate_profile" "wifi_ios" {
  display_name = "Wi-Fi (iOS)"
  kind         = "scep_certificate"
}

resource "intune_certificate_profile_assignment" "wifi_ios" {
  profile_id = data.intune_certificate_profile.wifi_ios.id

  include_group {
    group_id = "1e2f3a4b-5c6d-4e7f-8091-a2b3c4d5e6f7" # Wi-Fi users
  }
}

output "wifi_ios" {
  value = {
    id       = data.intune_certificate_profile.wifi_ios.id
    platform = data.intune_certificate_profile.wifi_ios.platform
  }
}
