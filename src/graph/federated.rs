//! Workload identity federation: where the federated token that Entra ID
//! exchanges for a Graph token comes from — given directly, a file
//! (Kubernetes' projected token, re-read every time so a rotated token is
//! picked up), the GitHub Actions ID-token endpoint, or Azure DevOps' OIDC
//! endpoint for a service connection.
//!
//! A federated token is obtained afresh for every Entra ID token request;
//! none is cached here. Request tokens, federated tokens and the endpoints'
//! answers are never logged.

use std::path::PathBuf;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Url};
use serde_json::Value;
use tokio::time::Instant;

use super::GraphError;
use super::auth::{FetchContext, Secret};
use super::endpoint;
use super::error::excerpt;
use super::token_http::{TokenCall, exchange, throttled_or_server_error};

/// The audience Entra ID expects in federated tokens.
pub const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// The Azure DevOps REST API version of the OIDC token request.
const ADO_API_VERSION: &str = "7.1";

/// A source of federated (OIDC) tokens for workload identity federation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FederatedToken {
    /// A token given as is (`oidc_token`, HCP Terraform's
    /// `TFC_WORKLOAD_IDENTITY_TOKEN`).
    Token(Secret),
    /// A file holding the token (`oidc_token_file_path`,
    /// `AZURE_FEDERATED_TOKEN_FILE`), read again for every sign-in.
    File(PathBuf),
    /// GitHub Actions: `GET {request_url}&audience=api://AzureADTokenExchange`
    /// with the job's request token as bearer.
    GitHubActions {
        request_url: String,
        request_token: Secret,
    },
    /// Azure DevOps: `POST {request_url}?api-version=7.1&serviceConnectionId=…`
    /// with the job's `System.AccessToken` as bearer.
    AzureDevOps {
        request_url: String,
        access_token: Secret,
        service_connection_id: String,
    },
}

