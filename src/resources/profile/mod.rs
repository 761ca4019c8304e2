//! The generic certificate-profile resource: schema, validation, planning
//! and CRUD for any kind, driven by the kind's attribute table, the
//! (kind, platform) → Graph type table and the Graph model. A kind module
//! supplies only data.

mod recover;
mod root_link;
mod schema;
mod state;
mod validate;

use async_trait::async_trait;
use serde_json::Value as Json;

pub use schema::{COMMON_FIELDS, platforms_with};

use super::call_options;
use super::certificate;
use super::errors::graph_failure;
use super::fields::{Field, FieldType};
use super::lookup::{self, Identity, item_path};
use super::model::GraphProfileType;
use super::platform::{self, Platform, ProfileKind};
use crate::framework::{Context, Diagnostic, Diagnostics, Operation, Plan, Resource, Schema};
use crate::graph::{CallOptions, GraphClient};
use crate::value::{AttributePath, Value};

/// Where every profile lives in Graph.
pub const COLLECTION: &str = "/deviceManagement/deviceConfigurations";

/// Whether a kind exposes Graph's `rootCertificate` link as
/// `root_certificate_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootLink {
    None,
    /// Offered where the platform's type has the link (Android/AOSP PKCS
    /// and imported profiles).
    Optional,
    /// Intune needs the root to deploy the profile (SCEP).
    Required,
}

/// A kind's data: which kind, how it is described, and its own rows.
#[derive(Debug)]
pub struct ProfileKindSpec {
    pub kind: ProfileKind,
    pub description: &'static str,
    /// Behaviour notes for the documentation page (Markdown).
    pub notes: &'static str,
    pub root_link: RootLink,
    pub fields: &'static [Field],
}

impl ProfileKindSpec {
    /// The kind's certificate attribute, when it has one (trusted
    /// certificates): it exports the certificate's facts.
    pub fn certificate_field(&self) -> Option<&'static Field> {
        self.fields
            .iter()
            .find(|f| matches!(f.ty, FieldType::Certificate))
    }
}

pub struct ProfileResource {
    spec: &'static ProfileKindSpec,
    type_name: String,
    fields: Vec<&'static Field>,
    schema: Schema,
}

impl ProfileResource {
    pub fn new(spec: &'static ProfileKindSpec) -> Self {
        let fields: Vec<&'static Field> = COMMON_FIELDS.iter().chain(spec.fields.iter()).collect();
        let schema = schema::build_schema(spec, &fields);
        ProfileResource {
            spec,
            type_name: spec.kind.resource_type(),
            fields,
            schema,
        }
    }

    /// The platform and Graph type an object of this resource is, from its
    /// `platform` attribute.
    fn graph_type_of(&self, object: &Value) -> Option<(Platform, &'static GraphProfileType)> {
        let p = Platform::from_keyword(object.get("platform").as_str()?)?;
        Some((p, platform::graph_type(self.spec.kind, p)?))
    }

    fn label(&self, gt: &GraphProfileType, object: &Value) -> String {
        match object.get("display_name").as_str() {
            Some(name) => format!("{} {name:?}", gt.name),
            None => gt.name.to_string(),
        }
    }

    fn has_link(&self, gt: &GraphProfileType) -> bool {
        self.spec.root_link != RootLink::None && gt.root_certificate_target.is_some()
    }

    fn failure(
        &self,
        diags: &mut Diagnostics,
        verb: &str,
        doing: String,
        e: &crate::graph::GraphError,
        fields: bool,
    ) {
        let summary = format!("Failed to {verb} {} profile", self.spec.kind.label());
        graph_failure(
            diags,
            &summary,
            &doing,
            e,
            if fields { &self.fields } else { &[] },
        );
    }

    /// Checks the configured root before a write that sets it.
    async fn verify_root(
        &self,
        client: &GraphClient,
        opts: &CallOptions,
        gt: &GraphProfileType,
        root: &str,
        diags: &mut Diagnostics,
    ) -> bool {
        match root_link::verify(client, opts, gt, root).await {
            Ok(()) => true,
            Err(problem) => {
                diags.push(root_link::diagnostic(&problem, gt, self.spec.kind, root));
                false
            }
        }
    }

