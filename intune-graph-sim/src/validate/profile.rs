//! A profile body as a whole: parsed as a JSON object, each member sorted
//! into `@odata.type`, a bind, a refused annotation, read-only or navigation
//! property, or a declared property handed to the value checker and the
//! rules; on create, required properties enforced and the rest defaulted.

use serde_json::{Map, Value};

use super::bind::check_bind;
use super::error::{Result, ValidationError};
use super::rules::{CREATE_DEFAULTS, READ_ONLY, apply_rules};
use super::values::check_value;
use crate::schema::{EntityType, PropType, Property, Schema};

/// Whether a body creates an object (required properties enforced, defaults
/// filled) or updates one (only what is sent is checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Update,
}

/// A validated profile body.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedProfile {
    /// Create: every declared property except the server-maintained ones,
    /// defaults filled in. Update: exactly the properties sent, normalised.
    pub properties: Map<String, Value>,
    /// The id named by `rootCertificate@odata.bind`, when the body had one.
    pub root_bind: Option<String>,
}

/// Parses a request body as a JSON object.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ValidationError::Json("the body is empty".into()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ValidationError::NotAnObject),
        Err(e) => Err(ValidationError::Json(e.to_string())),
    }
}

/// Validates the properties of a profile body against `entity`.
pub fn check_profile(
    schema: &Schema,
    entity: &EntityType,
    body: &Map<String, Value>,
    mode: Mode,
) -> Result<CheckedProfile> {
    let mut properties = Map::new();
    let mut root_bind = None;
    for (key, value) in body {
        if key == "@odata.type" {
            continue;
        }
        if let Some(navigation) = key.strip_suffix("@odata.bind") {
            root_bind = Some(check_bind(entity, navigation, value)?);
            continue;
        }
        if key.contains('@') {
            return Err(ValidationError::Annotation(key.clone()));
        }
        if READ_ONLY.contains(&key.as_str()) {
            return Err(ValidationError::ReadOnly(key.clone()));
        }
        if entity.navigation(key).is_some() {
            return Err(ValidationError::NavigationInline(key.clone()));
        }
        let property = entity
            .property(key)
            .ok_or_else(|| ValidationError::UnknownProperty {
                path: key.clone(),
                type_name: entity.name.clone(),
            })?;
        let checked = check_value(schema, property, value, key)?;
        apply_rules(key, &checked)?;
        properties.insert(key.clone(), checked);
    }
    if mode == Mode::Create {
        for property in &entity.properties {
            if properties.contains_key(&property.name)
                || READ_ONLY.contains(&property.name.as_str())
            {
                continue;
            }
            if is_required_on_create(property) {
                return Err(ValidationError::Required {
                    path: property.name.clone(),
                    type_name: entity.name.clone(),
                });
            }
            properties.insert(property.name.clone(), default_value(property));
        }
    }
    Ok(CheckedProfile {
        properties,
        root_bind,
    })
}

/// Required on POST: non-nullable, single-valued, primitive or enum, not
/// Boolean (Graph defaults those to `false`), not server-maintained.
pub fn is_required_on_create(property: &Property) -> bool {
    !property.nullable
        && !property.collection
        && !matches!(property.ty, PropType::Complex(_) | PropType::Boolean)
        && !READ_ONLY.contains(&property.name.as_str())
}

/// What an omitted, optional property reads back as.
fn default_value(property: &Property) -> Value {
    if let Some((_, tag)) = CREATE_DEFAULTS
        .iter()
        .find(|(name, _)| *name == property.name)
    {
        Value::Array(vec![Value::String((*tag).to_owned())])
    } else if property.collection {
        Value::Array(Vec::new())
    } else if property.ty == PropType::Boolean && !property.nullable {
        Value::Bool(false)
    } else {
        Value::Null
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{
        Rejection, assert_rejected, create, macos_scep, object, schema, windows_root,
    };
    use super::*;
    use serde_json::json;

    #[test]
    fn valid_create_fills_defaults_and_normalises() {
        let checked = create(macos_scep(), |_| {}).expect("valid");
        let p = &checked.properties;
        assert_eq!(p["keyUsage"], "keyEncipherment,digitalSignature");
        assert_eq!(p["description"], Value::Null);
        assert_eq!(p["scepServerUrls"], json!([]));
        assert_eq!(p["extendedKeyUsages"], json!([]));
        assert_eq!(p["roleScopeTagIds"], json!(["0"]));
        assert!(!p.contains_key("id") && !p.contains_key("version"));
        assert_eq!(checked.root_bind, None);
    }

    #[test]
    fn body_rejections() {
        let cases: Vec<Rejection> = vec![
            (
                "unknown property",
                windows_root(),
                |m| {
                    m.insert("colour".into(), json!("red"));
                },
                "BadRequest",
                "The property 'colour' does not exist on type 'microsoft.graph.windows81TrustedRootCertificate'",
            ),
            (
                "read-only id",
                windows_root(),
                |m| {
                    m.insert("id".into(), json!("x"));
                },
                "ModelValidationFailure",
                "'id' is read-only",
            ),
            (
                "read-only version",
                windows_root(),
                |m| {
                    m.insert("version".into(), json!(3));
                },
                "ModelValidationFailure",
                "'version' is read-only",
            ),
            (
                "read-only supportsScopeTags",
                windows_root(),
                |m| {
                    m.insert("supportsScopeTags".into(), json!(true));
                },
                "ModelValidationFailure",
                "'supportsScopeTags' is read-only",
            ),
            (
                "missing required",
                windows_root(),
                |m| {
                    m.remove("destinationStore");
                },
                "ModelValidationFailure",
                "'destinationStore' is required on 'microsoft.graph.windows81TrustedRootCertificate'",
            ),
            (
                "missing displayName",
                windows_root(),
                |m| {
                    m.remove("displayName");
                },
                "ModelValidationFailure",
                "'displayName' is required",
            ),
            (
                "annotation",
                windows_root(),
                |m| {
                    m.insert("@odata.context".into(), json!("x"));
                },
                "BadRequest",
                "annotation '@odata.context'",
            ),
            (
                "inline navigation",
                windows_root(),
                |m| {
                    m.insert("assignments".into(), json!([]));
                },
                "BadRequest",
                "'assignments' cannot be written inline",
            ),
        ];
        assert_rejected(cases);
    }

    #[test]
    fn update_checks_only_what_is_sent() {
        let entity = schema()
            .entity("windows81TrustedRootCertificate")
            .expect("type");
        let body = object(json!({"description": "d"}));
        let checked = check_profile(schema(), entity, &body, Mode::Update).expect("valid");
        assert_eq!(checked.properties, object(json!({"description": "d"})));
    }

    #[test]
    fn parse_object_rejects_non_objects() {
        let cases: [(&[u8], &str); 4] = [
            (b"", "the body is empty"),
            (b"{", "Unable to read JSON request payload"),
            (b"[]", "must be a JSON object"),
            (b"\"x\"", "must be a JSON object"),
        ];
        for (bytes, fragment) in cases {
            let err = parse_object(bytes).expect_err("rejected");
            assert!(err.to_string().contains(fragment), "{err}");
        }
    }
}
