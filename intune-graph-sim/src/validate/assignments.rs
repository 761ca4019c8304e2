//! Assignments: the body of `POST .../assign`, each assignment checked
//! against the schema and then for what the metadata cannot say about its
//! target (group ids are GUIDs, a filter id goes with an include/exclude
//! type, a target appears once), and the id Intune gives each one.

use serde_json::{Map, Value};

use super::error::{Result, ValidationError, json_kind};
use super::values::{check_value, is_guid};
use crate::schema::{self, Schema};

/// The assignment-target properties naming a filter and how it applies.
pub const FILTER_ID: &str = "deviceAndAppManagementAssignmentFilterId";
pub const FILTER_TYPE: &str = "deviceAndAppManagementAssignmentFilterType";

/// Validates the body of `POST .../{id}/assign` and returns one normalised
/// `{intent, target}` object per assignment.
pub fn check_assign_body(
    schema: &Schema,
    body: &Map<String, Value>,
) -> Result<Vec<Map<String, Value>>> {
    for key in body.keys() {
        match key.as_str() {
            "assignments" => {}
            "deviceConfigurationGroupAssignments" => {
                return Err(ValidationError::Invalid {
                    path: key.clone(),
                    reason:
                        "the legacy parameter is not accepted by the simulator; send 'assignments'"
                            .into(),
                });
            }
            other => {
                return Err(ValidationError::Invalid {
                    path: other.to_owned(),
                    reason: "the action 'assign' has no such parameter (it takes 'assignments')"
                        .into(),
                });
            }
        }
    }
    match body.get("assignments") {
        None => Err(ValidationError::Required {
            path: "assignments".into(),
            type_name: "deviceConfiguration/assign".into(),
        }),
        Some(value) => check_assignments(schema, value),
    }
}

/// Validates a list of assignments (as the `assignments` parameter of
/// `assign`) and returns one normalised `{intent, target}` object each.
pub fn check_assignments(schema: &Schema, list: &Value) -> Result<Vec<Map<String, Value>>> {
    let items = match list {
        Value::Array(items) => items,
        Value::Null => return Err(ValidationError::NotNullable("assignments".into())),
        other => {
            return Err(ValidationError::WrongJsonType {
                path: "assignments".into(),
                expected: "an array of deviceConfigurationAssignment".into(),
                found: json_kind(other),
            });
        }
    };
    let assignment_type = schema
        .entity("deviceConfigurationAssignment")
        .ok_or_else(|| {
            ValidationError::UnknownType("microsoft.graph.deviceConfigurationAssignment".into())
        })?;
    let mut result = Vec::with_capacity(items.len());
    let mut seen_targets: Vec<(String, String)> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let path = format!("assignments[{index}]");
        let Value::Object(object) = item else {
            return Err(ValidationError::WrongJsonType {
                path,
                expected: "an object (microsoft.graph.deviceConfigurationAssignment)".into(),
                found: json_kind(item),
            });
        };
        let mut assignment = Map::new();
        for (key, value) in object {
            let item_path = format!("{path}.{key}");
            match key.as_str() {
                "@odata.type" => {
                    let named = value.as_str().and_then(schema::short_type_name);
                    if named != Some("deviceConfigurationAssignment") {
                        return Err(ValidationError::Invalid {
                            path: item_path,
                            reason: "an assignment's '@odata.type' must be '#microsoft.graph.deviceConfigurationAssignment'".into(),
                        });
                    }
                }
                "id" | "source" | "sourceId" => return Err(ValidationError::ReadOnly(item_path)),
                _ if key.contains('@') => return Err(ValidationError::Annotation(item_path)),
                _ => {
                    let property = assignment_type.property(key).ok_or_else(|| {
                        ValidationError::UnknownProperty {
                            path: item_path.clone(),
                            type_name: assignment_type.name.clone(),
                        }
                    })?;
                    assignment.insert(
                        key.clone(),
                        check_value(schema, property, value, &item_path)?,
                    );
                }
            }
        }
        let target_path = format!("{path}.target");
        let target = match assignment.get("target") {
            None => {
                return Err(ValidationError::Required {
                    path: target_path,
                    type_name: assignment_type.name.clone(),
                });
            }
            Some(Value::Null) => return Err(ValidationError::NotNullable(target_path)),
            Some(target) => target,
        };
        let identity = check_target(schema, target, &target_path)?;
        if seen_targets.contains(&identity) {
            return Err(ValidationError::Invalid {
                path: target_path,
                reason: format!(
                    "it targets {} '{}' like an earlier assignment; each target may appear once",
                    identity.0, identity.1
                ),
            });
        }
        seen_targets.push(identity);
        if assignment.get("intent").is_none_or(Value::is_null) {
            assignment.insert("intent".into(), Value::String("apply".into()));
        }
        result.push(assignment);
    }
    Ok(result)
}

