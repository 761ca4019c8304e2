//! HTTP front of the simulator: one axum fallback that reads the whole
//! request, routes it by hand (Graph's URL forms — key segments, type casts,
//! `$ref`, case-insensitive names — do not fit a path router), applies auth,
//! faults and the write limit, calls the handler, and renders the reply with
//! Graph's headers. It also records every non-admin request.
//!
//! Handlers are synchronous and hold the state lock for their whole run, so
//! requests are serialised like writes to one tenant; nothing here awaits
//! while holding the lock.
//!
//! `target` parses the path into a [`Target`], `handlers` answers each
//! (target, method), `render` writes a [`Reply`] with Graph's headers.

mod handlers;
mod render;
mod target;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State as AxumState};
use axum::http::{HeaderMap, Method, StatusCode, request::Parts};
use axum::response::Response;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use self::handlers::{GraphRequest, Handled, not_found};
use self::render::{Ids, Reply, render, render_admin};
use self::target::{Target, parse_target};
use super::auth::Credentials;
use super::conn::Connection;
use super::errors::{EntraError, GraphError};
use super::faults::{Action, Fault};
use super::identity;
use super::odata;
use super::{RecordedRequest, Shared, State};

/// Largest request body read (Graph's own limit is 4 MB).
const MAX_BODY: usize = 4 * 1024 * 1024;
/// Intune's write limit per app and tenant.
const WRITE_LIMIT: usize = 100;
const WRITE_WINDOW: Duration = Duration::from_secs(20);

/// The router serving everything: token endpoint, `/beta`, `/v1.0`, admin.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(entry).with_state(shared)
}

async fn entry(
    AxumState(shared): AxumState<Arc<Shared>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let now = OffsetDateTime::now_utc();
    let ids = Ids {
        request_id: uuid::Uuid::new_v4().to_string(),
        client_request_id: header_text(&parts.headers, "client-request-id")
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
    };
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let error = GraphError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                format!("The request body exceeds {MAX_BODY} bytes."),
            );
            return render(Reply::Graph(error), &ids, now);
        }
    };
    let path = parts.uri.path().to_owned();
    if path.trim_start_matches('/').starts_with("_simulator") {
        return render_admin(super::admin::handle(&shared, &parts, &bytes), &ids, now);
    }
    let is_token = token_tenant(&path).is_some();
    let reply = api(&shared, &parts, &bytes, now);
    let status = reply.status();
    match status {
        0 => tracing::info!(target: "intune_graph_sim", "{} {} dropped", parts.method, path),
        _ => tracing::info!(target: "intune_graph_sim", "{} {} {}", parts.method, path, status),
    }
    shared.lock().requests.push(RecordedRequest {
        method: parts.method.to_string(),
        path,
        query: parts.uri.query().map(str::to_owned),
        status,
        body: recorded_body(&bytes, is_token),
        client_request_id: header_text(&parts.headers, "client-request-id").map(str::to_owned),
        user_agent: header_text(&parts.headers, "user-agent").map(str::to_owned),
    });
    if matches!(reply, Reply::Drop) {
        connection.cut();
    }
    if let Reply::Delayed(delay, _) = &reply {
        tokio::time::sleep(*delay).await;
    }
    render(reply, &ids, now)
}

