//! Certificate credentials: the PKCS#12 bundle a user configures, and the
//! signed JWT (RFC 7523 client assertion) that Entra ID accepts in place of a
//! client secret.
//!
//! Assertions are PS256 with the `x5t#S256` header (the SHA-256 thumbprint),
//! the form Microsoft's certificate-credential page recommends; audience the
//! token endpoint, a five-minute lifetime and a fresh `jti` for every token
//! request. The private key never leaves [`ClientCertificate`], whose
//! `Debug` shows only the certificate's subject and thumbprint.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pkcs8::ObjectIdentifier;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PSS_SHA256, RsaKeyPair};
use serde_json::json;

use super::auth::Secret;

/// How long an assertion is valid: Entra ID only needs it for the one token
/// request it is sent with.
pub(crate) const ASSERTION_LIFETIME: Duration = Duration::from_secs(300);

/// `rsaEncryption`: Entra ID certificate credentials are RSA keys.
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Why a configured certificate cannot be used. None of the messages
/// contains the password or key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// The bytes are not a PKCS#12 (PFX) file, or use a format this provider
    /// cannot decrypt.
    #[error("it is not a PKCS#12 (.pfx/.p12) file this provider can read: {0}")]
    NotPkcs12(String),
    /// The integrity check failed: the password is wrong (or missing).
    #[error("the password does not open it (wrong or missing client_certificate_password)")]
    WrongPassword,
    /// The bundle holds no private key.
    #[error("it holds no private key; export the certificate together with its private key")]
    NoPrivateKey,
    /// No certificate in the bundle belongs to its private key.
    #[error("it holds no certificate matching its private key")]
    NoMatchingCertificate,
    /// The key is not RSA; Entra ID accepts only RSA certificate credentials.
    #[error("its key is not an RSA key; Entra ID certificate credentials must be RSA")]
    NotRsa,
    /// ring refused the RSA key (too short, malformed).
    #[error("its RSA key cannot sign: {0} (a 2048-bit or longer key is needed)")]
    KeyRejected(String),
}

/// A certificate with its private key, ready to sign client assertions.
/// Cheap to clone.
#[derive(Clone)]
pub struct ClientCertificate {
    key: Arc<RsaKeyPair>,
    /// base64url SHA-256 of the certificate's DER: the `x5t#S256` header.
    thumbprint_sha256: String,
    /// Upper-case hex SHA-1 of the DER, as the Entra admin center shows it.
    thumbprint_sha1: String,
    subject: String,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("subject", &self.subject)
            .field("thumbprint", &self.thumbprint_sha1)
            .finish_non_exhaustive()
    }
}

impl PartialEq for ClientCertificate {
    fn eq(&self, other: &Self) -> bool {
        self.thumbprint_sha256 == other.thumbprint_sha256
    }
}

impl Eq for ClientCertificate {}

impl ClientCertificate {
    /// Opens a PKCS#12 bundle (PBES2/AES or the legacy 3DES/RC2 schemes) and
    /// picks the certificate that belongs to its RSA private key. Use an
    /// empty password for a bundle exported without one.
    pub fn from_pkcs12(bundle: &[u8], password: &Secret) -> Result<Self, CertificateError> {
        let archive = p12_keystore::Pkcs12Archive::from_pkcs12(bundle, password.expose()).map_err(
            |error| match error {
                p12_keystore::error::Error::MacError(_) => CertificateError::WrongPassword,
                // A wrong password on a bundle without MAC shows up as bad
                // padding after decryption.
                p12_keystore::error::Error::UnpadError => CertificateError::WrongPassword,
                other => CertificateError::NotPkcs12(other.to_string()),
            },
        )?;
        let mut rejected = None;
        let mut found_rsa = false;
        for bag in &archive.keys {
            let key = match rsa_key(bag.key.as_der()) {
                Ok(key) => key,
                Err(CertificateError::NotRsa) => continue,
                Err(error) => {
                    found_rsa = true;
                    rejected = Some(error);
                    continue;
                }
            };
            found_rsa = true;
            let public = key.public().as_ref();
            for bag in &archive.certs {
                let der = bag.cert.as_der();
                if certificate_public_key(der).as_deref() == Some(public) {
                    return Ok(ClientCertificate::new(key, der, bag.cert.subject()));
                }
            }
            rejected = Some(CertificateError::NoMatchingCertificate);
        }
        Err(match rejected {
            Some(error) => error,
            None if found_rsa => CertificateError::NoMatchingCertificate,
            None if archive.keys.is_empty() => CertificateError::NoPrivateKey,
            None => CertificateError::NotRsa,
        })
    }

