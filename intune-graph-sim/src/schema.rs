//! The simulator's own view of the Graph beta schema: entity types, complex
//! types and enums read from `data/graph-schema.json` into lookup
//! tables, once per process.
//!
//! It exists so that the simulator judges requests from Microsoft's metadata
//! alone. It must not use the provider's generated model
//! (`crate::resources::model`): a bug there would then be invisible in tests.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

/// The schema document, embedded so the simulator needs no files at run time.
const SCHEMA_JSON: &str = include_str!("../../data/graph-schema.json");

/// The collection every profile type this simulator serves lives in.
pub const DEVICE_CONFIGURATIONS: &str = "/deviceManagement/deviceConfigurations";

/// The abstract base of every assignment target.
pub const ASSIGNMENT_TARGET_BASE: &str = "deviceAndAppManagementAssignmentTarget";

/// Why the embedded schema could not be read (a broken fixture, i.e. our bug).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SchemaError {
    /// The fixture is not valid JSON.
    #[error("the Graph schema fixture is not valid JSON: {0}")]
    Json(String),
    /// A member the loader relies on is missing or has the wrong JSON type.
    #[error("the Graph schema fixture lacks {0}")]
    Missing(String),
    /// A property names a type the loader does not know how to check.
    #[error("property {property} has unsupported type {ty}")]
    UnsupportedType { property: String, ty: String },
}

/// The type of a structural property (for collections: of its elements).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropType {
    String,
    Int32,
    Boolean,
    /// Standard, padded base64 in JSON.
    Binary,
    /// RFC 3339 text in JSON.
    DateTimeOffset,
    /// `8-4-4-4-12` hex text in JSON.
    Guid,
    /// An enum by short name (key of [`Schema::enum_type`]).
    Enum(String),
    /// A complex type by short name (key of [`Schema::complex`]).
    Complex(String),
}

/// One structural property of an entity or complex type.
#[derive(Debug, Clone)]
pub struct Property {
    pub name: String,
    pub ty: PropType,
    pub collection: bool,
    /// CSDL `Nullable`; on a collection it constrains the elements.
    pub nullable: bool,
}

/// A navigation property (only its name and target matter here).
#[derive(Debug, Clone)]
pub struct Navigation {
    pub name: String,
    /// Short name of the target type.
    pub target: String,
}

/// An entity type with every property of its base-type chain.
#[derive(Debug, Clone)]
pub struct EntityType {
    pub name: String,
    pub is_abstract: bool,
    /// Nearest base first.
    pub base_types: Vec<String>,
    /// Collection path relative to the service root, when the fixture names one.
    pub collection_path: Option<String>,
    pub properties: Vec<Property>,
    pub navigations: Vec<Navigation>,
}

impl EntityType {
    /// The property named `name`, if the type has one.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// The navigation property named `name`, if the type has one.
    pub fn navigation(&self, name: &str) -> Option<&Navigation> {
        self.navigations.iter().find(|n| n.name == name)
    }
}

/// A complex type with every property of its base-type chain.
#[derive(Debug, Clone)]
pub struct ComplexType {
    pub name: String,
    pub is_abstract: bool,
    /// Nearest base first.
    pub base_types: Vec<String>,
    pub properties: Vec<Property>,
}

/// An enum type; members in declaration order with their numeric values.
#[derive(Debug, Clone)]
pub struct EnumType {
    pub name: String,
    /// Flags enums travel as comma-separated member names.
    pub flags: bool,
    pub members: Vec<(String, i64)>,
}

impl EnumType {
    /// The numeric value of member `name` (exact, case-sensitive match).
    pub fn value_of(&self, name: &str) -> Option<i64> {
        self.members
            .iter()
            .find(|(member, _)| member == name)
            .map(|(_, value)| *value)
    }