fn api(shared: &Shared, parts: &Parts, bytes: &Bytes, now: OffsetDateTime) -> Reply {
    let path = parts.uri.path();
    if let Some(tenant) = token_tenant(path) {
        return token(shared, parts, &tenant, bytes);
    }
    if let Some(service) = identity::service(path) {
        let query = odata::query_pairs(parts.uri.query()).unwrap_or_default();
        let request = identity::Request {
            service,
            method: &parts.method,
            headers: &parts.headers,
            query: &query,
        };
        let mut state = shared.lock();
        if let Some(answer) = identity::handle(&shared.config, &mut state.tokens, &request) {
            return Reply::Service(answer);
        }
    }
    let mut segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if segments.len() > 1 && segments.last() == Some(&"") {
        segments.pop();
    }
    match segments.split_first() {
        Some((&"beta", rest)) => graph(shared, parts, rest, bytes, now),
        Some((&"v1.0", _)) => {
            let mut state = shared.lock();
            if let Err(e) = state.tokens.check_bearer(header_text(&parts.headers, "authorization")) {
                return e.into();
            }
            if is_write(&parts.method) {
                state.writes += 1;
            }
            GraphError::bad_request(
                "The certificate profile types exist only in Graph beta; the simulator serves /beta. (v1.0 has no trusted-root, SCEP, PKCS or imported-PFX types.)",
            )
            .into()
        }
        _ => GraphError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("No service at '{path}'; the simulator serves /beta/... and /{{tenant}}/oauth2/v2.0/token."),
        )
        .into(),
    }
}

/// The tenant of a token-endpoint path `/{tenant}/oauth2/v2.0/token`.
fn token_tenant(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        [tenant, oauth, version, token]
            if !tenant.is_empty()
                && oauth.eq_ignore_ascii_case("oauth2")
                && version.eq_ignore_ascii_case("v2.0")
                && token.eq_ignore_ascii_case("token") =>
        {
            odata::decode_segment(tenant)
        }
        _ => None,
    }
}

fn token(shared: &Shared, parts: &Parts, tenant: &str, bytes: &Bytes) -> Reply {
    if parts.method != Method::POST {
        return Reply::Entra(EntraError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900561,
            "The endpoint only accepts POST requests.",
        ));
    }
    let mut state = shared.lock();
    if state.faults.take_token() {
        return Reply::Entra(EntraError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "temporarily_unavailable",
            90033,
            "A transient error has occurred. Please try again.",
        ));
    }
    let is_form = header_text(&parts.headers, "content-type").is_some_and(|ct| {
        ct.split(';').next().is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    });
    // A body of another type reads as an empty form, as Entra treats it.
    let form = if is_form {
        match form_pairs(bytes) {
            Ok(form) => form,
            Err(error) => return Reply::Entra(error),
        }
    } else {
        Vec::new()
    };
    let credentials = Credentials {
        tenant_id: &shared.config.tenant_id,
        client_id: &shared.config.client_id,
        client_secret: &shared.config.client_secret,
        token_lifetime: shared.config.token_lifetime,
        base_url: &shared.base_url,
        trust: &shared.trust,
    };
    match state.tokens.request(&credentials, tenant, &form) {
        Ok(body) => Reply::Json(StatusCode::OK, body),
        Err(error) => Reply::Entra(error),
    }
}

/// The fields of a token request's form body. A body that is not clean
/// `application/x-www-form-urlencoded` text is refused, as Entra ID refuses
/// a request it cannot read (400 `invalid_request`, AADSTS900144), with a
/// description that names the field at fault but never shows its value,
/// which may be the secret.
fn form_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, EntraError> {
    let malformed = |problem: &dyn std::fmt::Display| {
        EntraError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            format!(
                "The request body must be application/x-www-form-urlencoded data, but {problem}."
            ),
        )
    };
    let text = std::str::from_utf8(bytes).map_err(|_| malformed(&"it is not UTF-8 text"))?;
    odata::check_form(text).map_err(|bad| malformed(&bad))?;
    serde_urlencoded::from_str(text).map_err(|error| malformed(&error))
}

