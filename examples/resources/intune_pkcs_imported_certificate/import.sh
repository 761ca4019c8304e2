# An imported PKCS certificate profile is imported by its Graph id. Graph
# has one type for both Android work-profile keywords; import records
# android_work_profile.
terraform import 'intune_pkcs_imported_certificate.smime_encryption["ios"]' 2d3c4b5a-0000-4000-8000-000000000004
