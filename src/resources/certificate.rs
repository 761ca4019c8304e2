//! X.509 handling for `trusted_root_certificate`: accepts the forms users
//! have (PEM text from `file()`, base64 of DER or PEM from `filebase64()`),
//! validates them at plan time, tells re-encodings of one certificate apart
//! from a different certificate, and derives the computed facts
//! (`thumbprint`, `subject`, `issuer`, `not_after`) and what the plan-time
//! checks need (validity dates, whether it is a CA).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use time::format_description::well_known::Rfc3339;
use x509_parser::pem::Pem;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::value::Value;

/// A parsed certificate and what the resource exports about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    pub der: Vec<u8>,
    /// SHA-1 of the DER, upper-case hex, as Windows and Intune show it.
    pub thumbprint: String,
    pub subject: String,
    pub issuer: String,
    /// RFC 3339, UTC.
    pub not_after: String,
    /// Start of the validity, RFC 3339 (UTC).
    pub not_before: String,
    /// When the validity ends, for working out how soon that is.
    pub expires_at: time::OffsetDateTime,
    /// Past `not_after` when parsed.
    pub expired: bool,
    /// Before `not_before` when parsed.
    pub not_yet_valid: bool,
    /// basicConstraints present with CA:TRUE: only such a certificate is a
    /// trust anchor to devices.
    pub is_ca: bool,
}

/// The facts a certificate attribute exports, with their descriptions; the
/// names are the computed attributes of the trusted certificate resource and
/// the data sources.
pub const FACTS: [(&str, &str); 4] = [
    (
        "thumbprint",
        "SHA-1 thumbprint of the certificate, upper-case hexadecimal.",
    ),
    ("subject", "Subject distinguished name of the certificate."),
    ("issuer", "Issuer distinguished name of the certificate."),
    (
        "not_after",
        "End of the certificate's validity, RFC 3339 (UTC).",
    ),
];

