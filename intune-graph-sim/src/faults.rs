//! Injected failures: throttling, server errors, dropped connections, token
//! endpoint outages, Graph's read-after-write delay and lost list pages. Each armed fault
//! applies to the next `count` matching requests, then disarms.
//!
//! This module only decides *whether* a request fails and how; rendering the
//! failure is the router's job.

use axum::http::StatusCode;
use serde::Deserialize;

/// A failure to inject (see [`super::Simulator::inject`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Fault {
    /// Graph answers 429 `TooManyRequests`, with `Retry-After` when set.
    Throttle {
        count: u32,
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    /// Graph answers `status` (meant for 500/502/503/504; any 4xx/5xx is
    /// used as given, anything else becomes 500), with `Retry-After` when set.
    ServerError {
        count: u32,
        status: u16,
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    /// The next `count` item GETs of objects created or updated over HTTP
    /// after this fault was injected answer 404, as during Graph's
    /// replication delay. Lists, assignments and out-of-band edits are not
    /// affected.
    ReadAfterWrite404 { count: u32 },
    /// The connection is closed without a response, before the request
    /// is handled (nothing changes).
    DropConnection { count: u32 },
    /// The request is handled, then the connection is closed without a
    /// response, as when a gateway times out after Graph did the work: the
    /// client cannot know whether its write happened.
    LoseResponse { count: u32 },
    /// The request is handled, then answered with `status` (504 by
    /// default) instead of its result, as when a gateway gives up after
    /// Graph did the work: the write happened although the answer says it
    /// failed.
    FailAfterHandling {
        count: u32,
        #[serde(default = "gateway_timeout")]
        status: u16,
    },
    /// The request is handled, then answered with its success status and
    /// an empty JSON object instead of the result (a truncated body, a
    /// misbehaving proxy): a create's client cannot tell what was made.
    EmptyAnswer { count: u32 },
    /// The request is handled, and its answer is sent `delay_ms` later, as
    /// from a slow gateway: a client can be stopped while its write is in
    /// flight.
    SlowResponse { count: u32, delay_ms: u64 },
    /// The token endpoint answers 500 `temporarily_unavailable`.
    TokenError { count: u32 },
    /// The next `count` requests that follow an `@odata.nextLink` (their
    /// query has a `$skiptoken`) answer 404, as when a skip token expired
    /// or a replica lost the page; first pages are not affected.
    NextLinkNotFound { count: u32 },
}

fn gateway_timeout() -> u16 {
    504
}

impl Fault {
    fn count(&self) -> u32 {
        match self {
            Fault::Throttle { count, .. }
            | Fault::ServerError { count, .. }
            | Fault::ReadAfterWrite404 { count }
            | Fault::DropConnection { count }
            | Fault::LoseResponse { count }
            | Fault::FailAfterHandling { count, .. }
            | Fault::EmptyAnswer { count }
            | Fault::SlowResponse { count, .. }
            | Fault::TokenError { count }
            | Fault::NextLinkNotFound { count } => *count,
        }
    }
}

/// What the router must do instead of handling a Graph request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Answer 429.
    Throttle { retry_after: Option<u64> },
    /// Answer this server error.
    Fail {
        status: StatusCode,
        retry_after: Option<u64>,
    },
    /// Close the connection without answering.
    Drop,
    /// Handle the request, then close the connection without answering.
    LoseResponse,
    /// Handle the request, then answer this error instead.
    FailAfterHandling { status: StatusCode },
    /// Handle the request, then answer `{}` with its success status.
    EmptyAnswer,
    /// Handle the request, then wait this long before answering.
    Delay { millis: u64 },
}

#[derive(Debug)]
struct Armed {
    fault: Fault,
    /// Only requests with this method (upper-case); `None`: any method.
    method: Option<String>,
    remaining: u32,
    /// For `ReadAfterWrite404`: ids written since it was armed.
    hidden: Vec<String>,
}

/// Armed faults, in the order they were injected.
#[derive(Debug, Default)]
pub struct FaultQueue {
    armed: Vec<Armed>,
}

