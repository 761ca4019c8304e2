//! `GraphError`, the one error of the Graph client: its variants, what they
//! say about retrying, and how they print.
//!
//! Retry decisions are made from this enum (status, transport kind), never by
//! matching message text. Nothing here may carry a secret or an access token:
//! error values end up in user diagnostics. The parsers that build it live
//! next to it: `body.rs` for Graph's and Entra ID's error bodies,
//! `transport.rs` for failures that got no HTTP response.

mod body;
mod transport;

use std::fmt;

pub(crate) use body::{ResponseMeta, api_error, auth_error, excerpt, one_line, shorten};
pub(crate) use transport::transport_error;

/// What went wrong on the way to a response, which decides whether repeating
/// the request is safe and useful.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// No connection was made (refused, DNS lookup failed, unreachable, or
    /// not open within the connect timeout): the request never left, so
    /// repeating it is always safe, even for a create. Whether the host
    /// refused is [`GraphError::is_connection_refused`].
    Connect,
    /// The TLS handshake failed (untrusted or invalid certificate, protocol
    /// mismatch). Repeating will not help.
    Tls,
    /// The connection broke (reset, closed) after the request may have been
    /// sent and before a complete response arrived.
    Interrupted,
    /// One attempt got no complete response within its own time limit.
    TimedOut,
    /// The request could not be built or another local failure.
    Other,
}

/// The text of a [`GraphError::Transport`], and whether the host refused
/// the connection, which decides how long a refused call is retried
/// ([`GraphError::is_connection_refused`]). It prints and derefs as the
/// text, so it reads like the `String` it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportMessage {
    text: String,
    refused: bool,
}

impl TransportMessage {
    /// A message for a host that refused the connection.
    pub(crate) fn refused(text: impl Into<String>) -> Self {
        TransportMessage {
            text: text.into(),
            refused: true,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl From<String> for TransportMessage {
    fn from(text: String) -> Self {
        TransportMessage {
            text,
            refused: false,
        }
    }
}

impl From<&str> for TransportMessage {
    fn from(text: &str) -> Self {
        TransportMessage::from(text.to_string())
    }
}

impl fmt::Display for TransportMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::ops::Deref for TransportMessage {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

/// Everything the Graph client can fail with. The framework turns it into a
/// diagnostic; resources look at [`GraphError::is_not_found`] and
/// [`GraphError::status`].
#[derive(Debug, Clone, thiserror::Error)]
pub enum GraphError {
    /// Graph answered with a non-success status. `code` and `message` come
    /// from Graph's `{"error":{...}}` body (empty code when the body had
    /// none); `request_id` is Graph's `request-id` (body or header) and
    /// `client_request_id` the id this client sent.
    #[error("{}", describe_api(*status, code, message, request_id.as_deref(), client_request_id, date.as_deref()))]
    Api {
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
        client_request_id: String,
        date: Option<String>,
    },

    /// The Entra ID token endpoint refused to issue a token (bad credentials,
    /// unknown tenant, consent missing) or failed itself. `code` is Entra's
    /// `error` (e.g. `invalid_client`), `description` its `error_description`
    /// (which names the AADSTS code). Never contains the credential.
    #[error("{}", describe_auth(*status, code, description, trace_id.as_deref(), correlation_id.as_deref()))]
    Auth {
        status: Option<u16>,
        code: String,
        description: String,
        trace_id: Option<String>,
        correlation_id: Option<String>,
    },

    /// A sign-in method other than Entra ID's token endpoint could not
    /// produce a token: the managed identity endpoint, the Azure CLI, the
    /// GitHub Actions or Azure DevOps ID-token endpoint, a federated token
    /// file, or the client certificate. `method` names it, `message` says
    /// what went wrong and what to do; `status` is the endpoint's HTTP
    /// status when there was one. Never contains the credential.
    #[error("{method}: {message}")]
    Credential {
        method: String,
        message: String,
        status: Option<u16>,
    },

    /// No HTTP response: connection refused or reset, DNS, TLS, or one
    /// attempt ran out of time. A connect failure's message names the host
    /// and port (never the path or query).
    #[error("{message}")]
    Transport {
        kind: TransportKind,
        message: TransportMessage,
    },

    /// A later page of a list (page 2 or after, reached through
    /// `@odata.nextLink`) answered 404. The collection was there (page 1
    /// was read); what is gone is the page: an expired skip token, or a
    /// replica that lost it. So this is not [`GraphError::is_not_found`],
    /// whose 404 means "the object is gone", and a caller must not read it
    /// as "the collection's owner was deleted". Not retryable either: the
    /// same link answers the same; reading the list again starts from the
    /// first page. `error` is the page's own 404, with its request-id.
    #[error(
        "{operation}: page {page} of the list answered 404 although the list itself was found (its next link no longer works, e.g. an expired skip token); reading the list again starts afresh: {error}"
    )]
    PageNotFound {
        operation: String,
        page: usize,
        error: Box<GraphError>,
    },

    /// The call's deadline arrived while it was still being retried (or
    /// waiting for a write slot). `last` is the error of the last attempt,
    /// `None` when the deadline passed before any attempt was made.
    #[error("{operation}: gave up after {attempts} attempt(s) when the time limit ran out{}",
        match last { Some(last) => format!("; last error: {last}"), None => String::new() })]
    Timeout {
        operation: String,
        attempts: u32,
        last: Option<Box<GraphError>>,
    },

