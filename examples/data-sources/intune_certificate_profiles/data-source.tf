# Every SCEP profile in the tenant, whoever created it, goes to the Wi-Fi
# users; the list is also handy for reports.
data "intune_certificate_profiles" "scep" {
  kind = "scep_certificate"
}

resource "intune_certificate_profile_assignment" "scep" {
  for_each = { for p in data.intune_certificate_profiles.scep.profiles : p.id => p }

  profile_id = each.key

  include_group {
    group_id = "1e2f3a4b-5c6d-4e7f-8091-a2b3c4d5e6f7" # Wi-Fi users
  }
}

# Windows certificate profiles of any kind, by name.
data "intune_certificate_profiles" "windows" {
  platform = "windows"
}

output "windows_profiles" {
  value = { for p in data.intune_certificate_profiles.windows.profiles : p.display_name => p.kind }
}
