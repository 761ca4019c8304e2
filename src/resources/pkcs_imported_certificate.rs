//! `intune_pkcs_imported_certificate`: imported PKCS (PFX) certificate
//! profiles (`*ImportedPFXCertificateProfile` in
//! `/deviceManagement/deviceConfigurations`), which deploy certificates
//! previously imported into Intune, typically for S/MIME.

use super::fields::{Field, FieldType};
use super::issued_fields::*;
use super::platform::ProfileKind;
use super::profile::{ProfileKindSpec, RootLink};
use crate::framework::Mode;

pub static SPEC: ProfileKindSpec = ProfileKindSpec {
    kind: ProfileKind::PkcsImportedCertificate,
    description: "Deploys certificates previously imported into Intune (for example S/MIME signing and \
        encryption certificates) to each user's devices, selected by their intended purpose.",
    notes: NOTES,
    root_link: RootLink::Optional,
    fields: FIELDS,
};

const NOTES: &str = "\
The certificates themselves are imported into Intune separately (Graph's `userPfxCertificates`, \
outside this provider's scope); this profile deploys the ones whose purpose matches \
`intended_purpose`.

`android_work_profile` and `android_for_work` both map to Graph's \
`androidForWorkImportedPFXCertificateProfile`: switching between them is no change, and import \
records `android_work_profile`. That type derives from the device administrator base, so its \
`root_certificate_id` must name the `android_device_administrator` trusted certificate. \
`root_certificate_id` is offered on the Android platforms only.

`windows` maps to Graph's `windows10ImportedPFXCertificateProfile`. \
`windows10PFXImportCertificateProfile` (a type with only a key storage provider, not used by \
Intune's imported-PFX flow) is out of scope.";

static FIELDS: &[Field] = &[
    Field::new(
        "intended_purpose",
        "intendedPurpose",
        FieldType::Enum,
        Mode::Required,
        "Purpose of the imported certificates to deploy.",
    ),
    CERTIFICATE_VALIDITY_PERIOD_SCALE.mode(Mode::Optional),
    CERTIFICATE_VALIDITY_PERIOD_VALUE.mode(Mode::Optional),
    RENEWAL_THRESHOLD_PERCENTAGE.mode(Mode::Optional),
    KEY_STORAGE_PROVIDER,
    SUBJECT_NAME_FORMAT,
    SUBJECT_ALTERNATIVE_NAME_TYPE,
    EXTENDED_KEY_USAGES,
    CERTIFICATE_ACCESS_TYPE,
    SILENT_CERTIFICATE_ACCESS_DETAILS,
    DEPLOYMENT_CHANNEL,
];
