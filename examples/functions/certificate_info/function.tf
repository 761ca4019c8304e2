locals {
  root = provider::intune::certificate_info(file("${path.module}/../../certs/contoso-root-ca.cer"))
}

output "root_thumbprint" {
  value = local.root.thumbprint
}

resource "intune_trusted_certificate" "root_ios" {
  platform                 = "ios"
  display_name             = "Contoso Root CA (expires ${local.root.not_after})"
  trusted_root_certificate = file("${path.module}/../../certs/contoso-root-ca.cer")

  lifecycle {
    precondition {
      condition     = local.root.is_ca
      error_message = "The root certificate is not a CA certificate."
    }
  }
}
