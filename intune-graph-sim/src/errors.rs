//! Error bodies in the two shapes clients meet: Microsoft Graph's
//! `{"error":{"code","message","innerError"}}` and Entra ID's token-endpoint
//! `{"error","error_description","error_codes",...}`.
//!
//! Handlers decide status, code and message; this module only renders them.
//! It must never put a secret into a message.

use axum::http::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::clock;

/// A Graph error a handler answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct GraphError {
    pub status: StatusCode,
    /// Graph's machine-readable `error.code`.
    pub code: &'static str,
    /// Human-readable `error.message`; names the property at fault.
    pub message: String,
    /// Seconds for a `Retry-After` header, when the client should wait.
    pub retry_after: Option<u64>,
}

impl GraphError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        GraphError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 `BadRequest`: the request could not be read (syntax, unknown
    /// names, wrong JSON types, unsupported query options).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// 404 `ResourceNotFound`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "ResourceNotFound", message)
    }

    /// 405 for a method the addressed resource does not support.
    pub fn method_not_allowed(method: &str, what: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "BadRequest",
            format!("The HTTP method '{method}' is not supported on {what}."),
        )
    }

    /// 401 `InvalidAuthenticationToken`.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
    }

    /// 429 `TooManyRequests`, with `Retry-After` when `retry_after` is set.
    pub fn throttled(retry_after: Option<u64>) -> Self {
        let message = match retry_after {
            Some(secs) => format!("Too many requests. Retry after {secs} seconds."),
            None => "Too many requests.".to_owned(),
        };
        GraphError {
            retry_after,
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", message)
        }
    }

    /// A server-side failure with the code Graph uses for `status`.
    pub fn server(status: StatusCode, retry_after: Option<u64>) -> Self {
        let (code, message) = match status.as_u16() {
            500 => ("InternalServerError", "An internal server error occurred."),
            502 => ("BadGateway", "The gateway received an invalid response."),
            503 => (
                "ServiceUnavailable",
                "The service is temporarily unavailable. Retry later.",
            ),
            504 => (
                "GatewayTimeout",
                "The gateway timed out waiting for the service.",
            ),
            _ => ("UnknownError", "The service failed to process the request."),
        };
        GraphError {
            retry_after,
            ..Self::new(status, code, message)
        }
    }

    /// The JSON body, with `innerError` naming this request's ids.
    pub fn body(&self, request_id: &str, client_request_id: &str, now: OffsetDateTime) -> Value {
        json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "date": clock::inner_error_date(now),
                    "request-id": request_id,
                    "client-request-id": client_request_id,
                }
            }
        })
    }
}

/// An Entra ID token-endpoint error (OAuth 2.0 error response plus Entra's
/// extra members).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {error}: AADSTS{aadsts}: {description}")]
pub struct EntraError {
    pub status: StatusCode,
    /// OAuth `error` (`invalid_client`, `invalid_scope`, ...).
    pub error: &'static str,
    /// The AADSTS number, also listed in `error_codes`.
    pub aadsts: u32,
    /// Text after `AADSTSnnnn: `; never contains a secret.
    pub description: String,
}

impl EntraError {
    pub fn new(
        status: StatusCode,
        error: &'static str,
        aadsts: u32,
        description: impl Into<String>,
    ) -> Self {
        EntraError {
            status,
            error,
            aadsts,
            description: description.into(),
        }
    }

    /// The JSON body; the description ends, as Entra's does, with the trace
    /// and correlation ids and the time.
    pub fn body(&self, now: OffsetDateTime) -> Value {
        let trace_id = uuid::Uuid::new_v4().to_string();
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let timestamp = clock::entra_timestamp(now);
        json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}",
                self.aadsts, self.description
            ),
            "error_codes": [self.aadsts],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.aadsts),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn graph_error_shape() {
        let body =
            GraphError::not_found("gone").body("r-1", "c-1", datetime!(2026-01-02 03:04:05 UTC));
        assert_eq!(
            body,
            json!({"error": {"code": "ResourceNotFound", "message": "gone", "innerError": {
                "date": "2026-01-02T03:04:05", "request-id": "r-1", "client-request-id": "c-1"}}})
        );
    }

    #[test]
    fn server_error_codes() {
        let cases = [
            (500, "InternalServerError"),
            (502, "BadGateway"),
            (503, "ServiceUnavailable"),
            (504, "GatewayTimeout"),
            (507, "UnknownError"),
        ];
        for (status, code) in cases {
            let status = StatusCode::from_u16(status).expect("valid status");
            assert_eq!(GraphError::server(status, None).code, code);
        }
    }

    #[test]
    fn entra_error_shape() {
        let error = EntraError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided.",
        );
        let body = error.body(datetime!(2026-01-02 03:04:05 UTC));
        assert_eq!(body["error"], "invalid_client");
        assert_eq!(body["error_codes"], json!([7000215]));
        assert_eq!(body["timestamp"], "2026-01-02 03:04:05Z");
        let description = body["error_description"].as_str().expect("description");
        assert!(
            description.starts_with("AADSTS7000215: Invalid client secret provided. Trace ID: ")
        );
        assert!(uuid::Uuid::parse_str(body["trace_id"].as_str().expect("trace id")).is_ok());
    }
}
