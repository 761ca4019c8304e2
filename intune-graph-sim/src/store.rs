//! The simulator's tenant: device configurations in creation order, each with
//! its `rootCertificate` link and assignment set, plus the server-maintained
//! values (`id`, timestamps, `version`, `supportsScopeTags`).
//!
//! It stores what it is given; it does not validate (see `validate`) and
//! knows nothing of HTTP.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::clock;
use super::schema;
use super::validate::{self, CheckedProfile, ValidationError};

/// One device configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObject {
    /// Lower-case GUID.
    pub id: String,
    /// Short type name, e.g. `iosTrustedRootCertificate`.
    pub type_name: String,
    /// Every structural property of the type, server-maintained ones included.
    pub properties: Map<String, Value>,
    /// Id of the linked root (may dangle after the root is deleted).
    pub root: Option<String>,
    /// Assignments as GET `.../assignments` returns them.
    pub assignments: Vec<Value>,
}

impl StoredObject {
    /// The object as GET returns it (without `@odata.context`).
    pub fn representation(&self) -> Value {
        let mut body = Map::new();
        body.insert(
            "@odata.type".into(),
            Value::String(schema::odata_type(&self.type_name)),
        );
        body.extend(self.properties.clone());
        Value::Object(body)
    }

    /// The display name, for `$filter`.
    pub fn display_name(&self) -> Option<&str> {
        self.properties.get("displayName").and_then(Value::as_str)
    }
}

/// All device configurations of the simulated tenant.
#[derive(Debug, Default)]
pub struct Store {
    objects: Vec<StoredObject>,
}

impl Store {
    /// Every object, oldest first.
    pub fn list(&self) -> &[StoredObject] {
        &self.objects
    }

