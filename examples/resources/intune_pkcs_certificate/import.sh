# A PKCS certificate profile is imported by its Graph id.
terraform import 'intune_pkcs_certificate.smime_signing["windows"]' 2d3c4b5a-0000-4000-8000-000000000003
