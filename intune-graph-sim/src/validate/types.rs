//! Which entity type a body is: the concrete device-configuration type a
//! create names in `@odata.type`, and the check that a PATCH names the
//! object's own type.

use serde_json::{Map, Value};

use super::error::{Result, ValidationError, json_kind};
use crate::schema::{self, EntityType, Schema};

/// The concrete device-configuration type a create body names.
pub fn resolve_create_type<'s>(
    schema: &'s Schema,
    body: &Map<String, Value>,
) -> Result<&'s EntityType> {
    let sent = match body.get("@odata.type") {
        None | Some(Value::Null) => return Err(ValidationError::MissingType),
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(ValidationError::WrongJsonType {
                path: "@odata.type".into(),
                expected: "a string such as '#microsoft.graph.iosTrustedRootCertificate'".into(),
                found: json_kind(other),
            });
        }
    };
    let entity = schema::short_type_name(sent)
        .and_then(|name| schema.entity(name))
        .ok_or_else(|| ValidationError::UnknownType(sent.clone()))?;
    if !schema.entity_is_a(&entity.name, "deviceConfiguration") {
        let reason = match &entity.collection_path {
            Some(path) => format!("it is not a deviceConfiguration; it lives in {path}"),
            None => "it is not a deviceConfiguration".to_owned(),
        };
        return Err(ValidationError::WrongCollection {
            name: sent.clone(),
            reason,
        });
    }
    if entity.is_abstract {
        return Err(ValidationError::AbstractType(sent.clone()));
    }
    if entity.collection_path.as_deref() != Some(schema::DEVICE_CONFIGURATIONS) {
        return Err(ValidationError::WrongCollection {
            name: sent.clone(),
            reason: "it is not served from this collection".into(),
        });
    }
    Ok(entity)
}

/// Checks the `@odata.type` of a PATCH body against the object's type. It
/// is required: `deviceConfiguration` is abstract, and Graph refuses a
/// PATCH without it ("Cannot create an abstract class").
pub fn check_patch_type(body: &Map<String, Value>, actual: &str) -> Result<()> {
    match body.get("@odata.type") {
        None => Err(ValidationError::MissingType),
        Some(Value::String(sent)) if schema::short_type_name(sent) == Some(actual) => Ok(()),
        Some(Value::String(sent)) => Err(ValidationError::TypeMismatch {
            sent: sent.clone(),
            actual: actual.to_owned(),
        }),
        Some(other) => Err(ValidationError::WrongJsonType {
            path: "@odata.type".into(),
            expected: "a string".into(),
            found: json_kind(other),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{
        Acceptance, Rejection, assert_accepted, assert_rejected, object, schema, windows_root,
    };
    use super::*;
    use serde_json::json;

    #[test]
    fn create_types() {
        let cases: Vec<Rejection> = vec![
            (
                "missing type",
                windows_root(),
                |m| {
                    m.remove("@odata.type");
                },
                "ModelValidationFailure",
                "Cannot create an abstract class",
            ),
            (
                "unknown type",
                windows_root(),
                |m| {
                    m.insert("@odata.type".into(), json!("#microsoft.graph.nope"));
                },
                "BadRequest",
                "'#microsoft.graph.nope' could not be resolved",
            ),
            (
                "abstract type",
                windows_root(),
                |m| {
                    m.insert(
                        "@odata.type".into(),
                        json!("#microsoft.graph.windows81CertificateProfileBase"),
                    );
                },
                "ModelValidationFailure",
                "abstract",
            ),
            (
                "windows 10X type",
                windows_root(),
                |m| {
                    m.insert(
                        "@odata.type".into(),
                        json!("#microsoft.graph.windows10XTrustedRootCertificate"),
                    );
                },
                "ModelValidationFailure",
                "/deviceManagement/resourceAccessProfiles",
            ),
            (
                "assignment type",
                windows_root(),
                |m| {
                    m.insert(
                        "@odata.type".into(),
                        json!("#microsoft.graph.deviceConfigurationAssignment"),
                    );
                },
                "ModelValidationFailure",
                "not a deviceConfiguration",
            ),
        ];
        assert_rejected(cases);
        let cases: Vec<Acceptance> = vec![(
            "odata type without hash",
            |m| {
                m.insert(
                    "@odata.type".into(),
                    json!("microsoft.graph.macOSScepCertificateProfile"),
                );
            },
            "keySize",
            json!("size2048"),
        )];
        assert_accepted(cases);
    }

    #[test]
    fn patch_types() {
        let entity = schema()
            .entity("windows81TrustedRootCertificate")
            .expect("type");
        let cases = [
            (json!({"description": "d"}), Some("abstract class")),
            (
                json!({"@odata.type": "#microsoft.graph.windows81TrustedRootCertificate"}),
                None,
            ),
            (
                json!({"@odata.type": "#microsoft.graph.iosTrustedRootCertificate"}),
                Some("cannot change"),
            ),
            (json!({"@odata.type": 3}), Some("must be a string")),
        ];
        for (body, expected) in cases {
            let result = check_patch_type(&object(body.clone()), &entity.name);
            match expected {
                None => assert!(result.is_ok(), "{body}"),
                Some(fragment) => assert!(
                    result.expect_err("rejected").to_string().contains(fragment),
                    "{body}"
                ),
            }
        }
    }
}