    /// [`crate::graph::GraphClient::stop`] was called (terraform's Stop RPC)
    /// while this call was waiting or in flight.
    #[error("the Graph call was cancelled because the provider is stopping")]
    Cancelled,

    /// Graph or the token endpoint answered 2xx with a body this client cannot
    /// use (not JSON, no `value` array on a page, a `@odata.nextLink` to
    /// another host, no `access_token`).
    #[error("unexpected response from {operation}: {message}")]
    InvalidResponse { operation: String, message: String },

    /// The client configuration or a call's arguments are unusable (a
    /// non-https endpoint, a path without a leading `/`). Raised before any
    /// request is sent.
    #[error("invalid Graph client configuration: {message}")]
    Config { message: String },
}

impl GraphError {
    /// True when Graph said the object does not exist (404), also when that
    /// was the last error before a retry budget ran out. A 404 on a later
    /// page of a list ([`GraphError::PageNotFound`]) is not.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// True when the host refused the connection (nothing listens on the
    /// port, or a firewall rejects it): a [`TransportKind::Connect`] failure
    /// that is retried only briefly (see [`crate::graph::RetryPolicy`]),
    /// since it seldom goes away within a call.
    pub fn is_connection_refused(&self) -> bool {
        matches!(self, GraphError::Transport { kind: TransportKind::Connect, message } if message.refused)
    }

