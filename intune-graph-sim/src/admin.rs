//! The unauthenticated admin API under `/_simulator/` for demos and scripts
//! driving the `intune-graph-sim` binary from outside the process: inspect
//! objects and requests, arm faults, reset.
//!
//! It is not part of Graph: its requests are neither recorded nor counted as
//! writes, and faults never apply to it.

use axum::http::{Method, StatusCode, request::Parts};
use serde_json::{Value, json};

use super::Shared;

/// Handles one admin request; returns status and optional JSON body.
pub fn handle(shared: &Shared, parts: &Parts, body: &[u8]) -> (StatusCode, Option<Value>) {
    let path = parts
        .uri
        .path()
        .trim_start_matches('/')
        .trim_end_matches('/');
    let error = |status: StatusCode, message: String| (status, Some(json!({ "error": message })));
    match (&parts.method, path) {
        (&Method::GET, "_simulator/objects") => {
            let state = shared.lock();
            let objects: Vec<Value> = state
                .store
                .list()
                .iter()
                .map(|o| o.representation())
                .collect();
            (StatusCode::OK, Some(Value::Array(objects)))
        }
        (&Method::GET, "_simulator/requests") => {
            let state = shared.lock();
            match serde_json::to_value(&state.requests) {
                Ok(requests) => (StatusCode::OK, Some(requests)),
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            }
        }
        (&Method::POST, "_simulator/faults") => {
            let parsed: Result<serde_json::Map<String, Value>, String> =
                serde_json::from_slice(body).map_err(|e| e.to_string());
            match parsed.and_then(|fault| super::routes::admin_fault(&mut shared.lock(), &fault)) {
                Ok(()) => (StatusCode::NO_CONTENT, None),
                Err(message) => error(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "{message}; expected e.g. {{\"kind\":\"throttle\",\"count\":1,\"retryAfterSecs\":2,\"method\":\"GET\"}} (kinds: throttle, serverError, readAfterWrite404, dropConnection, tokenError)"
                    ),
                ),
            }
        }
        (&Method::POST, "_simulator/reset") => {
            shared.lock().reset();
            (StatusCode::NO_CONTENT, None)
        }
        _ => error(
            StatusCode::NOT_FOUND,
            format!(
                "no admin endpoint {} /{path}; try GET /_simulator/objects, GET /_simulator/requests, POST /_simulator/faults, POST /_simulator/reset",
                parts.method
            ),
        ),
    }
}
