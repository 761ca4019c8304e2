//! The provider's functions. `certificate_info` reads a certificate in the
//! forms `trusted_root_certificate` accepts and returns its facts, so a
//! configuration can show or compare a thumbprint, fingerprint or expiry
//! before (or without) creating a profile. It parses with
//! `certificate.rs`, the same code the resources use, so the function and
//! the resources always agree.

use std::collections::BTreeMap;

use super::certificate;
use crate::framework::{Function, FunctionError, Parameter};
use crate::value::{Type, Value};

/// `provider::intune::certificate_info(text)`.
pub struct CertificateInfo;

/// The attributes of the returned object, with their types and what they
/// mean (the docs list them from here).
pub const RESULT_FIELDS: [(&str, Type, &str); 7] = [
    (
        "thumbprint",
        Type::String,
        "SHA-1 of the DER, upper-case hexadecimal (as Windows and Intune show it).",
    ),
    (
        "sha256",
        Type::String,
        "SHA-256 of the DER, upper-case hexadecimal.",
    ),
    ("subject", Type::String, "Subject distinguished name."),
    ("issuer", Type::String, "Issuer distinguished name."),
    (
        "not_before",
        Type::String,
        "Start of the validity, RFC 3339 (UTC).",
    ),
    (
        "not_after",
        Type::String,
        "End of the validity, RFC 3339 (UTC).",
    ),
    (
        "is_ca",
        Type::Bool,
        "Whether basicConstraints says CA:TRUE (only such a certificate is a trust anchor).",
    ),
];

const PARAMETERS: &[Parameter] = &[Parameter {
    name: "text",
    ty: Type::String,
    description: "The certificate: PEM text (`file(\"root.cer\")`) or base64 of its DER or PEM \
                  (`filebase64(\"root.cer\")`). A leading UTF-8 byte-order mark is ignored.",
}];

/// What every error adds, so the user knows what to give instead.
const EXPECTED: &str = "expected one X.509 certificate as PEM text (file(\"root.cer\")) or as \
                        base64 of its DER or PEM (filebase64(\"root.cer\"))";

/// The advice `certificate::to_der` ends a base64 error with.
const RESOURCE_ADVICE: &str = "; use file(\"root.cer\") or filebase64(\"root.cer\")";

impl Function for CertificateInfo {
    fn name(&self) -> &str {
        "certificate_info"
    }

    fn summary(&self) -> &str {
        "Facts about an X.509 certificate: thumbprints, names, validity, CA flag"
    }

    fn description(&self) -> &str {
        "Parses a certificate given the way `trusted_root_certificate` accepts it and returns \
         its SHA-1 thumbprint, SHA-256 fingerprint, subject, issuer, validity dates and whether \
         it is a CA. It reads only its argument: no Graph call is made."
    }

    fn parameters(&self) -> &[Parameter] {
        PARAMETERS
    }

    fn return_type(&self) -> Type {
        Type::Object(
            RESULT_FIELDS
                .iter()
                .map(|(name, ty, _)| (name.to_string(), ty.clone()))
                .collect(),
        )
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let text = args.first().and_then(Value::as_str).unwrap_or_default();
        let facts = certificate::parse(text).map_err(|e| {
            // The parser's advice for the resource says what EXPECTED says.
            let e = e.trim_end_matches(RESOURCE_ADVICE);
            FunctionError::argument(0, format!("{EXPECTED}, but {e}"))
        })?;
        let sha256 = hex_upper(ring::digest::digest(&ring::digest::SHA256, &facts.der).as_ref());
        let strings = [
            ("thumbprint", facts.thumbprint),
            ("sha256", sha256),
            ("subject", facts.subject),
            ("issuer", facts.issuer),
            ("not_before", facts.not_before),
            ("not_after", facts.not_after),
        ];
        let mut object: BTreeMap<String, Value> = strings
            .into_iter()
            .map(|(name, v)| (name.to_string(), Value::String(v)))
            .collect();
        object.insert("is_ca".into(), Value::Bool(facts.is_ca));
        Ok(Value::Object(object))
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::*;
    use crate::framework::call_function;
    use crate::resources::certificate::tests::{test_pem, test_root_pem};

    fn info(text: &str) -> Result<Value, FunctionError> {
        call_function(&CertificateInfo, &[Value::string(text)])
    }

    fn field<'a>(v: &'a Value, name: &str) -> &'a str {
        v.get(name)
            .as_str()
            .unwrap_or_else(|| panic!("{name} in {v:?}"))
    }

    #[test]
    fn a_pem_certificate_gives_every_fact() {
        let pem = test_root_pem("Contoso Root");
        let der = certificate::to_der(&pem).unwrap();
        let v = info(&pem).unwrap();
        assert!(v.conforms_to(&CertificateInfo.return_type()), "{v:?}");
        let sha1 =
            hex_upper(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &der).as_ref());
        assert_eq!(field(&v, "thumbprint"), sha1);
        let sha256 = field(&v, "sha256");
        assert_eq!(sha256.len(), 64);
        assert_eq!(
            sha256,
            hex_upper(ring::digest::digest(&ring::digest::SHA256, &der).as_ref())
        );
        assert_eq!(sha256, sha256.to_uppercase());
        assert_eq!(field(&v, "subject"), "CN=Contoso Root, O=Contoso");
        assert_eq!(field(&v, "issuer"), "CN=Contoso Root, O=Contoso");
        assert_eq!(field(&v, "not_before"), "2020-01-01T00:00:00Z");
        assert_eq!(field(&v, "not_after"), "2040-01-01T00:00:00Z");
        assert_eq!(v.get("is_ca"), &Value::Bool(true));
    }

    #[test]
    fn base64_der_and_a_bom_give_the_same_answer() {
        let pem = test_root_pem("Contoso Root");
        let der = certificate::to_der(&pem).unwrap();
        let expected = info(&pem).unwrap();
        for text in [
            STANDARD.encode(&der),
            STANDARD.encode(pem.as_bytes()),
            format!("\u{feff}{pem}"),
            STANDARD.encode(format!("\u{feff}{pem}")),
        ] {
            assert_eq!(info(&text).as_ref(), Ok(&expected), "{text}");
        }
    }

    #[test]
    fn a_leaf_is_not_a_ca() {
        let pem = test_pem(
            "leaf",
            rcgen::IsCa::NoCa,
            rcgen::date_time_ymd(2020, 1, 1),
            rcgen::date_time_ymd(2040, 1, 1),
        );
        assert_eq!(info(&pem).unwrap().get("is_ca"), &Value::Bool(false));
    }

    #[test]
    fn garbage_is_an_error_on_the_argument_saying_what_is_expected() {
        for text in [
            "",
            "not a certificate",
            "aGVsbG8=",
            "-----BEGIN CERTIFICATE-----\n",
        ] {
            let err = info(text).expect_err(text);
            assert_eq!(err.argument, Some(0), "{text}");
            assert!(err.message.starts_with(EXPECTED), "{text}: {}", err.message);
            assert_eq!(
                err.message.matches("filebase64").count(),
                1,
                "{}",
                err.message
            );
        }
    }
}
