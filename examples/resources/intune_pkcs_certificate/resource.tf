# S/MIME signing certificates issued by the Contoso CA through Intune's
# certificate connector, for iOS/iPadOS, Windows and Android Enterprise
# fully managed devices (which also link the platform's trusted root).
resource "intune_trusted_certificate" "root_android" {
  platform                 = "android_device_owner"
  display_name             = "Contoso Root CA (Android Enterprise)"
  trusted_root_certificate = file("${path.module}/../../certs/contoso-root-ca.cer")
}

resource "intune_pkcs_certificate" "smime_signing" {
  for_each = toset(["ios", "windows", "android_device_owner"])

  platform     = each.key
  display_name = "Contoso S/MIME signing (${each.key})"

  certification_authority      = "ca01.contoso.com"
  certification_authority_name = "Contoso Issuing CA 1"
  certificate_template_name    = "ContosoSMIMESigning"
  certification_authority_type = each.key == "android_device_owner" ? "microsoft" : null
  root_certificate_id          = each.key == "android_device_owner" ? intune_trusted_certificate.root_android.id : null

  certificate_validity_period_scale = "years"
  certificate_validity_period_value = 1
  renewal_threshold_percentage      = 20

  subject_name_format           = "commonNameAsEmail"
  subject_name_format_string    = each.key == "android_device_owner" ? "CN={{UserName}},E={{EmailAddress}}" : null
  subject_alternative_name_type = ["emailAddress"]
  certificate_store             = each.key == "android_device_owner" ? "user" : null
  key_storage_provider          = each.key == "windows" ? "useSoftwareKsp" : null

  # iOS PKCS profiles have no extended key usage setting in Graph.
  dynamic "extended_key_usages" {
    for_each = each.key == "ios" ? [] : ["secure-email"]
    content {
      name              = "Secure Email"
      object_identifier = "1.3.6.1.5.5.7.3.4"
    }
  }
}