    /// After a create whose answer was lost: the one profile it made, if
    /// Graph shows exactly one candidate; otherwise an error that says what
    /// was found, so the user can import it rather than duplicate it.
    async fn recover_lost_create(
        &self,
        ctx: &Context<'_, GraphClient>,
        gt: &GraphProfileType,
        planned: &Value,
        started: time::OffsetDateTime,
        error: &crate::graph::GraphError,
        diags: &mut Diagnostics,
    ) -> Option<Json> {
        let name = planned.get("display_name").as_str().unwrap_or_default();
        let what = self.label(gt, planned);
        let found = recover::candidates(ctx.client, &call_options(ctx), gt, name, started).await;
        match found {
            Ok(mut found) if found.len() == 1 => {
                let object = found.remove(0);
                let id = object.get("id").and_then(Json::as_str).unwrap_or_default();
                tracing::warn!(id, "recovered a profile whose create answer was lost");
                diags.push(Diagnostic::warning(
                    format!("Recovered {what} after a lost answer"),
                    format!(
                        "Graph did not answer the create ({error}), but it had created the profile: {id} is now \
                         tracked in state."
                    ),
                ));
                Some(object)
            }
            Ok(found) => {
                self.failure(diags, "create", format!("creating {what}"), error, true);
                let detail = if found.is_empty() {
                    "No matching profile exists in Graph, so the create most likely did not happen; apply again.".to_string()
                } else {
                    let ids: Vec<&str> = found
                        .iter()
                        .filter_map(|o| o.get("id").and_then(Json::as_str))
                        .collect();
                    format!(
                        "Graph now has {} profiles of this type named {name:?} created just now ({}). Import the one \
                         this resource created with `terraform import`, and delete the others.",
                        ids.len(),
                        ids.join(", ")
                    )
                };
                diags.push(Diagnostic::error(
                    format!("The create of {what} may have happened"),
                    detail,
                ));
                None
            }
            Err(_) => {
                self.failure(diags, "create", format!("creating {what}"), error, true);
                diags.push(Diagnostic::error(
                    format!("The create of {what} may have happened"),
                    format!(
                        "The connection failed after the request was sent, and looking for the profile failed too. \
                         Check the Intune admin center for a profile named {name:?} and import it if it exists."
                    ),
                ));
                None
            }
        }
    }

    /// Reads a profile and its root link into state; `None` when gone.
    async fn fetch(
        &self,
        ctx: &Context<'_, GraphClient>,
        gt: &GraphProfileType,
        id: &str,
        prior: &Value,
        diags: &mut Diagnostics,
    ) -> Result<Option<Value>, ()> {
        let what = self.label(gt, prior);
        let json = match ctx.client.get(&item_path(id), &call_options(ctx)).await {
            Ok(json) => json,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => {
                self.failure(diags, "read", format!("reading {what} ({id})"), &e, false);
                return Err(());
            }
        };
        let actual = lookup::odata_type(&json);
        if actual != gt.name {
            diags.error(
                format!("{what} changed type"),
                format!("Graph now reports {id} as a {actual}, not a {}. Remove it from state and import it again.", gt.name),
            );
            return Err(());
        }
        let mut state = match self.state_from_graph(gt, &json, prior) {
            Ok(v) => v,
            Err(e) => {
                diags.error(format!("Cannot read {what}"), e);
                return Err(());
            }
        };
        if self.has_link(gt) {
            match root_link::read(ctx.client, &call_options(ctx), gt, id).await {
                Ok(link) => {
                    let kept = prior.get(root_link::ATTRIBUTE);
                    let value = match (link, kept.as_str()) {
                        (Some(l), Some(k)) if l.eq_ignore_ascii_case(k) => kept.clone(),
                        (Some(l), _) => Value::string(l),
                        (None, _) => Value::Null,
                    };
                    state.set(root_link::ATTRIBUTE, value);
                }
                Err(e) => {
                    self.failure(
                        diags,
                        "read",
                        format!("reading the root certificate link of {what} ({id})"),
                        &e,
                        false,
                    );
                    return Err(());
                }
            }
        }
        Ok(Some(state))
    }
}

/// `planned` with every unknown value replaced by `prior`'s.
fn known_from(planned: &Value, prior: &Value) -> Value {
    let mut out = planned.clone();
    if let (Some(out), Some(prior)) = (out.as_object_mut(), prior.as_object()) {
        for (k, v) in out.iter_mut() {
            if v.is_unknown() {
                *v = prior.get(k).cloned().unwrap_or_default();
            }
        }
    }
    out
}

fn unsupported(diags: &mut Diagnostics) {
    diags.error(
        "Unsupported platform",
        "The planned platform has no Graph type; this is a bug in the provider.",
    );
}