impl FaultQueue {
    /// Arms `fault`, optionally only for requests with `method`.
    pub fn push(&mut self, fault: Fault, method: Option<&str>) {
        let remaining = fault.count();
        if remaining == 0 {
            return;
        }
        self.armed.push(Armed {
            fault,
            method: method.map(str::to_ascii_uppercase),
            remaining,
            hidden: Vec::new(),
        });
    }

    pub fn clear(&mut self) {
        self.armed.clear();
    }

    /// The action for a Graph request with `method`, consuming one use of the
    /// first matching fault.
    pub fn take_graph(&mut self, method: &str) -> Option<Action> {
        let index = self.armed.iter().position(|armed| {
            matches!(
                armed.fault,
                Fault::Throttle { .. }
                    | Fault::ServerError { .. }
                    | Fault::DropConnection { .. }
                    | Fault::LoseResponse { .. }
                    | Fault::FailAfterHandling { .. }
                    | Fault::EmptyAnswer { .. }
                    | Fault::SlowResponse { .. }
            ) && armed
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
        })?;
        let action = match &self.armed.get(index)?.fault {
            Fault::Throttle {
                retry_after_secs, ..
            } => Action::Throttle {
                retry_after: *retry_after_secs,
            },
            Fault::ServerError {
                status,
                retry_after_secs,
                ..
            } => Action::Fail {
                status: StatusCode::from_u16(*status)
                    .ok()
                    .filter(|s| s.is_client_error() || s.is_server_error())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                retry_after: *retry_after_secs,
            },
            Fault::LoseResponse { .. } => Action::LoseResponse,
            Fault::FailAfterHandling { status, .. } => Action::FailAfterHandling {
                status: StatusCode::from_u16(*status)
                    .ok()
                    .filter(|s| s.is_client_error() || s.is_server_error())
                    .unwrap_or(StatusCode::GATEWAY_TIMEOUT),
            },
            Fault::EmptyAnswer { .. } => Action::EmptyAnswer,
            Fault::SlowResponse { delay_ms, .. } => Action::Delay { millis: *delay_ms },
            _ => Action::Drop,
        };
        self.consume(index);
        Some(action)
    }

    /// Whether a token request fails, consuming one use of a `TokenError`.
    pub fn take_token(&mut self) -> bool {
        match self
            .armed
            .iter()
            .position(|armed| matches!(armed.fault, Fault::TokenError { .. }))
        {
            Some(index) => {
                self.consume(index);
                true
            }
            None => false,
        }
    }

    /// Whether a request with `method` that follows a next link must answer
    /// 404 now (consumes one use of a `NextLinkNotFound`).
    pub fn take_next_link_404(&mut self, method: &str) -> bool {
        match self.armed.iter().position(|armed| {
            matches!(armed.fault, Fault::NextLinkNotFound { .. })
                && armed
                    .method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
        }) {
            Some(index) => {
                self.consume(index);
                true
            }
            None => false,
        }
    }

    /// Records that object `id` was created or updated over HTTP.
    pub fn written(&mut self, id: &str) {
        for armed in &mut self.armed {
            if matches!(armed.fault, Fault::ReadAfterWrite404 { .. }) {
                armed.hidden.push(id.to_ascii_lowercase());
            }
        }
    }

    /// Whether a GET of object `id` must answer 404 now (consumes one use).
    pub fn take_read_404(&mut self, id: &str) -> bool {
        let id = id.to_ascii_lowercase();
        match self.armed.iter().position(|armed| {
            matches!(armed.fault, Fault::ReadAfterWrite404 { .. }) && armed.hidden.contains(&id)
        }) {
            Some(index) => {
                self.consume(index);
                true
            }
            None => false,
        }
    }

