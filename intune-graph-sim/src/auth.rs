//! Entra ID's client-credentials token endpoint and Graph's bearer-token
//! check, as the simulator plays them.
//!
//! The application may prove itself with its client secret, with a client
//! assertion signed by a registered certificate (`x5t` or `x5t#S256`,
//! RS256 or PS256, audience the token endpoint, within `nbf`..`exp`,
//! `iss` = `sub` = client id, a `jti` never seen before), or with a
//! federated token from a trusted issuer (signature checked with the
//! issuer's key, then issuer, audience and subject matched against the
//! application's federated credentials). Error descriptions never echo a
//! secret or an assertion, and tokens are opaque random strings that only
//! this simulator instance recognises.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::errors::{EntraError, GraphError};
use super::jwt::{self, Jwt};
use super::{FederatedCredential, SimConfig};

/// Microsoft Graph's application id; Entra accepts it as a resource in scopes.
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// Graph's resource ids (application ID URIs) in the global, US Government
/// L4, US Government L5 (DoD) and China clouds. The simulator stands in for
/// Graph, so tokens are issued for Graph: a client that asks for the
/// simulator's own URL would be refused by a real Entra ID, and is here.
const GRAPH_RESOURCES: [&str; 4] = [
    "https://graph.microsoft.com",
    "https://graph.microsoft.us",
    "https://dod-graph.microsoft.us",
    "https://microsoftgraph.chinacloudapi.cn",
];

/// RFC 7523's client assertion type.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A certificate registered on the application.
#[derive(Debug)]
struct RegisteredCertificate {
    sha1: Vec<u8>,
    sha256: Vec<u8>,
    /// `RSAPublicKey` DER.
    public_key: Vec<u8>,
}

/// What the token endpoint trusts besides the secret, prepared from the
/// configuration once.
#[derive(Debug, Default)]
pub struct Trust {
    certificates: Vec<RegisteredCertificate>,
    /// Issuer → `RSAPublicKey` DER.
    issuer_keys: HashMap<String, Vec<u8>>,
    federated: Vec<FederatedCredential>,
}

impl Trust {
    /// Parses the configured certificates and issuer keys; an error names
    /// the one that does not parse.
    pub fn new(config: &SimConfig) -> Result<Trust, String> {
        let mut trust = Trust {
            federated: config.federated_credentials.clone(),
            ..Trust::default()
        };
        for (index, der) in config.client_certificates.iter().enumerate() {
            let (_, certificate) = x509_parser::parse_x509_certificate(der)
                .map_err(|error| format!("client_certificates[{index}]: {error}"))?;
            trust.certificates.push(RegisteredCertificate {
                sha1: ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der)
                    .as_ref()
                    .to_vec(),
                sha256: ring::digest::digest(&ring::digest::SHA256, der)
                    .as_ref()
                    .to_vec(),
                public_key: certificate.public_key().subject_public_key.data.to_vec(),
            });
        }
        for issuer in &config.oidc_issuers {
            let key = jwt::public_key_of(&issuer.signing_key_pkcs8).ok_or_else(|| {
                format!("oidc_issuers {:?}: not an RSA PKCS#8 key", issuer.issuer)
            })?;
            trust.issuer_keys.insert(issuer.issuer.clone(), key);
        }
        let endpoint_issuers = config
            .github_actions
            .iter()
            .map(|e| &e.issuer)
            .chain(config.azure_devops.iter().map(|e| &e.issuer));
        for issuer in endpoint_issuers {
            if !trust.issuer_keys.contains_key(issuer) {
                return Err(format!(
                    "the ID-token endpoint's issuer {issuer:?} is not one of oidc_issuers"
                ));
            }
        }
        Ok(trust)
    }
}

/// Who may get a token, and how long tokens live.
#[derive(Debug, Clone)]
pub struct Credentials<'a> {
    pub tenant_id: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub token_lifetime: Duration,
    /// The simulator's own root URL: the token URL certificate assertions
    /// must name as audience.
    pub base_url: &'a str,
    pub trust: &'a Trust,
}

