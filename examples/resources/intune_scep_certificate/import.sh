# A SCEP certificate profile is imported by its Graph id; the platform and
# the root certificate link come from Graph.
terraform import 'intune_scep_certificate.wifi["ios"]' 2d3c4b5a-0000-4000-8000-000000000002
