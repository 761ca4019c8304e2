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

use super::client::IntuneClient;
use async_trait::async_trait;
use serde_json::{Value as Json, json};

use super::errors::graph_failure;
use super::lookup::{self, Identity};
use super::platform::ProfileType;
use crate::framework::{
    Attribute, Block, Context, CreateOutcome, Diagnostic, Diagnostics, Mode, NestedBlock, Nesting,
    Operation, Plan, PlanRule, ReadOutcome, Resource, Schema, Timeouts, Validator,
};
use crate::graph::{CallOptions, GraphClient, GraphError};
use crate::value::{AttributePath, Type, Value};

pub const TYPE_NAME: &str = "intune_certificate_profile_assignment";

/// Graph's properties of a target's assignment filter.
const FILTER_ID: &str = "deviceAndAppManagementAssignmentFilterId";
const FILTER_TYPE: &str = "deviceAndAppManagementAssignmentFilterType";
/// How Graph may write "no filter" besides null and `""`.
const ZERO_GUID: &str = "00000000-0000-0000-0000-000000000000";

const DESCRIPTION: &str = "Assigns a certificate profile (trusted certificate, SCEP, PKCS or \
    imported PKCS, any platform) to groups of users or devices. The resource owns the profile's \
    whole assignment set: assignments made outside Terraform show as drift and are removed by the \
    next apply.";

const NOTES: &str = "\
Graph's `assign` action replaces a profile's whole assignment set, so each profile has at most one \
`intune_certificate_profile_assignment`: apply sends the configured set in one `POST .../assign` \
(none when nothing changed), destroy assigns the empty set, and refresh reads \
`GET .../assignments`, showing assignments added or removed outside Terraform as drift. Blocks are \
sets: their order is never a change.

An assignment filter needs both `filter_id` and `filter_type`. Graph reports \"no filter\" as a \
null, empty or all-zero filter id with type `none`; all of these read as no filter. Exclusions take \
no filter (Graph refuses one).

Checked at plan time, before anything is written: group and filter ids are GUIDs, a group is not \
both included and excluded, no group appears twice, `filter_id` and `filter_type` come together, \
and the profile exists and is a certificate profile (when its id is known at plan time; otherwise \
the check runs at apply, before the `assign`).

A SCEP or PKCS profile only works on devices that also trust its root: assign the platform's \
`intune_trusted_certificate` to the same groups.

If the profile is deleted outside Terraform, this resource leaves the state on the next refresh. \
Graph targets this resource cannot express (Configuration Manager collections) are reported as a \
warning and removed by the next apply that changes the set.";

/// The kinds of assignment target, each one block of the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    IncludeGroup,
    ExcludeGroup,
    AllLicensedUsers,
    AllDevices,
}

impl TargetKind {
    pub const ALL: [TargetKind; 4] = [
        TargetKind::IncludeGroup,
        TargetKind::ExcludeGroup,
        TargetKind::AllLicensedUsers,
        TargetKind::AllDevices,
    ];