/// Tokens issued so far, with their expiry, and the client assertion ids
/// already used. Expired tokens are kept so that using one is reported as
/// "expired" rather than "unknown".
#[derive(Debug, Default)]
pub struct Tokens {
    issued: HashMap<String, Instant>,
    used_assertions: HashSet<String>,
}

impl Tokens {
    /// Handles a token request: `tenant` is the path segment, `form` the
    /// decoded form fields. Returns the success body.
    pub fn request(
        &mut self,
        credentials: &Credentials<'_>,
        tenant: &str,
        form: &[(String, String)],
    ) -> Result<Value, EntraError> {
        let field = |name: &str| {
            form.iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let missing = |name: &str| {
            EntraError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                format!("The request body must contain the following parameter: '{name}'."),
            )
        };
        if !tenant.eq_ignore_ascii_case(credentials.tenant_id) {
            return Err(EntraError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                90002,
                format!(
                    "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
                ),
            ));
        }
        let grant = field("grant_type").ok_or_else(|| missing("grant_type"))?;
        if grant != "client_credentials" {
            return Err(EntraError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                format!(
                    "The app requested an unsupported grant type '{grant}'. The simulator supports only 'client_credentials'."
                ),
            ));
        }
        let client_id = field("client_id").ok_or_else(|| missing("client_id"))?;
        if !client_id.eq_ignore_ascii_case(credentials.client_id) {
            return Err(EntraError::new(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                700016,
                format!(
                    "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
                ),
            ));
        }
        match (field("client_secret"), field("client_assertion")) {
            (Some(_), Some(_)) => {
                return Err(EntraError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    900144,
                    "Only one client authentication method may be used: send either 'client_secret' or 'client_assertion'.",
                ));
            }
            (None, None) => {
                return Err(EntraError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000218,
                    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                ));
            }
            (Some(secret), None) => {
                if secret != credentials.client_secret {
                    return Err(EntraError::new(
                        StatusCode::UNAUTHORIZED,
                        "invalid_client",
                        7000215,
                        format!(
                            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                            credentials.client_id
                        ),
                    ));
                }
            }
            (None, Some(assertion)) => {
                let kind = field("client_assertion_type")
                    .ok_or_else(|| missing("client_assertion_type"))?;
                if kind != JWT_BEARER {
                    return Err(EntraError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        900144,
                        format!("client_assertion_type must be '{JWT_BEARER}'."),
                    ));
                }
                let token_url = format!(
                    "{}/{tenant}/oauth2/v2.0/token",
                    credentials.base_url.trim_end_matches('/')
                );
                let now = unix_now();
                let jwt = Jwt::decode(assertion).ok_or_else(|| {
                    EntraError::new(
                        StatusCode::UNAUTHORIZED,
                        "invalid_client",
                        50027,
                        "JWT token is invalid or malformed.",
                    )
                })?;
                let is_own = jwt
                    .claim_str("iss")
                    .is_some_and(|iss| iss.eq_ignore_ascii_case(credentials.client_id));
                if is_own {
                    self.check_certificate_assertion(credentials, &jwt, &token_url, now)?;
                } else {
                    check_federated_assertion(credentials.trust, &jwt, now)?;
                }
            }
        }
        let scope = field("scope").ok_or_else(|| missing("scope"))?;
        check_scope(scope, tenant)?;
        Ok(self.issue(credentials.token_lifetime))
    }

    /// The application's own assertion, signed by a registered certificate.
    fn check_certificate_assertion(
        &mut self,
        credentials: &Credentials<'_>,
        jwt: &Jwt,
        token_url: &str,
        now: i64,
    ) -> Result<(), EntraError> {
        let invalid = |aadsts, description: String| {
            EntraError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                aadsts,
                description,
            )
        };
        if !jwt
            .claim_str("sub")
            .is_some_and(|sub| sub.eq_ignore_ascii_case(credentials.client_id))
        {
            return Err(invalid(
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter: iss and sub must both be the client id.".into(),
            ));
        }
        let thumbprint = |name: &str| {
            jwt.header_str(name)
                .and_then(|t| URL_SAFE_NO_PAD.decode(t).ok())
        };
        let (sha256, sha1) = (thumbprint("x5t#S256"), thumbprint("x5t"));
        if sha256.is_none() && sha1.is_none() {
            return Err(invalid(
                700027,
                "Client assertion contains no key identifier: its header needs 'x5t#S256' or 'x5t'.".into(),
            ));
        }
        let certificate = credentials.trust.certificates.iter().find(|c| {
            sha256.as_ref().is_some_and(|t| *t == c.sha256)
                || sha1.as_ref().is_some_and(|t| *t == c.sha1)
        });
        let Some(certificate) = certificate else {
            let used: String = sha256
                .or(sha1)
                .unwrap_or_default()
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect();
            return Err(invalid(
                700027,
                format!(
                    "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{used}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{}'.]",
                    credentials.client_id
                ),
            ));
        };
        if !jwt.verify(&certificate.public_key, &["RS256", "PS256"]) {
            return Err(invalid(
                700027,
                "Client assertion failed signature validation (the assertion must be RS256 or PS256, signed with the registered certificate's key).".into(),
            ));
        }
        if !jwt.has_audience(token_url) {
            return Err(invalid(
                700023,
                format!(
                    "Client assertion audience claim does not match Realm issuer: it must be '{token_url}'."
                ),
            ));
        }
        check_times(jwt, now, true)?;
        let Some(jti) = jwt.claim_str("jti").filter(|jti| !jti.is_empty()) else {
            return Err(invalid(
                50027,
                "The client assertion has no 'jti' claim.".into(),
            ));
        };
        if !self
            .used_assertions
            .insert(format!("{}|{jti}", credentials.client_id))
        {
            return Err(invalid(
                700029,
                format!(
                    "The client assertion with jti '{jti}' was already used; every assertion needs a new jti."
                ),
            ));
        }
        Ok(())
    }

    /// Issues a token valid for `lifetime`; returns the success body.
    pub fn issue(&mut self, lifetime: Duration) -> Value {
        let token = format!(
            "sim.{}.{:016x}",
            uuid::Uuid::new_v4().simple(),
            fastrand::u64(..)
        );
        let now = Instant::now();
        self.issued.insert(token.clone(), now + lifetime);
        let seconds = lifetime.as_secs();
        json!({
            "token_type": "Bearer",
            "expires_in": seconds,
            "ext_expires_in": seconds,
            "access_token": token,
        })
    }

    /// Checks a Graph request's `Authorization` header value.
    pub fn check_bearer(&self, authorization: Option<&str>) -> Result<(), GraphError> {
        let Some(header) = authorization.map(str::trim).filter(|h| !h.is_empty()) else {
            return Err(GraphError::unauthenticated("Access token is empty."));
        };
        let token = match header.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            None if header.eq_ignore_ascii_case("bearer") => "",
            _ => {
                return Err(GraphError::unauthenticated(
                    "The Authorization header must use the Bearer scheme.",
                ));
            }
        };
        if token.is_empty() {
            return Err(GraphError::unauthenticated("Access token is empty."));
        }
        match self.issued.get(token) {
            Some(expiry) if *expiry > Instant::now() => Ok(()),
            Some(_) => Err(GraphError::unauthenticated(
                "Lifetime validation failed, the token is expired.",
            )),
            None => Err(GraphError::unauthenticated(
                "Access token validation failure. The token was not issued by this tenant's token endpoint.",
            )),
        }
    }
}