/// The id suffix Intune gives an assignment for `target` (after the
/// profile id and `_`): the group or collection id, or a fixed id for the
/// "all devices" and "all licensed users" targets.
pub fn assignment_id_suffix(target: &Value) -> String {
    let kind = target
        .get("@odata.type")
        .and_then(Value::as_str)
        .and_then(schema::short_type_name)
        .unwrap_or_default();
    match kind {
        "allDevicesAssignmentTarget" => "adadadad-808e-44e2-905a-0b7873a8a531".into(),
        "allLicensedUsersAssignmentTarget" => "acacacac-9df4-4c7d-9d50-4ef0226f57a9".into(),
        _ => target
            .get("groupId")
            .or_else(|| target.get("collectionId"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_lowercase(),
    }
}

/// Checks what the metadata cannot say about a target; returns what makes it
/// unique (kind, id) to catch duplicates.
fn check_target(schema: &Schema, target: &Value, path: &str) -> Result<(String, String)> {
    let kind = target
        .get("@odata.type")
        .and_then(Value::as_str)
        .and_then(schema::short_type_name)
        .unwrap_or_default()
        .to_owned();
    let text = |key: &str| target.get(key).and_then(Value::as_str);
    let identity = if schema.complex_is_a(&kind, "groupAssignmentTarget") {
        let group_path = format!("{path}.groupId");
        let group = text("groupId").ok_or_else(|| ValidationError::Required {
            path: group_path.clone(),
            type_name: kind.clone(),
        })?;
        if !is_guid(group) {
            return Err(ValidationError::Invalid {
                path: group_path,
                reason: format!("'{group}' is not a GUID"),
            });
        }
        ("group".to_owned(), group.to_lowercase())
    } else if kind == "configurationManagerCollectionAssignmentTarget" {
        let collection = text("collectionId")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| ValidationError::Required {
                path: format!("{path}.collectionId"),
                type_name: kind.clone(),
            })?;
        ("collection".to_owned(), collection.to_owned())
    } else {
        (kind.clone(), String::new())
    };
    let filter_id_path = format!("{path}.{FILTER_ID}");
    // Graph itself writes "no filter" as null, "" or the all-zero GUID, and
    // takes those forms back.
    let filter_id = text(FILTER_ID)
        .filter(|id| !id.is_empty() && *id != "00000000-0000-0000-0000-000000000000");
    if let Some(id) = filter_id.filter(|id| !is_guid(id)) {
        return Err(ValidationError::Invalid {
            path: filter_id_path,
            reason: format!("'{id}' is not a GUID"),
        });
    }
    let filter_type = text(FILTER_TYPE).unwrap_or("none");
    let filter_type_path = format!("{path}.{FILTER_TYPE}");
    match (filter_type, filter_id) {
        ("none", Some(_)) => Err(ValidationError::Invalid {
            path: filter_type_path,
            reason: "a filter id is set, so the filter type must be 'include' or 'exclude'".into(),
        }),
        ("include" | "exclude", None) => Err(ValidationError::Invalid {
            path: filter_id_path,
            reason: format!("the filter type is '{filter_type}', so a filter id is required"),
        }),
        ("include" | "exclude", Some(_)) if kind == "exclusionGroupAssignmentTarget" => {
            Err(ValidationError::Invalid {
                path: filter_type_path,
                reason: "exclusion assignments cannot use a filter".into(),
            })
        }
        _ => Ok(identity),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{object, schema};
    use super::*;
    use serde_json::json;

    const GROUP: &str = "11111111-2222-3333-4444-555555555555";
    const FILTER: &str = "99999999-2222-3333-4444-555555555555";

    #[test]
    fn assignments_accepted_and_normalised() {
        let list = json!([
            {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": GROUP,
                        "deviceAndAppManagementAssignmentFilterId": FILTER,
                        "deviceAndAppManagementAssignmentFilterType": "include"}},
            {"target": {"@odata.type": "microsoft.graph.allDevicesAssignmentTarget"}},
        ]);
        let checked = check_assignments(schema(), &list).expect("valid");
        assert_eq!(checked.len(), 2);
        assert_eq!(checked[0]["intent"], "apply");
        assert_eq!(
            Value::Object(checked[1].clone())["target"],
            json!({"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
                   "deviceAndAppManagementAssignmentFilterId": null,
                   "deviceAndAppManagementAssignmentFilterType": "none"})
        );
        assert_eq!(assignment_id_suffix(&checked[0]["target"]), GROUP);
    }

    #[test]
    fn assignment_rejections() {
        let group = |extra: Value| {
            let mut target =
                json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": GROUP});
            if let (Some(t), Some(e)) = (target.as_object_mut(), extra.as_object()) {
                t.extend(e.clone());
            }
            json!([{ "target": target }])
        };
        let cases = [
            ("not array", json!({}), "must be an array"),
            ("null", Value::Null, "'assignments' cannot be null"),
            (
                "no target",
                json!([{}]),
                "'assignments[0].target' is required",
            ),
            (
                "abstract target",
                json!([{"target": {"groupId": GROUP}}]),
                "is abstract, so '@odata.type' must name one of",
            ),
            (
                "unknown target type",
                json!([{"target": {"@odata.type": "#microsoft.graph.userTarget"}}]),
                "could not be resolved",
            ),
            (
                "non-target type",
                json!([{"target": {"@odata.type": "#microsoft.graph.extendedKeyUsage"}}]),
                "is not a concrete type deriving from",
            ),
            (
                "bad group id",
                group(json!({"groupId": "abc"})),
                "'assignments[0].target.groupId' is invalid: 'abc' is not a GUID",
            ),
            (
                "missing group id",
                group(json!({"groupId": null})),
                "'assignments[0].target.groupId' is required",
            ),
            (
                "bad filter type",
                group(json!({"deviceAndAppManagementAssignmentFilterType": "Include"})),
                "not a member of enum 'microsoft.graph.deviceAndAppManagementAssignmentFilterType'",
            ),
            (
                "bad filter id",
                group(
                    json!({"deviceAndAppManagementAssignmentFilterId": "x", "deviceAndAppManagementAssignmentFilterType": "include"}),
                ),
                "'x' is not a GUID",
            ),
            (
                "filter id without type",
                group(json!({"deviceAndAppManagementAssignmentFilterId": FILTER})),
                "filter type must be 'include' or 'exclude'",
            ),
            (
                "filter type without id",
                group(json!({"deviceAndAppManagementAssignmentFilterType": "exclude"})),
                "a filter id is required",
            ),
            (
                "read-only id",
                json!([{"id": "x", "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]),
                "'assignments[0].id' is read-only",
            ),
            (
                "unknown property",
                json!([{"priority": 1, "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]),
                "'assignments[0].priority' does not exist",
            ),
            (
                "bad intent",
                json!([{"intent": "deny", "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]),
                "microsoft.graph.deviceConfigAssignmentIntent",
            ),
            (
                "duplicate",
                json!([
                {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": GROUP}},
                {"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": GROUP}}]),
                "like an earlier assignment",
            ),
            (
                "exclusion with filter",
                json!([{"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": GROUP,
                "deviceAndAppManagementAssignmentFilterId": FILTER, "deviceAndAppManagementAssignmentFilterType": "include"}}]),
                "exclusion assignments cannot use a filter",
            ),
        ];
        for (name, list, fragment) in cases {
            let err = check_assignments(schema(), &list).expect_err(name);
            assert!(err.to_string().contains(fragment), "{name}: {err}");
        }
        // The forms in which Graph itself reports "no filter" are taken back.
        for none in [
            json!(null),
            json!(""),
            json!("00000000-0000-0000-0000-000000000000"),
        ] {
            let list = group(
                json!({"deviceAndAppManagementAssignmentFilterId": none, "deviceAndAppManagementAssignmentFilterType": "none"}),
            );
            assert!(check_assignments(schema(), &list).is_ok(), "{none}");
        }
        let legacy = object(json!({"deviceConfigurationGroupAssignments": []}));
        assert!(check_assign_body(schema(), &legacy).is_err());
        let missing = object(json!({}));
        assert!(
            check_assign_body(schema(), &missing)
                .expect_err("missing")
                .to_string()
                .contains("'assignments' is required")
        );
    }
}