    /// The HTTP status behind this error, looking through `Timeout`. `None`
    /// for [`GraphError::PageNotFound`], so that a status check cannot take
    /// a lost page for a missing collection.
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Api { status, .. } => Some(*status),
            GraphError::Auth { status, .. } | GraphError::Credential { status, .. } => *status,
            GraphError::Timeout { last, .. } => last.as_ref().and_then(|last| last.status()),
            _ => None,
        }
    }

    /// Graph's `request-id` (or Entra's trace id) to quote to Microsoft
    /// support, looking through `Timeout`.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            GraphError::Api { request_id, .. } => request_id.as_deref(),
            GraphError::Auth { trace_id, .. } => trace_id.as_deref(),
            GraphError::Timeout { last, .. } => last.as_ref().and_then(|last| last.request_id()),
            GraphError::PageNotFound { error, .. } => error.request_id(),
            _ => None,
        }
    }

    /// Whether repeating the same Graph request later may succeed:
    /// throttling (429), Graph's 503/504 and transient transport failures.
    /// 404 is not included; whether a 404 is retried depends on the call,
    /// not the error. Sign-in errors (`Auth`, `Credential`) are false: each
    /// flow retries its endpoint's throttling and server errors itself, so
    /// one that comes out is final.
    pub fn is_retryable(&self) -> bool {
        match self {
            GraphError::Api { status, .. } => matches!(status, 429 | 503 | 504),
            GraphError::Transport { kind, .. } => matches!(
                kind,
                TransportKind::Connect | TransportKind::Interrupted | TransportKind::TimedOut
            ),
            _ => false,
        }
    }

    /// True when the request may have been carried out although no answer
    /// came back: the connection broke after sending, an attempt timed out,
    /// or a gateway gave up (504) or got no usable answer from behind it
    /// (502). A create that fails this way may have created the object, so
    /// it is never repeated blindly.
    pub fn may_have_been_processed(&self) -> bool {
        match self {
            GraphError::Transport { kind, .. } => {
                matches!(kind, TransportKind::Interrupted | TransportKind::TimedOut)
            }
            GraphError::Api { status, .. } => matches!(status, 502 | 504),
            GraphError::Timeout { last, .. } => {
                last.as_ref().is_some_and(|l| l.may_have_been_processed())
            }
            _ => false,
        }
    }

    /// The error a retry budget gives up with: this one, its message saying
    /// how many attempts were made.
    pub(crate) fn after_attempts(self, attempts: u32) -> GraphError {
        match self {
            GraphError::Transport { kind, message } => GraphError::Transport {
                kind,
                message: TransportMessage {
                    text: format!("{}; gave up after {attempts} attempt(s)", message.text),
                    refused: message.refused,
                },
            },
            other => other,
        }
    }

    /// Shorthand for the errors this module's parsers and the client raise.
    pub(crate) fn invalid_response(operation: &str, message: impl Into<String>) -> Self {
        GraphError::InvalidResponse {
            operation: operation.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        GraphError::Config {
            message: message.into(),
        }
    }
}

fn describe_api(
    status: u16,
    code: &str,
    message: &str,
    request_id: Option<&str>,
    client_request_id: &str,
    date: Option<&str>,
) -> String {
    let mut out = format!("Graph returned HTTP {status}");
    if !code.is_empty() {
        out.push_str(&format!(" {code}"));
    }
    if !message.is_empty() {
        out.push_str(&format!(": {message}"));
    }
    out.push_str(&format!(
        " (request-id: {}, client-request-id: {client_request_id}",
        request_id.unwrap_or("none")
    ));
    if let Some(date) = date {
        out.push_str(&format!(", date: {date}"));
    }
    out.push(')');
    out
}