/// Seconds since the Unix epoch, the unit of JWT time claims.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// `exp` must be in the future and `nbf` (required when `nbf_required`)
/// not; no clock skew is allowed: the simulator and its clients share one
/// clock.
fn check_times(jwt: &Jwt, now: i64, nbf_required: bool) -> Result<(), EntraError> {
    let out_of_range = |detail: String| {
        EntraError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700024,
            format!("Client assertion is not within its valid time range. {detail}"),
        )
    };
    let Some(exp) = jwt.claim_time("exp") else {
        return Err(out_of_range("The assertion has no 'exp' claim.".into()));
    };
    if exp <= now {
        return Err(out_of_range(format!(
            "Current time: {}, assertion valid to: {}.",
            rfc3339(now),
            rfc3339(exp)
        )));
    }
    match jwt.claim_time("nbf") {
        Some(nbf) if nbf > now => Err(out_of_range(format!(
            "Current time: {}, assertion valid from: {}.",
            rfc3339(now),
            rfc3339(nbf)
        ))),
        None if nbf_required => Err(out_of_range("The assertion has no 'nbf' claim.".into())),
        _ => Ok(()),
    }
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// A token from another issuer, exchanged under a federated identity
/// credential: signature by the issuer's key, then time, issuer, audience
/// and subject against the application's federated credentials.
fn check_federated_assertion(trust: &Trust, jwt: &Jwt, now: i64) -> Result<(), EntraError> {
    let no_match = |aadsts, what: &str, value: &str| {
        EntraError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            aadsts,
            format!(
                "No matching federated identity record found for presented assertion {what} '{value}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."
            ),
        )
    };
    let issuer = jwt.claim_str("iss").unwrap_or_default();
    let credentials: Vec<&FederatedCredential> = trust
        .federated
        .iter()
        .filter(|c| c.issuer == issuer)
        .collect();
    let key = trust.issuer_keys.get(issuer);
    let (Some(key), false) = (key, credentials.is_empty()) else {
        return Err(no_match(700211, "issuer", issuer));
    };
    if !jwt.verify(key, &["RS256"]) {
        return Err(EntraError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            50013,
            format!(
                "Assertion failed signature validation. [Reason - The key was not found among the signing keys of issuer '{issuer}'.]"
            ),
        ));
    }
    check_times(jwt, now, false)?;
    let credentials: Vec<&FederatedCredential> = credentials
        .into_iter()
        .filter(|c| jwt.has_audience(&c.audience))
        .collect();
    if credentials.is_empty() {
        let audience = match jwt.claims.get("aud") {
            Some(Value::String(aud)) => aud.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        return Err(no_match(700212, "audience", &audience));
    }
    let subject = jwt.claim_str("sub").unwrap_or_default();
    if !credentials.iter().any(|c| c.subject == subject) {
        return Err(no_match(700213, "subject", subject));
    }
    Ok(())
}

