//! Request-body validation for device configurations and assignments, judged
//! only by the Graph schema data (plus the small [`RULES`] table of limits
//! Intune enforces beyond the metadata).
//!
//! It is strict on purpose: a fake that accepts what Graph rejects lets client
//! bugs through. It returns normalised values (flags enums in declaration
//! order, complex values with `@odata.type` and every property) and never
//! touches the store; checks that need other objects (does the bound root
//! exist, is it the right type) are done by the caller with
//! [`check_root_target`].

use base64::Engine as _;
use serde_json::{Map, Value};

use super::schema::{self, ASSIGNMENT_TARGET_BASE, EntityType, PropType, Property, Schema};

/// Properties the service maintains; a client sending one is rejected.
pub const READ_ONLY: &[&str] = &[
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "version",
    "supportsScopeTags",
];

/// The only navigation property a body may bind, and its bind annotation.
pub const ROOT_CERTIFICATE: &str = "rootCertificate";
const ROOT_BIND: &str = "rootCertificate@odata.bind";

/// A limit Intune enforces that the metadata cannot express.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// An `Int32` property must lie in `min..=max` (`max` `None`: no upper bound).
    IntRange { min: i64, max: Option<i64> },
    /// A `Binary` property must decode to at least one byte.
    NonEmptyBinary,
}

/// Per-property limits, applied to profile properties of any type.
pub const RULES: &[(&str, Rule)] = &[
    (
        "renewalThresholdPercentage",
        Rule::IntRange {
            min: 1,
            max: Some(99),
        },
    ),
    (
        "certificateValidityPeriodValue",
        Rule::IntRange { min: 1, max: None },
    ),
    ("trustedRootCertificate", Rule::NonEmptyBinary),
];

/// What Intune stores for a property a create body omits, where that is not
/// the type's null/empty value: `roleScopeTagIds` becomes the built-in
/// Default scope tag.
pub const CREATE_DEFAULTS: &[(&str, &str)] = &[("roleScopeTagIds", "0")];

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

/// Why a request body was rejected. The `Display` text is Graph's
/// `error.message`; [`ValidationError::code`] is `error.code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The body is not valid JSON.
    #[error(
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format: {0}"
    )]
    Json(String),
    /// The body is JSON but not an object.
    #[error("The request body must be a JSON object.")]
    NotAnObject,
    /// A create or update body has no `@odata.type`, so the abstract base
    /// would be built (Graph answers so for a PATCH without it too).
    #[error(
        "Cannot create an abstract class. The body has no '@odata.type'; deviceConfiguration is abstract, so name a concrete type such as '#microsoft.graph.iosTrustedRootCertificate'."
    )]
    MissingType,
    /// `@odata.type` does not name a type of the model.
    #[error("A type named '{0}' could not be resolved by the model.")]
    UnknownType(String),
    /// `@odata.type` names an abstract type.
    #[error("Cannot create an abstract class: '{0}' is abstract; name a concrete type.")]
    AbstractType(String),
    /// `@odata.type` names a type that does not live in this collection.
    #[error("'{name}' cannot be created in /deviceManagement/deviceConfigurations: {reason}.")]
    WrongCollection { name: String, reason: String },
    /// A PATCH names another type than the object has.
    #[error(
        "'@odata.type' is '{sent}' but the object is '#microsoft.graph.{actual}'; the type of an existing object cannot change."
    )]
    TypeMismatch { sent: String, actual: String },
    /// A property the type does not declare.
    #[error("The property '{path}' does not exist on type 'microsoft.graph.{type_name}'.")]
    UnknownProperty { path: String, type_name: String },
    /// A server-maintained property was sent.
    #[error("The property '{0}' is read-only; the service sets it.")]
    ReadOnly(String),
    /// A navigation property written inline instead of bound.
    #[error(
        "The navigation property '{0}' cannot be written inline; use '{0}@odata.bind' with the URL of an existing object."
    )]
    NavigationInline(String),
    /// An instance annotation other than `@odata.type` and the root bind.
    #[error("The annotation '{0}' is not allowed in a request body.")]
    Annotation(String),
    /// A value of the wrong JSON type.
    #[error("The property '{path}' must be {expected}, but the request has {found}.")]
    WrongJsonType {
        path: String,
        expected: String,
        found: &'static str,
    },
    /// A value of the right JSON type that is still not acceptable.
    #[error("The property '{path}' is invalid: {reason}.")]
    Invalid { path: String, reason: String },
    /// `null` for a non-nullable property or collection element.
    #[error("The property '{0}' cannot be null.")]
    NotNullable(String),
    /// A required property is missing.
    #[error("The property '{path}' is required on 'microsoft.graph.{type_name}' but is missing.")]
    Required { path: String, type_name: String },
    /// A number outside Graph's limits.
    #[error("The property '{path}' must be {bounds}; the request has {value}.")]
    OutOfRange {
        path: String,
        value: i64,
        bounds: String,
    },
    /// A string that is not a member of the property's enum.
    #[error(
        "The value '{value}' of property '{path}' is not a member of enum 'microsoft.graph.{enum_name}'. Valid members: {members}."
    )]
    UnknownEnumMember {
        path: String,
        value: String,
        enum_name: String,
        members: String,
    },
    /// A bind annotation whose URL does not address a device configuration.
    #[error(
        "'{annotation}' must be the URL of a device configuration, like 'https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('{{id}}')'; the request has '{value}'."
    )]
    BindMalformed { annotation: String, value: String },
    /// A bind annotation for a navigation the type cannot bind.
    #[error(
        "Type 'microsoft.graph.{type_name}' has no navigation property '{navigation}' that can be bound."
    )]
    BindNotSupported {
        navigation: String,
        type_name: String,
    },
    /// The bound root does not exist.
    #[error("rootCertificate references '{0}', but no device configuration with that id exists.")]
    BindTargetMissing(String),
    /// The bound root is not the navigation's target type.
    #[error(
        "rootCertificate of 'microsoft.graph.{owner}' must reference a 'microsoft.graph.{expected}', but '{id}' is a 'microsoft.graph.{actual}'."
    )]
    BindTargetWrongType {
        owner: String,
        expected: String,
        id: String,
        actual: String,
    },
    /// A PATCH that would change nothing.
    #[error("Invalid patch, at least 1 property must be changed.")]
    NoChange,
}

