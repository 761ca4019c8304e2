//! HTTP front of the simulator: one axum fallback that reads the whole
//! request, routes it by hand (Graph's URL forms — key segments, type casts,
//! `$ref`, case-insensitive names — do not fit a path router), applies auth,
//! faults and the write limit, calls the handler, and renders the reply with
//! Graph's headers. It also records every non-admin request.
//!
//! Handlers are synchronous and hold the state lock for their whole run, so
//! requests are serialised like writes to one tenant; nothing here awaits
//! while holding the lock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::response::Response;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::auth::Credentials;
use super::conn::Connection;
use super::errors::{EntraError, GraphError};
use super::faults::{Action, Fault};
use super::identity;
use super::odata::{self, QueryOptions};
use super::ops::{self, OpError};
use super::schema::EntityType;
use super::validate::{self, ValidationError};
use super::{RecordedRequest, Shared, State, clock};

/// Largest request body read (Graph's own limit is 4 MB).
const MAX_BODY: usize = 4 * 1024 * 1024;
/// Intune's write limit per app and tenant.
const WRITE_LIMIT: usize = 100;
const WRITE_WINDOW: Duration = Duration::from_secs(20);
/// Content type of Graph's successful JSON responses.
const GRAPH_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// The router serving everything: token endpoint, `/beta`, `/v1.0`, admin.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(entry).with_state(shared)
}

/// What a handler answers.
#[derive(Debug)]
enum Reply {
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
    fn status(&self) -> u16 {
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

impl From<ValidationError> for GraphError {
    fn from(error: ValidationError) -> Self {
        GraphError::new(StatusCode::BAD_REQUEST, error.code(), error.to_string())
    }
}

impl From<OpError> for GraphError {
    fn from(error: OpError) -> Self {
        match error {
            OpError::NotFound(id) => not_found(&id),
            OpError::Invalid(e) => e.into(),
        }
    }
}

fn not_found(id: &str) -> GraphError {
    GraphError::not_found(format!(
        "Resource not found: no device configuration has id '{id}'."
    ))
}

/// Ids echoed in headers and error bodies.
struct Ids {
    request_id: String,
    client_request_id: String,
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
            odata::percent_decode(tenant, false)
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
        form_pairs(bytes)
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

fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(bytes);
    odata::query_pairs(Some(&text)).unwrap_or_default()
}

/// Where a `/beta` request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Collection,
    Item(String),
    /// `.../{id}/microsoft.graph.{type}`
    Cast(String, String),
    Assign(String),
    Assignments(String),
    Assignment(String, String),
    /// `.../{id}/microsoft.graph.{type}/rootCertificate`
    Root(String, String),
    /// `.../{id}/microsoft.graph.{type}/rootCertificate/$ref`
    RootRef(String, String),
}

impl Target {
    /// The object a request addresses, if it addresses one.
    fn object_id(&self) -> Option<&str> {
        match self {
            Target::Collection => None,
            Target::Item(id)
            | Target::Cast(id, _)
            | Target::Assign(id)
            | Target::Assignments(id)
            | Target::Assignment(id, _)
            | Target::Root(id, _)
            | Target::RootRef(id, _) => Some(id),
        }
    }
}

fn segment_missing(segment: &str) -> GraphError {
    GraphError::bad_request(format!("Resource not found for the segment '{segment}'."))
}

fn parse_target(segments: &[&str]) -> Result<Target, GraphError> {
    let is = |segment: &str, name: &str| segment.eq_ignore_ascii_case(name);
    let Some((first, rest)) = segments.split_first() else {
        return Err(GraphError::bad_request(
            "The simulator serves /beta/deviceManagement/deviceConfigurations.",
        ));
    };
    if !is(first, "deviceManagement") {
        return Err(segment_missing(first));
    }
    let Some((collection, rest)) = rest.split_first() else {
        return Err(GraphError::bad_request(
            "The simulator serves only /beta/deviceManagement/deviceConfigurations, not deviceManagement itself.",
        ));
    };
    let (name, key) = odata::key_segment(collection).ok_or_else(|| segment_missing(collection))?;
    if !is(&name, "deviceConfigurations") {
        return Err(segment_missing(&name));
    }
    let (id, rest) = match (key, rest) {
        (Some(key), rest) => (key, rest),
        (None, []) => return Ok(Target::Collection),
        (None, [id, rest @ ..]) => (
            odata::percent_decode(id, false).ok_or_else(|| segment_missing(id))?,
            rest,
        ),
    };
    let cast = |segment: &str| {
        odata::percent_decode(segment, false)
            .filter(|s| s.starts_with("microsoft.graph."))
            .map(|s| s.trim_start_matches("microsoft.graph.").to_owned())
    };
    match rest {
        [] => Ok(Target::Item(id)),
        [action] if is(action, "assign") || is(action, "microsoft.graph.assign") => {
            Ok(Target::Assign(id))
        }
        [segment] => match odata::key_segment(segment) {
            Some((name, None)) if is(&name, "assignments") => Ok(Target::Assignments(id)),
            Some((name, Some(key))) if is(&name, "assignments") => Ok(Target::Assignment(id, key)),
            _ => cast(segment)
                .map(|t| Target::Cast(id, t))
                .ok_or_else(|| nav_or_missing(segment)),
        },
        [segment, assignment] if is(segment, "assignments") => Ok(Target::Assignment(
            id,
            odata::percent_decode(assignment, false).ok_or_else(|| segment_missing(assignment))?,
        )),
        [type_cast, nav] if is(nav, validate::ROOT_CERTIFICATE) => cast(type_cast)
            .map(|t| Target::Root(id, t))
            .ok_or_else(|| segment_missing(type_cast)),
        [type_cast, nav, reference]
            if is(nav, validate::ROOT_CERTIFICATE) && *reference == "$ref" =>
        {
            cast(type_cast)
                .map(|t| Target::RootRef(id, t))
                .ok_or_else(|| segment_missing(type_cast))
        }
        [segment, ..] => Err(nav_or_missing(segment)),
    }
}

fn nav_or_missing(segment: &str) -> GraphError {
    if segment.eq_ignore_ascii_case(validate::ROOT_CERTIFICATE) {
        GraphError::bad_request(
            "Could not find a property named 'rootCertificate' on type 'microsoft.graph.deviceConfiguration'; it is declared on derived types, so address it with a type cast: .../deviceConfigurations/{id}/microsoft.graph.{type}/rootCertificate.",
        )
    } else {
        segment_missing(segment)
    }
}

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

/// One authenticated `/beta` request.
struct GraphRequest<'a> {
    shared: &'a Shared,
    method: Method,
    headers: &'a HeaderMap,
    query: Option<&'a str>,
    bytes: &'a Bytes,
    now: OffsetDateTime,
}

