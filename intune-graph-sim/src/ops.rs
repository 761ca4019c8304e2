//! The write operations shared by the HTTP handlers and the out-of-band
//! (portal-like) API: validate the body, check the objects it refers to, then
//! change the store.
//!
//! Nothing here knows about HTTP, faults or request recording.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::schema::Schema;
use super::store::Store;
use super::validate::{self, Mode, ValidationError};

/// Why an operation on an existing object failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    /// No device configuration has this id.
    #[error("No device configuration has id '{0}'.")]
    NotFound(String),
    /// The body was rejected.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

/// Creates a device configuration from a POST body; returns its id.
pub fn create(
    schema: &Schema,
    store: &mut Store,
    body: &Map<String, Value>,
    now: OffsetDateTime,
) -> Result<String, ValidationError> {
    let entity = validate::resolve_create_type(schema, body)?;
    let checked = validate::check_profile(schema, entity, body, Mode::Create)?;
    if let Some(root) = &checked.root_bind {
        let target = store.get(root).map(|o| o.type_name.as_str());
        validate::check_root_target(entity, root, target)?;
    }
    Ok(store.create(&entity.name, checked, now).id.clone())
}

/// Applies a PATCH body to object `id`.
pub fn update(
    schema: &Schema,
    store: &mut Store,
    id: &str,
    body: &Map<String, Value>,
    now: OffsetDateTime,
) -> Result<(), OpError> {
    let type_name = store
        .get(id)
        .map(|o| o.type_name.clone())
        .ok_or_else(|| OpError::NotFound(id.to_owned()))?;
    let entity = schema
        .entity(&type_name)
        .ok_or_else(|| ValidationError::UnknownType(type_name.clone()))?;
    validate::check_patch_type(body, &type_name)?;
    let checked = validate::check_profile(schema, entity, body, Mode::Update)?;
    if let Some(root) = &checked.root_bind {
        let target = store.get(root).map(|o| o.type_name.as_str());
        validate::check_root_target(entity, root, target)?;
    }
    match store.patch(id, checked, now) {
        Some(result) => Ok(result?),
        None => Err(OpError::NotFound(id.to_owned())),
    }
}

/// Points object `id`'s `rootCertificate` at `root` (PUT `$ref`).
pub fn link_root(
    schema: &Schema,
    store: &mut Store,
    id: &str,
    root: &str,
    now: OffsetDateTime,
) -> Result<(), OpError> {
    let type_name = store
        .get(id)
        .map(|o| o.type_name.clone())
        .ok_or_else(|| OpError::NotFound(id.to_owned()))?;
    let entity = schema
        .entity(&type_name)
        .ok_or_else(|| ValidationError::UnknownType(type_name.clone()))?;
    let target = store.get(root).map(|o| o.type_name.as_str());
    validate::check_root_target(entity, root, target)?;
    store.set_root(id, Some(root.to_owned()), now);
    Ok(())
}

/// Replaces the assignments of object `id` with `list` (the `assignments`
/// array of `assign`); returns the new set. Targets without a filter store
/// `no_filter_id` as their filter id, the form this tenant echoes.
pub fn assign(
    schema: &Schema,
    store: &mut Store,
    id: &str,
    list: &Value,
    no_filter_id: &Value,
) -> Result<Vec<Value>, OpError> {
    if store.get(id).is_none() {
        return Err(OpError::NotFound(id.to_owned()));
    }
    let mut items = validate::check_assignments(schema, list)?;
    for item in &mut items {
        if let Some(Value::Object(target)) = item.get_mut("target") {
            let unfiltered = target
                .get(validate::FILTER_TYPE)
                .is_none_or(|t| t.as_str() == Some("none"));
            if unfiltered {
                target.insert(validate::FILTER_ID.into(), no_filter_id.clone());
            }
        }
    }
    store
        .assign(id, items)
        .ok_or_else(|| OpError::NotFound(id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-01-01 00:00:00 UTC);

    fn schema() -> &'static Schema {
        Schema::embedded().expect("schema")
    }

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn root(store: &mut Store, ty: &str) -> String {
        let body = map(
            json!({"@odata.type": format!("#microsoft.graph.{ty}"), "displayName": "r", "trustedRootCertificate": "AQID"}),
        );
        create(schema(), store, &body, NOW).expect("root created")
    }

    fn scep_body(root_id: &str) -> Map<String, Value> {
        map(json!({
            "@odata.type": "#microsoft.graph.iosScepCertificateProfile",
            "displayName": "s", "certificateValidityPeriodScale": "years", "certificateValidityPeriodValue": 1,
            "renewalThresholdPercentage": 20, "subjectNameFormat": "commonName", "keySize": "size2048",
            "keyUsage": "digitalSignature",
            "rootCertificate@odata.bind": format!("https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('{root_id}')"),
        }))
    }

    #[test]
    fn bind_checks_the_target() {
        let mut store = Store::default();
        let ios_root = root(&mut store, "iosTrustedRootCertificate");
        let mac_root = root(&mut store, "macOSTrustedRootCertificate");
        let scep = create(schema(), &mut store, &scep_body(&ios_root), NOW).expect("created");
        assert_eq!(
            store.get(&scep).and_then(|o| o.root.clone()),
            Some(ios_root.clone())
        );

        let err = create(schema(), &mut store, &scep_body(&mac_root), NOW).expect_err("wrong type");
        assert!(
            matches!(err, ValidationError::BindTargetWrongType { .. }),
            "{err}"
        );
        let err = create(schema(), &mut store, &scep_body("missing"), NOW).expect_err("missing");
        assert_eq!(err, ValidationError::BindTargetMissing("missing".into()));

        let err = link_root(schema(), &mut store, &scep, &mac_root, NOW).expect_err("wrong type");
        assert!(
            err.to_string().contains("macOSTrustedRootCertificate"),
            "{err}"
        );
        let err =
            link_root(schema(), &mut store, &ios_root, &ios_root, NOW).expect_err("no navigation");
        assert!(
            err.to_string()
                .contains("no navigation property 'rootCertificate'"),
            "{err}"
        );
    }

    #[test]
    fn update_and_assign_need_the_object() {
        let mut store = Store::default();
        let body = map(
            json!({"@odata.type": "#microsoft.graph.iosTrustedRootCertificate", "displayName": "x"}),
        );
        assert_eq!(
            update(schema(), &mut store, "nope", &body, NOW),
            Err(OpError::NotFound("nope".into()))
        );
        assert_eq!(
            assign(schema(), &mut store, "nope", &json!([]), &Value::Null),
            Err(OpError::NotFound("nope".into()))
        );
        let id = root(&mut store, "iosTrustedRootCertificate");
        assert_eq!(
            update(
                schema(),
                &mut store,
                &id,
                &map(
                    json!({"@odata.type": "#microsoft.graph.iosTrustedRootCertificate", "displayName": "r"})
                ),
                NOW
            ),
            Err(OpError::Invalid(ValidationError::NoChange))
        );
        assert_eq!(update(schema(), &mut store, &id, &body, NOW), Ok(()));
    }
}