    /// The resource's block for this kind.
    pub fn block(self) -> &'static str {
        match self {
            TargetKind::IncludeGroup => "include_group",
            TargetKind::ExcludeGroup => "exclude_group",
            TargetKind::AllLicensedUsers => "all_licensed_users",
            TargetKind::AllDevices => "all_devices",
        }
    }

    /// Graph's target type (without `#microsoft.graph.`).
    pub fn graph_type(self) -> &'static str {
        match self {
            TargetKind::IncludeGroup => "groupAssignmentTarget",
            TargetKind::ExcludeGroup => "exclusionGroupAssignmentTarget",
            TargetKind::AllLicensedUsers => "allLicensedUsersAssignmentTarget",
            TargetKind::AllDevices => "allDevicesAssignmentTarget",
        }
    }

    pub fn from_graph_type(name: &str) -> Option<TargetKind> {
        TargetKind::ALL.into_iter().find(|k| k.graph_type() == name)
    }

    fn has_group(self) -> bool {
        matches!(self, TargetKind::IncludeGroup | TargetKind::ExcludeGroup)
    }

    /// Graph refuses a filter on an exclusion.
    fn has_filter(self) -> bool {
        self != TargetKind::ExcludeGroup
    }

    /// Groups repeat (a set of blocks); the "all" targets appear at most once.
    fn nesting(self) -> Nesting {
        if self.has_group() {
            Nesting::Set
        } else {
            Nesting::Single
        }
    }

    fn description(self) -> &'static str {
        match self {
            TargetKind::IncludeGroup => {
                "A group whose members receive the profile, optionally narrowed by an assignment filter. Repeatable."
            }
            TargetKind::ExcludeGroup => {
                "A group whose members never receive the profile, even when included otherwise. Repeatable; exclusions take no filter."
            }
            TargetKind::AllLicensedUsers => {
                "Assigns the profile to all licensed users, optionally narrowed by an assignment filter. At most one."
            }
            TargetKind::AllDevices => {
                "Assigns the profile to all devices, optionally narrowed by an assignment filter. At most one."
            }
        }
    }
}

/// Whether devices matching an assignment filter receive the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterMode {
    Include,
    Exclude,
}

impl FilterMode {
    /// The `filter_type` value, also Graph's member name.
    pub fn keyword(self) -> &'static str {
        match self {
            FilterMode::Include => "include",
            FilterMode::Exclude => "exclude",
        }
    }

    pub fn from_keyword(s: &str) -> Option<FilterMode> {
        [FilterMode::Include, FilterMode::Exclude]
            .into_iter()
            .find(|m| m.keyword() == s)
    }
}

/// An assignment filter on a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub id: String,
    pub mode: FilterMode,
}

/// Graph's filter properties as a filter, or `None` for every way Graph
/// says "no filter": a null, empty or all-zero id, or a type that is not
/// `include`/`exclude` (`none`, missing, a future member).
pub fn filter_from_graph(id: Option<&Json>, mode: Option<&Json>) -> Option<Filter> {
    let id = id
        .and_then(Json::as_str)
        .filter(|id| !id.is_empty() && *id != ZERO_GUID)?;
    let mode = mode
        .and_then(Json::as_str)
        .and_then(FilterMode::from_keyword)?;
    Some(Filter {
        id: id.to_string(),
        mode,
    })
}

/// One assignment target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: TargetKind,
    pub group_id: Option<String>,
    pub filter: Option<Filter>,
}

impl Target {
    /// Ids in lower case: Graph treats GUIDs without regard to case.
    fn normalized(&self) -> Target {
        Target {
            kind: self.kind,
            group_id: self.group_id.as_ref().map(|g| g.to_lowercase()),
            filter: self.filter.as_ref().map(|f| Filter {
                id: f.id.to_lowercase(),
                mode: f.mode,
            }),
        }
    }

    /// One element of `assign`'s `assignments`. Without a filter the filter
    /// properties are left out (Graph then stores type `none`).
    pub fn to_graph(&self) -> Json {
        let mut target =
            json!({ "@odata.type": format!("#microsoft.graph.{}", self.kind.graph_type()) });
        if let Some(group) = &self.group_id {
            target["groupId"] = Json::from(group.as_str());
        }
        if let Some(filter) = &self.filter {
            target[FILTER_ID] = Json::from(filter.id.as_str());
            target[FILTER_TYPE] = Json::from(filter.mode.keyword());
        }
        json!({ "target": target })
    }

