//! The schema-driven value checker: a property value against its Edm type,
//! recursively through collections and complex types, returned in the form
//! Graph stores (padded base64, flags in declaration order, complex values
//! with `@odata.type` and every member).

use base64::Engine as _;
use serde_json::{Map, Value};

use super::error::{Result, ValidationError, json_kind};
use crate::schema::{self, ASSIGNMENT_TARGET_BASE, PropType, Property, Schema};

/// `8-4-4-4-12` hexadecimal digits, either case.
pub(super) fn is_guid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Checks one property value; returns it normalised.
pub(super) fn check_value(
    schema: &Schema,
    property: &Property,
    value: &Value,
    path: &str,
) -> Result<Value> {
    if !property.collection {
        return match value {
            Value::Null if property.nullable => Ok(Value::Null),
            Value::Null => Err(ValidationError::NotNullable(path.to_owned())),
            _ => check_scalar(schema, &property.ty, value, path),
        };
    }
    let items = match value {
        Value::Array(items) => items,
        Value::Null => return Err(ValidationError::NotNullable(path.to_owned())),
        other => {
            return Err(ValidationError::WrongJsonType {
                path: path.to_owned(),
                expected: format!("an array of {}", describe(&property.ty)),
                found: json_kind(other),
            });
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let item_path = format!("{path}[{index}]");
            match item {
                Value::Null if property.nullable => Ok(Value::Null),
                Value::Null => Err(ValidationError::NotNullable(item_path)),
                _ => check_scalar(schema, &property.ty, item, &item_path),
            }
        })
        .collect::<Result<Vec<_>>>()
        .map(Value::Array)
}

/// One non-null value of `ty` (an element, for collections).
fn check_scalar(schema: &Schema, ty: &PropType, value: &Value, path: &str) -> Result<Value> {
    let wrong = || ValidationError::WrongJsonType {
        path: path.to_owned(),
        expected: describe(ty),
        found: json_kind(value),
    };
    let invalid = |reason: String| ValidationError::Invalid {
        path: path.to_owned(),
        reason,
    };
    match ty {
        PropType::String => value.as_str().map(|_| value.clone()).ok_or_else(wrong),
        PropType::Boolean => value.as_bool().map(|_| value.clone()).ok_or_else(wrong),
        PropType::Int32 => {
            let n = value.as_i64().ok_or_else(wrong)?;
            if i32::try_from(n).is_err() {
                return Err(ValidationError::OutOfRange {
                    path: path.to_owned(),
                    value: n,
                    bounds: format!("an Edm.Int32 between {} and {}", i32::MIN, i32::MAX),
                });
            }
            Ok(value.clone())
        }
        PropType::Binary => {
            let text = value.as_str().ok_or_else(wrong)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| invalid(format!("it is not standard base64 with padding ({e})")))?;
            Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(bytes),
            ))
        }
        PropType::DateTimeOffset => {
            let text = value.as_str().ok_or_else(wrong)?;
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map_err(|_| invalid(format!("'{text}' is not an RFC 3339 date and time")))?;
            Ok(value.clone())
        }
        PropType::Guid => {
            let text = value.as_str().ok_or_else(wrong)?;
            if !is_guid(text) {
                return Err(invalid(format!("'{text}' is not a GUID")));
            }
            Ok(value.clone())
        }
        PropType::Enum(name) => {
            let text = value.as_str().ok_or_else(wrong)?;
            let enum_type = schema
                .enum_type(name)
                .ok_or_else(|| invalid(format!("enum type '{name}' is unknown to the model")))?;
            check_enum(enum_type, text, path).map(Value::String)
        }
        PropType::Complex(name) => check_complex(schema, name, value, path),
    }
}