    fn consume(&mut self, index: usize) {
        if let Some(armed) = self.armed.get_mut(index) {
            armed.remaining = armed.remaining.saturating_sub(1);
            if armed.remaining == 0 {
                self.armed.remove(index);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_apply_in_order_and_disarm() {
        let mut queue = FaultQueue::default();
        queue.push(
            Fault::Throttle {
                count: 1,
                retry_after_secs: Some(2),
            },
            None,
        );
        queue.push(
            Fault::ServerError {
                count: 2,
                status: 503,
                retry_after_secs: None,
            },
            Some("post"),
        );
        queue.push(Fault::DropConnection { count: 0 }, None);
        let throttle = Some(Action::Throttle {
            retry_after: Some(2),
        });
        let unavailable = Some(Action::Fail {
            status: StatusCode::SERVICE_UNAVAILABLE,
            retry_after: None,
        });
        let steps = [
            ("GET", throttle),
            ("GET", None),
            ("POST", unavailable.clone()),
            ("PATCH", None),
            ("POST", unavailable),
            ("POST", None),
        ];
        for (method, expected) in steps {
            assert_eq!(queue.take_graph(method), expected, "{method}");
        }
        assert!(!queue.take_token());
    }

    #[test]
    fn odd_statuses() {
        let cases = [
            (504, StatusCode::GATEWAY_TIMEOUT),
            (409, StatusCode::CONFLICT),
            (200, StatusCode::INTERNAL_SERVER_ERROR),
        ];
        for (status, expected) in cases {
            let mut queue = FaultQueue::default();
            queue.push(
                Fault::ServerError {
                    count: 1,
                    status,
                    retry_after_secs: None,
                },
                None,
            );
            assert_eq!(
                queue.take_graph("GET"),
                Some(Action::Fail {
                    status: expected,
                    retry_after: None
                })
            );
        }
    }

    #[test]
    fn token_faults_do_not_touch_graph() {
        let mut queue = FaultQueue::default();
        queue.push(Fault::TokenError { count: 1 }, None);
        assert_eq!(queue.take_graph("GET"), None);
        assert!(queue.take_token());
        assert!(!queue.take_token());
    }

    #[test]
    fn read_after_write_hides_only_later_writes() {
        let mut queue = FaultQueue::default();
        queue.written("before");
        queue.push(Fault::ReadAfterWrite404 { count: 2 }, None);
        queue.written("A");
        assert!(!queue.take_read_404("before"));
        assert!(queue.take_read_404("a"));
        assert!(queue.take_read_404("a"));
        assert!(!queue.take_read_404("a"));
    }

    #[test]
    fn admin_json_shape() {
        let fault: Fault = serde_json::from_str(
            r#"{"kind":"serverError","count":1,"status":503,"retryAfterSecs":4}"#,
        )
        .expect("parses");
        assert_eq!(
            fault,
            Fault::ServerError {
                count: 1,
                status: 503,
                retry_after_secs: Some(4)
            }
        );
        let fault: Fault =
            serde_json::from_str(r#"{"kind":"readAfterWrite404","count":3}"#).expect("parses");
        assert_eq!(fault, Fault::ReadAfterWrite404 { count: 3 });
        let fault: Fault =
            serde_json::from_str(r#"{"kind":"slowResponse","count":1,"delayMs":500}"#)
                .expect("parses");
        assert_eq!(
            fault,
            Fault::SlowResponse {
                count: 1,
                delay_ms: 500
            }
        );
        let next_link: Fault =
            serde_json::from_str(r#"{"kind":"nextLinkNotFound","count":1}"#).expect("parses");
        assert_eq!(next_link, Fault::NextLinkNotFound { count: 1 });
        let mut queue = FaultQueue::default();
        queue.push(next_link, None);
        assert_eq!(
            queue.take_graph("GET"),
            None,
            "not a fault of every request"
        );
        assert!(queue.take_next_link_404("GET"));
        assert!(!queue.take_next_link_404("GET"));
        let mut queue = FaultQueue::default();
        queue.push(fault, Some("POST"));
        assert_eq!(queue.take_graph("GET"), None);
        assert_eq!(
            queue.take_graph("POST"),
            Some(Action::Delay { millis: 500 })
        );
        assert_eq!(queue.take_graph("POST"), None);
    }
}
