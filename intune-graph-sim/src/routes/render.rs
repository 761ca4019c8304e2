//! Writing a [`Reply`] as an HTTP response with Graph's (or Entra ID's)
//! content type and headers: `request-id`, `client-request-id`, `Date`,
//! `Retry-After` and, on a 401, Graph's `WWW-Authenticate`.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;
use time::OffsetDateTime;

use crate::errors::{EntraError, GraphError};
use crate::{clock, identity};

/// Content type of Graph's successful JSON responses.
const GRAPH_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// What a handler answers.
#[derive(Debug)]
pub(super) enum Reply {
    Json(StatusCode, Value),
    NoContent,
    Graph(GraphError),
    Entra(EntraError),
    /// A managed identity or ID-token endpoint's answer.
    Service(identity::Answer),
    /// Cut the connection without answering.
    Drop,
    /// Answer this, after a pause (the `SlowResponse` fault).
    Delayed(Duration, Box<Reply>),
}

impl Reply {
    /// The status to record (0 for a dropped connection).
    pub(super) fn status(&self) -> u16 {
        match self {
            Reply::Json(status, _) => status.as_u16(),
            Reply::NoContent => 204,
            Reply::Graph(e) => e.status.as_u16(),
            Reply::Entra(e) => e.status.as_u16(),
            Reply::Service(
                identity::Answer::Json(status, _) | identity::Answer::Html(status, _),
            ) => status.as_u16(),
            Reply::Drop => 0,
            Reply::Delayed(_, reply) => reply.status(),
        }
    }
}

impl From<GraphError> for Reply {
    fn from(error: GraphError) -> Self {
        Reply::Graph(error)
    }
}

/// Ids echoed in headers and error bodies.
pub(super) struct Ids {
    pub(super) request_id: String,
    pub(super) client_request_id: String,
}

/// The HTTP response for `reply`.
pub(super) fn render(reply: Reply, ids: &Ids, now: OffsetDateTime) -> Response {
    let (status, body, content_type, retry_after) = match reply {
        Reply::Json(status, body) => (status, Some(body), GRAPH_JSON, None),
        Reply::NoContent => (StatusCode::NO_CONTENT, None, GRAPH_JSON, None),
        Reply::Graph(error) => (
            error.status,
            Some(error.body(&ids.request_id, &ids.client_request_id, now)),
            "application/json",
            error.retry_after,
        ),
        Reply::Entra(error) => (
            error.status,
            Some(error.body(now)),
            "application/json; charset=utf-8",
            None,
        ),
        Reply::Service(identity::Answer::Json(status, body)) => {
            (status, Some(body), "application/json; charset=utf-8", None)
        }
        Reply::Service(identity::Answer::Html(status, page)) => {
            let mut response = Response::new(Body::from(page));
            *response.status_mut() = status;
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            set_header(headers, "date", &clock::http_date(now));
            return response;
        }
        Reply::Delayed(_, reply) => return render(*reply, ids, now),
        // Never written: the connection is cut before hyper sends it.
        Reply::Drop => (
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "application/json",
            None,
        ),
    };
    let mut response = Response::new(match &body {
        Some(body) => Body::from(body.to_string()),
        None => Body::empty(),
    });
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if body.is_some() {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    set_header(headers, "request-id", &ids.request_id);
    set_header(headers, "client-request-id", &ids.client_request_id);
    set_header(headers, "date", &clock::http_date(now));
    if let Some(seconds) = retry_after {
        set_header(headers, "retry-after", &seconds.to_string());
    }
    if status == StatusCode::UNAUTHORIZED && content_type == "application/json" {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\""),
        );
    }
    response
}

pub(super) fn render_admin(
    reply: (StatusCode, Option<Value>),
    ids: &Ids,
    now: OffsetDateTime,
) -> Response {
    let (status, body) = reply;
    match body {
        Some(body) => render(Reply::Json(status, body), ids, now),
        None => render(Reply::NoContent, ids, now),
    }
}

fn set_header(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}