    /// Member names joined for error messages.
    pub fn member_list(&self) -> String {
        self.members
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The lookup tables built from the fixture's `beta` section.
#[derive(Debug)]
pub struct Schema {
    entities: HashMap<String, EntityType>,
    complexes: HashMap<String, ComplexType>,
    enums: HashMap<String, EnumType>,
}

impl Schema {
    /// The schema of the embedded fixture, parsed on first use and shared by
    /// every simulator in the process.
    pub fn embedded() -> Result<&'static Schema, SchemaError> {
        static SCHEMA: OnceLock<Result<Schema, SchemaError>> = OnceLock::new();
        SCHEMA
            .get_or_init(|| Schema::parse(SCHEMA_JSON))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Reads a schema document in the fixture's format.
    pub fn parse(text: &str) -> Result<Schema, SchemaError> {
        let doc: Value =
            serde_json::from_str(text).map_err(|e| SchemaError::Json(e.to_string()))?;
        let beta = member(&doc, "beta")?;
        let mut entities = HashMap::new();
        for (name, def) in object(beta, "entityTypes")? {
            entities.insert(name.clone(), read_entity(name, def)?);
        }
        let mut complexes = HashMap::new();
        for (name, def) in object(beta, "complexTypes")? {
            let complex = ComplexType {
                name: name.clone(),
                is_abstract: def
                    .get("abstract")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                base_types: string_list(def, "baseTypeChain")?,
                properties: read_properties(name, def)?,
            };
            complexes.insert(name.clone(), complex);
        }
        let mut enums = HashMap::new();
        for (name, def) in object(beta, "enumTypes")? {
            enums.insert(name.clone(), read_enum(name, def)?);
        }
        Ok(Schema {
            entities,
            complexes,
            enums,
        })
    }

    pub fn entity(&self, name: &str) -> Option<&EntityType> {
        self.entities.get(name)
    }

    pub fn complex(&self, name: &str) -> Option<&ComplexType> {
        self.complexes.get(name)
    }

    pub fn enum_type(&self, name: &str) -> Option<&EnumType> {
        self.enums.get(name)
    }

    /// The concrete types that `POST /deviceManagement/deviceConfigurations`
    /// accepts, sorted by name.
    #[cfg(test)]
    pub fn device_configuration_types(&self) -> Vec<&EntityType> {
        let mut types: Vec<&EntityType> = self
            .entities
            .values()
            .filter(|e| {
                !e.is_abstract && e.collection_path.as_deref() == Some(DEVICE_CONFIGURATIONS)
            })
            .collect();
        types.sort_by(|a, b| a.name.cmp(&b.name));
        types
    }

    /// Whether entity type `name` is `base` or derives from it.
    pub fn entity_is_a(&self, name: &str, base: &str) -> bool {
        name == base
            || self
                .entities
                .get(name)
                .is_some_and(|e| e.base_types.iter().any(|b| b == base))
    }

    /// Whether complex type `name` is `base` or derives from it.
    pub fn complex_is_a(&self, name: &str, base: &str) -> bool {
        name == base
            || self
                .complexes
                .get(name)
                .is_some_and(|c| c.base_types.iter().any(|b| b == base))
    }

    /// Concrete complex types deriving from `base` (for error messages).
    pub fn concrete_complex_types_of(&self, base: &str) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .complexes
            .values()
            .filter(|c| !c.is_abstract && self.complex_is_a(&c.name, base))
            .map(|c| c.name.as_str())
            .collect();
        names.sort_unstable();
        names
    }
}

/// The short name of a qualified type name as written in `@odata.type`,
/// `isof` or a cast segment: `#microsoft.graph.x` or `microsoft.graph.x` → `x`.
pub fn short_type_name(qualified: &str) -> Option<&str> {
    let name = qualified
        .strip_prefix('#')
        .unwrap_or(qualified)
        .strip_prefix("microsoft.graph.")?;
    (!name.is_empty()).then_some(name)
}

/// The `@odata.type` value the simulator writes for type `name`.
pub fn odata_type(name: &str) -> String {
    format!("#microsoft.graph.{name}")
}

fn member<'a>(value: &'a Value, key: &str) -> Result<&'a Value, SchemaError> {
    value
        .get(key)
        .ok_or_else(|| SchemaError::Missing(format!("member '{key}'")))
}

fn object<'a>(
    value: &'a Value,
    key: &str,
) -> Result<&'a serde_json::Map<String, Value>, SchemaError> {
    member(value, key)?
        .as_object()
        .ok_or_else(|| SchemaError::Missing(format!("object '{key}'")))
}

fn array<'a>(value: &'a Value, key: &str) -> Result<&'a Vec<Value>, SchemaError> {
    member(value, key)?
        .as_array()
        .ok_or_else(|| SchemaError::Missing(format!("array '{key}'")))
}

fn text<'a>(value: &'a Value, key: &str) -> Result<&'a str, SchemaError> {
    member(value, key)?
        .as_str()
        .ok_or_else(|| SchemaError::Missing(format!("string '{key}'")))
}

fn string_list(value: &Value, key: &str) -> Result<Vec<String>, SchemaError> {
    array(value, key)?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| SchemaError::Missing(format!("strings in '{key}'")))
        })
        .collect()
}

fn read_entity(name: &str, def: &Value) -> Result<EntityType, SchemaError> {
    let navigations = match def.get("allNavigationProperties") {
        Some(_) => array(def, "allNavigationProperties")?
            .iter()
            .map(|nav| {
                let target = text(nav, "type")?;
                Ok(Navigation {
                    name: text(nav, "name")?.to_owned(),
                    target: short_type_name(target).unwrap_or(target).to_owned(),
                })
            })
            .collect::<Result<Vec<_>, SchemaError>>()?,
        None => Vec::new(),
    };
    Ok(EntityType {
        name: name.to_owned(),
        is_abstract: def
            .get("abstract")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        base_types: string_list(def, "baseTypeChain")?,
        collection_path: def
            .get("collectionPath")
            .and_then(Value::as_str)
            .map(str::to_owned),
        properties: read_properties(name, def)?,
        navigations,
    })
}

