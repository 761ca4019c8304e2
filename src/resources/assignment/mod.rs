//! `intune_certificate_profile_assignment`: who receives a certificate
//! profile, for a profile of any kind and platform.
//!
//! The resource owns the profile's whole assignment set, because that is
//! what Graph offers: `POST .../{id}/assign` replaces the set (one call per
//! apply that changes it, none otherwise; destroy assigns the empty set),
//! and `GET .../{id}/assignments` reads it. It must never read assignments
//! through `$expand=assignments`, which has been seen to come back empty,
//! and never write the profile itself.
//!
//! The four kinds of target are one table ([`TargetKind`]); the schema, the
//! Graph mapping and validation all come from it.
//!
//! The target model and its Graph mapping are in `target.rs`, the schema
//! and page text in `schema.rs`, the checks without Graph in `validate.rs`;
//! this file reads and writes Graph.

mod schema;
mod target;
mod validate;

use async_trait::async_trait;
use serde_json::{Value as Json, json};

use super::client::IntuneClient;
use super::errors::graph_failure;
use super::lookup::{self, Identity};
use super::platform::ProfileType;
use crate::framework::{
    Context, CreateOutcome, Diagnostic, Diagnostics, Operation, Plan, ReadOutcome, Resource,
    Schema, Timeouts,
};
use crate::graph::{CallOptions, GraphClient, GraphError};
use crate::value::{AttributePath, Value};
use schema::{NOTES, build_schema};
use target::set_targets;
pub use target::{Filter, FilterMode, Target, TargetKind, filter_from_graph, same_set, targets_of};
use validate::check;

pub const TYPE_NAME: &str = "intune_certificate_profile_assignment";

/// Why a profile id cannot be assigned.
enum ProfileProblem {
    Missing,
    NotCertificate(String),
    Graph(GraphError),
}

/// Reads the profile and checks that it is a certificate profile.
async fn check_profile(
    client: &GraphClient,
    id: &str,
    opts: &CallOptions,
) -> Result<&'static ProfileType, ProfileProblem> {
    match client.get(&lookup::item_path(id), opts).await {
        Ok(json) => match lookup::identify(&json) {
            Identity::Certificate(row) => Ok(row),
            Identity::Other(t) => Err(ProfileProblem::NotCertificate(t.to_string())),
        },
        Err(e) if e.is_not_found() => Err(ProfileProblem::Missing),
        Err(e) => Err(ProfileProblem::Graph(e)),
    }
}

/// Reports a profile that cannot be assigned: a warning at plan
/// (`at_plan`), an error at apply, before `assign`.
fn report_profile_problem(
    id: &str,
    problem: ProfileProblem,
    at_plan: bool,
    diags: &mut Diagnostics,
) {
    let path = AttributePath::attr("profile_id");
    let (summary, mut detail) = match problem {
        ProfileProblem::Missing => (
            "Certificate profile not found",
            format!(
                "Graph has no device configuration with id {id:?}. Check profile_id (the GUID in \
                 the profile's URL in the Intune admin center)."
            ),
        ),
        ProfileProblem::NotCertificate(t) => (
            "Not a certificate profile",
            lookup::not_a_certificate_profile(id, &t),
        ),
        ProfileProblem::Graph(e) if !at_plan => {
            graph_failure(
                diags,
                "Failed to read the certificate profile",
                &format!("reading profile {id}"),
                &e,
                &[],
            );
            return;
        }
        ProfileProblem::Graph(e) => (
            "Cannot check the certificate profile",
            format!("Reading profile {id}: {e}"),
        ),
    };
    if at_plan {
        detail.push_str(
            " The apply checks again before it assigns anything and stops there if this still holds. (A \
             plan reports this as a warning so that it never blocks `terraform destroy`.)",
        );
        diags.push(Diagnostic::warning(summary, detail).at(path));
    } else {
        diags.error_at(path, summary, detail);
    }
}

pub struct AssignmentResource {
    schema: Schema,
}

impl Default for AssignmentResource {
    fn default() -> Self {
        AssignmentResource::new()
    }
}

impl AssignmentResource {
    pub fn new() -> Self {
        AssignmentResource {
            schema: build_schema(),
        }
    }

