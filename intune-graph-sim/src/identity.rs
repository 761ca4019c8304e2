//! The sign-in services around Entra ID that the simulator plays: managed
//! identity endpoints in the Instance Metadata Service style and the App
//! Service style, and the ID-token endpoints of GitHub Actions and Azure
//! DevOps, which mint federated tokens signed by a configured issuer key.
//!
//! They exist only when [`SimConfig`] asks for them and are reached only at
//! the simulator's own address (tests point `msi_endpoint`,
//! `IDENTITY_ENDPOINT`, `ACTIONS_ID_TOKEN_REQUEST_URL` and
//! `SYSTEM_OIDCREQUESTURI` here). Like the real services they check their
//! header secrets and answer errors in their own shapes, never echoing a
//! secret.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};

use super::SimConfig;
use super::auth::{Tokens, is_graph_resource};
use super::jwt;

/// Paths (without the leading `/`) of the services below.
pub const IMDS_PATH: &str = "metadata/identity/oauth2/token";
pub const APP_SERVICE_PATH: &str = "msi/token";
pub const GITHUB_PATH: &str = "github-actions/idtoken";
pub const AZURE_DEVOPS_PATH: &str = "azure-devops/oidctoken";

/// How long minted federated tokens are valid (GitHub's are short-lived too).
const ID_TOKEN_LIFETIME: i64 = 600;

/// What one of these services answers: a status with a JSON body, or an
/// HTML page (Azure DevOps' sign-in page for a bad access token).
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Json(StatusCode, Value),
    Html(StatusCode, &'static str),
}

/// The service a path belongs to, if it is one of these.
pub fn service(path: &str) -> Option<&'static str> {
    let path = path.trim_start_matches('/').trim_end_matches('/');
    [IMDS_PATH, APP_SERVICE_PATH, GITHUB_PATH, AZURE_DEVOPS_PATH]
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(path))
}

/// Everything a request to one of these services carries.
pub struct Request<'a> {
    pub service: &'static str,
    pub method: &'a Method,
    pub headers: &'a HeaderMap,
    pub query: &'a [(String, String)],
}

impl Request<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn bearer(&self) -> Option<&str> {
        let header = self.header("authorization")?.trim();
        let (scheme, token) = header.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    }
}

/// Handles a request to one of the services; `None` when the configuration
/// does not enable it (the caller answers 404 as for any unknown path).
pub fn handle(config: &SimConfig, tokens: &mut Tokens, request: &Request<'_>) -> Option<Answer> {
    match request.service {
        IMDS_PATH | APP_SERVICE_PATH => {
            config.managed_identity.as_ref()?;
            Some(managed_identity(config, tokens, request))
        }
        GITHUB_PATH => Some(github_actions(config, request)?),
        AZURE_DEVOPS_PATH => Some(azure_devops(config, request)?),
        _ => None,
    }
}

fn managed_identity(config: &SimConfig, tokens: &mut Tokens, request: &Request<'_>) -> Answer {
    let app_service = request.service == APP_SERVICE_PATH;
    // IMDS errors are OAuth-shaped; App Service's are {statusCode, message}.
    let error = |status: StatusCode, code: &str, message: String| {
        let body = if app_service {
            json!({"statusCode": status.as_u16(), "message": message})
        } else {
            json!({"error": code, "error_description": message})
        };
        Answer::Json(status, body)
    };
    let Some(identities) = &config.managed_identity else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "No managed identity.".into(),
        );
    };
    if request.method != Method::GET {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            "Only GET is supported.".into(),
        );
    }
    if app_service {
        match request.header("x-identity-header") {
            Some(header) if header == identities.identity_header => {}
            Some(_) => {
                return error(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "The X-IDENTITY-HEADER value is not valid.".into(),
                );
            }
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The X-IDENTITY-HEADER header is required.".into(),
                );
            }
        }
    } else if request.header("metadata") != Some("true") {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required metadata header not specified".into(),
        );
    }
    let expected_version = if app_service {
        "2019-08-01"
    } else {
        "2018-02-01"
    };
    match request.param("api-version") {
        Some(version) if version == expected_version => {}
        Some(version) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("api-version '{version}' is not supported here; use {expected_version}."),
            );
        }
        None => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Required query variable 'api-version' is missing".into(),
            );
        }
    }
    let Some(resource) = request.param("resource").filter(|r| !r.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required query variable 'resource' is missing".into(),
        );
    };
    if !is_graph_resource(resource) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            format!(
                "AADSTS500011: The resource principal named {resource} was not found in the tenant."
            ),
        );
    }
    let client_id = request.param("client_id");
    let known = match client_id {
        Some(id) => identities
            .user_assigned
            .iter()
            .any(|known| known.eq_ignore_ascii_case(id)),
        None => identities.system_assigned,
    };
    if !known {
        let message = if app_service {
            "No Managed Identity found for specified ClientId/ResourceId/PrincipalId."
        } else {
            "Identity not found"
        };
        return error(StatusCode::BAD_REQUEST, "invalid_request", message.into());
    }
    let issued = tokens.issue(config.token_lifetime);
    let seconds = config.token_lifetime.as_secs();
    let expires_on = unix_now() + i64::try_from(seconds).unwrap_or(i64::MAX / 2);
    let token = issued["access_token"].clone();
    let mut body = json!({
        "access_token": token,
        "expires_on": expires_on.to_string(),
        "resource": resource,
        "token_type": "Bearer",
    });
    if app_service {
        body["client_id"] = json!(client_id.unwrap_or("system-assigned"));
    } else {
        // IMDS sends numbers as strings.
        body["expires_in"] = json!(seconds.to_string());
        body["ext_expires_in"] = json!(seconds.to_string());
        body["not_before"] = json!(unix_now().to_string());
    }
    Answer::Json(StatusCode::OK, body)
}

