//! The OAuth2 client-credentials flow with an application secret:
//! `POST {authority}/{tenant}/oauth2/v2.0/token` with
//! `grant_type=client_credentials`, retried on 429/5xx and transient
//! network failures like any Graph call.
//!
//! The form body holds the secret, so neither it nor the token response is
//! ever logged; logs show status, attempt and Entra's request id only.

use std::time::{Duration, SystemTime};

use reqwest::{Method, Url};
use serde_json::Value;
use tokio::time::Instant;

use super::GraphError;
use super::auth::{AccessToken, FetchContext, Secret, TokenSource};
use super::error::auth_error;
use super::retry::{Retrier, Wait};

/// Client id and secret for one tenant's token endpoint.
#[derive(Debug)]
pub(crate) struct ClientSecretFlow {
    pub token_url: Url,
    pub client_id: String,
    pub client_secret: Secret,
    /// `{graph_endpoint}/.default`.
    pub scope: String,
}

#[async_trait::async_trait]
impl TokenSource for ClientSecretFlow {
    async fn fetch(
        &self,
        context: &FetchContext<'_>,
        deadline: Instant,
    ) -> Result<AccessToken, GraphError> {
        let operation = format!("POST {}", self.token_url.path());
        let mut retrier = Retrier::new(context.policy, context.stop, deadline, operation);
        let client_request_id = uuid::Uuid::new_v4().to_string();
        loop {
            let attempt = retrier.start_attempt()?;
            let form = [
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.expose()),
                ("scope", self.scope.as_str()),
            ];
            let request = context
                .http
                .request(Method::POST, self.token_url.clone())
                .header("client-request-id", &client_request_id)
                .form(&form);
            let started = Instant::now();
            let outcome = context
                .stop
                .run(context.http.send(request, retrier.attempt_timeout()))
                .await?;
            let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);

            let (error, wait) = match outcome {
                Ok(reply) => {
                    tracing::debug!(
                        method = "POST",
                        path = self.token_url.path(),
                        status = reply.status,
                        request_id = reply.header("x-ms-request-id").unwrap_or_default(),
                        client_request_id = %client_request_id,
                        attempt,
                        duration_ms,
                        "token request"
                    );
                    if reply.is_success() {
                        return parse_token(&reply.body, started, retrier.operation());
                    }
                    let wait = reply
                        .retry_after(SystemTime::now())
                        .map_or(Wait::Backoff, Wait::Exactly);
                    (auth_error(reply.status, &reply.body), wait)
                }
                Err(error) => {
                    tracing::debug!(
                        method = "POST",
                        path = self.token_url.path(),
                        client_request_id = %client_request_id,
                        attempt,
                        duration_ms,
                        error = %error,
                        "token request failed"
                    );
                    (error, Wait::Backoff)
                }
            };
            // The token request has no side effects, so every transient
            // failure may be repeated.
            if !error.is_retryable() {
                return Err(error);
            }
            retrier.pause(error, wait).await?;
        }
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
    let lifetime = match body.get("expires_in") {
        Some(Value::Number(seconds)) => seconds.as_u64(),
        Some(Value::String(seconds)) => seconds.trim().parse::<u64>().ok(),
        _ => None,
    }
    .ok_or_else(|| invalid("the token response has no valid expires_in"))?;
    // Measured from the request, not the response: the token's clock
    // started no later than that.
    Ok(AccessToken::new(
        Secret::new(value),
        Duration::from_secs(lifetime),
        requested,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

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