impl ValidationError {
    /// Graph's `error.code`: `BadRequest` when the body cannot be read as the
    /// model, `ModelValidationFailure` when it can but breaks a model rule.
    pub fn code(&self) -> &'static str {
        use ValidationError as E;
        match self {
            E::Json(_)
            | E::NotAnObject
            | E::UnknownType(_)
            | E::UnknownProperty { .. }
            | E::Annotation(_)
            | E::WrongJsonType { .. }
            | E::Invalid { .. }
            | E::UnknownEnumMember { .. }
            | E::BindMalformed { .. }
            | E::BindNotSupported { .. }
            | E::NavigationInline(_) => "BadRequest",
            E::MissingType
            | E::AbstractType(_)
            | E::WrongCollection { .. }
            | E::TypeMismatch { .. }
            | E::ReadOnly(_)
            | E::NotNullable(_)
            | E::Required { .. }
            | E::OutOfRange { .. }
            | E::BindTargetMissing(_)
            | E::BindTargetWrongType { .. }
            | E::NoChange => "ModelValidationFailure",
        }
    }
}

type Result<T> = std::result::Result<T, ValidationError>;

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
            if navigation != ROOT_CERTIFICATE || entity.navigation(ROOT_CERTIFICATE).is_none() {
                return Err(ValidationError::BindNotSupported {
                    navigation: navigation.to_owned(),
                    type_name: entity.name.clone(),
                });
            }
            root_bind = Some(parse_bind_value(ROOT_BIND, value)?);
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

/// Checks that a bound root exists (`target_type` is its type, `None` when
/// missing) and is exactly the navigation's target type of `owner`.
pub fn check_root_target(owner: &EntityType, id: &str, target_type: Option<&str>) -> Result<()> {
    let Some(expected) = owner
        .navigation(ROOT_CERTIFICATE)
        .map(|n| n.target.as_str())
    else {
        return Err(ValidationError::BindNotSupported {
            navigation: ROOT_CERTIFICATE.into(),
            type_name: owner.name.clone(),
        });
    };
    match target_type {
        None => Err(ValidationError::BindTargetMissing(id.to_owned())),
        Some(actual) if actual == expected => Ok(()),
        Some(actual) => Err(ValidationError::BindTargetWrongType {
            owner: owner.name.clone(),
            expected: expected.to_owned(),
            id: id.to_owned(),
            actual: actual.to_owned(),
        }),
    }
}

/// Reads a bind annotation's value (`annotation` names it in errors).
pub fn parse_bind_value(annotation: &str, value: &Value) -> Result<String> {
    let malformed = || ValidationError::BindMalformed {
        annotation: annotation.to_owned(),
        value: match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
    };
    let url = value.as_str().ok_or_else(malformed)?;
    device_configuration_id_from_url(url).ok_or_else(malformed)
}