    /// The object with `id` (GUIDs compare case-insensitively).
    pub fn get(&self, id: &str) -> Option<&StoredObject> {
        self.objects.iter().find(|o| o.id.eq_ignore_ascii_case(id))
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut StoredObject> {
        self.objects
            .iter_mut()
            .find(|o| o.id.eq_ignore_ascii_case(id))
    }

    /// Adds a validated create body; the server sets id, timestamps,
    /// `version` 1 and `supportsScopeTags`.
    pub fn create(
        &mut self,
        type_name: &str,
        checked: CheckedProfile,
        now: OffsetDateTime,
    ) -> &StoredObject {
        let id = uuid::Uuid::new_v4().to_string();
        let stamp = Value::String(clock::graph_timestamp(now));
        let mut properties = checked.properties;
        properties.insert("id".into(), Value::String(id.clone()));
        properties.insert("createdDateTime".into(), stamp.clone());
        properties.insert("lastModifiedDateTime".into(), stamp);
        properties.insert("version".into(), json!(1));
        properties.insert("supportsScopeTags".into(), Value::Bool(true));
        let index = self.objects.len();
        self.objects.push(StoredObject {
            id,
            type_name: type_name.to_owned(),
            properties,
            root: checked.root_bind,
            assignments: Vec::new(),
        });
        &self.objects[index]
    }

    /// Applies a validated PATCH. `None` when the object does not exist;
    /// `Some(Err(NoChange))` when every value (and the root link) already
    /// holds. A change bumps `version` and `lastModifiedDateTime`.
    pub fn patch(
        &mut self,
        id: &str,
        checked: CheckedProfile,
        now: OffsetDateTime,
    ) -> Option<Result<(), ValidationError>> {
        let object = self.get_mut(id)?;
        let values_change = checked
            .properties
            .iter()
            .any(|(key, value)| object.properties.get(key) != Some(value));
        let link_changes = checked.root_bind.as_ref().is_some_and(|root| {
            object
                .root
                .as_deref()
                .is_none_or(|r| !r.eq_ignore_ascii_case(root))
        });
        if !values_change && !link_changes {
            return Some(Err(ValidationError::NoChange));
        }
        object.properties.extend(checked.properties);
        if let Some(root) = checked.root_bind {
            object.root = Some(root);
        }
        touch(object, now);
        Some(Ok(()))
    }

    /// Sets or clears the root link (PUT/DELETE `$ref`); `false` when the
    /// object does not exist. Counts as a modification.
    pub fn set_root(&mut self, id: &str, root: Option<String>, now: OffsetDateTime) -> bool {
        match self.get_mut(id) {
            Some(object) => {
                object.root = root;
                touch(object, now);
                true
            }
            None => false,
        }
    }

    /// Replaces the assignment set with validated `{intent, target}` items;
    /// returns the new set, or `None` when the object does not exist.
    pub fn assign(&mut self, id: &str, items: Vec<Map<String, Value>>) -> Option<Vec<Value>> {
        let object = self.get_mut(id)?;
        object.assignments = items
            .into_iter()
            .map(|item| {
                let target = item.get("target").cloned().unwrap_or(Value::Null);
                json!({
                    "id": format!("{}_{}", object.id, validate::assignment_id_suffix(&target)),
                    "intent": item.get("intent").cloned().unwrap_or_else(|| json!("apply")),
                    "source": "direct",
                    "sourceId": object.id,
                    "target": target,
                })
            })
            .collect();
        Some(object.assignments.clone())
    }

    /// Removes an object with its assignments. Links from other objects to it
    /// are left dangling (they then read as 404).
    pub fn delete(&mut self, id: &str) -> bool {
        let before = self.objects.len();
        self.objects.retain(|o| !o.id.eq_ignore_ascii_case(id));
        self.objects.len() != before
    }

    pub fn clear(&mut self) {
        self.objects.clear();
    }
}

fn touch(object: &mut StoredObject, now: OffsetDateTime) {
    let version = object
        .properties
        .get("version")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    object
        .properties
        .insert("version".into(), json!(version + 1));
    object.properties.insert(
        "lastModifiedDateTime".into(),
        Value::String(clock::graph_timestamp(now)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn checked(properties: Value, root: Option<&str>) -> CheckedProfile {
        CheckedProfile {
            properties: properties.as_object().cloned().unwrap_or_default(),
            root_bind: root.map(str::to_owned),
        }
    }

    #[test]
    fn create_patch_delete() {
        let mut store = Store::default();
        let t0 = datetime!(2026-01-01 00:00:00 UTC);
        let t1 = datetime!(2026-01-01 00:00:01 UTC);
        let id = store
            .create(
                "iosTrustedRootCertificate",
                checked(json!({"displayName": "a"}), None),
                t0,
            )
            .id
            .clone();
        let object = store
            .get(&id.to_uppercase())
            .expect("found case-insensitively");
        assert_eq!(object.properties["version"], 1);
        assert_eq!(
            object.properties["createdDateTime"],
            "2026-01-01T00:00:00.0000000Z"
        );
        assert_eq!(
            object.representation()["@odata.type"],
            "#microsoft.graph.iosTrustedRootCertificate"
        );

        let cases = [
            (
                json!({"displayName": "a"}),
                None,
                Some(Err(ValidationError::NoChange)),
                1,
            ),
            (json!({}), None, Some(Err(ValidationError::NoChange)), 1),
            (json!({"displayName": "b"}), None, Some(Ok(())), 2),
            (json!({}), Some("root-1"), Some(Ok(())), 3),
            (
                json!({"displayName": "b"}),
                Some("ROOT-1"),
                Some(Err(ValidationError::NoChange)),
                3,
            ),
        ];
        for (props, root, expected, version) in cases {
            assert_eq!(
                store.patch(&id, checked(props.clone(), root), t1),
                expected,
                "{props} {root:?}"
            );
            let object = store.get(&id).expect("exists");
            assert_eq!(object.properties["version"], version, "{props}");
        }
        assert_eq!(
            store.get(&id).expect("exists").properties["lastModifiedDateTime"],
            "2026-01-01T00:00:01.0000000Z"
        );
        assert_eq!(store.patch("missing", checked(json!({}), None), t1), None);
        assert!(store.delete(&id));
        assert!(!store.delete(&id));
        assert!(store.get(&id).is_none());
    }

    #[test]
    fn assign_replaces_the_set() {
        let mut store = Store::default();
        let t0 = datetime!(2026-01-01 00:00:00 UTC);
        let id = store
            .create("iosTrustedRootCertificate", checked(json!({}), None), t0)
            .id
            .clone();
        let group = |g: &str| {
            json!({"intent": "apply", "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": g}})
                .as_object()
                .cloned()
                .unwrap_or_default()
        };
        let first = store
            .assign(&id, vec![group("A"), group("b")])
            .expect("exists");
        assert_eq!(first.len(), 2);
        assert_eq!(first[0]["id"], format!("{id}_a"));
        assert_eq!(first[0]["sourceId"], id.as_str());
        assert_eq!(first[0]["source"], "direct");
        let second = store.assign(&id, vec![group("c")]).expect("exists");
        assert_eq!(second.len(), 1);
        assert_eq!(store.get(&id).expect("exists").assignments, second);
        assert!(store.assign(&id, Vec::new()).expect("exists").is_empty());
        assert!(store.assign("missing", Vec::new()).is_none());
    }
}
