//! The handlers behind each (target, method): list, create, get, patch,
//! delete, assign, assignments and the root link. Each checks its query
//! options and body, calls `ops` or the store, and answers a [`Reply`]; a
//! refusal is a [`GraphError`].

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::header_text;
use super::render::Reply;
use crate::errors::GraphError;
use crate::odata::{self, QueryOptions};
use crate::ops::{self, OpError};
use crate::schema::EntityType;
use crate::store::StoredObject;
use crate::validate::{self, ValidationError};
use crate::{Shared, State};

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

/// Graph's 404 for an id no device configuration has.
pub(super) fn not_found(id: &str) -> GraphError {
    GraphError::not_found(format!(
        "Resource not found: no device configuration has id '{id}'."
    ))
}

/// One authenticated `/beta` request.
pub(super) struct GraphRequest<'a> {
    pub(super) shared: &'a Shared,
    pub(super) method: Method,
    pub(super) headers: &'a HeaderMap,
    pub(super) query: Option<&'a str>,
    pub(super) bytes: &'a Bytes,
    pub(super) now: OffsetDateTime,
}

/// What a handler returns.
pub(super) type Handled = Result<Reply, GraphError>;

impl GraphRequest<'_> {
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

    fn shape(&self, object: &StoredObject, options: &QueryOptions, expand: bool) -> Value {
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

    pub(super) fn list(&self, state: &mut State) -> Handled {
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

    pub(super) fn create(&self, state: &mut State) -> Handled {
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

    pub(super) fn get(&self, state: &mut State, id: &str, cast: Option<&String>) -> Handled {
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

    pub(super) fn patch(&self, state: &mut State, id: &str) -> Handled {
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

    pub(super) fn delete(&self, state: &mut State, id: &str) -> Handled {
        self.options(&[])?;
        if state.store.delete(id) {
            state.replication.forget(id);
            Ok(Reply::NoContent)
        } else {
            Err(not_found(id))
        }
    }

    pub(super) fn assign(&self, state: &mut State, id: &str) -> Handled {
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

    pub(super) fn assignments(&self, state: &mut State, id: &str) -> Handled {
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

    pub(super) fn assignment(&self, state: &mut State, id: &str, assignment_id: &str) -> Handled {
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
    ) -> Result<&'s StoredObject, GraphError> {
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
    ) -> Result<&'s StoredObject, GraphError> {
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

    pub(super) fn root(&self, state: &mut State, id: &str, cast: &str) -> Handled {
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

    pub(super) fn root_ref(&self, state: &mut State, id: &str, cast: &str) -> Handled {
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

    pub(super) fn put_root_ref(&self, state: &mut State, id: &str, cast: &str) -> Handled {
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

    pub(super) fn delete_root_ref(&self, state: &mut State, id: &str, cast: &str) -> Handled {
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