impl CertificateFacts {
    /// The value of each of [`FACTS`], in the same order.
    pub fn values(&self) -> [(&'static str, &str); 4] {
        [
            ("thumbprint", &self.thumbprint),
            ("subject", &self.subject),
            ("issuer", &self.issuer),
            ("not_after", &self.not_after),
        ]
    }
}

/// Sets the [`FACTS`] attributes of `object` from `certificate`, the value
/// of a certificate attribute or property: unknown while it is unknown,
/// null when it is null or cannot be read. The profile resources (from the
/// planned or read certificate) and the data sources (from Graph's) both
/// derive them here, so the two always agree.
pub fn set_facts(object: &mut Value, certificate: &Value) {
    let facts = certificate.as_str().and_then(|text| parse(text).ok());
    for (i, (name, _)) in FACTS.iter().enumerate() {
        let value = match (certificate, &facts) {
            (Value::Unknown, _) => Value::Unknown,
            (_, Some(facts)) => Value::string(facts.values()[i].1),
            _ => Value::Null,
        };
        object.set(name, value);
    }
}

/// Parses the certificate from any accepted textual form. The error says
/// what was wrong in words a user can act on.
pub fn parse(text: &str) -> Result<CertificateFacts, String> {
    let der = to_der(text)?;
    facts(der)
}

/// The UTF-8 byte-order mark Windows tools (Notepad, PowerShell's
/// `Out-File`) write at the start of text files.
const BOM: char = '\u{feff}';
const BOM_BYTES: &[u8] = "\u{feff}".as_bytes();

/// The DER bytes of the one certificate `text` holds. A leading byte-order
/// mark, in the text or in the file its base64 holds, is ignored.
pub fn to_der(text: &str) -> Result<Vec<u8>, String> {
    let trimmed = text.trim().trim_start_matches(BOM).trim();
    if trimmed.is_empty() {
        return Err("the certificate is empty".into());
    }
    // PEM files may carry text before the block (OpenSSL's "Bag Attributes").
    if trimmed.contains("-----BEGIN") {
        return der_from_pem(trimmed.as_bytes());
    }
    let compact: String = trimmed
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let bytes = STANDARD
        .decode(&compact)
        .or_else(|_| STANDARD_NO_PAD.decode(&compact))
        .map_err(|_| {
            "the value is neither PEM text (-----BEGIN CERTIFICATE-----) nor base64 of a \
             certificate file; use file(\"root.cer\") or filebase64(\"root.cer\")"
                .to_string()
        })?;
    if bytes.windows(10).any(|w| w == b"-----BEGIN") {
        der_from_pem(bytes.strip_prefix(BOM_BYTES).unwrap_or(&bytes))
    } else {
        Ok(bytes)
    }
}

fn der_from_pem(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut certs = Vec::new();
    for block in Pem::iter_from_buffer(bytes) {
        let block = block.map_err(|e| format!("the PEM text is malformed: {e}"))?;
        if block.label.contains("PRIVATE KEY") {
            return Err(
                "the PEM text contains a private key; give only the certificate, never its key"
                    .into(),
            );
        }
        if block.label == "CERTIFICATE"
            || block.label == "X509 CERTIFICATE"
            || block.label == "TRUSTED CERTIFICATE"
        {
            certs.push(block.contents);
        }
    }
    match certs.len() {
        0 => Err("the PEM text holds no CERTIFICATE block".into()),
        1 => Ok(certs.remove(0)),
        n => Err(format!(
            "the PEM text holds {n} certificates; a trusted certificate profile deploys exactly one \
             (create one profile per certificate)"
        )),
    }
}

fn facts(der: Vec<u8>) -> Result<CertificateFacts, String> {
    let (rest, cert) = X509Certificate::from_der(&der)
        .map_err(|e| format!("the data is not an X.509 certificate: {e}"))?;
    if !rest.is_empty() {
        return Err(format!(
            "{} unexpected bytes follow the certificate",
            rest.len()
        ));
    }
    let not_after = cert.validity().not_after.to_datetime();
    let not_before = cert.validity().not_before.to_datetime();
    let now = time::OffsetDateTime::now_utc();
    let rfc3339 = |t: time::OffsetDateTime, what: &str| {
        t.to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .map_err(|e| format!("cannot format the {what} date: {e}"))
    };
    let facts = CertificateFacts {
        // ring is already built for TLS and signing: the one SHA-1 here.
        thumbprint: ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &der)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect(),
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_after: rfc3339(not_after, "expiry")?,
        not_before: rfc3339(not_before, "start")?,
        expires_at: not_after,
        expired: not_after < now,
        not_yet_valid: now < not_before,
        is_ca: cert.is_ca(),
        der: Vec::new(),
    };
    Ok(CertificateFacts { der, ..facts })
}

/// Graph's `Edm.Binary` form: standard base64 of the DER.
pub fn to_graph(text: &str) -> Result<String, String> {
    Ok(STANDARD.encode(to_der(text)?))
}

