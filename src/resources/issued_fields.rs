//! Attribute rows shared by the kinds that put a certificate and its key on
//! the device (SCEP, PKCS, imported PKCS): validity, renewal, subject and
//! SAN formats, key usage and storage, and the Android Enterprise access
//! settings. A kind's table lists the rows it uses, with its own mode where
//! it differs; which platforms accept each row comes from the Graph model.
//! SCEP and PKCS take the same fifteen rows, [`LIFETIME`] and
//! [`CONTENT_AND_STORAGE`], joined into their tables with
//! [`fields::join`](super::fields::join).

use super::fields::{Field, FieldType};
use crate::framework::Mode;

/// How long a certificate Intune has a device enrol (SCEP) or issues to it
/// (PKCS) is valid, and when the device renews it: the first rows SCEP and
/// PKCS share.
pub const LIFETIME: &[Field] = &[
    CERTIFICATE_VALIDITY_PERIOD_SCALE,
    CERTIFICATE_VALIDITY_PERIOD_VALUE,
    RENEWAL_THRESHOLD_PERCENTAGE,
];

/// What goes into such a certificate and where its key and the certificate
/// land (key storage, subject and alternative names, key usages, store, app
/// access, macOS channel): the other rows SCEP and PKCS share, after
/// [`LIFETIME`] and any key rows of the kind's own.
pub const CONTENT_AND_STORAGE: &[Field] = &[
    KEY_STORAGE_PROVIDER,
    SUBJECT_NAME_FORMAT,
    SUBJECT_NAME_FORMAT_STRING,
    SUBJECT_ALTERNATIVE_NAME_TYPE,
    SUBJECT_ALTERNATIVE_NAME_FORMAT_STRING,
    CUSTOM_SUBJECT_ALTERNATIVE_NAMES,
    EXTENDED_KEY_USAGES,
    CERTIFICATE_STORE,
    CERTIFICATE_ACCESS_TYPE,
    SILENT_CERTIFICATE_ACCESS_DETAILS,
    ALLOW_ALL_APPS_ACCESS,
    DEPLOYMENT_CHANNEL,
];

pub const CERTIFICATE_VALIDITY_PERIOD_SCALE: Field = Field::new(
    "certificate_validity_period_scale",
    "certificateValidityPeriodScale",
    FieldType::Enum,
    Mode::Required,
    "Unit of `certificate_validity_period_value`.",
);

pub const CERTIFICATE_VALIDITY_PERIOD_VALUE: Field = Field::new(
    "certificate_validity_period_value",
    "certificateValidityPeriodValue",
    FieldType::Int32,
    Mode::Required,
    "How long issued certificates are valid, in `certificate_validity_period_scale` units.",
)
.range(1, i32::MAX as i64);

pub const RENEWAL_THRESHOLD_PERCENTAGE: Field = Field::new(
    "renewal_threshold_percentage",
    "renewalThresholdPercentage",
    FieldType::Int32,
    Mode::Required,
    "Remaining lifetime, in percent, at which devices renew the certificate (1 to 99).",
)
.range(1, 99);

pub const SUBJECT_NAME_FORMAT: Field = Field::new(
    "subject_name_format",
    "subjectNameFormat",
    FieldType::Enum,
    Mode::Optional,
    "How the certificate's subject name is built. Apple platforms use their own list of formats.",
);

pub const SUBJECT_NAME_FORMAT_STRING: Field = Field::new(
    "subject_name_format_string",
    "subjectNameFormatString",
    FieldType::String,
    Mode::Optional,
    "Custom subject name, with Intune variables such as `CN={{UserName}},E={{EmailAddress}}`; used with the `custom` format.",
);

pub const SUBJECT_ALTERNATIVE_NAME_TYPE: Field = Field::new(
    "subject_alternative_name_type",
    "subjectAlternativeNameType",
    FieldType::Flags,
    Mode::Optional,
    "Subject alternative names to include, as a set of Graph's names; `[\"none\"]` for none.",
);