    /// Behaviour notes for the documentation page (Markdown).
    pub fn notes(&self) -> &'static str {
        NOTES
    }

    /// Sends the whole set in one `assign`.
    async fn assign(
        &self,
        ctx: &Context<'_, IntuneClient>,
        profile_id: &str,
        targets: &[Target],
        opts: CallOptions,
    ) -> Result<(), GraphError> {
        let body =
            json!({ "assignments": targets.iter().map(Target::to_graph).collect::<Vec<_>>() });
        ctx.client
            .post(
                &lookup::assign_path(profile_id),
                &body,
                &opts.idempotent_post(),
            )
            .await?;
        tracing::info!(
            profile_id,
            assignments = targets.len(),
            "assigned certificate profile"
        );
        Ok(())
    }

    /// The state for `profile_id` from Graph's current assignments; `None`
    /// when the profile is gone.
    async fn read_assignments(
        &self,
        ctx: &Context<'_, IntuneClient>,
        profile_id: &str,
        prior: &Value,
        diags: &mut Diagnostics,
    ) -> Result<Option<Value>, ()> {
        let items = match ctx
            .client
            .list(
                &lookup::assignments_path(profile_id),
                &super::call_options(ctx),
            )
            .await
        {
            Ok(items) => items,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => {
                graph_failure(
                    diags,
                    "Failed to read certificate profile assignments",
                    &format!("reading the assignments of profile {profile_id}"),
                    &e,
                    &[],
                );
                return Err(());
            }
        };
        let mut targets = Vec::new();
        for item in &items {
            match Target::from_graph(item) {
                Ok(t) => targets.push(t),
                Err(what) => diags.push(Diagnostic::warning(
                    "Assignment not managed by Terraform",
                    format!(
                        "Certificate profile {profile_id} has an assignment ({}) to a {what}, which \
                         {TYPE_NAME} cannot express. The next apply that changes this resource \
                         replaces the whole assignment set and removes it.",
                        item.get("id").and_then(Json::as_str).unwrap_or("no id")
                    ),
                )),
            }
        }
        let mut state = prior.clone();
        state.set("id", Value::string(profile_id));
        state.set("profile_id", Value::string(profile_id));
        set_targets(&mut state, &targets, prior);
        Ok(Some(state))
    }
}