fn github_actions(config: &SimConfig, request: &Request<'_>) -> Option<Answer> {
    let endpoint = config.github_actions.as_ref()?;
    let error =
        |status: StatusCode, message: &str| Answer::Json(status, json!({"message": message}));
    if request.method != Method::GET {
        return Some(error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Only GET is supported.",
        ));
    }
    if request.bearer() != Some(endpoint.request_token.as_str()) {
        return Some(error(StatusCode::UNAUTHORIZED, "Bad credentials"));
    }
    if request.param("api-version").is_none() {
        return Some(error(StatusCode::BAD_REQUEST, "api-version is required"));
    }
    let audience = request
        .param("audience")
        .unwrap_or("https://github.com/contoso");
    let now = unix_now();
    let token = mint(
        config,
        &endpoint.issuer,
        &endpoint.subject,
        audience,
        now,
        now + ID_TOKEN_LIFETIME,
    )?;
    Some(Answer::Json(
        StatusCode::OK,
        json!({"count": 1, "value": token}),
    ))
}

fn azure_devops(config: &SimConfig, request: &Request<'_>) -> Option<Answer> {
    let endpoint = config.azure_devops.as_ref()?;
    let error = |status: StatusCode, message: String| {
        Answer::Json(
            status,
            json!({"$id": "1", "innerException": null, "message": message, "typeKey": "ServiceEndpointException"}),
        )
    };
    if request.method != Method::POST {
        return Some(error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Only POST is supported.".into(),
        ));
    }
    if request.bearer() != Some(endpoint.access_token.as_str()) {
        // What Azure DevOps does for an unusable access token: a sign-in
        // page, unless the client asked for a plain 401.
        if request
            .header("x-tfs-fedauthredirect")
            .is_some_and(|value| value.eq_ignore_ascii_case("suppress"))
        {
            return Some(Answer::Json(
                StatusCode::UNAUTHORIZED,
                json!({"$id": "1", "innerException": null, "message": "TF400813: The user is not authorized to access this resource.", "typeKey": "UnauthorizedRequestException"}),
            ));
        }
        return Some(Answer::Html(
            StatusCode::NON_AUTHORITATIVE_INFORMATION,
            "<html><head><title>Azure DevOps Services | Sign In</title></head><body>Sign in</body></html>",
        ));
    }
    match request.param("api-version") {
        Some(version) if version.starts_with("7.1") => {}
        _ => {
            return Some(error(
                StatusCode::BAD_REQUEST,
                "The api-version query parameter (7.1) is required.".into(),
            ));
        }
    }
    let connection = request.param("serviceConnectionId").unwrap_or_default();
    if !connection.eq_ignore_ascii_case(&endpoint.service_connection_id) {
        return Some(error(
            StatusCode::NOT_FOUND,
            format!(
                "Service connection '{connection}' was not found, or the pipeline is not authorized to use it."
            ),
        ));
    }
    let now = unix_now();
    let token = mint(
        config,
        &endpoint.issuer,
        &endpoint.subject,
        "api://AzureADTokenExchange",
        now,
        now + ID_TOKEN_LIFETIME,
    )?;
    Some(Answer::Json(StatusCode::OK, json!({"oidcToken": token})))
}

