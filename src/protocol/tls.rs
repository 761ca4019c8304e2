//! go-plugin's AutoMTLS, server side. Terraform hands us its client
//! certificate in `PLUGIN_CLIENT_CERT`; we mint a one-off self-signed server
//! certificate, announce it in the handshake line, and accept exactly
//! terraform's certificate on every connection.
//!
//! Two things stop the stock rustls pieces from doing this: webpki rejects
//! go-plugin's self-signed CA-as-leaf certificate (rustls/webpki#200), and
//! terraform's key is ECDSA P-521 (go-plugin's `mtls.go` generates it),
//! which ring cannot verify (rustls/rustls#933). So the
//! client verifier here pins the certificate by its DER bytes and checks
//! P-521 signatures with the `p521` crate, leaving every other scheme to
//! ring. This module must not loosen that: a connection without one of the
//! pinned certificates never reaches the gRPC services.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, PeerIncompatible, ServerConfig,
    SignatureScheme,
};
use time::{Duration, OffsetDateTime};
use x509_parser::oid_registry::{OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P521};

use crate::protocol::ProtocolError;

/// The host name terraform checks the server certificate against.
const SERVER_NAME: &str = "localhost";
/// How far back the server certificate's validity starts, to absorb clock
/// differences (go-plugin uses the same margin).
const BACKDATE: Duration = Duration::seconds(30);
/// How long the server certificate stays valid; terraform only needs it
/// valid while this process runs.
const LIFETIME: Duration = Duration::days(365);

/// The TLS side of a launch: what the listener uses, and the certificate the
/// handshake line announces.
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// rustls server configuration: TLS 1.2 and 1.3, ALPN `h2`, client
    /// certificate required and pinned.
    pub config: Arc<ServerConfig>,
    /// DER of the server certificate, for the handshake line.
    pub certificate: CertificateDer<'static>,
}

/// Builds the AutoMTLS server configuration from the PEM terraform passed in
/// `PLUGIN_CLIENT_CERT`. Each call mints a fresh server key and certificate.
pub fn server_tls(client_cert_pem: &str) -> Result<ServerTls, ProtocolError> {
    let pinned = parse_client_certificates(client_cert_pem)?;
    for cert in &pinned {
        tracing::debug!(
            key = describe_key(cert),
            "pinned client certificate from PLUGIN_CLIENT_CERT"
        );
    }
    let (certificate, key) = generate_server_certificate(OffsetDateTime::now_utc())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(PinnedClientCertVerifier::new(pinned, &provider));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![certificate.clone()], key)?;
    // grpc-go refuses TLS connections that did not negotiate h2 via ALPN.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(ServerTls {
        config: Arc::new(config),
        certificate,
    })
}

/// Every certificate in `pem`, in order. Other PEM sections are skipped.
fn parse_client_certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, ProtocolError> {
    let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ProtocolError::InvalidClientCertificate(e.to_string()))?;
    if certificates.is_empty() {
        return Err(ProtocolError::InvalidClientCertificate(
            "no CERTIFICATE section found".to_owned(),
        ));
    }
    Ok(certificates)
}

/// The kind of public key in `cert`, for logs.
fn describe_key(cert: &CertificateDer<'_>) -> &'static str {
    use x509_parser::oid_registry::{OID_EC_P256, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION};
    let Ok((_, parsed)) = x509_parser::parse_x509_certificate(cert.as_ref()) else {
        return "unparsable certificate";
    };
    let spki = parsed.public_key();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok());
    if spki.algorithm.algorithm == OID_PKCS1_RSAENCRYPTION {
        "RSA"
    } else if spki.algorithm.algorithm != OID_KEY_TYPE_EC_PUBLIC_KEY {
        "other"
    } else if curve == Some(OID_NIST_EC_P521) {
        "ECDSA P-521"
    } else if curve == Some(OID_NIST_EC_P384) {
        "ECDSA P-384"
    } else if curve == Some(OID_EC_P256) {
        "ECDSA P-256"
    } else {
        "ECDSA, other curve"
    }
}