/// Authenticates a `/beta` request, applies the armed faults and the write
/// limit, then hands it to its handler.
fn graph(
    shared: &Shared,
    parts: &Parts,
    segments: &[&str],
    bytes: &Bytes,
    now: OffsetDateTime,
) -> Reply {
    let mut state = shared.lock();
    if let Err(error) = state
        .tokens
        .check_bearer(header_text(&parts.headers, "authorization"))
    {
        return error.into();
    }
    let method = &parts.method;
    let mut lose_response = false;
    let mut fail_after = None;
    let mut empty_answer = false;
    let mut delay = None;
    match state.faults.take_graph(method.as_str()) {
        Some(Action::Throttle { retry_after }) => return GraphError::throttled(retry_after).into(),
        Some(Action::Fail {
            status,
            retry_after,
        }) => return GraphError::server(status, retry_after).into(),
        Some(Action::Drop) => return Reply::Drop,
        Some(Action::LoseResponse) => lose_response = true,
        Some(Action::FailAfterHandling { status }) => fail_after = Some(status),
        Some(Action::EmptyAnswer) => empty_answer = true,
        Some(Action::Delay { millis }) => delay = Some(Duration::from_millis(millis)),
        None => {}
    }
    if follows_next_link(parts.uri.query()) && state.faults.take_next_link_404(method.as_str()) {
        return GraphError::not_found(
            "The page this $skiptoken pointed at is no longer available.",
        )
        .into();
    }
    if is_write(method) {
        if shared.config.enforce_write_limit {
            if let Some(wait) = write_limit_wait(&mut state) {
                return GraphError::throttled(Some(wait)).into();
            }
        }
        state.writes += 1;
    }
    let request = GraphRequest {
        shared,
        method: method.clone(),
        headers: &parts.headers,
        query: parts.uri.query(),
        bytes,
        now,
    };
    let result = parse_target(segments).and_then(|target| request.dispatch(&mut state, target));
    let reply = match result {
        Ok(_) if lose_response => Reply::Drop,
        Ok(reply) => match (fail_after, reply) {
            (Some(status), _) => GraphError::server(status, None).into(),
            (None, Reply::Json(status, _)) if empty_answer => Reply::Json(status, json!({})),
            (None, reply) => reply,
        },
        Err(error) => error.into(),
    };
    match delay {
        Some(delay) => Reply::Delayed(delay, Box::new(reply)),
        None => reply,
    }
}

fn is_write(method: &Method) -> bool {
    [Method::POST, Method::PATCH, Method::PUT, Method::DELETE].contains(method)
}

/// Seconds to wait when this write would exceed Intune's limit; records the
/// write otherwise.
fn write_limit_wait(state: &mut State) -> Option<u64> {
    let now = Instant::now();
    while state
        .write_window
        .front()
        .is_some_and(|t| now.duration_since(*t) >= WRITE_WINDOW)
    {
        state.write_window.pop_front();
    }
    if state.write_window.len() >= WRITE_LIMIT {
        let oldest = state.write_window.front().copied().unwrap_or(now);
        let wait = WRITE_WINDOW.saturating_sub(now.duration_since(oldest));
        return Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
    }
    state.write_window.push_back(now);
    None
}

