# The Contoso root on iOS, deployed to engineering, to sales on corporate
# devices only, and to every licensed user except on personal devices;
# never to the kiosk devices.
resource "intune_trusted_certificate" "contoso_root_ios" {
  platform                 = "ios"
  display_name             = "Contoso Root CA (iOS)"
  trusted_root_certificate = file("${path.module}/../../certs/contoso-root-ca.cer")
}

locals {
  # Entra ID group object ids; in a real configuration these often come
  # from azuread_group resources or data sources.
  groups = {
    engineering = "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7"
    sales       = "7a2b3c4d-5e6f-4071-8b82-a3c4d5e6f708"
    kiosks      = "8b3c4d5e-6f70-4182-9c93-b4d5e6f70819"
  }
  # Ids of Intune assignment filters (Devices > Filters in the admin center).
  filters = {
    corporate_devices = "9c4d5e6f-7081-4293-8da4-c5e6f708192a"
    personal_devices  = "ad5e6f70-8192-43a4-9eb5-d6f708192a3b"
  }
}

resource "intune_certificate_profile_assignment" "contoso_root_ios" {
  profile_id = intune_trusted_certificate.contoso_root_ios.id

  include_group {
    group_id = local.groups.engineering
  }

  include_group {
    group_id    = local.groups.sales
    filter_id   = local.filters.corporate_devices
    filter_type = "include"
  }

  exclude_group {
    group_id = local.groups.kiosks
  }

  all_licensed_users {
    filter_id   = local.filters.personal_devices
    filter_type = "exclude"
  }
}