pub const SUBJECT_ALTERNATIVE_NAME_FORMAT_STRING: Field = Field::new(
    "subject_alternative_name_format_string",
    "subjectAlternativeNameFormatString",
    FieldType::String,
    Mode::Optional,
    "Custom subject alternative name format, with Intune variables.",
);

pub const CUSTOM_SUBJECT_ALTERNATIVE_NAMES: Field = Field::new(
    "custom_subject_alternative_names",
    "customSubjectAlternativeNames",
    FieldType::ObjectSet(CUSTOM_SAN),
    Mode::Optional,
    "Subject alternative names built from Intune variables, one block each.",
);

static CUSTOM_SAN: &[Field] = &[
    Field::new(
        "name",
        "name",
        FieldType::String,
        Mode::Required,
        "Value, with Intune variables such as `{{UserPrincipalName}}`.",
    ),
    Field::new(
        "san_type",
        "sanType",
        FieldType::Enum,
        Mode::Required,
        "Kind of subject alternative name.",
    ),
];

pub const EXTENDED_KEY_USAGES: Field = Field::new(
    "extended_key_usages",
    "extendedKeyUsages",
    FieldType::ObjectSet(EKU),
    Mode::Optional,
    "Extended key usages of the certificate, one block each (Client Authentication is `1.3.6.1.5.5.7.3.2`).",
);

static EKU: &[Field] = &[
    Field::new(
        "name",
        "name",
        FieldType::String,
        Mode::Required,
        "Display name of the usage, e.g. `Client Authentication`.",
    ),
    Field::new(
        "object_identifier",
        "objectIdentifier",
        FieldType::String,
        Mode::Required,
        "Its object identifier, e.g. `1.3.6.1.5.5.7.3.2`.",
    ),
];

pub const KEY_USAGE: Field = Field::new(
    "key_usage",
    "keyUsage",
    FieldType::Flags,
    Mode::Required,
    "Key usages of the certificate, as a set.",
);

pub const KEY_SIZE: Field = Field::new(
    "key_size",
    "keySize",
    FieldType::Enum,
    Mode::Required,
    "Size of the key pair.",
);

pub const HASH_ALGORITHM: Field = Field::new(
    "hash_algorithm",
    "hashAlgorithm",
    FieldType::Flags,
    Mode::Optional,
    "Hash algorithms the device may use, as a set.",
);

pub const KEY_STORAGE_PROVIDER: Field = Field::new(
    "key_storage_provider",
    "keyStorageProvider",
    FieldType::Enum,
    Mode::Optional,
    "Windows key storage provider (TPM, Windows Hello for Business or software) for the private key.",
);

pub const CERTIFICATE_STORE: Field = Field::new(
    "certificate_store",
    "certificateStore",
    FieldType::Enum,
    Mode::Optional,
    "Whether the certificate goes to the user's or the machine's store.",
);

pub const CERTIFICATE_ACCESS_TYPE: Field = Field::new(
    "certificate_access_type",
    "certificateAccessType",
    FieldType::Enum,
    Mode::Optional,
    "Whether the user approves app access to the certificate or named apps get it silently.",
);

pub const SILENT_CERTIFICATE_ACCESS_DETAILS: Field = Field::new(
    "silent_certificate_access_details",
    "silentCertificateAccessDetails",
    FieldType::ObjectSet(SILENT_ACCESS),
    Mode::Optional,
    "Apps granted silent access to the certificate, one block each.",
);

static SILENT_ACCESS: &[Field] = &[Field::new(
    "package_id",
    "packageId",
    FieldType::String,
    Mode::Required,
    "Android package name, e.g. `com.microsoft.emmx`.",
)];

pub const ALLOW_ALL_APPS_ACCESS: Field = Field::new(
    "allow_all_apps_access",
    "allowAllAppsAccess",
    FieldType::Bool,
    Mode::Optional,
    "Whether every app on the Mac may use the private key.",
);

pub const DEPLOYMENT_CHANNEL: Field = Field::new(
    "deployment_channel",
    "deploymentChannel",
    FieldType::Enum,
    Mode::Optional,
    "macOS channel the profile is delivered through (device or user keychain).",
);