/// A self-signed ECDSA P-256 certificate shaped as go-plugin's: CN and DNS
/// name `localhost`, CA, usable for server and client auth. Terraform makes
/// it its only root and verifies the connection against it, so it needs the
/// DNS SAN (Go ignores the CN), the serverAuth EKU and to be valid `now`.
fn generate_server_certificate(
    now: OffsetDateTime,
) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), ProtocolError> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::new(vec![SERVER_NAME.to_owned()])?;
    params
        .distinguished_name
        .push(DnType::CommonName, SERVER_NAME);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.not_before = now - BACKDATE;
    params.not_after = now + LIFETIME;
    // A positive 127-bit serial, unique per launch.
    let mut serial = fastrand::u128(..).to_be_bytes();
    serial[0] &= 0x7f;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let certificate = params.self_signed(&key)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((certificate.der().clone(), key))
}

/// Accepts a client only if it presents one of the pinned certificates
/// (compared byte for byte) and proves it holds that certificate's key.
///
/// Use it instead of rustls's webpki verifier for go-plugin clients: their
/// certificate is self-signed with `cA=true` and a P-521 key, both of which
/// webpki and ring refuse.
#[derive(Debug)]
pub struct PinnedClientCertVerifier {
    pinned: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCertVerifier {
    /// Pins `certificates`; signatures other than ECDSA P-521 are checked
    /// with `provider`'s algorithms.
    pub fn new(certificates: Vec<CertificateDer<'static>>, provider: &CryptoProvider) -> Self {
        Self {
            pinned: certificates,
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ClientCertVerifier for PinnedClientCertVerifier {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        // The pin is the whole trust decision: terraform created this exact
        // certificate for this launch and handed it to us directly.
        if self
            .pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        if dss.scheme == SignatureScheme::ECDSA_NISTP521_SHA512 {
            verify_p521_sha512(message, cert, dss.signature())
        } else {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
        }
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        if dss.scheme == SignatureScheme::ECDSA_NISTP521_SHA512 {
            verify_p521_sha512(message, cert, dss.signature())
        } else {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
        }
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        let mut schemes = self.algorithms.supported_schemes();
        if !schemes.contains(&SignatureScheme::ECDSA_NISTP521_SHA512) {
            schemes.push(SignatureScheme::ECDSA_NISTP521_SHA512);
        }
        schemes
    }
}

/// Checks an ECDSA P-521 / SHA-512 signature (DER-encoded, as TLS carries
/// it) over `message` with the public key of `cert`.
fn verify_p521_sha512(
    message: &[u8],
    cert: &CertificateDer<'_>,
    signature: &[u8],
) -> Result<HandshakeSignatureValid, rustls::Error> {
    use p521::ecdsa::signature::Verifier as _;
    use p521::ecdsa::{DerSignature, VerifyingKey};

    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref())
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
    let spki = parsed.public_key();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok());
    if spki.algorithm.algorithm != OID_KEY_TYPE_EC_PUBLIC_KEY || curve != Some(OID_NIST_EC_P521) {
        // The peer claimed a P-521 signature with a key of another kind.
        return Err(rustls::Error::PeerIncompatible(
            PeerIncompatible::NoSignatureSchemesInCommon,
        ));
    }
    let key = VerifyingKey::from_sec1_bytes(&spki.subject_public_key.data)
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
    let signature = DerSignature::try_from(signature)
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadSignature))?;
    key.verify(message, &signature)
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadSignature))?;
    tracing::trace!("verified the client's ECDSA P-521/SHA-512 handshake signature");
    Ok(HandshakeSignatureValid::assertion())
}

#[cfg(test)]
mod tests {
    use super::*;