/// Checks an enum string; flags enums are comma-separated member names and
/// come back in declaration order with the zero member dropped when others
/// are set (as the service echoes them).
fn check_enum(enum_type: &schema::EnumType, text: &str, path: &str) -> Result<String> {
    let unknown = |value: &str| ValidationError::UnknownEnumMember {
        path: path.to_owned(),
        value: value.to_owned(),
        enum_name: enum_type.name.clone(),
        members: enum_type.member_list(),
    };
    if !enum_type.flags {
        return enum_type
            .value_of(text)
            .map(|_| text.to_owned())
            .ok_or_else(|| unknown(text));
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut bits = 0i64;
    for (index, raw) in text.split(',').enumerate() {
        let part = if index == 0 {
            raw
        } else {
            raw.trim_start_matches(' ')
        };
        if part.is_empty() {
            return Err(ValidationError::Invalid {
                path: path.to_owned(),
                reason: format!(
                    "'{text}' has an empty member; flags are comma-separated member names"
                ),
            });
        }
        let value = enum_type.value_of(part).ok_or_else(|| unknown(part))?;
        if seen.contains(&part) {
            return Err(ValidationError::Invalid {
                path: path.to_owned(),
                reason: format!("'{text}' names '{part}' more than once"),
            });
        }
        seen.push(part);
        bits |= value;
    }
    let mut members: Vec<&str> = enum_type
        .members
        .iter()
        .filter(|(_, value)| *value != 0 && bits & value == *value)
        .map(|(name, _)| name.as_str())
        .collect();
    if members.is_empty() {
        members.extend(
            enum_type
                .members
                .iter()
                .filter(|(_, value)| *value == 0)
                .map(|(name, _)| name.as_str()),
        );
    }
    Ok(members.join(","))
}

/// Checks a complex value (polymorphic when `@odata.type` names a derived
/// type); returns it with `@odata.type` and every property of its type.
fn check_complex(schema: &Schema, declared: &str, value: &Value, path: &str) -> Result<Value> {
    let Value::Object(object) = value else {
        return Err(ValidationError::WrongJsonType {
            path: path.to_owned(),
            expected: format!("an object (microsoft.graph.{declared})"),
            found: json_kind(value),
        });
    };
    let type_path = format!("{path}.@odata.type");
    let declared_type = schema
        .complex(declared)
        .ok_or_else(|| ValidationError::UnknownType(format!("microsoft.graph.{declared}")))?;
    let actual = match object.get("@odata.type") {
        None if declared_type.is_abstract => {
            return Err(ValidationError::Invalid {
                path: type_path,
                reason: format!(
                    "'microsoft.graph.{declared}' is abstract, so '@odata.type' must name one of: {}",
                    schema.concrete_complex_types_of(declared).join(", ")
                ),
            });
        }
        None => declared_type,
        Some(Value::String(sent)) => {
            let resolved = schema::short_type_name(sent)
                .and_then(|name| schema.complex(name))
                .ok_or_else(|| ValidationError::UnknownType(sent.clone()))?;
            if !schema.complex_is_a(&resolved.name, declared) || resolved.is_abstract {
                return Err(ValidationError::Invalid {
                    path: type_path,
                    reason: format!(
                        "'{sent}' is not a concrete type deriving from 'microsoft.graph.{declared}'{}",
                        if declared == ASSIGNMENT_TARGET_BASE || declared_type.is_abstract {
                            format!(
                                "; use one of: {}",
                                schema.concrete_complex_types_of(declared).join(", ")
                            )
                        } else {
                            String::new()
                        }
                    ),
                });
            }
            resolved
        }
        Some(other) => {
            return Err(ValidationError::WrongJsonType {
                path: type_path,
                expected: "a string".into(),
                found: json_kind(other),
            });
        }
    };
    let mut result = Map::new();
    result.insert(
        "@odata.type".into(),
        Value::String(schema::odata_type(&actual.name)),
    );
    for (key, item) in object {
        if key == "@odata.type" {
            continue;
        }
        let item_path = format!("{path}.{key}");
        if key.contains('@') {
            return Err(ValidationError::Annotation(item_path));
        }
        let property = actual
            .properties
            .iter()
            .find(|p| p.name == *key)
            .ok_or_else(|| ValidationError::UnknownProperty {
                path: item_path.clone(),
                type_name: actual.name.clone(),
            })?;
        result.insert(
            key.clone(),
            check_value(schema, property, item, &item_path)?,
        );
    }
    for property in &actual.properties {
        if result.contains_key(&property.name) {
            continue;
        }
        let default = if property.collection {
            Value::Array(Vec::new())
        } else if property.nullable {
            Value::Null
        } else {
            match &property.ty {
                PropType::Boolean => Value::Bool(false),
                PropType::Enum(name) => {
                    let zero = schema
                        .enum_type(name)
                        .and_then(|e| e.members.iter().find(|(_, v)| *v == 0))
                        .map(|(member, _)| member.clone());
                    match zero {
                        Some(member) => Value::String(member),
                        None => {
                            return Err(ValidationError::Required {
                                path: format!("{path}.{}", property.name),
                                type_name: actual.name.clone(),
                            });
                        }
                    }
                }
                _ => {
                    return Err(ValidationError::Required {
                        path: format!("{path}.{}", property.name),
                        type_name: actual.name.clone(),
                    });
                }
            }
        };
        result.insert(property.name.clone(), default);
    }
    Ok(Value::Object(result))
}

/// How a type is named in "must be ..." messages.
fn describe(ty: &PropType) -> String {
    match ty {
        PropType::String => "a string".into(),
        PropType::Int32 => "an integer (Edm.Int32)".into(),
        PropType::Boolean => "true or false".into(),
        PropType::Binary => "a base64 string (Edm.Binary)".into(),
        PropType::DateTimeOffset => "an RFC 3339 date-time string".into(),
        PropType::Guid => "a GUID string".into(),
        PropType::Enum(name) => format!("a string naming a member of microsoft.graph.{name}"),
        PropType::Complex(name) => format!("an object (microsoft.graph.{name})"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{
        Acceptance, Rejection, assert_accepted, assert_rejected, macos_scep, windows_root,
    };
    use super::*;
    use serde_json::json;

    #[test]
    fn rejected_values() {
        let cases: Vec<Rejection> = vec![
            (
                "bad enum",
                windows_root(),
                |m| {
                    m.insert("destinationStore".into(), json!("ComputerCertStoreRoot"));
                },
                "BadRequest",
                "'ComputerCertStoreRoot' of property 'destinationStore' is not a member of enum 'microsoft.graph.certificateDestinationStore'",
            ),
            (
                "bad base64",
                windows_root(),
                |m| {
                    m.insert("trustedRootCertificate".into(), json!("not base64!"));
                },
                "BadRequest",
                "'trustedRootCertificate' is invalid: it is not standard base64",
            ),
            (
                "unpadded base64",
                windows_root(),
                |m| {
                    m.insert("trustedRootCertificate".into(), json!("QUJD RA"));
                },
                "BadRequest",
                "not standard base64",
            ),
            (
                "missing padding",
                windows_root(),
                |m| {
                    m.insert("trustedRootCertificate".into(), json!("QUJDRA"));
                },
                "BadRequest",
                "not standard base64",
            ),
            (
                "null non-nullable",
                windows_root(),
                |m| {
                    m.insert("displayName".into(), Value::Null);
                },
                "ModelValidationFailure",
                "'displayName' cannot be null",
            ),
            (
                "wrong json type",
                windows_root(),
                |m| {
                    m.insert("displayName".into(), json!(5));
                },
                "BadRequest",
                "'displayName' must be a string, but the request has an integer",
            ),
            (
                "null collection",
                windows_root(),
                |m| {
                    m.insert("roleScopeTagIds".into(), Value::Null);
                },
                "ModelValidationFailure",
                "'roleScopeTagIds' cannot be null",
            ),
            (
                "int32 overflow",
                macos_scep(),
                |m| {
                    m.insert(
                        "certificateValidityPeriodValue".into(),
                        json!(3_000_000_000i64),
                    );
                },
                "ModelValidationFailure",
                "Edm.Int32",
            ),
            (
                "fractional int",
                macos_scep(),
                |m| {
                    m.insert("certificateValidityPeriodValue".into(), json!(1.5));
                },
                "BadRequest",
                "must be an integer (Edm.Int32), but the request has a fractional number",
            ),
            (
                "flags duplicate",
                macos_scep(),
                |m| {
                    m.insert(
                        "keyUsage".into(),
                        json!("digitalSignature,digitalSignature"),
                    );
                },
                "BadRequest",
                "more than once",
            ),
            (
                "flags empty part",
                macos_scep(),
                |m| {
                    m.insert("keyUsage".into(), json!("digitalSignature,"));
                },
                "BadRequest",
                "empty member",
            ),
            (
                "flags case",
                macos_scep(),
                |m| {
                    m.insert("keyUsage".into(), json!("DigitalSignature"));
                },
                "BadRequest",
                "not a member of enum 'microsoft.graph.keyUsages'",
            ),
            (
                "apple enum on apple type",
                macos_scep(),
                |m| {
                    m.insert("subjectNameFormat".into(), json!("commonNameAsAadDeviceId"));
                },
                "BadRequest",
                "microsoft.graph.appleSubjectNameFormat",
            ),
            (
                "complex unknown property",
                macos_scep(),
                |m| {
                    m.insert(
                        "extendedKeyUsages".into(),
                        json!([{"name": "a", "oid": "1.2"}]),
                    );
                },
                "BadRequest",
                "'extendedKeyUsages[0].oid' does not exist on type 'microsoft.graph.extendedKeyUsage'",
            ),
            (
                "complex wrong type annotation",
                macos_scep(),
                |m| {
                    m.insert(
                        "extendedKeyUsages".into(),
                        json!([{"@odata.type": "#microsoft.graph.customSubjectAlternativeName"}]),
                    );
                },
                "BadRequest",
                "extendedKeyUsages[0].@odata.type",
            ),
            (
                "non-nullable element null",
                macos_scep(),
                |m| {
                    m.insert("extendedKeyUsages".into(), json!([null]));
                },
                "ModelValidationFailure",
                "'extendedKeyUsages[0]' cannot be null",
            ),
            (
                "collection not array",
                macos_scep(),
                |m| {
                    m.insert("scepServerUrls".into(), json!("https://x"));
                },
                "BadRequest",
                "'scepServerUrls' must be an array of a string",
            ),
        ];
        assert_rejected(cases);
    }

    #[test]
    fn accepted_values() {
        let cases: Vec<Acceptance> = vec![
            (
                "flags with space",
                |m| {
                    m.insert(
                        "keyUsage".into(),
                        json!("digitalSignature, keyEncipherment"),
                    );
                },
                "keyUsage",
                json!("keyEncipherment,digitalSignature"),
            ),
            (
                "complex gets type and defaults",
                |m| {
                    m.insert(
                        "customSubjectAlternativeNames".into(),
                        json!([{"name": "x"}]),
                    );
                },
                "customSubjectAlternativeNames",
                json!([{"@odata.type": "#microsoft.graph.customSubjectAlternativeName", "name": "x", "sanType": "none"}]),
            ),
            (
                "nullable flags",
                |m| {
                    m.insert(
                        "subjectAlternativeNameType".into(),
                        json!("none,emailAddress"),
                    );
                },
                "subjectAlternativeNameType",
                json!("emailAddress"),
            ),
            (
                "flags zero member",
                |m| {
                    m.insert("subjectAlternativeNameType".into(), json!("none"));
                },
                "subjectAlternativeNameType",
                json!("none"),
            ),
        ];
        assert_accepted(cases);
    }

    #[test]
    fn guids() {
        let cases = [
            ("11111111-2222-3333-4444-555555555555", true),
            ("ABCDEFab-2222-3333-4444-555555555555", true),
            ("11111111222233334444555555555555", false),
            ("{11111111-2222-3333-4444-555555555555}", false),
            ("g1111111-2222-3333-4444-555555555555", false),
            ("", false),
        ];
        for (text, expected) in cases {
            assert_eq!(is_guid(text), expected, "{text}");
        }
    }
}
