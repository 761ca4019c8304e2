//! `intune_trusted_certificate`: trusted root or intermediate CA
//! certificate profiles (`*TrustedRootCertificate` in
//! `/deviceManagement/deviceConfigurations`), on all nine platforms.

use super::fields::{Field, FieldType};
use super::platform::ProfileKind;
use super::profile::{ProfileKindSpec, RootLink};
use crate::framework::Mode;

pub static SPEC: ProfileKindSpec = ProfileKindSpec {
    kind: ProfileKind::TrustedCertificate,
    description: "Deploys a trusted root or intermediate CA certificate to devices. SCEP and PKCS \
        certificate profiles of the same platform depend on devices trusting this root.",
    notes: NOTES,
    root_link: RootLink::None,
    fields: FIELDS,
};

const NOTES: &str = "\
The certificate is checked at plan time: it must parse as one X.509 certificate (a PEM bundle with \
several certificates, or one holding a private key, is refused). `thumbprint`, `subject`, `issuer` \
and `not_after` are derived from it at plan time, so they are known before apply. Terraform shows \
no change when only the encoding changes (PEM text, base64 of DER or of PEM): the provider compares \
the certificates, not the text, and keeps the configured form in state. A leading UTF-8 byte-order \
mark (as Windows tools write) is ignored.

The certificate's dates and kind are checked at plan time too. One that has expired or is not yet \
valid fails the plan that would write it (a create, a replace, or a different certificate) unless \
`allow_expired = true`, which is never sent to Graph (an import leaves it null). A certificate \
already in Intune that has expired since is only a warning, so time passing never fails a plan or a \
destroy: renew it and give the new certificate. A certificate expiring within the provider's \
`certificate_expiry_warning_days` (default 30, `0` turns it off) gets a warning, and so does one \
that is not a CA (basicConstraints absent or `CA:FALSE`), which devices do not take as a root.

Attributes that exist only on some platforms' Graph types (`destination_store` on `windows`, \
`deployment_channel` on `macos`) are refused on the others, at plan time. Changing `platform` \
replaces the profile; every other change is one in-place update (one Graph `PATCH` carrying only \
the changed properties).";

static FIELDS: &[Field] = &[
    Field::new(
        "trusted_root_certificate",
        "trustedRootCertificate",
        FieldType::Certificate,
        Mode::Required,
        "The CA certificate, as PEM text (`file(\"root.cer\")`) or base64 of its DER or PEM file \
         (`filebase64(\"root.cer\")`). Re-encoding the same certificate is not a change.",
    ),
    Field::new(
        "cert_file_name",
        "certFileName",
        FieldType::String,
        Mode::Optional,
        "File name shown for the certificate in the Intune admin center.",
    ),
    Field::new(
        "destination_store",
        "destinationStore",
        FieldType::Enum,
        Mode::Optional,
        "Windows certificate store the certificate is installed in; required on `windows`.",
    ),
    Field::new(
        "deployment_channel",
        "deploymentChannel",
        FieldType::Enum,
        Mode::Optional,
        "macOS channel the profile is delivered through (device or user keychain).",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::fields::snake_case;
    use crate::resources::platform::Platform;
    use crate::resources::profile::{COMMON_FIELDS, platforms_with};

    #[test]
    fn names_follow_graph() {
        for f in COMMON_FIELDS.iter().chain(FIELDS) {
            assert_eq!(f.name, snake_case(f.graph));
        }
    }

    #[test]
    fn platform_specific_fields_come_from_graph_types() {
        let by_name = |n: &str| FIELDS.iter().find(|f| f.name == n).unwrap();
        assert_eq!(
            platforms_with(
                ProfileKind::TrustedCertificate,
                by_name("destination_store")
            ),
            vec![Platform::Windows]
        );
        assert_eq!(
            platforms_with(
                ProfileKind::TrustedCertificate,
                by_name("deployment_channel")
            ),
            vec![Platform::Macos]
        );
        assert_eq!(
            platforms_with(ProfileKind::TrustedCertificate, by_name("cert_file_name")).len(),
            9
        );
    }
}