fn describe_auth(
    status: Option<u16>,
    code: &str,
    description: &str,
    trace_id: Option<&str>,
    correlation_id: Option<&str>,
) -> String {
    let mut out = String::from("requesting an access token from Entra ID failed");
    if let Some(status) = status {
        out.push_str(&format!(" with HTTP {status}"));
    }
    if !code.is_empty() {
        out.push_str(&format!(": {code}"));
    }
    if !description.is_empty() {
        out.push_str(&format!(": {description}"));
    }
    let ids: Vec<String> = [("trace_id", trace_id), ("correlation_id", correlation_id)]
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| format!("{name}: {value}")))
        .collect();
    if !ids.is_empty() {
        out.push_str(&format!(" ({})", ids.join(", ")));
    }
    out
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "connect",
            TransportKind::Tls => "tls",
            TransportKind::Interrupted => "interrupted",
            TransportKind::TimedOut => "timed out",
            TransportKind::Other => "other",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_failures_may_have_been_carried_out() {
        let api = |status| GraphError::Api {
            status,
            code: String::new(),
            message: String::new(),
            request_id: None,
            client_request_id: String::new(),
            date: None,
        };
        for (status, ambiguous) in [
            (502, true),
            (504, true),
            (500, false),
            (503, false),
            (400, false),
        ] {
            assert_eq!(api(status).may_have_been_processed(), ambiguous, "{status}");
        }
    }

    #[test]
    fn retryable_and_status_by_variant() {
        let api = |status| GraphError::Api {
            status,
            code: String::new(),
            message: String::new(),
            request_id: Some("rid".into()),
            client_request_id: "crid".into(),
            date: None,
        };
        let auth = |status| GraphError::Auth {
            status,
            code: String::new(),
            description: String::new(),
            trace_id: None,
            correlation_id: None,
        };
        let transport = |kind| GraphError::Transport {
            kind,
            message: "".into(),
        };
        let cases: Vec<(GraphError, bool, Option<u16>)> = vec![
            (api(429), true, Some(429)),
            (api(503), true, Some(503)),
            (api(504), true, Some(504)),
            (api(500), false, Some(500)),
            (api(502), false, Some(502)),
            (api(404), false, Some(404)),
            (api(400), false, Some(400)),
            (api(401), false, Some(401)),
            (auth(Some(429)), false, Some(429)),
            (auth(Some(500)), false, Some(500)),
            (auth(Some(400)), false, Some(400)),
            (auth(None), false, None),
            (transport(TransportKind::Connect), true, None),
            (transport(TransportKind::Interrupted), true, None),
            (transport(TransportKind::TimedOut), true, None),
            (transport(TransportKind::Tls), false, None),
            (transport(TransportKind::Other), false, None),
            (GraphError::Cancelled, false, None),
            (GraphError::config("x"), false, None),
            (GraphError::invalid_response("GET /x", "y"), false, None),
            (
                GraphError::PageNotFound {
                    operation: "GET /x".into(),
                    page: 2,
                    error: Box::new(api(404)),
                },
                false,
                None,
            ),
        ];
        for (error, retryable, status) in cases {
            assert_eq!(error.is_retryable(), retryable, "{error:?}");
            assert_eq!(error.status(), status, "{error:?}");
            assert!(!error.is_connection_refused(), "{error:?}");
        }
    }

    #[test]
    fn a_lost_later_page_is_not_a_missing_collection() {
        let page = GraphError::Api {
            status: 404,
            code: "ResourceNotFound".into(),
            message: "gone".into(),
            request_id: Some("rid-page".into()),
            client_request_id: "crid".into(),
            date: None,
        };
        assert!(page.is_not_found());
        let error = GraphError::PageNotFound {
            operation: "GET /beta/deviceManagement/deviceConfigurations".into(),
            page: 3,
            error: Box::new(page),
        };
        assert!(!error.is_not_found());
        assert!(!error.may_have_been_processed());
        assert_eq!(error.request_id(), Some("rid-page"));
        let text = error.to_string();
        assert!(
            text.starts_with("GET /beta/deviceManagement/deviceConfigurations: page 3 of the list"),
            "{text}"
        );
        assert!(text.contains("request-id: rid-page"), "{text}");
    }

    #[test]
    fn refused_connections_are_told_apart_and_count_their_attempts() {
        let refused = GraphError::Transport {
            kind: TransportKind::Connect,
            message: TransportMessage::refused("cannot connect to 127.0.0.1:9: Connection refused"),
        };
        assert!(refused.is_connection_refused());
        assert!(refused.is_retryable());
        assert!(!refused.may_have_been_processed());
        let given_up = refused.after_attempts(4);
        assert!(given_up.is_connection_refused());
        assert_eq!(
            given_up.to_string(),
            "cannot connect to 127.0.0.1:9: Connection refused; gave up after 4 attempt(s)"
        );
        let message: TransportMessage = "reset".into();
        assert_eq!(&*message, "reset");
        assert_eq!(message.as_str(), "reset");
    }

    #[test]
    fn timeout_looks_through_to_the_last_error() {
        let last = GraphError::Api {
            status: 404,
            code: "ResourceNotFound".into(),
            message: "gone".into(),
            request_id: Some("rid-7".into()),
            client_request_id: "crid".into(),
            date: None,
        };
        let error = GraphError::Timeout {
            operation: "GET /deviceManagement/deviceConfigurations/1".into(),
            attempts: 3,
            last: Some(Box::new(last)),
        };
        assert!(error.is_not_found());
        assert_eq!(error.status(), Some(404));
        assert_eq!(error.request_id(), Some("rid-7"));
        assert!(!error.is_retryable());
        assert!(error.to_string().starts_with(
            "GET /deviceManagement/deviceConfigurations/1: gave up after 3 attempt(s)"
        ));

        let error = GraphError::Timeout {
            operation: "POST /x".into(),
            attempts: 0,
            last: None,
        };
        assert_eq!(error.status(), None);
        assert!(!error.to_string().contains("last error"));
    }
}
