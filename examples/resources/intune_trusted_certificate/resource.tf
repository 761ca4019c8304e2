# The Contoso root CA, deployed to every platform Intune manages. SCEP and
# PKCS profiles of each platform then reference the matching root.
locals {
  platforms = [
    "android_device_administrator",
    "android_work_profile",
    "android_for_work",
    "android_device_owner",
    "aosp",
    "ios",
    "macos",
    "windows",
    "windows_phone_81",
  ]
}

resource "intune_trusted_certificate" "contoso_root" {
  for_each = toset(local.platforms)

  platform                 = each.key
  display_name             = "Contoso Root CA (${each.key})"
  description              = "Root of the Contoso PKI, for Wi-Fi, VPN and e-mail certificates."
  trusted_root_certificate = file("${path.module}/../../certs/contoso-root-ca.cer")
  cert_file_name           = "contoso-root-ca.cer"

  # Windows needs a certificate store; other platforms have none.
  destination_store = each.key == "windows" ? "computerCertStoreRoot" : null
}

# The issuing CA as an intermediate on Windows, from a DER file.
resource "intune_trusted_certificate" "contoso_issuing_windows" {
  platform                 = "windows"
  display_name             = "Contoso Issuing CA 1"
  trusted_root_certificate = filebase64("${path.module}/../../certs/contoso-issuing-ca.der")
  destination_store        = "computerCertStoreIntermediate"

  timeouts {
    create = "5m"
  }
}

output "contoso_root_thumbprint" {
  value = intune_trusted_certificate.contoso_root["windows"].thumbprint
}