/// The id in a URL addressing one device configuration:
/// `[scheme://host][/beta]/deviceManagement/deviceConfigurations('{id}')` or
/// `.../deviceConfigurations/{id}`. Segment names are case-insensitive.
pub fn device_configuration_id_from_url(url: &str) -> Option<String> {
    let path = match url.split_once("://") {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            &rest[rest.find('/')?..]
        }
        Some(_) => return None,
        None => url,
    };
    if path.contains(['?', '#']) {
        return None;
    }
    let mut segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if segments
        .first()
        .is_some_and(|s| s.eq_ignore_ascii_case("beta"))
    {
        segments.remove(0);
    }
    match segments.as_slice() {
        [dm, collection] if dm.eq_ignore_ascii_case("deviceManagement") => {
            match super::odata::key_segment(collection)? {
                (name, Some(key)) if name.eq_ignore_ascii_case("deviceConfigurations") => Some(key),
                _ => None,
            }
        }
        [dm, collection, id] if dm.eq_ignore_ascii_case("deviceManagement") => {
            let id = super::odata::percent_decode(id, false)?;
            (collection.eq_ignore_ascii_case("deviceConfigurations") && !id.is_empty())
                .then_some(id)
        }
        _ => None,
    }
}

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

/// `8-4-4-4-12` hexadecimal digits, either case.
pub fn is_guid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn apply_rules(name: &str, value: &Value) -> Result<()> {
    for (property, rule) in RULES {
        if *property != name {
            continue;
        }
        match (rule, value) {
            (Rule::IntRange { min, max }, Value::Number(n)) => {
                let Some(v) = n.as_i64() else { continue };
                if v < *min || max.is_some_and(|max| v > max) {
                    let bounds = match max {
                        Some(max) => format!("between {min} and {max}"),
                        None => format!("at least {min}"),
                    };
                    return Err(ValidationError::OutOfRange {
                        path: name.to_owned(),
                        value: v,
                        bounds,
                    });
                }
            }
            (Rule::NonEmptyBinary, Value::String(s)) if s.is_empty() => {
                return Err(ValidationError::Invalid {
                    path: name.to_owned(),
                    reason: "it must hold at least one byte (base64 of the certificate)".into(),
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks one property value; returns it normalised.
fn check_value(schema: &Schema, property: &Property, value: &Value, path: &str) -> Result<Value> {
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

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a fractional number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CERT_B64: &str = "MIIBszCCAVmgAwIBAgIU"; // any non-empty valid base64

    fn schema() -> &'static Schema {
        Schema::embedded().expect("schema")
    }

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("test body must be an object"),
        }
    }

    fn windows_root() -> Value {
        json!({
            "@odata.type": "#microsoft.graph.windows81TrustedRootCertificate",
            "displayName": "root",
            "trustedRootCertificate": CERT_B64,
            "destinationStore": "computerCertStoreRoot",
        })
    }

    fn macos_scep() -> Value {
        json!({
            "@odata.type": "#microsoft.graph.macOSScepCertificateProfile",
            "displayName": "scep",
            "certificateValidityPeriodScale": "years",
            "certificateValidityPeriodValue": 1,
            "renewalThresholdPercentage": 20,
            "subjectNameFormat": "commonName",
            "keySize": "size2048",
            "keyUsage": "digitalSignature,keyEncipherment",
        })
    }

    /// Runs a create with `body` after applying `edit`.
    fn create(
        mut body: Value,
        edit: impl FnOnce(&mut Map<String, Value>),
    ) -> Result<CheckedProfile> {
        let map = body.as_object_mut().expect("object");
        edit(map);
        let map = object(body);
        let entity = resolve_create_type(schema(), &map)?;
        check_profile(schema(), entity, &map, Mode::Create)
    }

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
    fn create_rejections() {
        type Edit = fn(&mut Map<String, Value>);
        let cases: Vec<(&str, Value, Edit, &str, &str)> = vec![
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
                "empty certificate",
                windows_root(),
                |m| {
                    m.insert("trustedRootCertificate".into(), json!(""));
                },
                "BadRequest",
                "at least one byte",
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
            (
                "bind without navigation",
                windows_root(),
                |m| {
                    m.insert(
                        "rootCertificate@odata.bind".into(),
                        json!("deviceManagement/deviceConfigurations('a')"),
                    );
                },
                "BadRequest",
                "no navigation property 'rootCertificate'",
            ),
            (
                "renewal too high",
                macos_scep(),
                |m| {
                    m.insert("renewalThresholdPercentage".into(), json!(100));
                },
                "ModelValidationFailure",
                "'renewalThresholdPercentage' must be between 1 and 99; the request has 100",
            ),
            (
                "renewal zero",
                macos_scep(),
                |m| {
                    m.insert("renewalThresholdPercentage".into(), json!(0));
                },
                "ModelValidationFailure",
                "between 1 and 99",
            ),
            (
                "validity zero",
                macos_scep(),
                |m| {
                    m.insert("certificateValidityPeriodValue".into(), json!(0));
                },
                "ModelValidationFailure",
                "'certificateValidityPeriodValue' must be at least 1",
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
            (
                "bind malformed",
                macos_scep(),
                |m| {
                    m.insert(
                        "rootCertificate@odata.bind".into(),
                        json!("https://graph.microsoft.com/beta/users('x')"),
                    );
                },
                "BadRequest",
                "must be the URL of a device configuration",
            ),
            (
                "bind other navigation",
                macos_scep(),
                |m| {
                    m.insert("assignments@odata.bind".into(), json!([]));
                },
                "BadRequest",
                "no navigation property 'assignments' that can be bound",
            ),
        ];
        for (name, body, edit, code, fragment) in cases {
            let err = create(body, edit).expect_err(name);
            assert_eq!(err.code(), code, "{name}: {err}");
            assert!(err.to_string().contains(fragment), "{name}: {err}");
        }
    }

    #[test]
    fn accepted_values() {
        type Edit = fn(&mut Map<String, Value>);
        let cases: Vec<(&str, Edit, &str, Value)> = vec![
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
                "odata type without hash",
                |m| {
                    m.insert(
                        "@odata.type".into(),
                        json!("microsoft.graph.macOSScepCertificateProfile"),
                    );
                },
                "keySize",
                json!("size2048"),
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
            (
                "bind absolute",
                |m| {
                    m.insert("rootCertificate@odata.bind".into(), json!("https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('abc')"));
                },
                "displayName",
                json!("scep"),
            ),
        ];
        for (name, edit, property, expected) in cases {
            let checked = create(macos_scep(), edit).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(checked.properties[property], expected, "{name}");
        }
    }

    #[test]
    fn bind_urls() {
        let cases = [
            (
                "https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('a-1')",
                Some("a-1"),
            ),
            (
                "http://127.0.0.1:9/beta/deviceManagement/deviceConfigurations/a-1",
                Some("a-1"),
            ),
            (
                "/beta/devicemanagement/DeviceConfigurations('a-1')",
                Some("a-1"),
            ),
            ("deviceManagement/deviceConfigurations(a-1)", Some("a-1")),
            (
                "https://graph.microsoft.com/v1.0/deviceManagement/deviceConfigurations('a-1')",
                None,
            ),
            (
                "https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations",
                None,
            ),
            (
                "https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('a')/x",
                None,
            ),
            (
                "https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('')",
                None,
            ),
            (
                "ftp://h/beta/deviceManagement/deviceConfigurations('a')",
                None,
            ),
            (
                "https://h/beta/deviceManagement/deviceConfigurations('a')?x=1",
                None,
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(
                device_configuration_id_from_url(url).as_deref(),
                expected,
                "{url}"
            );
        }
    }

    #[test]
    fn patch_checks_only_what_is_sent() {
        let entity = schema()
            .entity("windows81TrustedRootCertificate")
            .expect("type");
        let body = object(json!({"description": "d"}));
        let checked = check_profile(schema(), entity, &body, Mode::Update).expect("valid");
        assert_eq!(checked.properties, object(json!({"description": "d"})));
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

    #[test]
    fn root_targets() {
        let scep = schema()
            .entity("macOSScepCertificateProfile")
            .expect("type");
        let pkcs = schema()
            .entity("windows10PkcsCertificateProfile")
            .expect("type");
        assert!(check_root_target(scep, "r", Some("macOSTrustedRootCertificate")).is_ok());
        let cases = [
            (
                scep,
                Some("iosTrustedRootCertificate"),
                "must reference a 'microsoft.graph.macOSTrustedRootCertificate', but 'r' is a 'microsoft.graph.iosTrustedRootCertificate'",
            ),
            (scep, None, "no device configuration with that id"),
            (
                pkcs,
                Some("windows81TrustedRootCertificate"),
                "no navigation property 'rootCertificate'",
            ),
        ];
        for (owner, actual, fragment) in cases {
            let err = check_root_target(owner, "r", actual).expect_err("rejected");
            assert!(err.to_string().contains(fragment), "{err}");
        }
    }

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
