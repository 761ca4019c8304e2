//! Why a request body is refused: [`ValidationError`], whose text is
//! Graph's `error.message` and whose [`ValidationError::code`] is its
//! `error.code`, and the words the messages use for JSON values.

use serde_json::Value;

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

/// What every check here returns.
pub(super) type Result<T> = std::result::Result<T, ValidationError>;

/// How a JSON value is named in "but the request has ..." messages.
pub(super) fn json_kind(value: &Value) -> &'static str {
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
