//! Entra ID's client-credentials token endpoint and Graph's bearer-token
//! check, as the simulator plays them.
//!
//! Only client secrets are accepted (a `client_assertion` is refused). Error
//! descriptions never echo the secret, and tokens are opaque random strings
//! that only this simulator instance recognises.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::errors::{EntraError, GraphError};

/// Microsoft Graph's application id; Entra accepts it as a resource in scopes.
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// Who may get a token, and how long tokens live.
#[derive(Debug, Clone)]
pub struct Credentials<'a> {
    pub tenant_id: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub token_lifetime: Duration,
    /// The simulator's own root URL (its scope `{base}/.default` is valid).
    pub base_url: &'a str,
}

/// Tokens issued so far, with their expiry. Expired tokens are kept so that
/// using one is reported as "expired" rather than "unknown".
#[derive(Debug, Default)]
pub struct Tokens {
    issued: HashMap<String, Instant>,
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
        if field("client_assertion").is_some() {
            return Err(EntraError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                700027,
                "Client assertion failed signature validation. (The simulator accepts only client secrets.)",
            ));
        }
        let secret = field("client_secret").ok_or_else(|| {
            EntraError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        })?;
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
        let scope = field("scope").ok_or_else(|| missing("scope"))?;
        check_scope(scope, credentials.base_url, tenant)?;
        Ok(self.issue(credentials.token_lifetime))
    }

    /// Issues a token valid for `lifetime`; returns the success body.
    fn issue(&mut self, lifetime: Duration) -> Value {
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

/// Client-credentials scopes must be exactly one `{resource}/.default`, and
/// the resource must be Graph (or the simulator standing in for it).
fn check_scope(scope: &str, base_url: &str, tenant: &str) -> Result<(), EntraError> {
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
    let known = [
        "https://graph.microsoft.com",
        "https://graph.microsoft.com/",
        GRAPH_APP_ID,
        base_url,
        base_url.trim_end_matches('/'),
    ];
    if known.iter().any(|k| k.eq_ignore_ascii_case(resource))
        || resource.eq_ignore_ascii_case(&format!("{}/", base_url.trim_end_matches('/')))
    {
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

    fn credentials() -> Credentials<'static> {
        Credentials {
            tenant_id: "tenant-1",
            client_id: "client-1",
            client_secret: SECRET,
            token_lifetime: Duration::from_secs(60),
            base_url: "http://127.0.0.1:9",
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
            "http://127.0.0.1:9/.default",
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
}
