# A trusted certificate profile is imported by its Graph id (the GUID in the
# profile's URL in the Intune admin center). The platform comes from Graph.
terraform import 'intune_trusted_certificate.contoso_root["ios"]' 2d3c4b5a-0000-4000-8000-000000000001