/// Whether `resource` names Graph: one of [`GRAPH_RESOURCES`] or Graph's
/// application id, in any case, with or without a trailing `/`. Never the
/// simulator's own URL.
pub fn is_graph_resource(resource: &str) -> bool {
    let resource = resource.trim_end_matches('/');
    GRAPH_RESOURCES
        .iter()
        .chain([&GRAPH_APP_ID])
        .any(|known| known.eq_ignore_ascii_case(resource))
}

/// Client-credentials scopes must be exactly one `{resource}/.default`, and
/// the resource must be Graph.
fn check_scope(scope: &str, tenant: &str) -> Result<(), EntraError> {
    let invalid = || {
        EntraError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        )
    };
    let scope = scope.trim();
    if scope.contains(char::is_whitespace) {
        return Err(invalid());
    }
    let resource = scope.strip_suffix("/.default").ok_or_else(invalid)?;
    if is_graph_resource(resource) {
        return Ok(());
    }
    Err(EntraError::new(
        StatusCode::BAD_REQUEST,
        "invalid_resource",
        500011,
        format!(
            "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cret-value";

    static NO_TRUST: std::sync::LazyLock<Trust> = std::sync::LazyLock::new(Trust::default);

    fn credentials() -> Credentials<'static> {
        Credentials {
            tenant_id: "tenant-1",
            client_id: "client-1",
            client_secret: SECRET,
            token_lifetime: Duration::from_secs(60),
            base_url: "http://127.0.0.1:9",
            trust: &NO_TRUST,
        }
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn good() -> Vec<(&'static str, &'static str)> {
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", "client-1"),
            ("client_secret", SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
        ]
    }

    fn with(key: &'static str, value: Option<&'static str>) -> Vec<(&'static str, &'static str)> {
        let mut pairs: Vec<_> = good().into_iter().filter(|(k, _)| *k != key).collect();
        if let Some(value) = value {
            pairs.push((key, value));
        }
        pairs
    }

    #[test]
    fn accepted_scopes_issue_tokens() {
        for scope in [
            "https://graph.microsoft.com/.default",
            "https://graph.microsoft.us/.default",
            "https://dod-graph.microsoft.us/.default",
            "https://microsoftgraph.chinacloudapi.cn/.default",
            "HTTPS://Graph.Microsoft.COM/.default",
            "00000003-0000-0000-c000-000000000000/.default",
        ] {
            let mut tokens = Tokens::default();
            let body = tokens
                .request(
                    &credentials(),
                    "TENANT-1",
                    &form(&with("scope", Some(scope))),
                )
                .unwrap_or_else(|e| panic!("{scope}: {e}"));
            assert_eq!(body["token_type"], "Bearer");
            assert_eq!(body["expires_in"], 60);
            let token = body["access_token"].as_str().expect("token");
            assert!(
                tokens
                    .check_bearer(Some(&format!("Bearer {token}")))
                    .is_ok()
            );
        }
    }

    #[test]
    fn token_request_rejections() {
        let cases = [
            ("other-tenant", good(), 400, "invalid_request", 90002),
            (
                "tenant-1",
                with("grant_type", None),
                400,
                "invalid_request",
                900144,
            ),
            (
                "tenant-1",
                with("grant_type", Some("password")),
                400,
                "unsupported_grant_type",
                70003,
            ),
            (
                "tenant-1",
                with("client_id", Some("client-2")),
                400,
                "unauthorized_client",
                700016,
            ),
            (
                "tenant-1",
                with("client_secret", None),
                401,
                "invalid_client",
                7000218,
            ),
            (
                "tenant-1",
                with("client_secret", Some("wrong-secret")),
                401,
                "invalid_client",
                7000215,
            ),
            (
                "tenant-1",
                with("scope", Some("https://graph.microsoft.com/User.Read")),
                400,
                "invalid_scope",
                1002012,
            ),
            (
                "tenant-1",
                with(
                    "scope",
                    Some("https://graph.microsoft.com/.default offline_access"),
                ),
                400,
                "invalid_scope",
                1002012,
            ),
            (
                "tenant-1",
                with("scope", Some("https://management.azure.com/.default")),
                400,
                "invalid_resource",
                500011,
            ),
            // The simulator's own URL is where requests go, not a resource.
            (
                "tenant-1",
                with("scope", Some("http://127.0.0.1:9/.default")),
                400,
                "invalid_resource",
                500011,
            ),
        ];
        for (tenant, pairs, status, error, code) in cases {
            let err = Tokens::default()
                .request(&credentials(), tenant, &form(&pairs))
                .expect_err("rejected");
            assert_eq!(
                (err.status.as_u16(), err.error, err.aadsts),
                (status, error, code),
                "{err}"
            );
            assert!(!err.description.contains(SECRET) && !err.description.contains("wrong-secret"));
        }
    }

    #[test]
    fn bearer_checks() {
        let mut tokens = Tokens::default();
        let live = tokens.issue(Duration::from_secs(60))["access_token"]
            .as_str()
            .map(str::to_owned)
            .expect("token");
        let dead = tokens.issue(Duration::ZERO)["access_token"]
            .as_str()
            .map(str::to_owned)
            .expect("token");
        let cases = [
            (None, Some("Access token is empty.")),
            (Some("Bearer ".to_owned()), Some("Access token is empty.")),
            (Some(format!("Basic {live}")), Some("Bearer scheme")),
            (Some("Bearer nope".to_owned()), Some("validation failure")),
            (Some(format!("Bearer {dead}")), Some("the token is expired")),
            (Some(format!("bearer {live}")), None),
        ];
        for (header, expected) in cases {
            let result = tokens.check_bearer(header.as_deref());
            match expected {
                None => assert!(result.is_ok(), "{header:?}"),
                Some(fragment) => {
                    let err = result.expect_err("rejected");
                    assert_eq!(err.status, StatusCode::UNAUTHORIZED);
                    assert_eq!(err.code, "InvalidAuthenticationToken");
                    assert!(
                        err.message.contains(fragment),
                        "{header:?}: {}",
                        err.message
                    );
                }
            }
        }
    }

    mod assertions {
        use super::*;
        use crate::{OidcIssuer, SimConfig};
        use ring::rand::SystemRandom;
        use ring::signature::{RSA_PKCS1_SHA256, RSA_PSS_SHA256, RsaKeyPair};

        const APP_KEY: &[u8] = include_bytes!("../../tests/fixtures/auth/app-key.pk8");
        const ISSUER_KEY: &[u8] = include_bytes!("../../tests/fixtures/auth/issuer-key.pk8");
        const APP_PEM: &str = include_str!("../../tests/fixtures/auth/app.cer");
        const OTHER_PEM: &str = include_str!("../../tests/fixtures/auth/other.cer");
        const ISSUER: &str = "https://token.actions.example";
        const SUBJECT: &str = "repo:contoso/infra:ref:refs/heads/main";
        const AUDIENCE: &str = "api://AzureADTokenExchange";
        const TOKEN_URL: &str = "http://127.0.0.1:9/tenant-1/oauth2/v2.0/token";

        fn der(pem: &str) -> Vec<u8> {
            let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .unwrap()
        }

        fn thumbprint(algorithm: &'static ring::digest::Algorithm, pem: &str) -> String {
            URL_SAFE_NO_PAD.encode(ring::digest::digest(algorithm, &der(pem)))
        }

        fn trust() -> Trust {
            Trust::new(&SimConfig {
                client_certificates: vec![der(APP_PEM)],
                oidc_issuers: vec![OidcIssuer {
                    issuer: ISSUER.into(),
                    signing_key_pkcs8: ISSUER_KEY.to_vec(),
                }],
                federated_credentials: vec![FederatedCredential {
                    issuer: ISSUER.into(),
                    subject: SUBJECT.into(),
                    audience: AUDIENCE.into(),
                }],
                ..SimConfig::default()
            })
            .unwrap()
        }

        /// A JWT with `header` and `claims`, signed with `key` for the
        /// header's alg (anything but RS256/PS256 gets a junk signature).
        fn sign(key: &[u8], header: Value, claims: Value) -> String {
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let pair = RsaKeyPair::from_pkcs8(key).unwrap();
            let mut signature = vec![0; pair.public().modulus_len()];
            let padding: &'static dyn ring::signature::RsaEncoding = match header["alg"].as_str() {
                Some("PS256") => &RSA_PSS_SHA256,
                _ => &RSA_PKCS1_SHA256,
            };
            pair.sign(
                padding,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .unwrap();
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
        }

        fn request(
            tokens: &mut Tokens,
            trust: &Trust,
            assertion: &str,
        ) -> Result<Value, EntraError> {
            let credentials = Credentials {
                trust,
                ..credentials()
            };
            let pairs = [
                ("grant_type", "client_credentials"),
                ("client_id", "client-1"),
                ("scope", "https://graph.microsoft.com/.default"),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", assertion),
            ];
            tokens.request(&credentials, "tenant-1", &form(&pairs))
        }

        fn own_claims(now: i64) -> Value {
            json!({"aud": TOKEN_URL, "iss": "client-1", "sub": "client-1",
                   "jti": uuid::Uuid::new_v4().to_string(), "nbf": now, "exp": now + 300})
        }

        #[test]
        fn certificate_assertions() {
            let trust = trust();
            let now = unix_now();
            let s256 = || json!({"alg": "PS256", "typ": "JWT", "x5t#S256": thumbprint(&ring::digest::SHA256, APP_PEM)});
            let edit = |f: fn(&mut Value, i64)| {
                let mut claims = own_claims(now);
                f(&mut claims, now);
                claims
            };
            let cases: Vec<(&str, String, Option<u32>)> = vec![
                (
                    "PS256 with x5t#S256",
                    sign(APP_KEY, s256(), own_claims(now)),
                    None,
                ),
                (
                    "RS256 with x5t",
                    sign(
                        APP_KEY,
                        json!({"alg": "RS256", "x5t": thumbprint(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, APP_PEM)}),
                        own_claims(now),
                    ),
                    None,
                ),
                (
                    "no key id",
                    sign(APP_KEY, json!({"alg": "PS256"}), own_claims(now)),
                    Some(700027),
                ),
                (
                    "unregistered certificate",
                    sign(
                        APP_KEY,
                        json!({"alg": "PS256", "x5t#S256": thumbprint(&ring::digest::SHA256, OTHER_PEM)}),
                        own_claims(now),
                    ),
                    Some(700027),
                ),
                (
                    "signed by another key",
                    sign(ISSUER_KEY, s256(), own_claims(now)),
                    Some(700027),
                ),
                (
                    "HS256",
                    sign(
                        APP_KEY,
                        json!({"alg": "HS256", "x5t#S256": thumbprint(&ring::digest::SHA256, APP_PEM)}),
                        own_claims(now),
                    ),
                    Some(700027),
                ),
                (
                    "wrong audience",
                    sign(
                        APP_KEY,
                        s256(),
                        edit(|c, _| c["aud"] = json!("https://login.example/t/oauth2/v2.0/token")),
                    ),
                    Some(700023),
                ),
                (
                    "expired",
                    sign(
                        APP_KEY,
                        s256(),
                        edit(|c, now| {
                            c["nbf"] = json!(now - 600);
                            c["exp"] = json!(now - 1)
                        }),
                    ),
                    Some(700024),
                ),
                (
                    "not yet valid",
                    sign(APP_KEY, s256(), edit(|c, now| c["nbf"] = json!(now + 60))),
                    Some(700024),
                ),
                (
                    "no nbf",
                    sign(
                        APP_KEY,
                        s256(),
                        edit(|c, _| {
                            c.as_object_mut().unwrap().remove("nbf");
                        }),
                    ),
                    Some(700024),
                ),
                (
                    "sub is not the client",
                    sign(APP_KEY, s256(), edit(|c, _| c["sub"] = json!("someone"))),
                    Some(700021),
                ),
                (
                    "no jti",
                    sign(
                        APP_KEY,
                        s256(),
                        edit(|c, _| {
                            c.as_object_mut().unwrap().remove("jti");
                        }),
                    ),
                    Some(50027),
                ),
                ("malformed", "not.a.jwt".to_string(), Some(50027)),
            ];
            for (name, assertion, expected) in cases {
                let result = request(&mut Tokens::default(), &trust, &assertion);
                match expected {
                    None => assert!(result.is_ok(), "{name}: {result:?}"),
                    Some(code) => {
                        let error = result.expect_err(name);
                        assert_eq!(error.aadsts, code, "{name}: {error}");
                        assert!(!error.description.contains(&assertion), "{name}");
                    }
                }
            }
        }

        #[test]
        fn a_jti_is_accepted_once() {
            let trust = trust();
            let header =
                json!({"alg": "PS256", "x5t#S256": thumbprint(&ring::digest::SHA256, APP_PEM)});
            let assertion = sign(APP_KEY, header, own_claims(unix_now()));
            let mut tokens = Tokens::default();
            assert!(request(&mut tokens, &trust, &assertion).is_ok());
            let error = request(&mut tokens, &trust, &assertion).unwrap_err();
            assert_eq!(error.aadsts, 700029, "{error}");
        }

        #[test]
        fn federated_assertions() {
            let trust = trust();
            let now = unix_now();
            let claims = |iss: &str, sub: &str, aud: &str, exp: i64| json!({"iss": iss, "sub": sub, "aud": aud, "nbf": now - 5, "iat": now - 5, "exp": exp});
            let rs256 = json!({"alg": "RS256", "kid": "k"});
            let cases = [
                (
                    "trusted",
                    sign(
                        ISSUER_KEY,
                        rs256.clone(),
                        claims(ISSUER, SUBJECT, AUDIENCE, now + 300),
                    ),
                    None,
                ),
                (
                    "audience in an array",
                    sign(
                        ISSUER_KEY,
                        rs256.clone(),
                        json!({"iss": ISSUER, "sub": SUBJECT, "aud": ["x", AUDIENCE], "exp": now + 300}),
                    ),
                    None,
                ),
                (
                    "unknown issuer",
                    sign(
                        ISSUER_KEY,
                        rs256.clone(),
                        claims("https://evil.example", SUBJECT, AUDIENCE, now + 300),
                    ),
                    Some(700211),
                ),
                (
                    "forged signature",
                    sign(
                        APP_KEY,
                        rs256.clone(),
                        claims(ISSUER, SUBJECT, AUDIENCE, now + 300),
                    ),
                    Some(50013),
                ),
                (
                    "PS256 is not what issuers use",
                    sign(
                        ISSUER_KEY,
                        json!({"alg": "PS256"}),
                        claims(ISSUER, SUBJECT, AUDIENCE, now + 300),
                    ),
                    Some(50013),
                ),
                (
                    "expired",
                    sign(
                        ISSUER_KEY,
                        rs256.clone(),
                        claims(ISSUER, SUBJECT, AUDIENCE, now - 1),
                    ),
                    Some(700024),
                ),
                (
                    "wrong audience",
                    sign(
                        ISSUER_KEY,
                        rs256.clone(),
                        claims(ISSUER, SUBJECT, "api://other", now + 300),
                    ),
                    Some(700212),
                ),
                (
                    "untrusted subject",
                    sign(
                        ISSUER_KEY,
                        rs256.clone(),
                        claims(
                            ISSUER,
                            "repo:contoso/infra:pull_request",
                            AUDIENCE,
                            now + 300,
                        ),
                    ),
                    Some(700213),
                ),
            ];
            for (name, assertion, expected) in cases {
                let result = request(&mut Tokens::default(), &trust, &assertion);
                match expected {
                    None => assert!(result.is_ok(), "{name}: {result:?}"),
                    Some(code) => {
                        let error = result.expect_err(name);
                        assert_eq!(error.aadsts, code, "{name}: {error}");
                    }
                }
            }
            // The untrusted subject is named, so the user can fix the credential.
            let error = request(
                &mut Tokens::default(),
                &trust,
                &sign(
                    ISSUER_KEY,
                    rs256,
                    claims(ISSUER, "repo:x/y:environment:prod", AUDIENCE, now + 300),
                ),
            )
            .unwrap_err();
            assert!(
                error.description.contains("'repo:x/y:environment:prod'"),
                "{error}"
            );
        }

        #[test]
        fn secret_and_assertion_together_are_refused() {
            let trust = trust();
            let assertion = sign(
                APP_KEY,
                json!({"alg": "PS256", "x5t#S256": thumbprint(&ring::digest::SHA256, APP_PEM)}),
                own_claims(unix_now()),
            );
            let credentials = Credentials {
                trust: &trust,
                ..credentials()
            };
            let mut pairs = good();
            pairs.push(("client_assertion_type", JWT_BEARER));
            pairs.push(("client_assertion", &assertion));
            let error = Tokens::default()
                .request(&credentials, "tenant-1", &form(&pairs))
                .unwrap_err();
            assert_eq!(error.aadsts, 900144);
            let mut pairs: Vec<_> = good()
                .into_iter()
                .filter(|(k, _)| *k != "client_secret")
                .collect();
            pairs.push(("client_assertion", &assertion));
            let error = Tokens::default()
                .request(&credentials, "tenant-1", &form(&pairs))
                .unwrap_err();
            assert!(
                error.description.contains("client_assertion_type"),
                "{error}"
            );
        }

        #[test]
        fn trust_is_checked_at_start() {
            let bad_certificate = SimConfig {
                client_certificates: vec![b"junk".to_vec()],
                ..SimConfig::default()
            };
            assert!(
                Trust::new(&bad_certificate)
                    .unwrap_err()
                    .contains("client_certificates[0]")
            );
            let endpoint_without_key = SimConfig {
                github_actions: Some(crate::IdTokenEndpoint {
                    issuer: ISSUER.into(),
                    subject: SUBJECT.into(),
                    request_token: "t".into(),
                }),
                ..SimConfig::default()
            };
            assert!(
                Trust::new(&endpoint_without_key)
                    .unwrap_err()
                    .contains("not one of oidc_issuers")
            );
        }
    }
}
