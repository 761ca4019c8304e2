//! `intune_pkcs_certificate`: PKCS certificate profiles
//! (`*PkcsCertificateProfile` in `/deviceManagement/deviceConfigurations`),
//! issued by Intune's certificate connector from a named CA and template.

use super::fields::{self, Field, FieldType};
use super::issued_fields::*;
use super::platform::ProfileKind;
use super::profile::{ProfileKindSpec, RootLink};
use crate::framework::Mode;

pub static SPEC: ProfileKindSpec = ProfileKindSpec {
    kind: ProfileKind::PkcsCertificate,
    description: "Intune's certificate connector requests a certificate for each device or user from a \
        certification authority and template, and deploys it with its private key (S/MIME, Wi-Fi, VPN).",
    notes: NOTES,
    root_link: RootLink::Optional,
    fields: &FIELDS,
};

const NOTES: &str = "\
The CA is named by plain strings (`certification_authority`, `certification_authority_name`, \
`certificate_template_name`); Graph does not check them against a CA, the connector uses them when \
it requests certificates. Android Enterprise fully managed and AOSP profiles also take \
`certification_authority_type`.

`root_certificate_id` is offered on the Android and AOSP platforms, whose Graph types carry the \
`rootCertificate` link; it must name the trusted certificate profile of the same platform and is \
checked like SCEP's.

`windows` maps to Graph's `windows10PkcsCertificateProfile` (Windows 10/11). There is no PKCS profile \
for Windows Phone 8.1.";

static FIELDS: [Field; 19] = fields::join(&[
    &[
        Field::new(
            "certification_authority",
            "certificationAuthority",
            FieldType::String,
            Mode::Required,
            "Fully qualified host name of the issuing CA, e.g. `ca01.contoso.com`.",
        ),
        Field::new(
            "certification_authority_name",
            "certificationAuthorityName",
            FieldType::String,
            Mode::Optional,
            "Common name of the CA, e.g. `Contoso Issuing CA 1`.",
        ),
        Field::new(
            "certification_authority_type",
            "certificationAuthorityType",
            FieldType::Enum,
            Mode::Optional,
            "Kind of CA the connector talks to.",
        ),
        Field::new(
            "certificate_template_name",
            "certificateTemplateName",
            FieldType::String,
            Mode::Required,
            "Name of the certificate template on the CA.",
        ),
    ],
    LIFETIME,
    CONTENT_AND_STORAGE,
]);