    /// The target of one `deviceConfigurationAssignment` from Graph. The
    /// error names what this resource cannot represent.
    pub fn from_graph(assignment: &Json) -> Result<Target, String> {
        let target = assignment.get("target").unwrap_or(&Json::Null);
        let odata = lookup::odata_type(target);
        let kind = TargetKind::from_graph_type(odata).ok_or_else(|| odata.to_string())?;
        let group_id = if kind.has_group() {
            let group = target
                .get("groupId")
                .and_then(Json::as_str)
                .filter(|g| !g.is_empty())
                .ok_or_else(|| format!("{odata} without a groupId"))?;
            Some(group.to_string())
        } else {
            None
        };
        let filter = if kind.has_filter() {
            filter_from_graph(target.get(FILTER_ID), target.get(FILTER_TYPE))
        } else {
            None
        };
        Ok(Target {
            kind,
            group_id,
            filter,
        })
    }

    /// The target one block of the resource describes. Fails on unknown
    /// values (apply always has them known).
    fn from_block(kind: TargetKind, block: &Value) -> Result<Target, String> {
        let text = |name: &str| -> Result<Option<String>, String> {
            match block.get(name) {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s.clone())),
                _ => Err(format!("{}.{name} is not known", kind.block())),
            }
        };
        let group_id = if kind.has_group() {
            text("group_id")?
        } else {
            None
        };
        let filter = if kind.has_filter() {
            match (text("filter_id")?, text("filter_type")?) {
                (Some(id), Some(mode)) => Some(Filter {
                    id,
                    mode: FilterMode::from_keyword(&mode)
                        .ok_or_else(|| format!("invalid filter_type {mode:?}"))?,
                }),
                _ => None,
            }
        } else {
            None
        };
        Ok(Target {
            kind,
            group_id,
            filter,
        })
    }

    /// The block value for this target.
    fn to_block(&self) -> Value {
        let mut block = kind_block(self.kind).empty_object();
        if self.kind.has_group() {
            block.set(
                "group_id",
                self.group_id.clone().map(Value::String).unwrap_or_default(),
            );
        }
        if self.kind.has_filter() {
            if let Some(f) = &self.filter {
                block.set("filter_id", Value::string(&f.id));
                block.set("filter_type", Value::string(f.mode.keyword()));
            }
        }
        block
    }
}

/// The elements of one target block in an object: a set's elements, or
/// the single block when present.
fn elements(object: &Value, kind: TargetKind) -> Vec<&Value> {
    let v = object.get(kind.block());
    match v.as_elements() {
        Some(items) => items.iter().collect(),
        None if v.is_known_non_null() => vec![v],
        None => Vec::new(),
    }
}

/// Every target an object (plan or state) describes.
pub fn targets_of(object: &Value) -> Result<Vec<Target>, String> {
    let mut out = Vec::new();
    for kind in TargetKind::ALL {
        for element in elements(object, kind) {
            out.push(Target::from_block(kind, element)?);
        }
    }
    Ok(out)
}

/// Whether two target lists mean the same assignment set (order and the
/// case of ids aside).
pub fn same_set(a: &[Target], b: &[Target]) -> bool {
    let norm = |ts: &[Target]| -> Vec<Target> {
        let mut v: Vec<Target> = Vec::new();
        for t in ts.iter().map(Target::normalized) {
            if !v.contains(&t) {
                v.push(t);
            }
        }
        v
    };
    let (a, b) = (norm(a), norm(b));
    a.len() == b.len() && a.iter().all(|t| b.contains(t))
}

/// Writes `targets` into `object`'s blocks. A target that `prior` already
/// holds in another spelling (ids in another case) keeps the prior form,
/// so Graph's lower-casing is never a diff.
fn set_targets(object: &mut Value, targets: &[Target], prior: &Value) {
    let known: Vec<(Target, &Value)> = TargetKind::ALL
        .into_iter()
        .flat_map(|kind| {
            elements(prior, kind)
                .into_iter()
                .filter_map(move |e| Some((Target::from_block(kind, e).ok()?.normalized(), e)))
        })
        .collect();
    for kind in TargetKind::ALL {
        let mut values: Vec<Value> = Vec::new();
        for target in targets.iter().filter(|t| t.kind == kind) {
            let norm = target.normalized();
            let value = known
                .iter()
                .find(|(t, _)| *t == norm)
                .map(|(_, v)| (*v).clone())
                .unwrap_or_else(|| target.to_block());
            if !values.contains(&value) {
                values.push(value);
            }
        }
        let v = match kind.nesting() {
            Nesting::Single => values.into_iter().next().unwrap_or_default(),
            _ => Value::Set(values),
        };
        object.set(kind.block(), v);
    }
}