/// True when both texts hold the same certificate, however encoded.
pub fn same_certificate(a: &str, b: &str) -> bool {
    matches!((to_der(a), to_der(b)), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A self-signed CA certificate made for the tests, as PEM.
    pub fn test_root_pem(common_name: &str) -> String {
        test_pem(
            common_name,
            rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained),
            rcgen::date_time_ymd(2020, 1, 1),
            rcgen::date_time_ymd(2040, 1, 1),
        )
    }

    /// A self-signed certificate with the given CA flag and validity.
    pub fn test_pem(
        common_name: &str,
        is_ca: rcgen::IsCa,
        not_before: time::OffsetDateTime,
        not_after: time::OffsetDateTime,
    ) -> String {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Contoso");
        params.is_ca = is_ca;
        params.not_before = not_before;
        params.not_after = not_after;
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().pem()
    }

    fn ca() -> rcgen::IsCa {
        rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained)
    }

    #[test]
    fn only_ca_true_is_a_ca() {
        let (from, to) = (
            rcgen::date_time_ymd(2020, 1, 1),
            rcgen::date_time_ymd(2040, 1, 1),
        );
        let cases = [
            (ca(), true),
            (rcgen::IsCa::NoCa, false),
            (rcgen::IsCa::ExplicitNoCa, false),
        ];
        for (flag, want) in cases {
            let facts = parse(&test_pem("Leaf", flag, from, to)).unwrap();
            assert_eq!(facts.is_ca, want, "{flag:?}");
        }
    }

    #[test]
    fn validity_dates_are_read() {
        let now = time::OffsetDateTime::now_utc();
        let day = time::Duration::days(1);
        let cases = [
            // (not_before, not_after, expired, not_yet_valid)
            (now - 10 * day, now + 10 * day, false, false),
            (now - 10 * day, now - day, true, false),
            (now + day, now + 10 * day, false, true),
        ];
        for (from, to, expired, not_yet_valid) in cases {
            let f = parse(&test_pem("Dated CA", ca(), from, to)).unwrap();
            assert_eq!(
                (f.expired, f.not_yet_valid),
                (expired, not_yet_valid),
                "{from} .. {to}"
            );
            assert_eq!(f.expires_at.unix_timestamp(), to.unix_timestamp());
        }
        let f = parse(&test_root_pem("Contoso Root CA")).unwrap();
        assert_eq!(f.not_before, "2020-01-01T00:00:00Z");
    }

    #[test]
    fn a_leading_byte_order_mark_is_ignored() {
        let pem = test_root_pem("Contoso Root CA");
        let der = to_der(&pem).unwrap();
        let with_bom = format!("\u{feff}{pem}");
        let forms = [
            with_bom.clone(),
            with_bom.replace('\n', "\r\n"),
            STANDARD.encode(with_bom.as_bytes()),
            format!("\u{feff}{}", STANDARD.encode(&der)),
        ];
        for f in &forms {
            assert_eq!(to_der(f).unwrap(), der, "{f:?}");
        }
    }

    #[test]
    fn every_encoding_yields_the_same_der() {
        let pem = test_root_pem("Contoso Root CA");
        let der = to_der(&pem).unwrap();
        let forms = [
            pem.clone(),
            STANDARD.encode(&der),
            STANDARD.encode(pem.as_bytes()),
            STANDARD_NO_PAD.encode(&der),
            format!("\n  {}  \n", STANDARD.encode(&der)),
            pem.replace('\n', "\r\n"),
        ];
        for f in &forms {
            assert_eq!(to_der(f).unwrap(), der, "{f:?}");
            assert!(same_certificate(f, &pem));
        }
        assert!(!same_certificate(&pem, &test_root_pem("Another CA")));
    }

    #[test]
    fn text_before_the_pem_block_is_ignored() {
        let pem = test_root_pem("Contoso Root CA");
        let exported = format!(
            "Bag Attributes\n    friendlyName: Contoso Root CA\nsubject=CN = Contoso Root CA\n{pem}"
        );
        assert_eq!(to_der(&exported).unwrap(), to_der(&pem).unwrap());
        assert_eq!(
            to_der(&STANDARD.encode(exported.as_bytes())).unwrap(),
            to_der(&pem).unwrap()
        );
    }

    #[test]
    fn facts_are_derived() {
        let pem = test_root_pem("Contoso Root CA");
        let f = parse(&pem).unwrap();
        assert_eq!(f.thumbprint.len(), 40);
        assert!(
            f.thumbprint
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
        assert!(f.subject.contains("CN=Contoso Root CA"), "{}", f.subject);
        assert_eq!(f.subject, f.issuer);
        assert_eq!(f.not_after, "2040-01-01T00:00:00Z");
        assert!(!f.expired);
    }

    #[test]
    fn bad_input_is_explained() {
        let pem = test_root_pem("Contoso Root CA");
        let der = to_der(&pem).unwrap();
        let two = format!("{pem}{pem}");
        let with_key =
            format!("{pem}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        let cases: [(&str, &str); 6] = [
            ("", "empty"),
            ("not a certificate!", "neither PEM"),
            ("aGVsbG8gd29ybGQ=", "not an X.509"),
            (&two, "2 certificates"),
            (&with_key, "private key"),
            (
                "-----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----\n",
                "malformed",
            ),
        ];
        for (input, want) in cases {
            let err = parse(input).unwrap_err();
            assert!(err.contains(want), "{input:?}: {err}");
        }
        let mut trailing = der.clone();
        trailing.extend_from_slice(b"xx");
        assert!(
            parse(&STANDARD.encode(trailing))
                .unwrap_err()
                .contains("unexpected bytes")
        );
    }
}
