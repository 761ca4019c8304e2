//! Entra ID's client-credentials token request,
//! `POST {authority}/{tenant}/oauth2/v2.0/token` with
//! `grant_type=client_credentials`, proving the application's identity with
//! a client secret, a certificate-signed assertion, or a federated token
//! (workload identity federation) sent as the assertion. Retried on 429 and
//! every 5xx (Graph calls retry only 429/503/504) and on transient network
//! failures, with the backoff and deadline of Graph calls (`token_http.rs`).
//!
//! The form body holds the credential, so neither it nor the token response
//! is ever logged; logs show status, attempt and Entra's request id only.

use std::time::SystemTime;

use reqwest::{Method, Url};
use serde_json::Value;
use tokio::time::Instant;

use super::GraphError;
use super::auth::{AccessToken, FetchContext, Secret, TokenSource, token_lifetime};
use super::certificate::ClientCertificate;
use super::error::auth_error;
use super::federated::FederatedToken;
use super::token_http::{TokenCall, exchange, throttled_or_server_error};

/// RFC 7523's assertion type for JWT client authentication.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How the application proves who it is.
#[derive(Debug)]
pub(crate) enum Proof {
    Secret(Secret),
    /// A new assertion, signed with the certificate's key, per attempt.
    Certificate(ClientCertificate),
    /// A token from a trusted issuer, obtained afresh for each token
    /// request (files are re-read, endpoints asked again).
    Federated(FederatedToken),
}

/// One application in one tenant's token endpoint.
#[derive(Debug)]
pub(crate) struct EntraFlow {
    pub token_url: Url,
    pub client_id: String,
    /// `{graph_resource}/.default`.
    pub scope: String,
    pub proof: Proof,
}

#[async_trait::async_trait]
impl TokenSource for EntraFlow {
    async fn fetch(
        &self,
        context: &FetchContext<'_>,
        deadline: Instant,
    ) -> Result<AccessToken, GraphError> {
        let federated = match &self.proof {
            Proof::Federated(token) => Some(token.obtain(context, deadline).await?),
            _ => None,
        };
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let call = TokenCall {
            what: "token request",
            method: Method::POST,
            url: &self.token_url,
            retry_status: throttled_or_server_error,
            unreachable_attempts: None,
        };
        let build = |request: reqwest::RequestBuilder| {
            let proof = match (&self.proof, &federated) {
                (Proof::Secret(secret), _) => ("client_secret", secret.clone()),
                (Proof::Certificate(certificate), _) => (
                    "client_assertion",
                    certificate
                        .assertion(&self.client_id, self.token_url.as_str(), SystemTime::now())
                        .map_err(|message| GraphError::Credential {
                            method: "client certificate".into(),
                            message,
                            status: None,
                        })?,
                ),
                (Proof::Federated(_), Some(token)) => ("client_assertion", token.clone()),
                (Proof::Federated(_), None) => {
                    return Err(GraphError::config("no federated token was obtained"));
                }
            };
            let mut form = vec![
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
                ("scope", self.scope.as_str()),
            ];
            if proof.0 == "client_assertion" {
                form.push(("client_assertion_type", JWT_BEARER));
            }
            form.push((proof.0, proof.1.expose()));
            Ok(request
                .header("client-request-id", &client_request_id)
                .form(&form))
        };
        let (reply, started) = exchange(context.http, context, deadline, &call, build, |reply| {
            auth_error(reply.status, &reply.body)
        })
        .await?;
        parse_token(
            &reply.body,
            started,
            &format!("POST {}", self.token_url.path()),
        )
    }
}

/// `{"token_type":"Bearer","expires_in":3599,"access_token":"..."}`;
/// `expires_in` may also be a numeric string (older endpoints).
fn parse_token(
    body: &[u8],
    requested: Instant,
    operation: &str,
) -> Result<AccessToken, GraphError> {
    let invalid = |message: &str| GraphError::invalid_response(operation, message);
    let body: Value =
        serde_json::from_slice(body).map_err(|_| invalid("the token response is not JSON"))?;
    let value = body
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| invalid("the token response has no access_token"))?;
    if let Some(kind) = body.get("token_type").and_then(Value::as_str)
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(invalid(&format!("token_type is {kind:?}, expected Bearer")));
    }
    let lifetime = token_lifetime(body.get("expires_in"), None, SystemTime::now())
        .ok_or_else(|| invalid("the token response has no valid expires_in"))?;
    // Measured from the request, not the response: the token's clock
    // started no later than that.
    Ok(AccessToken::new(Secret::new(value), lifetime, requested))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn token_responses() {
        let now = Instant::now();
        let ok = [
            (
                r#"{"token_type":"Bearer","expires_in":3599,"access_token":"abc"}"#,
                3599,
            ),
            (
                r#"{"token_type":"bearer","expires_in":"60","access_token":"abc"}"#,
                60,
            ),
            (r#"{"expires_in":10,"access_token":"abc"}"#, 10),
            // A lifetime past any clock is cut to a day, not a panic.
            (
                r#"{"expires_in":18446744073709551615,"access_token":"abc"}"#,
                86_400,
            ),
        ];
        for (body, lifetime) in ok {
            let token = parse_token(body.as_bytes(), now, "POST /t/oauth2/v2.0/token").unwrap();
            assert_eq!(token.value.expose(), "abc");
            let lifetime = Duration::from_secs(lifetime);
            let margin = (lifetime / 2).min(Duration::from_secs(300));
            assert_eq!(token.refresh_at - now, lifetime - margin, "{body}");
        }
        let bad = [
            "not json",
            r#"{"expires_in":10}"#,
            r#"{"expires_in":10,"access_token":""}"#,
            r#"{"access_token":"abc"}"#,
            r#"{"expires_in":-1,"access_token":"abc"}"#,
            r#"{"token_type":"mac","expires_in":10,"access_token":"abc"}"#,
        ];
        for body in bad {
            let error = parse_token(body.as_bytes(), now, "POST /t/oauth2/v2.0/token").unwrap_err();
            assert!(
                matches!(error, GraphError::InvalidResponse { .. }),
                "{body}"
            );
            assert!(!error.to_string().contains("abc"), "{body}: {error}");
        }
    }
}