    use p521::ecdsa::signature::Signer as _;
    use rustls::client::ResolvesClientCert;
    use rustls::client::danger::{ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::ServerName;
    use rustls::sign::CertifiedKey;
    use rustls::{ClientConfig, SignatureAlgorithm};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::{TcpListener, TcpStream};
    use x509_parser::extensions::GeneralName;

    /// A P-521 certificate and key shaped like terraform's (see the file).
    const P521_FIXTURE: &str = include_str!("../../tests/fixtures/p521-client-auth.pem");

    fn ring() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    /// A client certificate (P-256, which ring can sign) and its PEM.
    fn p256_client() -> (CertificateDer<'static>, PrivateKeyDer<'static>, String) {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let pem = cert.pem();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (cert.der().clone(), key, pem)
    }

    fn p521_fixture() -> (CertificateDer<'static>, p521::ecdsa::SigningKey) {
        let cert = CertificateDer::from_pem_slice(P521_FIXTURE.as_bytes()).unwrap();
        let sec1 =
            rustls::pki_types::PrivateSec1KeyDer::from_pem_slice(P521_FIXTURE.as_bytes()).unwrap();
        // SEC1 ECPrivateKey: SEQUENCE (30 81 dc), version 1 (02 01 01),
        // OCTET STRING of 66 bytes (04 42) holding the scalar.
        let der = sec1.secret_sec1_der();
        assert_eq!(
            der.get(..8),
            Some(&[0x30, 0x81, 0xdc, 0x02, 0x01, 0x01, 0x04, 0x42][..])
        );
        let key = p521::ecdsa::SigningKey::from_slice(&der[8..74]).unwrap();
        (cert, key)
    }

    fn verifier(pinned: Vec<CertificateDer<'static>>) -> PinnedClientCertVerifier {
        PinnedClientCertVerifier::new(pinned, &ring())
    }

    #[test]
    fn server_certificate_has_what_go_clients_check() {
        let now = OffsetDateTime::now_utc();
        let (der, _) = generate_server_certificate(now).unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).unwrap();
        assert!(cert.validity().is_valid(), "not valid now");
        assert!(cert.validity().not_before.timestamp() <= now.unix_timestamp() - 29);
        assert!(cert.is_ca());
        let sans: Vec<String> = cert
            .subject_alternative_name()
            .unwrap()
            .unwrap()
            .value
            .general_names
            .iter()
            .map(|n| match n {
                GeneralName::DNSName(d) => format!("dns:{d}"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(sans, ["dns:localhost"]);
        let cn: Vec<_> = cert
            .subject()
            .iter_common_name()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(cn, ["localhost"]);
        let eku = cert.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && eku.client_auth);
        let ku = cert.key_usage().unwrap().unwrap().value;
        assert!(ku.digital_signature() && ku.key_encipherment() && ku.key_cert_sign());
        // The issuer is the subject: self-signed, so terraform can use it as
        // its only root.
        assert_eq!(cert.issuer(), cert.subject());
    }

    #[test]
    fn each_launch_gets_its_own_certificate() {
        let now = OffsetDateTime::now_utc();
        let (a, _) = generate_server_certificate(now).unwrap();
        let (b, _) = generate_server_certificate(now).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn client_certificate_pem_parsing() {
        let (der1, _, pem1) = p256_client();
        let (der2, _, pem2) = p256_client();
        let both = format!("{pem1}\n{pem2}");
        let cases: &[(&str, Option<Vec<&CertificateDer<'static>>>)] = &[
            (&pem1, Some(vec![&der1])),
            (&both, Some(vec![&der1, &der2])),
            ("", None),
            ("not pem at all", None),
            (
                "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
                None,
            ),
        ];
        for (pem, want) in cases {
            let got = parse_client_certificates(pem);
            match want {
                Some(want) => {
                    let got = got.unwrap();
                    assert_eq!(got.iter().collect::<Vec<_>>(), *want);
                }
                None => assert!(
                    matches!(got, Err(ProtocolError::InvalidClientCertificate(_))),
                    "{pem:?}: {got:?}"
                ),
            }
        }
        // The fixture also holds a private key section, which is skipped.
        assert_eq!(parse_client_certificates(P521_FIXTURE).unwrap().len(), 1);
    }

    #[test]
    fn describes_key_kinds() {
        let (p256, _, _) = p256_client();
        let (p521, _) = p521_fixture();
        assert_eq!(describe_key(&p256), "ECDSA P-256");
        assert_eq!(describe_key(&p521), "ECDSA P-521");
        assert_eq!(
            describe_key(&CertificateDer::from(vec![1, 2, 3])),
            "unparsable certificate"
        );
    }

    #[test]
    fn verifier_accepts_only_pinned_certificates() {
        let (pinned_a, _, _) = p256_client();
        let (pinned_b, _, _) = p256_client();
        let (stranger, _, _) = p256_client();
        let v = verifier(vec![pinned_a.clone(), pinned_b.clone()]);
        let now = UnixTime::now();
        assert!(v.verify_client_cert(&pinned_a, &[], now).is_ok());
        assert!(v.verify_client_cert(&pinned_b, &[], now).is_ok());
        assert!(v.verify_client_cert(&stranger, &[], now).is_err());
        // A pinned certificate as an "intermediate" does not help a stranger.
        assert!(v.verify_client_cert(&stranger, &[pinned_a], now).is_err());
        assert!(v.client_auth_mandatory());
        assert!(v.offer_client_auth());
        assert!(v.root_hint_subjects().is_empty());
    }

    #[test]
    fn verifier_advertises_p521_and_ring_schemes() {
        let schemes = verifier(vec![]).supported_verify_schemes();
        for s in [
            SignatureScheme::ECDSA_NISTP521_SHA512,
            SignatureScheme::ECDSA_NISTP256_SHA256,
            SignatureScheme::ECDSA_NISTP384_SHA384,
            SignatureScheme::ED25519,
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PKCS1_SHA256,
        ] {
            assert!(schemes.contains(&s), "{s:?} missing from {schemes:?}");
        }
    }

    #[test]
    fn p521_signatures_are_verified() {
        // The scheme dispatch in verify_tls1{2,3}_signature is covered by the
        // handshakes in `mutual_tls_end_to_end` (DigitallySignedStruct cannot
        // be built outside rustls); this checks the P-521 path itself.
        let (cert, key) = p521_fixture();
        let message = b"TLS 1.3, client CertificateVerify".as_slice();
        let signature: p521::ecdsa::DerSignature = key.sign(message);

        // A freshly generated key: its signature must not pass for the
        // fixture's certificate.
        use p521::elliptic_curve::Generate as _;
        let fresh = p521::ecdsa::SigningKey::from(p521::SecretKey::generate());
        let fresh_sig: p521::ecdsa::DerSignature = fresh.sign(message);

        let mut flipped = signature.as_bytes().to_vec();
        if let Some(last) = flipped.last_mut() {
            *last ^= 1;
        }
        let (p256_cert, _, _) = p256_client();
        let garbage_cert = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);

        type Case<'a> = (&'a str, &'a [u8], &'a CertificateDer<'a>, &'a [u8], bool);
        let cases: &[Case<'_>] = &[
            ("genuine", message, &cert, signature.as_bytes(), true),
            (
                "tampered message",
                b"TLS 1.3, client CertificateVerifx",
                &cert,
                signature.as_bytes(),
                false,
            ),
            ("tampered signature", message, &cert, &flipped, false),
            (
                "signature by another key",
                message,
                &cert,
                fresh_sig.as_bytes(),
                false,
            ),
            ("signature not DER", message, &cert, b"\x01\x02\x03", false),
            (
                "P-256 certificate",
                message,
                &p256_cert,
                signature.as_bytes(),
                false,
            ),
            (
                "certificate not X.509",
                message,
                &garbage_cert,
                signature.as_bytes(),
                false,
            ),
        ];
        for (name, msg, cert, sig, ok) in cases {
            let got = verify_p521_sha512(msg, cert, sig);
            assert_eq!(got.is_ok(), *ok, "{name}: {got:?}");
        }
    }

    /// Test client side: trusts exactly the server certificate from the
    /// handshake, as terraform does, without webpki's CA-as-leaf objection.
    #[derive(Debug)]
    struct PinnedServer {
        certificate: CertificateDer<'static>,
        algorithms: WebPkiSupportedAlgorithms,
    }

    impl ServerCertVerifier for PinnedServer {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            _ocsp: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            assert_eq!(server_name.to_str(), "localhost");
            if end_entity.as_ref() == self.certificate.as_ref() {
                Ok(ServerCertVerified::assertion())
            } else {
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::UnknownIssuer,
                ))
            }
        }
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.algorithms.supported_schemes()
        }
    }

    /// Test client side: presents the P-521 fixture and signs with the
    /// `p521` crate, as terraform's Go TLS stack does.
    #[derive(Debug)]
    struct P521ClientKey(p521::ecdsa::SigningKey);

    impl rustls::sign::SigningKey for P521ClientKey {
        fn choose_scheme(
            &self,
            offered: &[SignatureScheme],
        ) -> Option<Box<dyn rustls::sign::Signer>> {
            offered
                .contains(&SignatureScheme::ECDSA_NISTP521_SHA512)
                .then(|| Box::new(P521Signer(self.0.clone())) as Box<dyn rustls::sign::Signer>)
        }
        fn algorithm(&self) -> SignatureAlgorithm {
            SignatureAlgorithm::ECDSA
        }
    }

    #[derive(Debug)]
    struct P521Signer(p521::ecdsa::SigningKey);

    impl rustls::sign::Signer for P521Signer {
        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
            let sig: p521::ecdsa::DerSignature = self.0.sign(message);
            Ok(sig.as_bytes().to_vec())
        }
        fn scheme(&self) -> SignatureScheme {
            SignatureScheme::ECDSA_NISTP521_SHA512
        }
    }

    #[derive(Debug)]
    struct AlwaysPresent(Arc<CertifiedKey>);

    impl ResolvesClientCert for AlwaysPresent {
        fn resolve(
            &self,
            _hints: &[&[u8]],
            _schemes: &[SignatureScheme],
        ) -> Option<Arc<CertifiedKey>> {
            Some(self.0.clone())
        }
        fn has_certs(&self) -> bool {
            true
        }
    }

    enum ClientIdentity {
        None,
        P256(CertificateDer<'static>, PrivateKeyDer<'static>),
        P521(CertificateDer<'static>, p521::ecdsa::SigningKey),
    }

    fn client_config(
        server: &ServerTls,
        identity: ClientIdentity,
        version: &'static rustls::SupportedProtocolVersion,
    ) -> ClientConfig {
        let provider = ring();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[version])
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedServer {
                certificate: server.certificate.clone(),
                algorithms: provider.signature_verification_algorithms,
            }));
        let mut config = match identity {
            ClientIdentity::None => builder.with_no_client_auth(),
            ClientIdentity::P256(cert, key) => {
                builder.with_client_auth_cert(vec![cert], key).unwrap()
            }
            ClientIdentity::P521(cert, key) => {
                builder.with_client_cert_resolver(Arc::new(AlwaysPresent(Arc::new(
                    CertifiedKey::new(vec![cert], Arc::new(P521ClientKey(key))),
                ))))
            }
        };
        config.alpn_protocols = vec![b"h2".to_vec()];
        config
    }

    /// Runs one TLS connection: the server echoes one byte back. Returns
    /// whether the client got its byte back and the negotiated ALPN.
    async fn exchange(server: &ServerTls, client: ClientConfig) -> Result<Option<Vec<u8>>, String> {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(server.config.clone());
        let server_task = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut tls = acceptor.accept(tcp).await.map_err(|e| e.to_string())?;
            let mut byte = [0u8; 1];
            tls.read_exact(&mut byte).await.map_err(|e| e.to_string())?;
            tls.write_all(&byte).await.map_err(|e| e.to_string())?;
            tls.flush().await.map_err(|e| e.to_string())?;
            Ok::<_, String>(())
        });
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
        let tcp = TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let client_result = async {
            let mut tls = connector
                .connect(name, tcp)
                .await
                .map_err(|e| e.to_string())?;
            tls.write_all(b"x").await.map_err(|e| e.to_string())?;
            let mut byte = [0u8; 1];
            // With TLS 1.3 a rejected client certificate only shows up here.
            tls.read_exact(&mut byte).await.map_err(|e| e.to_string())?;
            assert_eq!(&byte, b"x");
            Ok::<_, String>(tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec))
        }
        .await;
        let server_result = server_task.await.unwrap();
        match (client_result, server_result) {
            (Ok(alpn), Ok(())) => Ok(alpn),
            (c, s) => Err(format!("client: {c:?}, server: {s:?}")),
        }
    }

    #[tokio::test]
    async fn mutual_tls_end_to_end() {
        let (p256_cert, p256_key, p256_pem) = p256_client();
        let (other_cert, other_key, _) = p256_client();
        let (p521_cert, p521_key) = p521_fixture();
        // Terraform's PEM could hold several certificates; pin both.
        let server = server_tls(&format!("{p256_pem}{P521_FIXTURE}")).unwrap();

        for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
            let cases = [
                (
                    "pinned P-256",
                    ClientIdentity::P256(p256_cert.clone(), p256_key.clone_key()),
                    true,
                ),
                (
                    "pinned P-521",
                    ClientIdentity::P521(p521_cert.clone(), p521_key.clone()),
                    true,
                ),
                ("no certificate", ClientIdentity::None, false),
                (
                    "unpinned certificate",
                    ClientIdentity::P256(other_cert.clone(), other_key.clone_key()),
                    false,
                ),
            ];
            for (name, identity, ok) in cases {
                let got = exchange(&server, client_config(&server, identity, version)).await;
                match (ok, got) {
                    (true, Ok(alpn)) => {
                        assert_eq!(alpn.as_deref(), Some(&b"h2"[..]), "{name} {version:?}")
                    }
                    (false, Err(_)) => {}
                    (_, got) => {
                        panic!("{name} over {version:?}: expected success={ok}, got {got:?}")
                    }
                }
            }
        }
    }
}
