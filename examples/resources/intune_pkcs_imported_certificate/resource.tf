# Deploy the S/MIME encryption certificates imported into Intune (with the
# PFX import connector) to users' iOS/iPadOS, Windows and Android work
# profile devices, so they can read old encrypted mail.
resource "intune_trusted_certificate" "root_android_admin" {
  # The work-profile imported-PFX type links to the device administrator root.
  platform                 = "android_device_administrator"
  display_name             = "Contoso Root CA (Android device administrator)"
  trusted_root_certificate = file("${path.module}/../../certs/contoso-root-ca.cer")
}

resource "intune_pkcs_imported_certificate" "smime_encryption" {
  for_each = toset(["ios", "windows", "android_work_profile"])

  platform         = each.key
  display_name     = "Contoso S/MIME encryption (${each.key})"
  intended_purpose = "smimeEncryption"

  root_certificate_id = each.key == "android_work_profile" ? intune_trusted_certificate.root_android_admin.id : null

  certificate_validity_period_scale = each.key == "ios" ? null : "years"
  certificate_validity_period_value = each.key == "ios" ? null : 1
  renewal_threshold_percentage      = each.key == "ios" ? null : 20
  subject_name_format               = each.key == "ios" ? null : "commonNameAsEmail"
  subject_alternative_name_type     = each.key == "android_work_profile" ? ["emailAddress"] : null
  key_storage_provider              = each.key == "windows" ? "useSoftwareKsp" : null
}
