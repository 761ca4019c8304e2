# Wi-Fi client certificates from the Contoso NDES server for iOS/iPadOS,
# Windows and Android Enterprise fully managed devices. Each SCEP profile
# references the trusted root of its own platform.
locals {
  scep_platforms = ["ios", "windows", "android_device_owner"]
}

resource "intune_trusted_certificate" "root" {
  for_each = toset(local.scep_platforms)

  platform                 = each.key
  display_name             = "Contoso Root CA (${each.key})"
  trusted_root_certificate = file("${path.module}/../../certs/contoso-root-ca.cer")
  destination_store        = each.key == "windows" ? "computerCertStoreRoot" : null
}

resource "intune_scep_certificate" "wifi" {
  for_each = toset(local.scep_platforms)

  platform            = each.key
  display_name        = "Contoso Wi-Fi certificate (${each.key})"
  description         = "User certificate for EAP-TLS on the CONTOSO-CORP network."
  root_certificate_id = intune_trusted_certificate.root[each.key].id
  scep_server_urls    = ["https://ndes.contoso.com/certsrv/mscep/mscep.dll"]

  certificate_validity_period_scale = "years"
  certificate_validity_period_value = 1
  renewal_threshold_percentage      = 20

  key_size       = "size2048"
  key_usage      = ["digitalSignature", "keyEncipherment"]
  hash_algorithm = each.key == "ios" ? null : ["sha2"]

  # Windows keeps the key in the TPM when there is one.
  key_storage_provider = each.key == "windows" ? "useTpmKspOtherwiseUseSoftwareKsp" : null

  subject_name_format           = "commonName"
  subject_alternative_name_type = ["userPrincipalName"]

  extended_key_usages {
    name              = "Client Authentication"
    object_identifier = "1.3.6.1.5.5.7.3.2"
  }
}