impl GraphRequest<'_> {
    /// Calls the handler for `target` and the request's method (405 for a
    /// method the target does not take), after the replication check.
    fn dispatch(&self, state: &mut State, target: Target) -> Handled {
        let m = &self.method;
        // A new object is not on every replica yet (see `replication`).
        if let (&Method::GET, Some(id)) = (m, target.object_id()) {
            if state.store.get(id).is_some() && state.replication.hides_read(id) {
                return Err(not_found(id));
            }
        }
        match (&target, m) {
            (Target::Collection, &Method::GET) => self.list(state),
            (Target::Collection, &Method::POST) => self.create(state),
            (Target::Collection, _) => Err(GraphError::method_not_allowed(
                m.as_str(),
                "deviceConfigurations",
            )),
            (Target::Item(id), &Method::GET) => self.get(state, id, None),
            (Target::Item(id), &Method::PATCH) => self.patch(state, id),
            (Target::Item(id), &Method::DELETE) => self.delete(state, id),
            (Target::Item(_), _) => Err(GraphError::method_not_allowed(
                m.as_str(),
                "a device configuration",
            )),
            (Target::Cast(id, cast), &Method::GET) => self.get(state, id, Some(cast)),
            (Target::Cast(..), _) => Err(GraphError::method_not_allowed(
                m.as_str(),
                "a type-cast device configuration",
            )),
            (Target::Assign(id), &Method::POST) => self.assign(state, id),
            (Target::Assign(_), _) => Err(GraphError::method_not_allowed(
                m.as_str(),
                "the assign action",
            )),
            (Target::Assignments(id), &Method::GET) => self.assignments(state, id),
            (Target::Assignments(_), _) => Err(GraphError::method_not_allowed(
                m.as_str(),
                "assignments in the simulator (use POST .../assign, which replaces the set)",
            )),
            (Target::Assignment(id, aid), &Method::GET) => self.assignment(state, id, aid),
            (Target::Assignment(..), _) => Err(GraphError::method_not_allowed(
                m.as_str(),
                "one assignment in the simulator (use POST .../assign)",
            )),
            (Target::Root(id, cast), &Method::GET) => self.root(state, id, cast),
            (Target::Root(..), _) => Err(GraphError::method_not_allowed(
                m.as_str(),
                "rootCertificate (use .../rootCertificate/$ref)",
            )),
            (Target::RootRef(id, cast), &Method::GET) => self.root_ref(state, id, cast),
            (Target::RootRef(id, cast), &Method::PUT) => self.put_root_ref(state, id, cast),
            (Target::RootRef(id, cast), &Method::DELETE) => self.delete_root_ref(state, id, cast),
            (Target::RootRef(..), _) => Err(GraphError::method_not_allowed(
                m.as_str(),
                "rootCertificate/$ref",
            )),
        }
    }
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The body as recorded: JSON when it parses; a token request's form as a
/// JSON object with secrets replaced.
fn recorded_body(bytes: &Bytes, is_token: bool) -> Option<Value> {
    if bytes.is_empty() {
        return None;
    }
    if is_token {
        // A form that does not decode is recorded as no fields: its pairs
        // cannot be told apart reliably enough to redact them.
        let fields = form_pairs(bytes)
            .unwrap_or_default()
            .into_iter()
            .map(|(key, value)| {
                let value = if matches!(key.as_str(), "client_secret" | "client_assertion") {
                    "[REDACTED]".to_owned()
                } else {
                    value
                };
                (key, Value::String(value))
            })
            .collect::<Map<_, _>>();
        return Some(Value::Object(fields));
    }
    Some(
        serde_json::from_slice(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())),
    )
}

/// Whether a query carries a `$skiptoken`, i.e. the request follows an
/// `@odata.nextLink`.
fn follows_next_link(query: Option<&str>) -> bool {
    odata::query_pairs(query)
        .unwrap_or_default()
        .iter()
        .any(|(key, _)| key.eq_ignore_ascii_case("$skiptoken"))
}

/// Arms a fault from the admin API's JSON.
pub fn admin_fault(state: &mut State, body: &Map<String, Value>) -> Result<(), String> {
    let method = match body.get("method") {
        None | Some(Value::Null) => None,
        Some(Value::String(m)) => Some(m.clone()),
        Some(_) => return Err("'method' must be a string such as \"GET\"".into()),
    };
    let mut fault_body = body.clone();
    fault_body.remove("method");
    let fault: Fault =
        serde_json::from_value(Value::Object(fault_body)).map_err(|e| e.to_string())?;
    state.faults.push(fault, method.as_deref());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_paths() {
        let cases = [
            ("/tenant-1/oauth2/v2.0/token", Some("tenant-1")),
            ("/tenant-1/oauth2/token", None),
            ("//oauth2/v2.0/token", None),
            ("/beta/deviceManagement", None),
        ];
        for (path, expected) in cases {
            assert_eq!(token_tenant(path).as_deref(), expected, "{path}");
        }
    }

    #[test]
    fn token_bodies_are_redacted() {
        let body = recorded_body(
            &Bytes::from_static(b"client_id=a&client_secret=s3cret&scope=x"),
            true,
        )
        .expect("body");
        assert_eq!(
            body,
            json!({"client_id": "a", "client_secret": "[REDACTED]", "scope": "x"})
        );
        assert!(!body.to_string().contains("s3cret"));
    }
}