    fn new(key: RsaKeyPair, der: &[u8], subject: &str) -> Self {
        let sha256 = ring::digest::digest(&ring::digest::SHA256, der);
        let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
        ClientCertificate {
            key: Arc::new(key),
            thumbprint_sha256: URL_SAFE_NO_PAD.encode(sha256.as_ref()),
            thumbprint_sha1: sha1.as_ref().iter().map(|b| format!("{b:02X}")).collect(),
            subject: subject.to_string(),
        }
    }

    /// The SHA-1 thumbprint in upper-case hex, as the portal lists it.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint_sha1
    }

    /// The certificate's subject (for messages).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// A signed client assertion for one token request to `audience` (the
    /// token endpoint URL), issued `now`.
    pub(crate) fn assertion(
        &self,
        client_id: &str,
        audience: &str,
        now: SystemTime,
    ) -> Result<Secret, String> {
        let issued = now
            .duration_since(UNIX_EPOCH)
            .map_err(|_| "the system clock is before 1970".to_string())?
            .as_secs();
        let header = json!({
            "alg": "PS256",
            "typ": "JWT",
            "x5t#S256": self.thumbprint_sha256,
        });
        let claims = json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "iat": issued,
            "nbf": issued,
            "exp": issued + ASSERTION_LIFETIME.as_secs(),
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PSS_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "signing the client assertion failed".to_string())?;
        Ok(Secret::new(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        )))
    }
}

/// The RSA key of a PKCS#8 `PrivateKeyInfo`. The inner PKCS#1 key is handed
/// to ring directly, so keys carrying PKCS#8 attributes (Windows exports)
/// load too.
fn rsa_key(pkcs8_der: &[u8]) -> Result<RsaKeyPair, CertificateError> {
    let info = pkcs8::PrivateKeyInfoRef::try_from(pkcs8_der)
        .map_err(|error| CertificateError::NotPkcs12(format!("private key: {error}")))?;
    if info.algorithm.oid != RSA_ENCRYPTION {
        return Err(CertificateError::NotRsa);
    }
    RsaKeyPair::from_der(info.private_key.as_bytes())
        .map_err(|error| CertificateError::KeyRejected(error.to_string()))
}