fn read_properties(owner: &str, def: &Value) -> Result<Vec<Property>, SchemaError> {
    array(def, "allProperties")?
        .iter()
        .map(|p| {
            let name = text(p, "name")?;
            let ty = text(p, "type")?;
            let kind = text(p, "kind")?;
            let unsupported = || SchemaError::UnsupportedType {
                property: format!("{owner}.{name}"),
                ty: ty.to_owned(),
            };
            let prop_type = match (kind, ty) {
                ("primitive", "Edm.String") => PropType::String,
                ("primitive", "Edm.Int32") => PropType::Int32,
                ("primitive", "Edm.Boolean") => PropType::Boolean,
                ("primitive", "Edm.Binary") => PropType::Binary,
                ("primitive", "Edm.DateTimeOffset") => PropType::DateTimeOffset,
                ("primitive", "Edm.Guid") => PropType::Guid,
                ("enum", _) => {
                    PropType::Enum(short_type_name(ty).ok_or_else(unsupported)?.to_owned())
                }
                ("complex", _) => {
                    PropType::Complex(short_type_name(ty).ok_or_else(unsupported)?.to_owned())
                }
                _ => return Err(unsupported()),
            };
            Ok(Property {
                name: name.to_owned(),
                ty: prop_type,
                collection: p
                    .get("collection")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                nullable: p.get("nullable").and_then(Value::as_bool).unwrap_or(true),
            })
        })
        .collect()
}

fn read_enum(name: &str, def: &Value) -> Result<EnumType, SchemaError> {
    let members = array(def, "members")?
        .iter()
        .map(|m| {
            let value = member(m, "value")?
                .as_i64()
                .ok_or_else(|| SchemaError::Missing(format!("integer value in enum {name}")))?;
            Ok((text(m, "name")?.to_owned(), value))
        })
        .collect::<Result<Vec<_>, SchemaError>>()?;
    Ok(EnumType {
        name: name.to_owned(),
        flags: def.get("isFlags").and_then(Value::as_bool).unwrap_or(false),
        members,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> &'static Schema {
        Schema::embedded().expect("embedded schema loads")
    }

    #[test]
    fn serves_the_34_device_configuration_types_and_not_windows10x() {
        let names: Vec<&str> = schema()
            .device_configuration_types()
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(names.len(), 34, "{names:?}");
        assert!(names.contains(&"windows81TrustedRootCertificate"));
        assert!(!names.contains(&"windows10XTrustedRootCertificate"));
        assert!(!names.contains(&"windows81CertificateProfileBase"));
    }

    #[test]
    fn root_certificate_navigation_targets_come_from_the_data() {
        let cases = [
            (
                "macOSScepCertificateProfile",
                Some("macOSTrustedRootCertificate"),
            ),
            (
                "androidForWorkImportedPFXCertificateProfile",
                Some("androidTrustedRootCertificate"),
            ),
            ("windows10PkcsCertificateProfile", None),
            ("iosTrustedRootCertificate", None),
        ];
        for (ty, expected) in cases {
            let entity = schema().entity(ty).expect(ty);
            let got = entity
                .navigation("rootCertificate")
                .map(|n| n.target.as_str());
            assert_eq!(got, expected, "{ty}");
        }
    }

    #[test]
    fn enums_keep_flags_and_declaration_order() {
        let key_usages = schema().enum_type("keyUsages").expect("keyUsages");
        assert!(key_usages.flags);
        assert_eq!(
            key_usages.member_list(),
            "keyEncipherment, digitalSignature"
        );
        assert!(!schema().enum_type("keySize").expect("keySize").flags);
    }

    #[test]
    fn short_type_names() {
        let cases = [
            (
                "#microsoft.graph.iosTrustedRootCertificate",
                Some("iosTrustedRootCertificate"),
            ),
            (
                "microsoft.graph.iosTrustedRootCertificate",
                Some("iosTrustedRootCertificate"),
            ),
            ("iosTrustedRootCertificate", None),
            ("#microsoft.graph.", None),
            ("#Microsoft.Graph.x", None),
        ];
        for (input, expected) in cases {
            assert_eq!(short_type_name(input), expected, "{input}");
        }
    }

    #[test]
    fn assignment_targets_derive_from_the_abstract_base() {
        let targets = schema().concrete_complex_types_of(ASSIGNMENT_TARGET_BASE);
        assert_eq!(
            targets,
            [
                "allDevicesAssignmentTarget",
                "allLicensedUsersAssignmentTarget",
                "configurationManagerCollectionAssignmentTarget",
                "exclusionGroupAssignmentTarget",
                "groupAssignmentTarget",
            ]
        );
    }

    #[test]
    fn broken_documents_are_errors() {
        assert!(matches!(Schema::parse("{"), Err(SchemaError::Json(_))));
        assert_eq!(
            Schema::parse("{}").err(),
            Some(SchemaError::Missing("member 'beta'".into()))
        );
    }
}
