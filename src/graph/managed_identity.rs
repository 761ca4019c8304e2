//! Managed identity: a token for the identity of the Azure resource the
//! provider runs on, from the Instance Metadata Service (VMs, scale sets,
//! AKS nodes; or whatever `msi_endpoint` names) or from the App Service
//! endpoint that App Service, Functions and Container Apps announce in
//! `IDENTITY_ENDPOINT` / `IDENTITY_HEADER`. A `client_id` selects a
//! user-assigned identity; without it the system-assigned one answers.
//!
//! These endpoints live on the machine itself, so requests never go through
//! a proxy and connecting gives up quickly. The `IDENTITY_HEADER` secret
//! and the tokens are never logged.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderValue;
use reqwest::{Method, Url};
use serde_json::Value;
use tokio::time::Instant;

use super::auth::{AccessToken, FetchContext, Secret, TokenSource, token_lifetime};
use super::endpoint;
use super::error::excerpt;
use super::http::{Http, Proxies, Reply};
use super::token_http::{TokenCall, exchange};
use super::{GraphError, TransportKind};

/// The Instance Metadata Service's token endpoint, used when neither
/// `msi_endpoint` nor `IDENTITY_ENDPOINT` says otherwise.
pub const IMDS_TOKEN_URL: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

const IMDS_API_VERSION: &str = "2018-02-01";
const APP_SERVICE_API_VERSION: &str = "2019-08-01";
/// A machine-local endpoint answers at once or not at all.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts that could not connect before the endpoint is taken to be
/// absent (the provider is not running on an Azure resource with a managed
/// identity), rather than retrying for the whole sign-in budget.
const UNREACHABLE_ATTEMPTS: u32 = 3;

/// Which managed identity protocol to speak, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagedIdentityEndpoint {
    /// The Instance Metadata Service protocol (`Metadata: true` header,
    /// api-version 2018-02-01) at `url`: [`IMDS_TOKEN_URL`] or
    /// `msi_endpoint`.
    Imds { url: String },
    /// The App Service protocol (`X-IDENTITY-HEADER`, api-version
    /// 2019-08-01) at `IDENTITY_ENDPOINT`.
    AppService { url: String, header: Secret },
}

impl ManagedIdentityEndpoint {
    fn describe(&self) -> String {
        match self {
            ManagedIdentityEndpoint::Imds { url } => format!("managed identity (IMDS at {url})"),
            ManagedIdentityEndpoint::AppService { url, .. } => {
                format!("managed identity (App Service endpoint {url})")
            }
        }
    }
}

/// Tokens from a managed identity endpoint.
#[derive(Debug)]
pub(crate) struct ManagedIdentityFlow {
    http: Http,
    url: Url,
    endpoint: ManagedIdentityEndpoint,
    client_id: Option<String>,
    /// The cloud's Graph resource id, the resource the token is for.
    resource: String,
}

impl ManagedIdentityFlow {
    pub(crate) fn new(
        endpoint: ManagedIdentityEndpoint,
        client_id: Option<String>,
        resource: String,
        user_agent: &str,
    ) -> Result<Self, GraphError> {
        let url = match &endpoint {
            ManagedIdentityEndpoint::Imds { url } => {
                endpoint::parse_managed_identity_url("msi_endpoint", url)?
            }
            ManagedIdentityEndpoint::AppService { url, header } => {
                if header.is_empty() {
                    return Err(GraphError::config("IDENTITY_HEADER is empty"));
                }
                endpoint::parse_managed_identity_url("IDENTITY_ENDPOINT", url)?
            }
        };
        Ok(ManagedIdentityFlow {
            http: Http::new(user_agent, Proxies::Never, Some(CONNECT_TIMEOUT))?,
            url,
            endpoint,
            client_id: client_id.filter(|id| !id.trim().is_empty()),
            resource,
        })
    }

    fn error(&self, status: Option<u16>, message: String) -> GraphError {
        GraphError::Credential {
            method: self.endpoint.describe(),
            message,
            status,
        }
    }
}