/// A federated token signed with `issuer`'s configured key; `None` for an
/// issuer the configuration does not hold.
pub fn mint(
    config: &SimConfig,
    issuer: &str,
    subject: &str,
    audience: &str,
    not_before: i64,
    expires: i64,
) -> Option<String> {
    let key = config
        .oidc_issuers
        .iter()
        .find(|known| known.issuer == issuer)?;
    let claims = json!({
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "jti": uuid::Uuid::new_v4().to_string(),
        "iat": not_before,
        "nbf": not_before,
        "exp": expires,
    });
    jwt::sign_rs256(&key.signing_key_pkcs8, &claims)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AzureDevOpsEndpoint, IdTokenEndpoint, ManagedIdentities, OidcIssuer};

    const KEY: &[u8] = include_bytes!("../../tests/fixtures/auth/issuer-key.pk8");

    fn config() -> SimConfig {
        SimConfig {
            oidc_issuers: vec![OidcIssuer {
                issuer: "https://issuer.example".into(),
                signing_key_pkcs8: KEY.to_vec(),
            }],
            github_actions: Some(IdTokenEndpoint {
                issuer: "https://issuer.example".into(),
                subject: "repo:o/r:ref:refs/heads/main".into(),
                request_token: "gh-request".into(),
            }),
            azure_devops: Some(AzureDevOpsEndpoint {
                issuer: "https://issuer.example".into(),
                subject: "sc://o/p/conn".into(),
                access_token: "ado-access".into(),
                service_connection_id: "conn-id".into(),
            }),
            managed_identity: Some(ManagedIdentities {
                system_assigned: true,
                user_assigned: vec!["uai-1".into()],
                identity_header: "id-header".into(),
            }),
            ..SimConfig::default()
        }
    }

    fn call(
        config: &SimConfig,
        service: &'static str,
        method: Method,
        headers: &[(&'static str, &str)],
        query: &[(&str, &str)],
    ) -> Answer {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().unwrap());
        }
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let request = Request {
            service,
            method: &method,
            headers: &map,
            query: &query,
        };
        handle(config, &mut Tokens::default(), &request).expect("enabled")
    }

    fn status(answer: &Answer) -> u16 {
        match answer {
            Answer::Json(status, _) | Answer::Html(status, _) => status.as_u16(),
        }
    }

    #[test]
    fn services_by_path() {
        assert_eq!(service("/metadata/identity/oauth2/token"), Some(IMDS_PATH));
        assert_eq!(service("/MSI/token/"), Some(APP_SERVICE_PATH));
        assert_eq!(service("/github-actions/idtoken"), Some(GITHUB_PATH));
        assert_eq!(service("/beta/deviceManagement"), None);
        assert!(
            handle(
                &SimConfig::default(),
                &mut Tokens::default(),
                &Request {
                    service: IMDS_PATH,
                    method: &Method::GET,
                    headers: &HeaderMap::new(),
                    query: &[],
                }
            )
            .is_none(),
            "off unless configured"
        );
    }

    #[test]
    fn managed_identity_endpoints() {
        let config = config();
        let graph = ("resource", "https://graph.microsoft.com");
        let imds = ("api-version", "2018-02-01");
        let app = ("api-version", "2019-08-01");
        /// (service, headers, query, status, text in the error)
        type Case<'a> = (
            &'static str,
            Vec<(&'static str, &'a str)>,
            Vec<(&'a str, &'a str)>,
            u16,
            &'a str,
        );
        let cases: Vec<Case<'_>> = vec![
            (
                IMDS_PATH,
                vec![("metadata", "true")],
                vec![imds, graph],
                200,
                "",
            ),
            (
                IMDS_PATH,
                vec![("metadata", "true")],
                vec![imds, graph, ("client_id", "uai-1")],
                200,
                "",
            ),
            (
                IMDS_PATH,
                vec![("metadata", "true")],
                vec![imds, graph, ("client_id", "nope")],
                400,
                "Identity not found",
            ),
            (IMDS_PATH, vec![], vec![imds, graph], 400, "metadata header"),
            (
                IMDS_PATH,
                vec![("metadata", "true")],
                vec![graph],
                400,
                "api-version",
            ),
            (
                IMDS_PATH,
                vec![("metadata", "true")],
                vec![imds],
                400,
                "resource",
            ),
            (
                IMDS_PATH,
                vec![("metadata", "true")],
                vec![imds, ("resource", "https://vault.azure.net")],
                400,
                "AADSTS500011",
            ),
            (
                IMDS_PATH,
                vec![("metadata", "true")],
                vec![imds, ("resource", "http://127.0.0.1:9")],
                400,
                "AADSTS500011",
            ),
            (
                IMDS_PATH,
                vec![("metadata", "true")],
                vec![imds, ("resource", "https://dod-graph.microsoft.us/")],
                200,
                "",
            ),
            (
                APP_SERVICE_PATH,
                vec![("x-identity-header", "id-header")],
                vec![app, graph],
                200,
                "",
            ),
            (
                APP_SERVICE_PATH,
                vec![("x-identity-header", "wrong")],
                vec![app, graph],
                401,
                "not valid",
            ),
            (
                APP_SERVICE_PATH,
                vec![],
                vec![app, graph],
                400,
                "X-IDENTITY-HEADER",
            ),
            (
                APP_SERVICE_PATH,
                vec![("x-identity-header", "id-header")],
                vec![imds, graph],
                400,
                "2019-08-01",
            ),
            (
                APP_SERVICE_PATH,
                vec![("x-identity-header", "id-header")],
                vec![app, graph, ("client_id", "nope")],
                400,
                "No Managed Identity",
            ),
        ];
        for (service, headers, query, expected, text) in cases {
            let answer = call(&config, service, Method::GET, &headers, &query);
            assert_eq!(
                status(&answer),
                expected,
                "{service} {headers:?} {query:?}: {answer:?}"
            );
            let Answer::Json(_, body) = answer else {
                panic!("JSON expected")
            };
            if expected == 200 {
                assert!(
                    body["access_token"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("sim."))
                );
                assert!(body["expires_on"].as_str().is_some());
            } else {
                assert!(body.to_string().contains(text), "{body}");
                assert!(!body.to_string().contains("id-header"), "{body}");
            }
        }
    }

    #[test]
    fn id_token_endpoints() {
        let config = config();
        let gh = call(
            &config,
            GITHUB_PATH,
            Method::GET,
            &[("authorization", "Bearer gh-request")],
            &[
                ("api-version", "2.0"),
                ("audience", "api://AzureADTokenExchange"),
            ],
        );
        let Answer::Json(StatusCode::OK, body) = gh else {
            panic!("{gh:?}")
        };
        let token = jwt::Jwt::decode(body["value"].as_str().unwrap()).unwrap();
        assert_eq!(token.claim_str("sub"), Some("repo:o/r:ref:refs/heads/main"));
        assert!(token.has_audience("api://AzureADTokenExchange"));
        assert!(token.verify(&jwt::public_key_of(KEY).unwrap(), &["RS256"]));
        let refused = call(
            &config,
            GITHUB_PATH,
            Method::GET,
            &[("authorization", "Bearer nope")],
            &[("api-version", "2.0")],
        );
        assert_eq!(status(&refused), 401);

        let ado = call(
            &config,
            AZURE_DEVOPS_PATH,
            Method::POST,
            &[("authorization", "Bearer ado-access")],
            &[("api-version", "7.1"), ("serviceConnectionId", "conn-id")],
        );
        let Answer::Json(StatusCode::OK, body) = ado else {
            panic!("{ado:?}")
        };
        let token = jwt::Jwt::decode(body["oidcToken"].as_str().unwrap()).unwrap();
        assert_eq!(token.claim_str("sub"), Some("sc://o/p/conn"));
        let cases = [
            ("Bearer wrong", "", "7.1", "conn-id", 203),
            ("Bearer wrong", "Suppress", "7.1", "conn-id", 401),
            ("Bearer ado-access", "Suppress", "6.0", "conn-id", 400),
            ("Bearer ado-access", "", "7.1", "other", 404),
        ];
        for (auth, redirect, version, connection, expected) in cases {
            let answer = call(
                &config,
                AZURE_DEVOPS_PATH,
                Method::POST,
                &[("authorization", auth), ("x-tfs-fedauthredirect", redirect)],
                &[
                    ("api-version", version),
                    ("serviceConnectionId", connection),
                ],
            );
            assert_eq!(status(&answer), expected, "{auth} {version} {connection}");
        }
    }
}