type Handled = Result<Reply, GraphError>;

impl GraphRequest<'_> {
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

    fn base(&self) -> &str {
        &self.shared.base_url
    }

    fn collection_context(&self) -> String {
        format!(
            "{}/beta/$metadata#deviceManagement/deviceConfigurations",
            self.base()
        )
    }

    fn options(&self, allowed: &[&str]) -> Result<QueryOptions, GraphError> {
        odata::parse_query(self.shared.schema, self.query, allowed)
    }

    /// The body as a JSON object; a body must be declared as JSON.
    fn json_body(&self) -> Result<Map<String, Value>, GraphError> {
        if !self.bytes.iter().all(u8::is_ascii_whitespace) {
            let is_json = header_text(self.headers, "content-type").is_some_and(|ct| {
                ct.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
            if !is_json {
                return Err(GraphError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "UnsupportedMediaType",
                    "The request body must be sent with Content-Type: application/json.",
                ));
            }
        }
        Ok(validate::parse_object(self.bytes)?)
    }

    /// `$expand` may name only `assignments`.
    fn expands_assignments(&self, options: &QueryOptions) -> Result<bool, GraphError> {
        let mut assignments = false;
        for item in options.expand.iter().flatten() {
            if item.eq_ignore_ascii_case("assignments") {
                assignments = true;
            } else if item.eq_ignore_ascii_case(validate::ROOT_CERTIFICATE) {
                return Err(GraphError::bad_request(
                    "$expand=rootCertificate is not supported by the simulator (Graph's behaviour is unverified); read GET .../deviceConfigurations/{id}/microsoft.graph.{type}/rootCertificate instead.",
                ));
            } else {
                return Err(GraphError::bad_request(format!(
                    "Could not find a navigation property named '{item}' to expand; the simulator expands only 'assignments'."
                )));
            }
        }
        Ok(assignments)
    }

    /// Checks `$select` names against `entity` (the collection's base type for lists).
    fn check_select(&self, options: &QueryOptions, entity: &EntityType) -> Result<(), GraphError> {
        for name in options.select.iter().flatten() {
            if entity.property(name).is_none() {
                return Err(GraphError::bad_request(format!(
                    "Could not find a property named '{name}' on type 'microsoft.graph.{}'.",
                    entity.name
                )));
            }
        }
        Ok(())
    }

    fn shape(
        &self,
        object: &super::store::StoredObject,
        options: &QueryOptions,
        expand: bool,
    ) -> Value {
        let mut body = match object.representation() {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        if let Some(select) = &options.select {
            body.retain(|key, _| key == "@odata.type" || select.iter().any(|s| s == key));
        }
        if expand {
            body.insert(
                "assignments".into(),
                Value::Array(object.assignments.clone()),
            );
        }
        Value::Object(body)
    }

    fn list(&self, state: &mut State) -> Handled {
        let options = self.options(odata::LIST_OPTIONS)?;
        let expand = self.expands_assignments(&options)?;
        let schema = self.shared.schema;
        let base_type = schema
            .entity("deviceConfiguration")
            .ok_or_else(|| GraphError::server(StatusCode::INTERNAL_SERVER_ERROR, None))?;
        self.check_select(&options, base_type)?;
        let State {
            store, replication, ..
        } = state;
        let mut hidden = Vec::new();
        let matching: Vec<Value> = store
            .list()
            .iter()
            .filter(|o| {
                options
                    .filter
                    .as_ref()
                    .is_none_or(|f| f.matches(schema, &o.type_name, o.display_name()))
            })
            .filter(|o| {
                let hide = replication.hides_in_list(&o.id);
                if hide {
                    hidden.push(o.id.clone());
                }
                !hide
            })
            .map(|o| self.shape(o, &options, expand))
            .collect();
        let (page, next) = odata::page(
            &matching,
            options.skip.unwrap_or(0),
            options.top,
            self.shared.config.page_size,
        );
        // A listing counts once it is read to its end, so every page of
        // one listing leaves out the same objects and no item shifts.
        if next.is_none() {
            for id in &hidden {
                replication.listed(id);
            }
        }
        let mut body = json!({ "@odata.context": self.collection_context(), "value": page });
        if let Some(offset) = next {
            body["@odata.nextLink"] = Value::String(odata::next_link(
                self.base(),
                "/beta/deviceManagement/deviceConfigurations",
                self.query,
                offset,
            ));
        }
        Ok(Reply::Json(StatusCode::OK, body))
    }

    fn create(&self, state: &mut State) -> Handled {
        self.options(&[])?;
        let body = self.json_body()?;
        let id = ops::create(self.shared.schema, &mut state.store, &body, self.now)?;
        state.faults.written(&id);
        state
            .replication
            .created(&id, self.shared.config.consistency);
        let object = state.store.get(&id).ok_or_else(|| not_found(&id))?;
        let mut response = object.representation();
        response["@odata.context"] =
            Value::String(format!("{}/$entity", self.collection_context()));
        Ok(Reply::Json(StatusCode::CREATED, response))
    }

    fn get(&self, state: &mut State, id: &str, cast: Option<&String>) -> Handled {
        let options = self.options(odata::ITEM_OPTIONS)?;
        let expand = self.expands_assignments(&options)?;
        if let Some(cast) = cast {
            self.cast_type(cast)?;
        }
        if state.faults.take_read_404(id) {
            return Err(not_found(id));
        }
        let object = state.store.get(id).ok_or_else(|| not_found(id))?;
        if let Some(cast) = cast {
            if !self.shared.schema.entity_is_a(&object.type_name, cast) {
                return Err(not_found(id));
            }
        }
        let entity = self
            .shared
            .schema
            .entity(&object.type_name)
            .ok_or_else(|| not_found(id))?;
        self.check_select(&options, entity)?;
        let mut body = self.shape(object, &options, expand);
        body["@odata.context"] = Value::String(format!("{}/$entity", self.collection_context()));
        if expand {
            body["assignments@odata.context"] = Value::String(self.assignments_context(&object.id));
        }
        Ok(Reply::Json(StatusCode::OK, body))
    }

    fn patch(&self, state: &mut State, id: &str) -> Handled {
        self.options(&[])?;
        if state.store.get(id).is_none() {
            return Err(not_found(id));
        }
        let body = if self.bytes.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            self.json_body()?
        };
        ops::update(self.shared.schema, &mut state.store, id, &body, self.now)?;
        state.faults.written(id);
        Ok(Reply::NoContent)
    }

    fn delete(&self, state: &mut State, id: &str) -> Handled {
        self.options(&[])?;
        if state.store.delete(id) {
            state.replication.forget(id);
            Ok(Reply::NoContent)
        } else {
            Err(not_found(id))
        }
    }

    fn assign(&self, state: &mut State, id: &str) -> Handled {
        self.options(&[])?;
        if state.store.get(id).is_none() {
            return Err(not_found(id));
        }
        let body = self.json_body()?;
        let items = validate::check_assign_body(self.shared.schema, &body)?;
        let list = Value::Array(items.into_iter().map(Value::Object).collect());
        let echo = self.shared.config.no_filter_echo.value();
        let assigned = ops::assign(self.shared.schema, &mut state.store, id, &list, &echo)?;
        Ok(Reply::Json(
            StatusCode::OK,
            json!({
                "@odata.context": format!("{}/beta/$metadata#Collection(microsoft.graph.deviceConfigurationAssignment)", self.base()),
                "value": assigned,
            }),
        ))
    }

    fn assignments_context(&self, id: &str) -> String {
        format!(
            "{}/beta/$metadata#deviceManagement/deviceConfigurations('{id}')/assignments",
            self.base()
        )
    }

    fn assignments(&self, state: &mut State, id: &str) -> Handled {
        let options = self.options(odata::PAGED_OPTIONS)?;
        let object = state.store.get(id).ok_or_else(|| not_found(id))?;
        let (page, next) = odata::page(
            &object.assignments,
            options.skip.unwrap_or(0),
            options.top,
            self.shared.config.page_size,
        );
        let mut body =
            json!({ "@odata.context": self.assignments_context(&object.id), "value": page });
        if let Some(offset) = next {
            let path = format!(
                "/beta/deviceManagement/deviceConfigurations/{}/assignments",
                object.id
            );
            body["@odata.nextLink"] =
                Value::String(odata::next_link(self.base(), &path, self.query, offset));
        }
        Ok(Reply::Json(StatusCode::OK, body))
    }

    fn assignment(&self, state: &mut State, id: &str, assignment_id: &str) -> Handled {
        self.options(&[])?;
        let object = state.store.get(id).ok_or_else(|| not_found(id))?;
        let found = object
            .assignments
            .iter()
            .find(|a| {
                a.get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|aid| aid.eq_ignore_ascii_case(assignment_id))
            })
            .ok_or_else(|| {
                GraphError::not_found(format!(
                    "Resource not found: profile '{id}' has no assignment '{assignment_id}'."
                ))
            })?;
        let mut body = found.clone();
        body["@odata.context"] =
            Value::String(format!("{}/$entity", self.assignments_context(&object.id)));
        Ok(Reply::Json(StatusCode::OK, body))
    }

    /// The entity type a cast segment names; it must exist and have
    /// `rootCertificate` when the request goes on to it.
    fn cast_type(&self, cast: &str) -> Result<&EntityType, GraphError> {
        self.shared.schema.entity(cast).ok_or_else(|| {
            GraphError::bad_request(format!(
                "A type named 'microsoft.graph.{cast}' could not be resolved by the model."
            ))
        })
    }

    /// The object `id` seen through `cast`, whose type must declare the
    /// root navigation; `None` inside when the cast does not match.
    fn rooted_object<'s>(
        &self,
        state: &'s State,
        id: &str,
        cast: &str,
    ) -> Result<&'s super::store::StoredObject, GraphError> {
        let cast_entity = self.cast_type(cast)?;
        if cast_entity.navigation(validate::ROOT_CERTIFICATE).is_none() {
            return Err(GraphError::bad_request(format!(
                "Could not find a property named 'rootCertificate' on type 'microsoft.graph.{cast}'."
            )));
        }
        let object = state.store.get(id).ok_or_else(|| not_found(id))?;
        if !self.shared.schema.entity_is_a(&object.type_name, cast) {
            return Err(GraphError::not_found(format!(
                "Resource not found: '{id}' is a 'microsoft.graph.{}', not a 'microsoft.graph.{cast}'.",
                object.type_name
            )));
        }
        Ok(object)
    }

    fn linked_root<'s>(
        &self,
        state: &'s State,
        id: &str,
        cast: &str,
    ) -> Result<&'s super::store::StoredObject, GraphError> {
        let object = self.rooted_object(state, id, cast)?;
        let root = object.root.as_deref().ok_or_else(|| {
            GraphError::not_found(format!(
                "Resource not found: '{id}' has no rootCertificate."
            ))
        })?;
        state.store.get(root).ok_or_else(|| {
            GraphError::not_found(format!(
                "Resource not found: the rootCertificate '{root}' of '{id}' no longer exists."
            ))
        })
    }

    fn root(&self, state: &mut State, id: &str, cast: &str) -> Handled {
        let options = self.options(&["$select"])?;
        if self.shared.config.unset_navigation_no_content
            && self.rooted_object(state, id, cast)?.root.is_none()
        {
            return Ok(Reply::NoContent);
        }
        let root = self.linked_root(state, id, cast)?;
        let mut body = self.shape(root, &options, false);
        body["@odata.context"] = Value::String(format!("{}/$entity", self.collection_context()));
        Ok(Reply::Json(StatusCode::OK, body))
    }

    fn root_ref(&self, state: &mut State, id: &str, cast: &str) -> Handled {
        self.options(&[])?;
        let root = self.linked_root(state, id, cast)?;
        Ok(Reply::Json(
            StatusCode::OK,
            json!({
                "@odata.context": format!("{}/beta/$metadata#$ref", self.base()),
                "@odata.id": format!("{}/beta/deviceManagement/deviceConfigurations('{}')", self.base(), root.id),
            }),
        ))
    }

    fn put_root_ref(&self, state: &mut State, id: &str, cast: &str) -> Handled {
        self.options(&[])?;
        self.rooted_object(state, id, cast)?;
        let body = self.json_body()?;
        if let Some(key) = body.keys().find(|k| *k != "@odata.id") {
            return Err(ValidationError::Invalid {
                path: key.clone(),
                reason: "a $ref body holds only '@odata.id'".into(),
            }
            .into());
        }
        let Some(value) = body.get("@odata.id") else {
            return Err(ValidationError::Required {
                path: "@odata.id".into(),
                type_name: "$ref".into(),
            }
            .into());
        };
        let root = validate::parse_bind_value("@odata.id", value)?;
        ops::link_root(self.shared.schema, &mut state.store, id, &root, self.now)?;
        Ok(Reply::NoContent)
    }

    fn delete_root_ref(&self, state: &mut State, id: &str, cast: &str) -> Handled {
        self.options(&[])?;
        let object = self.rooted_object(state, id, cast)?;
        if object.root.is_none() {
            return Err(GraphError::not_found(format!(
                "Resource not found: '{id}' has no rootCertificate."
            )));
        }
        state.store.set_root(id, None, self.now);
        Ok(Reply::NoContent)
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
        let fields = form_pairs(bytes)
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

fn render(reply: Reply, ids: &Ids, now: OffsetDateTime) -> Response {
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

fn render_admin(reply: (StatusCode, Option<Value>), ids: &Ids, now: OffsetDateTime) -> Response {
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
    fn targets() {
        let id = || "abc".to_owned();
        let cases: Vec<(&str, Result<Target, &str>)> = vec![
            (
                "deviceManagement/deviceConfigurations",
                Ok(Target::Collection),
            ),
            (
                "DeviceManagement/deviceconfigurations",
                Ok(Target::Collection),
            ),
            (
                "deviceManagement/deviceConfigurations/abc",
                Ok(Target::Item(id())),
            ),
            (
                "deviceManagement/deviceConfigurations('abc')",
                Ok(Target::Item(id())),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/assign",
                Ok(Target::Assign(id())),
            ),
            (
                "deviceManagement/deviceConfigurations('abc')/microsoft.graph.assign",
                Ok(Target::Assign(id())),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/assignments",
                Ok(Target::Assignments(id())),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/assignments/x",
                Ok(Target::Assignment(id(), "x".into())),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/assignments('x')",
                Ok(Target::Assignment(id(), "x".into())),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/microsoft.graph.t",
                Ok(Target::Cast(id(), "t".into())),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/microsoft.graph.t/rootCertificate",
                Ok(Target::Root(id(), "t".into())),
            ),
            (
                "deviceManagement/deviceConfigurations('abc')/microsoft.graph.t/rootCertificate/$ref",
                Ok(Target::RootRef(id(), "t".into())),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/rootCertificate",
                Err("address it with a type cast"),
            ),
            (
                "deviceManagement/resourceAccessProfiles",
                Err("segment 'resourceAccessProfiles'"),
            ),
            ("deviceManagement", Err("not deviceManagement itself")),
            ("users", Err("segment 'users'")),
            (
                "deviceManagement/deviceConfigurations/abc/deviceStatuses",
                Err("segment 'deviceStatuses'"),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/x/rootCertificate",
                Err("segment 'x'"),
            ),
        ];
        for (path, expected) in cases {
            let segments: Vec<&str> = path.split('/').collect();
            match (parse_target(&segments), expected) {
                (Ok(target), Ok(expected)) => assert_eq!(target, expected, "{path}"),
                (Err(error), Err(fragment)) => assert!(
                    error.message.contains(fragment),
                    "{path}: {}",
                    error.message
                ),
                (got, want) => panic!("{path}: got {got:?}, want {want:?}"),
            }
        }
    }

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