#[async_trait::async_trait]
impl TokenSource for ManagedIdentityFlow {
    async fn fetch(
        &self,
        context: &FetchContext<'_>,
        deadline: Instant,
    ) -> Result<AccessToken, GraphError> {
        let (api_version, header, retry_status): (_, _, fn(u16) -> bool) = match &self.endpoint {
            ManagedIdentityEndpoint::Imds { .. } => (
                IMDS_API_VERSION,
                ("Metadata", HeaderValue::from_static("true")),
                // IMDS answers 404 and 410 while it is starting or updating.
                |status| matches!(status, 404 | 410 | 429) || status >= 500,
            ),
            ManagedIdentityEndpoint::AppService { header, .. } => {
                let mut value = HeaderValue::from_str(header.expose()).map_err(|_| {
                    GraphError::config("IDENTITY_HEADER is not a valid header value")
                })?;
                value.set_sensitive(true);
                (
                    APP_SERVICE_API_VERSION,
                    ("X-IDENTITY-HEADER", value),
                    |status| status == 429 || status >= 500,
                )
            }
        };
        let mut url = self.url.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("api-version", api_version)
                .append_pair("resource", &self.resource);
            if let Some(client_id) = &self.client_id {
                query.append_pair("client_id", client_id);
            }
        }
        let call = TokenCall {
            what: "managed identity token request",
            method: Method::GET,
            url: &url,
            retry_status,
            unreachable_attempts: Some(UNREACHABLE_ATTEMPTS),
        };
        let build =
            |request: reqwest::RequestBuilder| Ok(request.header(header.0, header.1.clone()));
        let (reply, started) = exchange(&self.http, context, deadline, &call, build, |reply| {
            self.error(
                Some(reply.status),
                describe_failure(reply, &self.endpoint, self.client_id.is_some()),
            )
        })
        .await
        .map_err(|error| match error {
            GraphError::Transport {
                kind: TransportKind::Connect,
                message,
            } => self.error(
                None,
                format!(
                    "the endpoint could not be reached ({UNREACHABLE_ATTEMPTS} attempts; {message}). Is the \
                     provider running on an Azure resource with a managed identity? Elsewhere, configure another \
                     sign-in method."
                ),
            ),
            other => other,
        })?;
        parse_token(&reply.body, started, SystemTime::now())
            .map_err(|message| self.error(Some(reply.status), message))
    }
}

/// What a failed answer says, in one line, with a hint for the usual
/// causes.
fn describe_failure(
    reply: &Reply,
    endpoint: &ManagedIdentityEndpoint,
    user_assigned: bool,
) -> String {
    let body: Option<Value> = serde_json::from_slice(&reply.body).ok();
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_string);
    let said = body
        .as_ref()
        .and_then(|body| {
            text(body.get("error_description"))
                .or_else(|| text(body.get("message")))
                .or_else(|| text(body.get("error").and_then(|e| e.get("message"))))
                .or_else(|| text(body.get("error")))
        })
        .unwrap_or_else(|| excerpt(&reply.body));
    let hint = match reply.status {
        400 if user_assigned => {
            " (is client_id the client id of a user-assigned identity attached to this resource?)"
        }
        400 => {
            " (does this resource have a system-assigned identity? For a user-assigned one set client_id)"
        }
        401 | 403 if matches!(endpoint, ManagedIdentityEndpoint::AppService { .. }) => {
            " (IDENTITY_HEADER does not match this endpoint)"
        }
        _ => "",
    };
    format!("HTTP {}: {said}{hint}", reply.status)
}

