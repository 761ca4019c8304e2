//! One HTTP exchange on the way to a token — Entra ID's token endpoint, a
//! managed identity endpoint, the GitHub Actions or Azure DevOps ID-token
//! endpoint — repeated on the statuses each caller names and on transient
//! failures until its deadline, with the same backoff as Graph calls.
//!
//! These requests and their answers carry credentials, so nothing here logs
//! a body, a header or a query string: only method, path, status, attempt,
//! duration and the server's request id.

use std::time::SystemTime;

use reqwest::{Method, RequestBuilder, Url};
use tokio::time::Instant;

use super::auth::FetchContext;
use super::http::{Http, Reply};
use super::retry::{Retrier, Wait};
use super::{GraphError, TransportKind};

/// What is being asked, for logs and retry decisions.
pub(crate) struct TokenCall<'a> {
    /// Log message, e.g. `"token request"`.
    pub what: &'static str,
    pub method: Method,
    pub url: &'a Url,
    /// Whether an answer with this status may be repeated.
    pub retry_status: fn(u16) -> bool,
    /// Give up after this many attempts that could not connect, instead of
    /// retrying until the deadline: for an endpoint on the machine itself,
    /// which is either there at once or not at all.
    pub unreachable_attempts: Option<u32>,
}

/// Sends the request `build` makes (a new one per attempt, so an assertion
/// can be re-signed with a new `jti`) until a 2xx reply, a final failure or
/// the deadline. `error_of` turns a failed reply into the error to return.
pub(crate) async fn exchange(
    http: &Http,
    context: &FetchContext<'_>,
    deadline: Instant,
    call: &TokenCall<'_>,
    build: impl Fn(RequestBuilder) -> Result<RequestBuilder, GraphError>,
    error_of: impl Fn(&Reply) -> GraphError,
) -> Result<(Reply, Instant), GraphError> {
    let path = call.url.path();
    let operation = format!("{} {path}", call.method);
    let mut retrier = Retrier::new(context.policy, context.stop, deadline, operation);
    let mut unreachable = 0u32;
    loop {
        let attempt = retrier.start_attempt()?;
        let request = build(http.request(call.method.clone(), call.url.clone()))?;
        let started = Instant::now();
        let outcome = context
            .stop
            .run(http.send(request, retrier.attempt_timeout()))
            .await?;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (error, wait) = match outcome {
            Ok(reply) => {
                tracing::debug!(
                    method = %call.method,
                    path,
                    status = reply.status,
                    request_id = reply
                        .header("x-ms-request-id")
                        .or_else(|| reply.header("x-vss-e2eid"))
                        .or_else(|| reply.header("x-github-request-id"))
                        .unwrap_or_default(),
                    attempt,
                    duration_ms,
                    "{}",
                    call.what
                );
                if reply.is_success() {
                    return Ok((reply, started));
                }
                let error = error_of(&reply);
                if !(call.retry_status)(reply.status) {
                    return Err(error);
                }
                (error, Wait::after(reply.retry_after(SystemTime::now())))
            }
            Err(error) => {
                tracing::debug!(
                    method = %call.method,
                    path,
                    attempt,
                    duration_ms,
                    error = %error,
                    "{} failed",
                    call.what
                );
                // Token requests have no side effects: every transient
                // failure may be repeated.
                if !error.is_retryable() {
                    return Err(error);
                }
                if let GraphError::Transport {
                    kind: TransportKind::Connect,
                    ..
                } = error
                {
                    unreachable += 1;
                    if call
                        .unreachable_attempts
                        .is_some_and(|limit| unreachable >= limit)
                    {
                        return Err(error);
                    }
                }
                (error, Wait::Backoff)
            }
        };
        retrier.pause(error, wait).await?;
    }
}

/// Throttling and server errors: what Entra ID and the ID-token endpoints
/// ask clients to retry.
pub(crate) fn throttled_or_server_error(status: u16) -> bool {
    status == 429 || status >= 500
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retried_statuses() {
        assert!(throttled_or_server_error(429) && throttled_or_server_error(503));
        assert!(!throttled_or_server_error(400) && !throttled_or_server_error(404));
    }
}
