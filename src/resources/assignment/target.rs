//! The assignment target model and its two mappings: to and from Graph's
//! `deviceConfigurationAssignment` targets, and to and from the resource's
//! blocks.
//!
//! [`TargetKind`] is the table of the four target kinds; everything that
//! differs between them is one of its `match`es. Reading from Graph folds
//! Graph's spellings of "no filter" and of GUIDs, so they never become a
//! diff.

use serde_json::{Value as Json, json};

use super::schema::kind_block;
use crate::framework::Nesting;
use crate::resources::lookup;
use crate::value::Value;

/// Graph's properties of a target's assignment filter.
pub(super) const FILTER_ID: &str = "deviceAndAppManagementAssignmentFilterId";
pub(super) const FILTER_TYPE: &str = "deviceAndAppManagementAssignmentFilterType";
/// How Graph may write "no filter" besides null and `""`.
pub(super) const ZERO_GUID: &str = "00000000-0000-0000-0000-000000000000";

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

    pub(super) fn has_group(self) -> bool {
        matches!(self, TargetKind::IncludeGroup | TargetKind::ExcludeGroup)
    }

    /// Graph refuses a filter on an exclusion.
    pub(super) fn has_filter(self) -> bool {
        self != TargetKind::ExcludeGroup
    }

    /// Groups repeat (a set of blocks); the "all" targets appear at most once.
    pub(super) fn nesting(self) -> Nesting {
        if self.has_group() {
            Nesting::Set
        } else {
            Nesting::Single
        }
    }

    pub(super) fn description(self) -> &'static str {
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
pub(super) fn elements(object: &Value, kind: TargetKind) -> Vec<&Value> {
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
pub(super) fn set_targets(object: &mut Value, targets: &[Target], prior: &Value) {
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

#[cfg(test)]
mod tests {
    use super::super::test_values::{FILTER, GROUP, OTHER, block, config, s};
    use super::*;
    use crate::resources::assignment::schema::build_schema;

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
}