/// The managed identity token answer: `access_token` with `expires_in`
/// (IMDS, seconds as a string) or `expires_on` (App Service, Unix seconds).
fn parse_token(body: &[u8], requested: Instant, now: SystemTime) -> Result<AccessToken, String> {
    let body: Value =
        serde_json::from_slice(body).map_err(|_| "the token answer is not JSON".to_string())?;
    let token = body
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|token| !token.is_empty())
        .ok_or("the token answer has no access_token")?;
    let lifetime = token_lifetime(body.get("expires_in"), body.get("expires_on"), now)
        .ok_or("the token answer has neither expires_in nor expires_on")?;
    Ok(AccessToken::new(Secret::new(token), lifetime, requested))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;
    use std::time::UNIX_EPOCH;

    #[test]
    fn token_answers() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let requested = Instant::now();
        let ok = [
            (
                r#"{"access_token":"a","expires_in":"3599","expires_on":"1700003599","token_type":"Bearer"}"#,
                3599,
            ),
            (r#"{"access_token":"a","expires_in":86399}"#, 86399),
            (
                r#"{"access_token":"a","expires_on":"1700000600","client_id":"x"}"#,
                600,
            ),
            (r#"{"access_token":"a","expires_on":1700000060}"#, 60),
            (r#"{"access_token":"a","expires_on":"1600000000"}"#, 0),
            (
                r#"{"access_token":"a","expires_on":"18446744073709551615"}"#,
                86_400,
            ),
            (
                r#"{"access_token":"a","expires_in":"18446744073709551615"}"#,
                86_400,
            ),
        ];
        for (body, lifetime) in ok {
            let token = parse_token(body.as_bytes(), requested, now).unwrap();
            assert_eq!(token.value.expose(), "a");
            let expected =
                AccessToken::new(Secret::new("a"), Duration::from_secs(lifetime), requested);
            assert_eq!(token.refresh_at, expected.refresh_at, "{body}");
        }
        for body in [
            "nope",
            r#"{"expires_in":"60"}"#,
            r#"{"access_token":"","expires_in":"60"}"#,
            r#"{"access_token":"a"}"#,
            r#"{"access_token":"a","expires_on":"06/20/2019 02:57:58 +00:00"}"#,
        ] {
            let error = parse_token(body.as_bytes(), requested, now).unwrap_err();
            assert!(!error.contains("\"a\""), "{body}: {error}");
        }
    }

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn failures_are_described_with_hints() {
        let imds = ManagedIdentityEndpoint::Imds {
            url: IMDS_TOKEN_URL.into(),
        };
        let app_service = ManagedIdentityEndpoint::AppService {
            url: "http://127.0.0.1:41741/msi/token".into(),
            header: Secret::new("h"),
        };
        let not_found = r#"{"error":"invalid_request","error_description":"Identity not found"}"#;
        let unauthorized = r#"{"statusCode":401,"message":"Unauthorized"}"#;
        let cases = [
            (
                reply(400, not_found),
                &imds,
                false,
                "HTTP 400: Identity not found (does this resource have a system-assigned identity? For a \
                 user-assigned one set client_id)",
            ),
            (
                reply(400, not_found),
                &imds,
                true,
                "HTTP 400: Identity not found (is client_id the client id of a user-assigned identity \
                 attached to this resource?)",
            ),
            (
                reply(401, unauthorized),
                &app_service,
                false,
                "HTTP 401: Unauthorized (IDENTITY_HEADER does not match this endpoint)",
            ),
            // IMDS has no IDENTITY_HEADER to blame.
            (
                reply(403, unauthorized),
                &imds,
                false,
                "HTTP 403: Unauthorized",
            ),
            (
                reply(500, "<html>oops</html>"),
                &app_service,
                false,
                "HTTP 500: <html>oops</html>",
            ),
        ];
        for (reply, endpoint, user_assigned, expected) in cases {
            assert_eq!(describe_failure(&reply, endpoint, user_assigned), expected);
        }
    }

    #[test]
    fn endpoints_are_checked_when_the_flow_is_built() {
        let build = |endpoint| {
            ManagedIdentityFlow::new(
                endpoint,
                Some(" ".into()),
                "https://graph.microsoft.com".into(),
                "t",
            )
        };
        let imds = build(ManagedIdentityEndpoint::Imds {
            url: IMDS_TOKEN_URL.into(),
        })
        .unwrap();
        assert_eq!(
            imds.client_id, None,
            "a blank client id means system-assigned"
        );
        assert!(
            build(ManagedIdentityEndpoint::Imds {
                url: "http://10.1.2.3/token".into()
            })
            .is_err()
        );
        assert!(
            build(ManagedIdentityEndpoint::AppService {
                url: "http://127.0.0.1:41741/msi/token".into(),
                header: Secret::new(""),
            })
            .is_err()
        );
    }
}