#[async_trait]
impl Resource<IntuneClient> for AssignmentResource {
    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check(config, diags);
    }

    async fn plan(&self, client: Option<&IntuneClient>, plan: &mut Plan, diags: &mut Diagnostics) {
        if !plan.is_create() && !plan.is_replace() {
            return;
        }
        let profile_id = plan.planned.get("profile_id").clone();
        plan.planned.set("id", profile_id.clone());
        let (Some(client), Some(id)) = (client, profile_id.as_str()) else {
            return;
        };
        let opts =
            CallOptions::within(Timeouts::default().for_operation(&plan.config, Operation::Read));
        // A warning at plan: this plan may be the one `terraform destroy`
        // runs first, which an error would block. Apply checks again
        // before it assigns anything.
        if let Err(problem) = check_profile(client, id, &opts).await {
            report_profile_problem(id, problem, true, diags);
        }
    }

    async fn create(
        &self,
        ctx: &Context<'_, IntuneClient>,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> CreateOutcome {
        let Some(profile_id) = planned.get("profile_id").as_str() else {
            diags.error(
                "Invalid plan",
                "profile_id is not known at apply; this is a provider bug.",
            );
            return CreateOutcome::NotCreated;
        };
        let targets = match targets_of(planned) {
            Ok(t) => t,
            Err(e) => {
                diags.error("Invalid plan", format!("{e}; this is a provider bug."));
                return CreateOutcome::NotCreated;
            }
        };
        // The profile may have been created moments ago in this apply:
        // Graph's short replication delay is retried.
        let opts = super::call_options(ctx).read_after_write();
        if let Err(problem) = check_profile(ctx.client, profile_id, &opts).await {
            report_profile_problem(profile_id, problem, false, diags);
            return CreateOutcome::NotCreated;
        }
        if let Err(e) = self.assign(ctx, profile_id, &targets, opts).await {
            graph_failure(
                diags,
                "Failed to assign certificate profile",
                &format!("assigning profile {profile_id}"),
                &e,
                &[],
            );
            return CreateOutcome::NotCreated;
        }
        let mut state = planned.clone();
        state.set("id", Value::string(profile_id));
        CreateOutcome::Created(state)
    }

    async fn read(
        &self,
        ctx: &Context<'_, IntuneClient>,
        state: &Value,
        diags: &mut Diagnostics,
    ) -> ReadOutcome {
        let Some(profile_id) = state
            .get("profile_id")
            .as_str()
            .or_else(|| state.get("id").as_str())
        else {
            diags.error(
                "Invalid state",
                "The state has no profile_id; import the resource again.",
            );
            return ReadOutcome::Failed;
        };
        let read = self.read_assignments(ctx, profile_id, state, diags).await;
        if let Ok(None) = read {
            tracing::info!(
                profile_id,
                "certificate profile no longer exists; removing its assignments from state"
            );
        }
        ReadOutcome::from_fetch(read)
    }

    async fn update(
        &self,
        ctx: &Context<'_, IntuneClient>,
        prior: &Value,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let profile_id = planned.get("profile_id").as_str().unwrap_or_default();
        let (before, after) = match (targets_of(prior), targets_of(planned)) {
            (Ok(b), Ok(a)) => (b, a),
            (Err(e), _) | (_, Err(e)) => {
                diags.error("Invalid plan", format!("{e}; this is a provider bug."));
                return None;
            }
        };
        if same_set(&before, &after) {
            // Only timeouts (or the spelling of an id) changed: no request.
            return Some(planned.clone());
        }
        match self
            .assign(ctx, profile_id, &after, super::call_options(ctx))
            .await
        {
            Ok(()) => Some(planned.clone()),
            Err(e) if e.is_not_found() => {
                diags.error_at(
                    AttributePath::attr("profile_id"),
                    "Certificate profile not found",
                    format!(
                        "Profile {profile_id} was deleted outside Terraform. Run terraform apply \
                         again: refresh removes this resource from state and plans it anew."
                    ),
                );
                None
            }
            Err(e) => {
                graph_failure(
                    diags,
                    "Failed to assign certificate profile",
                    &format!("assigning profile {profile_id}"),
                    &e,
                    &[],
                );
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
        let profile_id = prior.get("profile_id").as_str().unwrap_or_default();
        match self
            .assign(ctx, profile_id, &[], super::call_options(ctx))
            .await
        {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {
                tracing::info!(profile_id, "profile was already gone; nothing to unassign");
            }
            Err(e) => graph_failure(
                diags,
                "Failed to remove certificate profile assignments",
                &format!("assigning the empty set to profile {profile_id}"),
                &e,
                &[],
            ),
        }
    }

    async fn import(
        &self,
        ctx: &Context<'_, IntuneClient>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        match check_profile(ctx.client, id, &super::call_options(ctx)).await {
            Ok(_) => {}
            Err(ProfileProblem::Missing) => {
                diags.error(
                    "Cannot import non-existent profile",
                    format!(
                        "Graph has no device configuration with id {id:?}. Import the \
                         assignments by the certificate profile's id."
                    ),
                );
                return None;
            }
            Err(problem) => {
                report_profile_problem(id, problem, false, diags);
                return None;
            }
        }
        let empty = self.schema.block.empty_object();
        match self.read_assignments(ctx, id, &empty, diags).await {
            Ok(Some(state)) => Some(state),
            Ok(None) => {
                diags.error(
                    "Cannot import non-existent profile",
                    format!("Profile {id} disappeared while it was being imported."),
                );
                None
            }
            Err(()) => None,
        }
    }
}

/// Values the tests of the submodules share.
#[cfg(test)]
mod test_values {
    use super::TargetKind;
    use super::schema::{build_schema, kind_block};
    use crate::value::Value;

    pub const GROUP: &str = "11111111-aaaa-4aaa-8aaa-111111111111";
    pub const OTHER: &str = "22222222-bbbb-4bbb-8bbb-222222222222";
    pub const FILTER: &str = "33333333-cccc-4ccc-8ccc-333333333333";

    pub fn config(blocks: &[(&str, Value)]) -> Value {
        let mut v = build_schema().block.empty_object();
        v.set("profile_id", Value::string(GROUP));
        for (name, value) in blocks {
            v.set(name, value.clone());
        }
        v
    }

    pub fn block(kind: TargetKind, pairs: &[(&str, Value)]) -> Value {
        let mut b = kind_block(kind).empty_object();
        for (k, v) in pairs {
            b.set(k, v.clone());
        }
        b
    }

    pub fn s(text: &str) -> Value {
        Value::string(text)
    }
}