fn kind_block(kind: TargetKind) -> Block {
    let mut block = Block::new().description(kind.description());
    if kind.has_group() {
        block = block.attribute(
            Attribute::new("group_id", Type::String, Mode::Required)
                .description("Object id (GUID) of the Entra ID group.")
                .validator(Validator::Guid),
        );
    }
    if kind.has_filter() {
        block = block
            .attribute(
                Attribute::new("filter_id", Type::String, Mode::Optional)
                    .description(
                        "Id (GUID) of an Intune assignment filter. Requires `filter_type`.",
                    )
                    .validator(Validator::Guid),
            )
            .attribute(
                Attribute::new("filter_type", Type::String, Mode::Optional)
                    .description(
                        "`include`: only devices matching the filter receive the profile; \
                         `exclude`: matching devices do not. Requires `filter_id`.",
                    )
                    .validator(Validator::one_of(&["include", "exclude"])),
            );
    }
    block
}

fn build_schema() -> Schema {
    let mut block = Block::new()
        .description(DESCRIPTION)
        .attribute(
            Attribute::new("id", Type::String, Mode::Computed)
                .description("The profile's id: an assignment set has no id of its own."),
        )
        .attribute(
            Attribute::new("profile_id", Type::String, Mode::Required)
                .description(
                    "Id of the certificate profile to assign, of any kind and platform \
                     (`intune_trusted_certificate.x.id`, or a data source's `id`). Changing it \
                     replaces the resource.",
                )
                .validator(Validator::Guid)
                .plan_rule(PlanRule::RequiresReplace),
        );
    for kind in TargetKind::ALL {
        block = block.block(NestedBlock::new(
            kind.block(),
            kind.nesting(),
            kind_block(kind),
        ));
    }
    Schema::new(block)
}

/// How one block is named in messages: `include_group for group "…"`.
fn label(kind: TargetKind, element: &Value) -> String {
    match element.get("group_id").as_str() {
        Some(g) => format!("{} for group {g:?}", kind.block()),
        None => kind.block().to_string(),
    }
}