#[async_trait]
impl Resource<GraphClient> for ProfileResource {
    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.check(config, diags);
    }

    async fn plan(&self, client: Option<&GraphClient>, plan: &mut Plan, diags: &mut Diagnostics) {
        if let Some(field) = self.spec.certificate_field() {
            let fresh = plan.prior.is_null() || plan.is_replace();
            if fresh || plan.planned.get(field.name) != plan.prior.get(field.name) {
                self.set_certificate_facts(&mut plan.planned);
            }
            let facts = plan
                .planned
                .get(field.name)
                .as_str()
                .and_then(|s| certificate::parse(s).ok());
            if let Some(facts) = facts.filter(|f| f.expired) {
                diags.push(
                    Diagnostic::warning(
                        "Certificate has expired",
                        format!(
                            "This certificate expired on {}; devices will not trust what it signs.",
                            facts.not_after
                        ),
                    )
                    .at(AttributePath::attr(field.name)),
                );
            }
        }
        // A root known at plan time is checked now; one created in the same
        // apply is checked before the first write.
        let (Some(client), Some((_, gt))) = (client, self.graph_type_of(&plan.planned)) else {
            return;
        };
        let root = plan.planned.get(root_link::ATTRIBUTE);
        let changed = plan.prior.is_null()
            || plan.is_replace()
            || root != plan.prior.get(root_link::ATTRIBUTE);
        if let (Some(root), true, true) = (root.as_str(), changed, self.has_link(gt)) {
            // Plan has no operation of its own: the read timeout bounds it.
            let budget = self.timeouts().for_operation(&plan.config, Operation::Read);
            self.verify_root(client, &CallOptions::within(budget), gt, root, diags)
                .await;
        }
    }

    async fn create(
        &self,
        ctx: &Context<'_, GraphClient>,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let Some((_, gt)) = self.graph_type_of(planned) else {
            unsupported(diags);
            return None;
        };
        let what = self.label(gt, planned);
        let root = planned
            .get(root_link::ATTRIBUTE)
            .as_str()
            .filter(|_| self.has_link(gt));
        if let Some(root) = root {
            if !self
                .verify_root(ctx.client, &call_options(ctx), gt, root, diags)
                .await
            {
                return None;
            }
        }
        let mut body = match self.body(gt, planned, None) {
            Ok(b) => b,
            Err(e) => {
                diags.error(format!("Cannot build the request for {what}"), e);
                return None;
            }
        };
        body.insert("@odata.type".into(), Json::from(gt.odata_type));
        if let Some(root) = root {
            body.insert(
                "rootCertificate@odata.bind".into(),
                root_link::bind_value(ctx.client, root),
            );
        }
        let started = time::OffsetDateTime::now_utc();
        let created = match ctx
            .client
            .post(COLLECTION, &Json::Object(body), &call_options(ctx))
            .await
        {
            Ok(Some(json)) => json,
            Ok(None) => {
                diags.error(
                    format!("Creating {what} returned no object"),
                    "Graph answered the create without a body.",
                );
                return None;
            }
            Err(e) if e.may_have_been_processed() => {
                self.recover_lost_create(ctx, gt, planned, started, &e, diags)
                    .await?
            }
            Err(e) => {
                self.failure(diags, "create", format!("creating {what}"), &e, true);
                return None;
            }
        };
        let id = created.get("id").and_then(Json::as_str).unwrap_or_default();
        tracing::info!(graph_type = gt.name, id, "created profile");
        match self.state_from_graph(gt, &created, planned) {
            Ok(state) => Some(state),
            Err(e) => {
                // The object exists: keep its id so terraform tracks (taints) it.
                diags.error(format!("Created {what} but could not read the answer"), e);
                // What Graph computes is not known; only the id is.
                let mut partial = known_from(planned, &Value::Null);
                partial.set("id", Value::string(id));
                Some(partial)
            }
        }
    }

    async fn read(
        &self,
        ctx: &Context<'_, GraphClient>,
        state: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let id = state.get("id").as_str().unwrap_or_default();
        let Some((_, gt)) = self.graph_type_of(state) else {
            diags.error(
                "Invalid state",
                "The stored platform is unknown; re-import the resource.",
            );
            return Some(state.clone());
        };
        match self.fetch(ctx, gt, id, state, diags).await {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                tracing::info!(id, "profile no longer exists; removing it from state");
                None
            }
            Err(()) => Some(state.clone()),
        }
    }

    async fn update(
        &self,
        ctx: &Context<'_, GraphClient>,
        prior: &Value,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let id = prior.get("id").as_str().unwrap_or_default().to_string();
        let Some((_, gt)) = self.graph_type_of(planned) else {
            unsupported(diags);
            return None;
        };
        let what = self.label(gt, planned);
        // `Some(Some(id))`: link to `id`; `Some(None)`: remove the link.
        let new_root = planned.get(root_link::ATTRIBUTE);
        let root_change = (self.has_link(gt) && new_root != prior.get(root_link::ATTRIBUTE))
            .then(|| new_root.as_str());
        if let Some(Some(root)) = root_change {
            if !self
                .verify_root(ctx.client, &call_options(ctx), gt, root, diags)
                .await
            {
                return None;
            }
        }
        let mut body = match self.body(gt, planned, Some(prior)) {
            Ok(b) => b,
            Err(e) => {
                diags.error(format!("Cannot build the request for {what}"), e);
                return None;
            }
        };
        if body.is_empty() && root_change.is_none() {
            // Nothing Graph holds changed (say, only timeouts): no request,
            // and what Graph computes stays as it was.
            return Some(known_from(planned, prior));
        }
        let path = item_path(&id);
        if !body.is_empty() {
            body.insert("@odata.type".into(), Json::from(gt.odata_type));
            if let Err(e) = ctx
                .client
                .patch(&path, &Json::Object(body), &call_options(ctx))
                .await
            {
                self.failure(diags, "update", format!("updating {what} ({id})"), &e, true);
                return None;
            }
        }
        let linked = match root_change {
            Some(Some(root)) => root_link::set(ctx.client, &call_options(ctx), gt, &id, root).await,
            Some(None) => root_link::unset(ctx.client, &call_options(ctx), gt, &id).await,
            None => Ok(()),
        };
        if let Err(e) = linked {
            let doing = format!("changing the root certificate link of {what} ({id})");
            self.failure(diags, "update", doing, &e, false);
            return None;
        }
        let json = match ctx
            .client
            .get(&path, &call_options(ctx).read_after_write())
            .await
        {
            Ok(json) => json,
            Err(e) => {
                self.failure(
                    diags,
                    "read",
                    format!("reading {what} ({id}) after the update"),
                    &e,
                    false,
                );
                return None;
            }
        };
        match self.state_from_graph(gt, &json, planned) {
            Ok(state) => Some(state),
            Err(e) => {
                diags.error(format!("Updated {what} but could not read it back"), e);
                None
            }
        }
    }

    async fn delete(&self, ctx: &Context<'_, GraphClient>, prior: &Value, diags: &mut Diagnostics) {
        let id = prior.get("id").as_str().unwrap_or_default();
        match ctx.client.delete(&item_path(id), &call_options(ctx)).await {
            Ok(()) => tracing::info!(id, "deleted profile"),
            Err(e) if e.is_not_found() => tracing::info!(id, "profile was already gone"),
            Err(e) => self.failure(diags, "delete", format!("deleting {id}"), &e, false),
        }
    }

    async fn import(
        &self,
        ctx: &Context<'_, GraphClient>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let kind = self.spec.kind;
        let json = match ctx.client.get(&item_path(id), &call_options(ctx)).await {
            Ok(json) => json,
            Err(e) if e.is_not_found() => {
                diags.error(
                    "Cannot import non-existent profile",
                    format!(
                        "Graph has no device configuration with id {id:?}. Check the id in the Intune admin center \
                         (the GUID in the profile's URL)."
                    ),
                );
                return None;
            }
            Err(e) => {
                graph_failure(
                    diags,
                    "Failed to import profile",
                    &format!("reading {id}"),
                    &e,
                    &[],
                );
                return None;
            }
        };
        let row = match lookup::identify(&json) {
            Identity::Certificate(row) if row.kind == kind => row,
            Identity::Certificate(row) => {
                diags.error(
                    format!("Wrong resource type for {id}"),
                    format!(
                        "{id} is a {} profile for platform {:?} ({}), not a {} profile. Import it as {} instead.",
                        row.kind.label(),
                        row.platform.keyword(),
                        row.graph_type,
                        kind.label(),
                        row.kind.resource_type()
                    ),
                );
                return None;
            }
            Identity::Other(odata) => {
                diags.error(
                    format!("Wrong resource type for {id}"),
                    lookup::not_a_certificate_profile(id, odata),
                );
                return None;
            }
        };
        let gt = platform::graph_type(kind, row.platform)?;
        // Import sees only the id: the platform comes from Graph.
        let mut prior = self.schema.block.empty_object();
        prior.set("platform", Value::string(row.platform.keyword()));
        self.fetch(ctx, gt, id, &prior, diags).await.ok().flatten()
    }
}