/// The `RSAPublicKey` DER inside a certificate's subject public key info.
fn certificate_public_key(der: &[u8]) -> Option<Vec<u8>> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(certificate.public_key().subject_public_key.data.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{RSA_PSS_2048_8192_SHA256, UnparsedPublicKey};
    use serde_json::Value;

    const PASSWORD: &str = "fixture-pfx-password";
    const APP_PFX: &[u8] = include_bytes!("../../tests/fixtures/auth/app-cert.pfx");
    const APP_3DES_PFX: &[u8] = include_bytes!("../../tests/fixtures/auth/app-cert-3des.pfx");
    const APP_NOPASS_PFX: &[u8] = include_bytes!("../../tests/fixtures/auth/app-cert-nopass.pfx");
    const EC_PFX: &[u8] = include_bytes!("../../tests/fixtures/auth/ec-cert.pfx");
    const APP_PEM: &str = include_str!("../../tests/fixtures/auth/app.cer");

    fn app_der() -> Vec<u8> {
        let body: String = APP_PEM
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap()
    }

    #[test]
    fn bundles_open_or_say_why_not() {
        let sha1: String =
            ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &app_der())
                .as_ref()
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect();
        let cases: [(&[u8], &str, Result<(), CertificateError>); 8] = [
            (APP_PFX, PASSWORD, Ok(())),
            (APP_3DES_PFX, PASSWORD, Ok(())),
            (APP_NOPASS_PFX, "", Ok(())),
            (APP_PFX, "wrong", Err(CertificateError::WrongPassword)),
            (APP_3DES_PFX, "", Err(CertificateError::WrongPassword)),
            (EC_PFX, PASSWORD, Err(CertificateError::NotRsa)),
            (
                b"not a pfx",
                PASSWORD,
                Err(CertificateError::NotPkcs12(String::new())),
            ),
            (
                &APP_PFX[..100],
                PASSWORD,
                Err(CertificateError::NotPkcs12(String::new())),
            ),
        ];
        for (index, (bundle, password, expected)) in cases.into_iter().enumerate() {
            let got = ClientCertificate::from_pkcs12(bundle, &Secret::new(password));
            match (expected, got) {
                (Ok(()), Ok(certificate)) => {
                    assert_eq!(certificate.thumbprint(), sha1, "case {index}");
                    assert!(certificate.subject().contains("intune-provider-test-app"));
                    let debug = format!("{certificate:?}");
                    assert!(debug.contains(&sha1) && !debug.contains("key"), "{debug}");
                }
                (Err(CertificateError::NotPkcs12(_)), Err(CertificateError::NotPkcs12(_))) => {}
                (Err(expected), Err(got)) => assert_eq!(got, expected, "case {index}"),
                (expected, got) => panic!("case {index}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    fn decode_part(part: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn assertions_are_ps256_with_the_sha256_thumbprint_and_verify() {
        let certificate = ClientCertificate::from_pkcs12(APP_PFX, &Secret::new(PASSWORD)).unwrap();
        let audience = "https://login.microsoftonline.com/contoso/oauth2/v2.0/token";
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let first = certificate.assertion("app-id", audience, now).unwrap();
        let second = certificate.assertion("app-id", audience, now).unwrap();
        let parts: Vec<&str> = first.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = decode_part(parts[0]);
        let claims = decode_part(parts[1]);
        let sha256 = ring::digest::digest(&ring::digest::SHA256, &app_der());
        assert_eq!(
            header,
            json!({"alg": "PS256", "typ": "JWT", "x5t#S256": URL_SAFE_NO_PAD.encode(sha256)})
        );
        assert_eq!(claims["aud"], audience);
        assert_eq!(
            (&claims["iss"], &claims["sub"]),
            (&json!("app-id"), &json!("app-id"))
        );
        assert_eq!(claims["nbf"], 1_700_000_000);
        assert_eq!(claims["exp"], 1_700_000_300);
        // A new jti every time, so Entra's replay check never trips.
        let other = decode_part(second.expose().split('.').nth(1).unwrap());
        assert_ne!(claims["jti"], other["jti"]);

        let der = app_der();
        let (_, parsed) = x509_parser::parse_x509_certificate(&der).unwrap();
        let public = parsed.public_key().subject_public_key.data.to_vec();
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        UnparsedPublicKey::new(&RSA_PSS_2048_8192_SHA256, &public)
            .verify(signed.as_bytes(), &signature)
            .expect("the signature verifies with the certificate's key");
        assert!(
            UnparsedPublicKey::new(&RSA_PSS_2048_8192_SHA256, &public)
                .verify(b"tampered", &signature)
                .is_err()
        );
    }

    /// Settles whether p12-keystore can panic on malformed input (it would
    /// then need `catch_unwind`): damaged bundles must be refused with an
    /// error. Every truncation of each kind of fixture (PBES2/AES, legacy
    /// 3DES, no password), and corruptions of every byte of the ASN.1
    /// framing at both ends (content headers, MAC data). Corrupting the
    /// encrypted middle only fails the MAC, slowly; a one-off run over every
    /// byte of all three bundles (38,000 inputs) found no panic either.
    #[test]
    fn damaged_bundles_are_refused_without_panicking() {
        const EDGE: usize = 96;
        let mut damaged: Vec<(Vec<u8>, &str)> = Vec::new();
        for (bundle, password) in [
            (APP_PFX, PASSWORD),
            (APP_3DES_PFX, PASSWORD),
            (APP_NOPASS_PFX, ""),
        ] {
            damaged.extend((0..bundle.len()).map(|n| (bundle[..n].to_vec(), password)));
        }
        let edges = (0..EDGE).chain(APP_PFX.len() - EDGE..APP_PFX.len());
        for at in edges {
            for change in [|_| 0x00, |_| 0xFF, |b: u8| b.wrapping_add(1)] {
                let mut copy = APP_PFX.to_vec();
                copy[at] = change(copy[at]);
                damaged.push((copy, PASSWORD));
            }
        }
        for (bytes, password) in damaged {
            let password = Secret::new(password);
            let outcome = std::panic::catch_unwind(|| {
                ClientCertificate::from_pkcs12(&bytes, &password).map(|_| ())
            });
            assert!(
                outcome.is_ok(),
                "panicked on a damaged bundle of {} bytes",
                bytes.len()
            );
        }
    }
}
