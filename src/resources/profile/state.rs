//! Between Terraform values and Graph JSON for a whole profile: the request
//! body (all set properties on create, only the changed ones on update) and
//! the state from Graph's object, which keeps the configured form of values
//! Graph holds equivalently.

use serde_json::{Map, Value as Json};

use super::schema::{CREATED, MODIFIED, VERSION};
use super::{ProfileResource, RootLink, certificate_checks, root_link};
use crate::resources::certificate;
use crate::resources::fields::{self, FieldType};
use crate::resources::model::GraphProfileType;
use crate::resources::platform;
use crate::value::Value;

impl ProfileResource {
    /// The request body for creating `planned`, or the properties that
    /// changed from `prior` when updating.
    pub(super) fn body(
        &self,
        gt: &GraphProfileType,
        planned: &Value,
        prior: Option<&Value>,
    ) -> Result<Map<String, Json>, String> {
        let mut body = Map::new();
        for field in &self.fields {
            let Some(prop) = gt.property(field.graph) else {
                continue;
            };
            let value = planned.get(field.name);
            // On create, everything configured is sent, an empty collection
            // included: left out, Graph would fill its default (["0"] for
            // scope tags) where the configuration asked for none.
            let include = match prior {
                None => value.is_known_non_null(),
                Some(prior) => value != prior.get(field.name),
            };
            if include {
                body.insert(
                    field.graph.to_string(),
                    fields::to_graph(field, prop, value)?,
                );
            }
        }
        Ok(body)
    }

    /// The Terraform state for a Graph object, keeping `prior`'s form where
    /// Graph holds the same thing. The root link is not in Graph's object;
    /// the caller sets it.
    pub(super) fn state_from_graph(
        &self,
        gt: &GraphProfileType,
        json: &Json,
        prior: &Value,
    ) -> Result<Value, String> {
        let mut state = self.schema.block.empty_object();
        let id = json
            .get("id")
            .and_then(Json::as_str)
            .ok_or("Graph's answer has no id")?;
        state.set("id", Value::string(id));
        let platform = match self.graph_type_of(prior) {
            Some((p, t)) if t.name == gt.name => p,
            _ => platform::identify(gt.name)
                .map(|r| r.platform)
                .ok_or("unknown Graph type")?,
        };
        state.set("platform", Value::string(platform.keyword()));
        for field in &self.fields {
            let value = match gt.property(field.graph) {
                Some(prop) => fields::from_graph(
                    field,
                    prop,
                    json.get(field.graph).unwrap_or(&Json::Null),
                    prior.get(field.name),
                )?,
                None if matches!(field.ty, FieldType::ObjectSet(_)) => Value::Set(Vec::new()),
                None => Value::Null,
            };
            state.set(field.name, value);
        }
        for (name, graph) in [
            (CREATED, "createdDateTime"),
            (MODIFIED, "lastModifiedDateTime"),
        ] {
            state.set(
                name,
                json.get(graph)
                    .and_then(Json::as_str)
                    .map(Value::string)
                    .unwrap_or_default(),
            );
        }
        state.set(
            VERSION,
            json.get("version")
                .and_then(Json::as_i64)
                .map(Value::int)
                .unwrap_or_default(),
        );
        // Graph's object does not carry the link; the caller's value (the
        // plan, or the prior state before `fetch` reads the link) stands.
        if self.spec.root_link != RootLink::None {
            state.set(
                root_link::ATTRIBUTE,
                prior.get(root_link::ATTRIBUTE).clone(),
            );
        }
        // Provider-only, not in Graph's object: the caller's value stands
        // (null on import).
        if self.spec.certificate_field().is_some() {
            let allow = certificate_checks::ALLOW_EXPIRED;
            state.set(allow, prior.get(allow).clone());
        }
        self.set_certificate_facts(&mut state);
        Ok(state)
    }

    /// Derives `thumbprint` and friends from the certificate attribute:
    /// known when the certificate is, unknown when it is not.
    pub(super) fn set_certificate_facts(&self, object: &mut Value) {
        let Some(field) = self.spec.certificate_field() else {
            return;
        };
        let cert = object.get(field.name).clone();
        certificate::set_facts(object, &cert);
    }
}