impl FederatedToken {
    /// Checks what can be checked before any request: the endpoint URLs
    /// (https, or http to loopback), non-empty tokens and ids.
    pub(crate) fn check(&self) -> Result<(), GraphError> {
        match self {
            FederatedToken::Token(token) if token.is_empty() => {
                Err(GraphError::config("the federated token is empty"))
            }
            FederatedToken::File(path) if path.as_os_str().is_empty() => {
                Err(GraphError::config("the federated token file path is empty"))
            }
            FederatedToken::GitHubActions {
                request_url,
                request_token,
            } => {
                endpoint::parse_service_url("oidc_request_url", request_url)?;
                if request_token.is_empty() {
                    return Err(GraphError::config("oidc_request_token is empty"));
                }
                Ok(())
            }
            FederatedToken::AzureDevOps {
                request_url,
                access_token,
                service_connection_id,
            } => {
                endpoint::parse_service_url("oidc_request_url", request_url)?;
                if access_token.is_empty() {
                    return Err(GraphError::config("SYSTEM_ACCESSTOKEN is empty"));
                }
                if service_connection_id.trim().is_empty() {
                    return Err(GraphError::config(
                        "ado_pipeline_service_connection_id is empty",
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A federated token for one Entra ID token request.
    pub(crate) async fn obtain(
        &self,
        context: &FetchContext<'_>,
        deadline: Instant,
    ) -> Result<Secret, GraphError> {
        match self {
            FederatedToken::Token(token) => Ok(token.clone()),
            FederatedToken::File(path) => read_token_file(path).await,
            FederatedToken::GitHubActions {
                request_url,
                request_token,
            } => {
                let mut url = endpoint::parse_service_url("oidc_request_url", request_url)?;
                url.query_pairs_mut()
                    .append_pair("audience", TOKEN_EXCHANGE_AUDIENCE);
                let reply = request_id_token(
                    context,
                    deadline,
                    Method::GET,
                    &url,
                    request_token,
                    "GitHub Actions ID token request",
                    |status, body| GraphError::Credential {
                        method: "GitHub Actions OIDC".into(),
                        message: format!(
                            "the ID-token endpoint (oidc_request_url) answered HTTP {status}: {}. The job needs \
                             `permissions: id-token: write`, and oidc_request_token must be the job's \
                             ACTIONS_ID_TOKEN_REQUEST_TOKEN.",
                            excerpt(body)
                        ),
                        status: Some(status),
                    },
                )
                .await?;
                token_member(&reply.1, "value").ok_or_else(|| GraphError::Credential {
                    method: "GitHub Actions OIDC".into(),
                    message: format!(
                        "the ID-token endpoint answered HTTP {} without a token (no \"value\" member)",
                        reply.0
                    ),
                    status: Some(reply.0),
                })
            }
            FederatedToken::AzureDevOps {
                request_url,
                access_token,
                service_connection_id,
            } => {
                let mut url = endpoint::parse_service_url("oidc_request_url", request_url)?;
                url.query_pairs_mut()
                    .append_pair("api-version", ADO_API_VERSION)
                    .append_pair("serviceConnectionId", service_connection_id);
                let reply = request_id_token(
                    context,
                    deadline,
                    Method::POST,
                    &url,
                    access_token,
                    "Azure DevOps OIDC token request",
                    |status, body| GraphError::Credential {
                        method: "Azure DevOps OIDC".into(),
                        message: format!(
                            "the pipeline's OIDC endpoint answered HTTP {status}: {}. Check \
                             ado_pipeline_service_connection_id, and that the access token is the job's \
                             (oidc_request_token, or SYSTEM_ACCESSTOKEN mapped into the step's environment: \
                             `SYSTEM_ACCESSTOKEN: $(System.AccessToken)`).",
                            excerpt(body)
                        ),
                        status: Some(status),
                    },
                )
                .await?;
                // Despite `X-TFS-FedAuthRedirect: Suppress`, an invalid
                // access token may get a 203 with a sign-in page.
                token_member(&reply.1, "oidcToken").ok_or_else(|| GraphError::Credential {
                    method: "Azure DevOps OIDC".into(),
                    message: format!(
                        "the pipeline's OIDC endpoint answered HTTP {} without an oidcToken; the access \
                         token (oidc_request_token or SYSTEM_ACCESSTOKEN) is probably not the job's \
                         $(System.AccessToken)",
                        reply.0
                    ),
                    status: Some(reply.0),
                })
            }
        }
    }
}

/// Reads a token file; the token is the whole file, surrounding whitespace
/// removed.
async fn read_token_file(path: &std::path::Path) -> Result<Secret, GraphError> {
    let failed = |message: String| GraphError::Credential {
        method: "OIDC token file".into(),
        message,
        status: None,
    };
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|error| failed(format!("reading {}: {error}", path.display())))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(failed(format!("{} is empty", path.display())));
    }
    Ok(Secret::new(token))
}

/// Asks an ID-token endpoint; returns the status and body of its 2xx answer.
async fn request_id_token(
    context: &FetchContext<'_>,
    deadline: Instant,
    method: Method,
    url: &Url,
    bearer: &Secret,
    what: &'static str,
    error_of: impl Fn(u16, &[u8]) -> GraphError,
) -> Result<(u16, Vec<u8>), GraphError> {
    let mut authorization = HeaderValue::from_str(&format!("Bearer {}", bearer.expose()))
        .map_err(|_| GraphError::config("the OIDC request token is not a valid header value"))?;
    authorization.set_sensitive(true);
    let call = TokenCall {
        what,
        method: method.clone(),
        url,
        retry_status: throttled_or_server_error,
        unreachable_attempts: None,
    };
    let build = |request: reqwest::RequestBuilder| {
        let request = request.header(AUTHORIZATION, authorization.clone());
        Ok(if method == Method::POST {
            // Azure DevOps: answer 401 rather than a 203 sign-in page when
            // the access token is refused.
            request
                .header(CONTENT_TYPE, "application/json")
                .header("X-TFS-FedAuthRedirect", "Suppress")
                .body("")
        } else {
            request
        })
    };
    let (reply, _) = exchange(context.http, context, deadline, &call, build, |reply| {
        error_of(reply.status, &reply.body)
    })
    .await?;
    Ok((reply.status, reply.body))
}

/// The non-empty string member `name` of a JSON object body.
fn token_member(body: &[u8], name: &str) -> Option<Secret> {
    let body: Value = serde_json::from_slice(body).ok()?;
    body.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .map(Secret::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_members() {
        let cases: [(&[u8], &str, Option<&str>); 6] = [
            (
                br#"{"count":1,"value":"eyJ.a.b"}"#,
                "value",
                Some("eyJ.a.b"),
            ),
            (
                br#"{"oidcToken":" eyJ.c.d "}"#,
                "oidcToken",
                Some("eyJ.c.d"),
            ),
            (br#"{"value":""}"#, "value", None),
            (br#"{"value":3}"#, "value", None),
            (b"<html>sign in</html>", "oidcToken", None),
            (br#"{"other":"x"}"#, "value", None),
        ];
        for (body, name, expected) in cases {
            assert_eq!(
                token_member(body, name).as_ref().map(Secret::expose),
                expected,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn checks_before_any_request() {
        let cases = [
            (FederatedToken::Token(Secret::new("")), Some("empty")),
            (FederatedToken::Token(Secret::new("eyJ")), None),
            (FederatedToken::File(PathBuf::new()), Some("empty")),
            (
                FederatedToken::GitHubActions {
                    request_url: "http://actions.example/idtoken?api-version=2.0".into(),
                    request_token: Secret::new("t"),
                },
                Some("must use https"),
            ),
            (
                FederatedToken::GitHubActions {
                    request_url: "https://actions.example/idtoken?api-version=2.0".into(),
                    request_token: Secret::new(""),
                },
                Some("oidc_request_token is empty"),
            ),
            (
                FederatedToken::AzureDevOps {
                    request_url: "http://127.0.0.1:9/oidctoken".into(),
                    access_token: Secret::new("t"),
                    service_connection_id: " ".into(),
                },
                Some("service_connection_id is empty"),
            ),
            (
                FederatedToken::AzureDevOps {
                    request_url: "https://dev.azure.com/o/p/_apis/oidctoken".into(),
                    access_token: Secret::new("t"),
                    service_connection_id: "c".into(),
                },
                None,
            ),
        ];
        for (token, expected) in cases {
            match (token.check(), expected) {
                (Ok(()), None) => {}
                (Err(error), Some(text)) => {
                    assert!(error.to_string().contains(text), "{token:?}: {error}")
                }
                (got, expected) => panic!("{token:?}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    #[tokio::test]
    async fn token_files_are_read_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "first\n").unwrap();
        assert_eq!(read_token_file(&path).await.unwrap().expose(), "first");
        std::fs::write(&path, "second").unwrap();
        assert_eq!(read_token_file(&path).await.unwrap().expose(), "second");
        std::fs::write(&path, " \n").unwrap();
        let error = read_token_file(&path).await.unwrap_err();
        assert!(error.to_string().contains("is empty"), "{error}");
        let error = read_token_file(&dir.path().join("missing"))
            .await
            .unwrap_err();
        assert!(
            error.to_string().starts_with("OIDC token file: reading"),
            "{error}"
        );
    }
}
