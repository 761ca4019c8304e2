//! The generic certificate-profile resource: schema, validation, planning
//! and CRUD for any kind, driven by the kind's attribute table, the
//! (kind, platform) → Graph type table and the Graph model. A kind module
//! supplies only data.

mod certificate_checks;
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
use super::client::{DEFAULT_CERTIFICATE_EXPIRY_WARNING_DAYS, IntuneClient};
use super::errors::graph_failure;
use super::fields::{Field, FieldType};
use super::lookup::{self, Identity, item_path};
use super::model::GraphProfileType;
use super::platform::{self, Platform, ProfileKind};
use crate::framework::{
    Context, CreateOutcome, Diagnostic, Diagnostics, Operation, Plan, ReadOutcome, Resource, Schema,
};
use crate::graph::CallOptions;
use crate::value::Value;

/// The least time the read that confirms a create may wait for Graph to
/// show the new profile.
const CONFIRM_AT_LEAST: std::time::Duration = std::time::Duration::from_secs(60);

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

    /// Checks the configured root before a write that sets it: an error
    /// stops the write. The root may have been created moments ago by this
    /// apply, so Graph's short 404 is retried.
    async fn verify_root(
        &self,
        ctx: &Context<'_, IntuneClient>,
        gt: &GraphProfileType,
        root: &str,
        diags: &mut Diagnostics,
    ) -> bool {
        let opts = call_options(ctx).read_after_write();
        match root_link::verify(ctx.client, &opts, gt, root).await {
            Ok(()) => true,
            Err(problem) => {
                diags.push(root_link::diagnostic(
                    &problem,
                    gt,
                    self.spec.kind,
                    root,
                    false,
                ));
                false
            }
        }
    }

    /// After a create whose answer was lost: the one profile it made, if
    /// Graph shows exactly one this attempt can have made; otherwise an
    /// error that says what was found and what to do, so the user can
    /// import it rather than duplicate it.
    async fn recover_lost_create(
        &self,
        ctx: &Context<'_, IntuneClient>,
        gt: &'static GraphProfileType,
        planned: &Value,
        sent_at: std::time::SystemTime,
        error: &crate::graph::GraphError,
        diags: &mut Diagnostics,
    ) -> Option<Json> {
        let name = planned.get("display_name").as_str().unwrap_or_default();
        let what = self.label(gt, planned);
        let attempt = recover::LostCreate {
            gt,
            display_name: name,
            sent_at,
            failed_at: std::time::SystemTime::now(),
        };
        let budget = ctx.client.settings.create_recovery;
        let is_ours = |object: &Json| self.holds_planned(gt, object, planned);
        tracing::warn!(graph_type = gt.name, %error, "the create's answer was lost; looking for the profile");
        let found = recover::search(ctx.client, &attempt, budget, is_ours).await;
        let import = "terraform import <address of this resource> <id>";
        let detail = match found {
            recover::Recovery::Adopted(object) => {
                let id = object.get("id").and_then(Json::as_str).unwrap_or_default();
                tracing::warn!(id, "recovered a profile whose create answer was lost");
                diags.push(Diagnostic::warning(
                    format!("Recovered {what} after a lost answer"),
                    format!(
                        "Graph did not answer the create ({error}), but it had created the profile: {id} is now \
                         tracked in state."
                    ),
                ));
                return Some(object);
            }
            recover::Recovery::Ambiguous(ids) => format!(
                "Graph now has {} profiles of this type named {name:?} with exactly these settings, created while \
                 this create was under way ({}), so which one it made cannot be told; none was adopted. Another \
                 apply or an admin may have made the others at the same moment. Import the one this resource \
                 should manage with `{import}`; delete only those you know to be duplicates.",
                ids.len(),
                ids.join(", ")
            ),
            recover::Recovery::NotFound { waited } => format!(
                "No profile of this type named {name:?} with these settings appeared in Graph within {} (the \
                 provider setting create_recovery_timeout). The create may still show up: Graph's lists can lag \
                 behind it. Look for the profile in the Intune admin center (Devices > Configuration) or with the \
                 intune_certificate_profiles data source; if it is there, `{import}`; if it is not, apply again.",
                crate::framework::timeouts::format_duration(waited)
            ),
            recover::Recovery::Interrupted => format!(
                "Terraform was interrupted while the provider looked for the profile. Check the Intune admin \
                 center (Devices > Configuration) for a profile named {name:?}: if it exists, `{import}`; if \
                 not, apply again."
            ),
            recover::Recovery::Failed(search) => format!(
                "Looking for the profile failed too ({search}). Check the Intune admin center (Devices > \
                 Configuration) for a profile named {name:?}: if it exists, `{import}`; if not, apply again."
            ),
        };
        self.failure(diags, "create", format!("creating {what}"), error, true);
        diags.push(Diagnostic::error(
            format!("The create of {what} may have happened"),
            detail,
        ));
        None
    }

    /// Whether a listed Graph object holds exactly what `planned` asks of
    /// it: every configured property equal (under the attributes'
    /// equivalences), as a refresh would find no change. Values the plan
    /// left to Graph (unknown) match whatever Graph chose.
    fn holds_planned(&self, gt: &GraphProfileType, object: &Json, planned: &Value) -> bool {
        let Ok(state) = self.state_from_graph(gt, object, planned) else {
            return false;
        };
        let wanted = known_from(planned, &state);
        self.body(gt, &wanted, Some(&state))
            .is_ok_and(|changed| changed.is_empty())
    }

    /// Reads a profile and its root link into state; `None` when gone.
    async fn fetch(
        &self,
        ctx: &Context<'_, IntuneClient>,
        gt: &GraphProfileType,
        id: &str,
        prior: &Value,
        diags: &mut Diagnostics,
    ) -> Result<Option<Value>, ()> {
        let what = self.label(gt, prior);
        let json = match ctx
            .client
            .get(&item_path(id), &read_options(ctx, prior))
            .await
        {
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

impl ProfileResource {
    /// Reads a profile just created until Graph shows it (its replicas lag
    /// behind the create), so the next refresh cannot take Graph's delay
    /// for a deletion and plan a duplicate. The state comes from that read;
    /// the root link is the one just bound. If Graph does not show it
    /// within the create timeout, the id is kept and terraform taints it.
    async fn confirm_created(
        &self,
        ctx: &Context<'_, IntuneClient>,
        gt: &GraphProfileType,
        id: &str,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> CreateOutcome {
        let what = self.label(gt, planned);
        // The object exists: waiting for Graph to show it is worth a minute
        // even when a slow create (or a lost answer's search) has used up
        // the create timeout.
        let deadline = ctx
            .deadline
            .max(std::time::Instant::now() + CONFIRM_AT_LEAST);
        let opts = CallOptions::until(tokio::time::Instant::from_std(deadline)).read_after_write();
        let json = match ctx.client.get(&item_path(id), &opts).await {
            Ok(json) => json,
            Err(e) => {
                let (summary, why) = if e.is_not_found() {
                    (
                        format!("Created {what} but Graph does not show it yet"),
                        "Graph still answers 404 for it".to_string(),
                    )
                } else {
                    (
                        format!("Created {what} but could not read it back"),
                        format!("reading it failed: {e}"),
                    )
                };
                diags.error(
                    summary,
                    format!(
                        "Graph created {id}, but {why}. Its id is saved in state, so it is not lost: the resource \
                         is marked tainted, and the next apply replaces it (or run `terraform untaint` once the \
                         profile shows in the Intune admin center)."
                    ),
                );
                return CreateOutcome::Partial { id: id.to_string() };
            }
        };
        match self.state_from_graph(gt, &json, planned) {
            Ok(state) => CreateOutcome::Created(state),
            Err(e) => {
                diags.error(format!("Created {what} but could not read the answer"), e);
                CreateOutcome::Partial { id: id.to_string() }
            }
        }
    }
}

/// Call options for reading or deleting the object `state` describes. A
/// state without `created_date_time` comes from a create Graph had not
/// shown yet (saved tainted with its id): Graph's short 404 is still
/// retried for it, so a late replica is not taken for a deletion (and the
/// profile recreated beside it). Any other 404 means the object is gone.
fn read_options(ctx: &Context<'_, IntuneClient>, state: &Value) -> CallOptions {
    let opts = call_options(ctx);
    if state.get(schema::CREATED).is_null() && !state.get("id").is_null() {
        opts.read_after_write()
    } else {
        opts
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
impl Resource<IntuneClient> for ProfileResource {
    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.check(config, diags);
    }

    async fn plan(&self, client: Option<&IntuneClient>, plan: &mut Plan, diags: &mut Diagnostics) {
        if let Some(field) = self.spec.certificate_field() {
            let fresh = plan.prior.is_null() || plan.is_replace();
            let prior = plan.prior.get(field.name);
            if fresh || plan.planned.get(field.name) != prior {
                self.set_certificate_facts(&mut plan.planned);
            }
            let planned = plan.planned.get(field.name).as_str();
            if let Some((text, Ok(facts))) = planned.map(|t| (t, certificate::parse(t))) {
                // The certificate in Intune stays when the prior state holds
                // the same one (in whatever encoding).
                let kept = prior
                    .as_str()
                    .is_some_and(|p| certificate::same_certificate(p, text));
                let situation = certificate_checks::Situation {
                    writes: fresh || !kept,
                    allow_expired: certificate_checks::allows_expired(&plan.planned),
                    warning_days: client.map_or(DEFAULT_CERTIFICATE_EXPIRY_WARNING_DAYS, |c| {
                        c.settings.certificate_expiry_warning_days
                    }),
                    now: time::OffsetDateTime::now_utc(),
                };
                certificate_checks::check(&facts, &situation, field.name, diags);
            }
        }
        // A root known at plan time is checked now, as a warning: the plan
        // may be the one `terraform destroy` runs first, which an error
        // would block. The apply checks again, before any write.
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
            if let Err(problem) =
                root_link::verify(client, &CallOptions::within(budget), gt, root).await
            {
                diags.push(root_link::diagnostic(
                    &problem,
                    gt,
                    self.spec.kind,
                    root,
                    true,
                ));
            }
        }
    }

    async fn create(
        &self,
        ctx: &Context<'_, IntuneClient>,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> CreateOutcome {
        let Some((_, gt)) = self.graph_type_of(planned) else {
            unsupported(diags);
            return CreateOutcome::NotCreated;
        };
        let what = self.label(gt, planned);
        let root = planned
            .get(root_link::ATTRIBUTE)
            .as_str()
            .filter(|_| self.has_link(gt));
        if let Some(root) = root {
            if !self.verify_root(ctx, gt, root, diags).await {
                return CreateOutcome::NotCreated;
            }
        }
        let mut body = match self.body(gt, planned, None) {
            Ok(b) => b,
            Err(e) => {
                diags.error(format!("Cannot build the request for {what}"), e);
                return CreateOutcome::NotCreated;
            }
        };
        body.insert("@odata.type".into(), Json::from(gt.odata_type));
        if let Some(root) = root {
            body.insert(
                "rootCertificate@odata.bind".into(),
                root_link::bind_value(ctx.client, root),
            );
        }
        let sent_at = std::time::SystemTime::now();
        let answer = ctx
            .client
            .post(COLLECTION, &Json::Object(body), &call_options(ctx))
            .await;
        // An answer without the new id, or a failure that may have come
        // after Graph did the work, is searched for, never stored as
        // `id = ""` nor repeated.
        let lost = match answer {
            Ok(Some(json))
                if json
                    .get("id")
                    .and_then(Json::as_str)
                    .is_some_and(|id| !id.is_empty()) =>
            {
                Ok(json)
            }
            Ok(_) => Err(crate::graph::GraphError::invalid_response(
                &format!("POST {COLLECTION}"),
                "the create was answered without the new profile's id",
            )),
            Err(e) if e.may_have_been_processed() => Err(e),
            Err(e) => {
                self.failure(diags, "create", format!("creating {what}"), &e, true);
                return CreateOutcome::NotCreated;
            }
        };
        let created = match lost {
            Ok(json) => json,
            Err(error) => match self
                .recover_lost_create(ctx, gt, planned, sent_at, &error, diags)
                .await
            {
                Some(object) => object,
                None => return CreateOutcome::NotCreated,
            },
        };
        let id = created
            .get("id")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string();
        tracing::info!(graph_type = gt.name, id, "created profile");
        self.confirm_created(ctx, gt, &id, planned, diags).await
    }

    async fn read(
        &self,
        ctx: &Context<'_, IntuneClient>,
        state: &Value,
        diags: &mut Diagnostics,
    ) -> ReadOutcome {
        let id = state.get("id").as_str().unwrap_or_default();
        let Some((_, gt)) = self.graph_type_of(state) else {
            diags.error(
                "Invalid state",
                "The stored platform is unknown; re-import the resource.",
            );
            return ReadOutcome::Failed;
        };
        let fetched = self.fetch(ctx, gt, id, state, diags).await;
        if let Ok(None) = fetched {
            tracing::info!(id, "profile no longer exists; removing it from state");
        }
        ReadOutcome::from_fetch(fetched)
    }

    async fn update(
        &self,
        ctx: &Context<'_, IntuneClient>,
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
            if !self.verify_root(ctx, gt, root, diags).await {
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

    async fn delete(
        &self,
        ctx: &Context<'_, IntuneClient>,
        prior: &Value,
        diags: &mut Diagnostics,
    ) {
        let id = prior.get("id").as_str().unwrap_or_default();
        match ctx
            .client
            .delete(&item_path(id), &read_options(ctx, prior))
            .await
        {
            Ok(()) => tracing::info!(id, "deleted profile"),
            Err(e) if e.is_not_found() => tracing::info!(id, "profile was already gone"),
            Err(e) => self.failure(diags, "delete", format!("deleting {id}"), &e, false),
        }
    }

    async fn import(
        &self,
        ctx: &Context<'_, IntuneClient>,
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
