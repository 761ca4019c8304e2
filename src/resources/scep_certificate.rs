//! `intune_scep_certificate`: SCEP certificate profiles
//! (`*ScepCertificateProfile` / `*SCEPCertificateProfile` in
//! `/deviceManagement/deviceConfigurations`), on all nine platforms, each
//! linked to the trusted root of its platform.

use super::fields::{self, Field, FieldType};
use super::issued_fields::*;
use super::platform::ProfileKind;
use super::profile::{ProfileKindSpec, RootLink};
use crate::framework::Mode;

pub static SPEC: ProfileKindSpec = ProfileKindSpec {
    kind: ProfileKind::ScepCertificate,
    description: "Devices enrol a certificate from an NDES/SCEP server, for Wi-Fi, VPN or e-mail \
        authentication. The profile references the trusted certificate profile of the same platform \
        that devices use to trust the issuing CA.",
    notes: NOTES,
    root_link: RootLink::Required,
    fields: &FIELDS,
};

const NOTES: &str = "\
`root_certificate_id` must be the id of an `intune_trusted_certificate` whose Graph type is the one \
Graph's `rootCertificate` link of this platform targets (the same platform). The provider checks it \
at plan time when the id is known, and before the first write when the root is created in the same \
apply; a root of another platform or kind fails with a diagnostic that says what it is. Changing it \
updates the link in place; a link changed in the Intune admin center shows as drift.

Attributes that exist only on some platforms' Graph types are refused on the others at plan time, \
and values Graph requires on a platform (for example `hash_algorithm` on Android, \
`key_storage_provider` on Windows) are required there. Sets (`key_usage`, `hash_algorithm`, \
`subject_alternative_name_type`, `extended_key_usages`, `custom_subject_alternative_names`) ignore \
order, so Graph's reordering is never a diff; `scep_server_urls` is a list because devices try the \
servers in order.

`windows` maps to Graph's `windows81SCEPCertificateProfile`, which Intune uses for Windows 8.1 and \
Windows 10/11. Windows 10X SCEP profiles (`windows10XSCEPCertificateProfile`) are resource access \
profiles, not device configurations, and are out of scope.";

static FIELDS: [Field; 19] = fields::join(&[
    &[Field::new(
        "scep_server_urls",
        "scepServerUrls",
        FieldType::StringList,
        Mode::Required,
        "URLs of the NDES/SCEP servers, in the order devices try them.",
    )],
    LIFETIME,
    &[KEY_SIZE, KEY_USAGE, HASH_ALGORITHM],
    CONTENT_AND_STORAGE,
]);