/// Cross-attribute checks: filters come as pairs, groups appear once.
fn check(config: &Value, diags: &mut Diagnostics) {
    let mut groups: Vec<(String, TargetKind)> = Vec::new();
    for kind in TargetKind::ALL {
        let path = AttributePath::attr(kind.block());
        for element in elements(config, kind) {
            let what = label(kind, element);
            if kind.has_filter() {
                let (id, mode) = (element.get("filter_id"), element.get("filter_type"));
                if id.as_str() == Some(ZERO_GUID) {
                    diags.error_at(
                        path.attribute("filter_id"),
                        "Invalid filter_id",
                        format!(
                            "{what}: the all-zero GUID is how Graph says \"no filter\". To assign \
                             without a filter, remove filter_id and filter_type."
                        ),
                    );
                }
                if id.is_known_non_null() && mode.is_null() {
                    diags.error_at(
                        path.attribute("filter_type"),
                        "Missing filter_type",
                        format!(
                            "{what} sets filter_id, so it needs filter_type = \"include\" (only \
                             devices matching the filter receive the profile) or \"exclude\" \
                             (matching devices do not)."
                        ),
                    );
                }
                if mode.is_known_non_null() && id.is_null() {
                    diags.error_at(
                        path.attribute("filter_id"),
                        "Missing filter_id",
                        format!(
                            "{what} sets filter_type but no filter_id. Set filter_id to the \
                             assignment filter's id, or remove filter_type."
                        ),
                    );
                }
            }
            let Some(group) = element.get("group_id").as_str() else {
                continue;
            };
            let group = group.to_lowercase();
            match groups.iter().find(|(g, _)| *g == group) {
                Some((_, earlier)) if *earlier != kind => diags.error_at(
                    path.attribute("group_id"),
                    "Group both included and excluded",
                    format!(
                        "Group {group} is in both include_group and exclude_group. Graph would \
                         exclude it; remove one of the two blocks."
                    ),
                ),
                Some(_) => diags.error_at(
                    path.attribute("group_id"),
                    "Duplicate group",
                    format!(
                        "Group {group} appears in more than one {} block (group ids are compared \
                         without regard to case). Graph accepts each group once; merge the blocks.",
                        kind.block()
                    ),
                ),
                None => groups.push((group, kind)),
            }
        }
    }
}

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
        match self.read_assignments(ctx, profile_id, state, diags).await {
            Ok(Some(v)) => ReadOutcome::Found(v),
            Ok(None) => {
                tracing::info!(
                    profile_id,
                    "certificate profile no longer exists; removing its assignments from state"
                );
                ReadOutcome::Gone
            }
            Err(()) => ReadOutcome::Failed,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP: &str = "11111111-aaaa-4aaa-8aaa-111111111111";
    const OTHER: &str = "22222222-bbbb-4bbb-8bbb-222222222222";
    const FILTER: &str = "33333333-cccc-4ccc-8ccc-333333333333";

    fn target(kind: TargetKind, group: Option<&str>, filter: Option<(&str, FilterMode)>) -> Target {
        Target {
            kind,
            group_id: group.map(str::to_string),
            filter: filter.map(|(id, mode)| Filter {
                id: id.to_string(),
                mode,
            }),
        }
    }

    #[test]
    fn no_filter_has_many_spellings() {
        let some = |id: &str, mode| {
            Some(Filter {
                id: id.to_string(),
                mode,
            })
        };
        let cases: Vec<(Json, Json, Option<Filter>)> = vec![
            (Json::Null, json!("none"), None),
            (json!(""), json!("none"), None),
            (json!(ZERO_GUID), json!("none"), None),
            (json!(ZERO_GUID), json!("include"), None),
            (json!(""), json!("exclude"), None),
            (Json::Null, json!("include"), None),
            (json!(FILTER), json!("none"), None),
            (json!(FILTER), Json::Null, None),
            (json!(FILTER), json!("unknownFutureValue"), None),
            (
                json!(FILTER),
                json!("include"),
                some(FILTER, FilterMode::Include),
            ),
            (
                json!(FILTER),
                json!("exclude"),
                some(FILTER, FilterMode::Exclude),
            ),
        ];
        for (id, mode, want) in cases {
            assert_eq!(
                filter_from_graph(Some(&id), Some(&mode)),
                want,
                "{id} {mode}"
            );
        }
        assert_eq!(filter_from_graph(None, None), None);
    }

    #[test]
    fn targets_map_to_graph_and_back() {
        let include = Some((FILTER, FilterMode::Include));
        let cases = [
            (
                target(TargetKind::IncludeGroup, Some(GROUP), include),
                json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": GROUP,
                    FILTER_ID: FILTER, FILTER_TYPE: "include"}}),
            ),
            (
                target(TargetKind::IncludeGroup, Some(GROUP), None),
                json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": GROUP}}),
            ),
            (
                target(TargetKind::ExcludeGroup, Some(OTHER), None),
                json!({"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": OTHER}}),
            ),
            (
                target(
                    TargetKind::AllLicensedUsers,
                    None,
                    Some((FILTER, FilterMode::Exclude)),
                ),
                json!({"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget",
                    FILTER_ID: FILTER, FILTER_TYPE: "exclude"}}),
            ),
            (
                target(TargetKind::AllDevices, None, None),
                json!({"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}),
            ),
        ];
        for (t, wire) in cases {
            assert_eq!(t.to_graph(), wire, "{t:?}");
            assert_eq!(Target::from_graph(&wire).as_ref(), Ok(&t));
        }
    }

    #[test]
    fn graph_reads_normalise_and_refuse_what_cannot_be_expressed() {
        let read = |target: Json| {
            Target::from_graph(&json!({"id": "a_b", "intent": "apply", "target": target}))
        };
        // Graph's echo of "no filter" on a group, and a filter echoed on an
        // exclusion, both read as no filter.
        assert_eq!(
            read(
                json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": GROUP,
                FILTER_ID: ZERO_GUID, FILTER_TYPE: "none"})
            ),
            Ok(target(TargetKind::IncludeGroup, Some(GROUP), None))
        );
        assert_eq!(
            read(
                json!({"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": GROUP,
                FILTER_ID: FILTER, FILTER_TYPE: "include"})
            ),
            Ok(target(TargetKind::ExcludeGroup, Some(GROUP), None))
        );
        let refused = [
            (
                json!({"@odata.type": "#microsoft.graph.configurationManagerCollectionAssignmentTarget", "collectionId": "SMS0001"}),
                "configurationManagerCollectionAssignmentTarget",
            ),
            (
                json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget"}),
                "without a groupId",
            ),
            (json!({}), "untyped object"),
        ];
        for (t, fragment) in refused {
            let err = read(t).expect_err(fragment);
            assert!(err.contains(fragment), "{err}");
        }
    }

    fn config(blocks: &[(&str, Value)]) -> Value {
        let mut v = build_schema().block.empty_object();
        v.set("profile_id", Value::string(GROUP));
        for (name, value) in blocks {
            v.set(name, value.clone());
        }
        v
    }

    fn block(kind: TargetKind, pairs: &[(&str, Value)]) -> Value {
        let mut b = kind_block(kind).empty_object();
        for (k, v) in pairs {
            b.set(k, v.clone());
        }
        b
    }

    fn s(text: &str) -> Value {
        Value::string(text)
    }

    #[test]
    fn validation_cases() {
        use TargetKind::*;
        let inc = |pairs: &[(&str, Value)]| block(IncludeGroup, pairs);
        let exc = |g: &str| block(ExcludeGroup, &[("group_id", s(g))]);
        let cases: Vec<(&str, Value, &[&str])> = vec![
            (
                "complete and valid",
                config(&[
                    (
                        "include_group",
                        Value::Set(vec![
                            inc(&[
                                ("group_id", s(GROUP)),
                                ("filter_id", s(FILTER)),
                                ("filter_type", s("include")),
                            ]),
                            inc(&[("group_id", s(OTHER))]),
                        ]),
                    ),
                    ("all_devices", block(AllDevices, &[])),
                    (
                        "all_licensed_users",
                        block(
                            AllLicensedUsers,
                            &[("filter_id", s(FILTER)), ("filter_type", s("exclude"))],
                        ),
                    ),
                ]),
                &[],
            ),
            (
                "filter id without type",
                config(&[(
                    "include_group",
                    Value::Set(vec![inc(&[
                        ("group_id", s(GROUP)),
                        ("filter_id", s(FILTER)),
                    ])]),
                )]),
                &["Missing filter_type"],
            ),
            (
                "filter type without id",
                config(&[(
                    "all_devices",
                    block(AllDevices, &[("filter_type", s("include"))]),
                )]),
                &["Missing filter_id"],
            ),
            (
                "all-zero filter",
                config(&[(
                    "all_licensed_users",
                    block(
                        AllLicensedUsers,
                        &[("filter_id", s(ZERO_GUID)), ("filter_type", s("include"))],
                    ),
                )]),
                &["Invalid filter_id"],
            ),
            (
                "included and excluded",
                config(&[
                    (
                        "include_group",
                        Value::Set(vec![inc(&[("group_id", s(GROUP))])]),
                    ),
                    (
                        "exclude_group",
                        Value::Set(vec![exc(&GROUP.to_uppercase())]),
                    ),
                ]),
                &["Group both included and excluded"],
            ),
            (
                "same group twice with different filters",
                config(&[(
                    "include_group",
                    Value::Set(vec![
                        inc(&[("group_id", s(GROUP))]),
                        inc(&[
                            ("group_id", s(GROUP)),
                            ("filter_id", s(FILTER)),
                            ("filter_type", s("exclude")),
                        ]),
                    ]),
                )]),
                &["Duplicate group"],
            ),
            (
                "unknown values wait for apply",
                config(&[(
                    "include_group",
                    Value::Set(vec![inc(&[
                        ("group_id", Value::Unknown),
                        ("filter_id", Value::Unknown),
                    ])]),
                )]),
                &[],
            ),
        ];
        for (name, cfg, expected) in cases {
            let mut diags = Diagnostics::new();
            check(&cfg, &mut diags);
            let summaries: Vec<&str> = diags.iter().map(|d| d.summary.as_str()).collect();
            assert_eq!(summaries, expected, "{name}: {diags:?}");
            assert!(
                diags.iter().all(|d| d.path.is_some()),
                "{name}: every error has a path"
            );
        }
    }

    #[test]
    fn state_keeps_the_configured_spelling_and_order_is_no_change() {
        let upper = GROUP.to_uppercase();
        let prior = config(&[
            (
                "include_group",
                Value::Set(vec![block(
                    TargetKind::IncludeGroup,
                    &[
                        ("group_id", s(&upper)),
                        ("filter_id", s(FILTER)),
                        ("filter_type", s("include")),
                    ],
                )]),
            ),
            ("all_devices", block(TargetKind::AllDevices, &[])),
        ]);
        // Graph answers in lower case, in its own order.
        let from_graph = vec![
            target(TargetKind::AllDevices, None, None),
            target(
                TargetKind::IncludeGroup,
                Some(GROUP),
                Some((FILTER, FilterMode::Include)),
            ),
        ];
        let mut state = prior.clone();
        set_targets(&mut state, &from_graph, &prior);
        assert_eq!(state, prior);
        let configured = targets_of(&prior).expect("known");
        assert!(same_set(&configured, &from_graph));
        // A new target outside Terraform is drift.
        let mut more = from_graph.clone();
        more.push(target(TargetKind::ExcludeGroup, Some(OTHER), None));
        assert!(!same_set(&configured, &more));
        set_targets(&mut state, &more, &prior);
        assert_eq!(
            state.get("exclude_group"),
            &Value::Set(vec![block(
                TargetKind::ExcludeGroup,
                &[("group_id", s(OTHER))]
            )])
        );
        // Nothing assigned: empty sets and absent single blocks.
        set_targets(&mut state, &[], &prior);
        assert_eq!(state.get("include_group"), &Value::Set(Vec::new()));
        assert_eq!(state.get("all_devices"), &Value::Null);
        assert!(state.check_type(&build_schema().value_type()).is_ok());
    }

    #[test]
    fn schema_follows_the_target_table() {
        let schema = build_schema();
        for kind in TargetKind::ALL {
            let nb = schema.block.find_block(kind.block()).expect("block");
            assert_eq!(nb.nesting, kind.nesting());
            assert_eq!(
                nb.block.find_attribute("group_id").is_some(),
                kind.has_group()
            );
            assert_eq!(
                nb.block.find_attribute("filter_id").is_some(),
                kind.has_filter()
            );
            assert_eq!(TargetKind::from_graph_type(kind.graph_type()), Some(kind));
        }
        let profile = schema
            .block
            .find_attribute("profile_id")
            .expect("profile_id");
        assert_eq!(profile.plan_rule, PlanRule::RequiresReplace);
    }
}
