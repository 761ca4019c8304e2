# The assignments of a profile are imported by the profile's Graph id (the
# GUID in the profile's URL in the Intune admin center).
terraform import intune_certificate_profile_assignment.contoso_root_ios 2d3c4b5a-0000-4000-8000-000000000001
