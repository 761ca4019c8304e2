//! Attribute tables: one row per Graph property a resource exposes, and the
//! conversions between a row's Terraform value and Graph's JSON. The row
//! says how the property looks in Terraform; which platforms have it, its
//! nullability and its enum members come from the Graph model.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::certificate;
use super::model::{self, GraphProperty, PropertyType};
use crate::framework::Mode;
use crate::value::{Number, Value};

/// How a Graph property appears in Terraform.
#[derive(Debug, Clone, Copy)]
pub enum FieldType {
    String,
    Int32,
    Bool,
    /// One member name of a Graph enum (checked per platform).
    Enum,
    /// A set of member names of a flags enum; comma-separated on the wire.
    Flags,
    /// An unordered collection of strings (or enum members).
    StringSet,
    /// An ordered collection of strings.
    StringList,
    /// An X.509 certificate in an `Edm.Binary` property.
    Certificate,
    /// A single complex value, as a block that appears at most once.
    Object(&'static [Field]),
    /// A collection of complex values, as a repeatable block (unordered).
    ObjectSet(&'static [Field]),
}

/// One row of an attribute table.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The Terraform name: Graph's name in snake_case.
    pub name: &'static str,
    pub graph: &'static str,
    pub ty: FieldType,
    pub mode: Mode,
    pub sensitive: bool,
    /// Inclusive bounds Graph enforces on an integer.
    pub range: Option<(i64, i64)>,
    pub description: &'static str,
}

impl Field {
    pub const fn new(
        name: &'static str,
        graph: &'static str,
        ty: FieldType,
        mode: Mode,
        description: &'static str,
    ) -> Self {
        Field {
            name,
            graph,
            ty,
            mode,
            sensitive: false,
            range: None,
            description,
        }
    }

    pub const fn range(self, min: i64, max: i64) -> Self {
        Field {
            range: Some((min, max)),
            ..self
        }
    }

    /// The same row with another mode, for rows shared by kinds that
    /// require different things.
    pub const fn mode(self, mode: Mode) -> Self {
        Field { mode, ..self }
    }

    pub const fn sensitive(self) -> Self {
        Field {
            sensitive: true,
            ..self
        }
    }

    pub fn is_block(&self) -> bool {
        matches!(self.ty, FieldType::Object(_) | FieldType::ObjectSet(_))
    }
}

/// One attribute table made of several parts, their rows in order: how a
/// kind lists rows it shares with other kinds (`issued_fields.rs`) without
/// writing them out again. The row count is the table's type
/// (`static FIELDS: [Field; 19] = fields::join(&[...])`); a wrong count
/// stops the build.
pub const fn join<const N: usize>(parts: &[&[Field]]) -> [Field; N] {
    const UNSET: Field = Field::new("", "", FieldType::String, Mode::Optional, "");
    let mut table = [UNSET; N];
    let mut filled = 0;
    let mut part = 0;
    while part < parts.len() {
        let rows = parts[part];
        let mut row = 0;
        while row < rows.len() {
            assert!(filled < N, "the parts have more rows than the table");
            table[filled] = rows[row];
            filled += 1;
            row += 1;
        }
        part += 1;
    }
    assert!(filled == N, "the parts have fewer rows than the table");
    table
}

/// Graph's camelCase name in snake_case, treating runs of capitals as one
/// word: `maxOSVersion` → `max_os_version`, `certFileName` → `cert_file_name`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                None => false,
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The enum a property's values come from, if any.
pub fn property_enum(prop: &GraphProperty) -> Option<&'static model::GraphEnum> {
    match prop.ty {
        PropertyType::Enum(name) => model::graph_enum(name),
        _ => None,
    }
}

/// Graph's placeholder for enum members added after a client was built
/// ("evolvable enums"); it names no setting, so it is never accepted.
pub const FUTURE_MEMBER: &str = "unknownFutureValue";

/// The members a user may choose for an enum property: Graph's, without
/// the placeholder for future members.
pub fn settable_members(prop: &GraphProperty) -> Option<Vec<&'static str>> {
    property_enum(prop).map(|e| {
        e.members
            .iter()
            .copied()
            .filter(|m| *m != FUTURE_MEMBER)
            .collect()
    })
}

/// The sub-properties of a complex property.
pub fn complex_properties(prop: &GraphProperty) -> &'static [GraphProperty] {
    match prop.ty {
        PropertyType::Complex(name) => model::complex_type(name)
            .map(|c| c.properties)
            .unwrap_or(&[]),
        _ => &[],
    }
}

/// Terraform value → Graph JSON for one property. `prop` is the property
/// on the platform's Graph type. Null becomes JSON null, or `[]` for a
/// collection (OData collections are never null).
pub fn to_graph(field: &Field, prop: &GraphProperty, value: &Value) -> Result<Json, String> {
    if value.is_null() {
        return Ok(if prop.collection {
            Json::Array(Vec::new())
        } else {
            Json::Null
        });
    }
    Ok(match field.ty {
        FieldType::String | FieldType::Enum => Json::from(expect_str(field, value)?),
        FieldType::Int32 => Json::from(value.as_i64().ok_or_else(|| mismatch(field))?),
        FieldType::Bool => Json::from(value.as_bool().ok_or_else(|| mismatch(field))?),
        FieldType::Certificate => Json::from(certificate::to_graph(expect_str(field, value)?)?),
        FieldType::Flags => {
            let chosen = strings(field, value)?;
            // Graph's own order (declaration order), so equal sets send equal text.
            let order = property_enum(prop).map(|e| e.members).unwrap_or(&[]);
            let mut sorted: Vec<&str> = chosen.iter().map(String::as_str).collect();
            sorted.sort_by_key(|m| order.iter().position(|o| o == m).unwrap_or(usize::MAX));
            Json::from(sorted.join(","))
        }
        FieldType::StringSet | FieldType::StringList => {
            Json::Array(strings(field, value)?.into_iter().map(Json::from).collect())
        }
        FieldType::Object(subfields) => {
            object_to_graph(subfields, complex_properties(prop), value)?
        }
        FieldType::ObjectSet(subfields) => Json::Array(
            value
                .as_elements()
                .ok_or_else(|| mismatch(field))?
                .iter()
                .map(|item| object_to_graph(subfields, complex_properties(prop), item))
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn object_to_graph(
    subfields: &[Field],
    props: &[GraphProperty],
    value: &Value,
) -> Result<Json, String> {
    let mut out = serde_json::Map::new();
    for sub in subfields {
        let Some(prop) = props.iter().find(|p| p.name == sub.graph) else {
            continue;
        };
        out.insert(
            sub.graph.to_string(),
            to_graph(sub, prop, value.get(sub.name))?,
        );
    }
    Ok(Json::Object(out))
}

/// Graph JSON → Terraform value for one property, keeping `prior`'s form
/// when Graph holds the same thing (a certificate re-encoded, an empty
/// collection the configuration left unset), so reads never invent diffs.
pub fn from_graph(
    field: &Field,
    prop: &GraphProperty,
    json: &Json,
    prior: &Value,
) -> Result<Value, String> {
    let fresh = fresh_value(field, prop, json, prior)?;
    Ok(settle(field, fresh, prior))
}

fn fresh_value(
    field: &Field,
    prop: &GraphProperty,
    json: &Json,
    prior: &Value,
) -> Result<Value, String> {
    let bad = || {
        format!(
            "Graph returned {json} for {}, which is not a valid {:?}",
            field.graph, field.ty
        )
    };
    if json.is_null() {
        return Ok(match field.ty {
            FieldType::ObjectSet(_) => Value::Set(Vec::new()),
            _ => Value::Null,
        });
    }
    Ok(match field.ty {
        FieldType::String | FieldType::Enum | FieldType::Certificate => {
            Value::string(json.as_str().ok_or_else(bad)?)
        }
        FieldType::Int32 => Value::Number(Number::Int(json.as_i64().ok_or_else(bad)?)),
        FieldType::Bool => Value::Bool(json.as_bool().ok_or_else(bad)?),
        FieldType::Flags => {
            let text = json.as_str().ok_or_else(bad)?;
            Value::Set(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(Value::string)
                    .collect(),
            )
        }
        FieldType::StringSet | FieldType::StringList => {
            let items = json
                .as_array()
                .ok_or_else(bad)?
                .iter()
                .map(|j| j.as_str().map(Value::string).ok_or_else(bad))
                .collect::<Result<Vec<_>, _>>()?;
            if matches!(field.ty, FieldType::StringList) {
                Value::List(items)
            } else {
                Value::Set(items)
            }
        }
        FieldType::Object(subfields) => {
            object_from_graph(subfields, complex_properties(prop), json, prior)?
        }
        FieldType::ObjectSet(subfields) => {
            let props = complex_properties(prop);
            let priors = prior.as_elements().unwrap_or_default();
            let mut items = Vec::new();
            for j in json.as_array().ok_or_else(bad)? {
                let fresh = object_from_graph(subfields, props, j, &Value::Null)?;
                // Keep a prior element's form when it means the same thing.
                let kept = priors
                    .iter()
                    .find(|p| elements_equivalent(subfields, p, &fresh));
                items.push(kept.cloned().unwrap_or(fresh));
            }
            Value::Set(items)
        }
    })
}

fn object_from_graph(
    subfields: &[Field],
    props: &[GraphProperty],
    json: &Json,
    prior: &Value,
) -> Result<Value, String> {
    let mut out = BTreeMap::new();
    for sub in subfields {
        let value = match props.iter().find(|p| p.name == sub.graph) {
            Some(prop) => from_graph(
                sub,
                prop,
                json.get(sub.graph).unwrap_or(&Json::Null),
                prior.get(sub.name),
            )?,
            None => Value::Null,
        };
        out.insert(sub.name.to_string(), value);
    }
    Ok(Value::Object(out))
}

fn elements_equivalent(subfields: &[Field], a: &Value, b: &Value) -> bool {
    subfields
        .iter()
        .all(|f| settle(f, b.get(f.name).clone(), a.get(f.name)) == *a.get(f.name))
}

/// Returns `prior` when `fresh` means the same, else `fresh`.
fn settle(field: &Field, fresh: Value, prior: &Value) -> Value {
    if fresh == *prior {
        return prior.clone();
    }
    let equivalent = match field.ty {
        FieldType::Certificate => match (fresh.as_str(), prior.as_str()) {
            (Some(a), Some(b)) => certificate::same_certificate(a, b),
            _ => false,
        },
        FieldType::Flags | FieldType::StringSet | FieldType::StringList => {
            prior.is_null() && fresh.as_elements().is_some_and(<[Value]>::is_empty)
        }
        _ => false,
    };
    if equivalent { prior.clone() } else { fresh }
}

fn expect_str<'a>(field: &Field, value: &'a Value) -> Result<&'a str, String> {
    value.as_str().ok_or_else(|| mismatch(field))
}

fn strings(field: &Field, value: &Value) -> Result<Vec<String>, String> {
    value
        .as_elements()
        .ok_or_else(|| mismatch(field))?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| mismatch(field))
        })
        .collect()
}

fn mismatch(field: &Field) -> String {
    format!(
        "{} does not hold a value of its type ({:?})",
        field.name, field.ty
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_handles_acronyms() {
        let cases = [
            ("displayName", "display_name"),
            ("certFileName", "cert_file_name"),
            ("maxOSVersion", "max_os_version"),
            ("minOSVersion", "min_os_version"),
            ("scepServerUrls", "scep_server_urls"),
            ("roleScopeTagIds", "role_scope_tag_ids"),
            (
                "deviceManagementApplicabilityRuleOsEdition",
                "device_management_applicability_rule_os_edition",
            ),
            ("id", "id"),
        ];
        for (graph, want) in cases {
            assert_eq!(snake_case(graph), want, "{graph}");
        }
    }

    fn prop(ty: PropertyType, collection: bool) -> GraphProperty {
        GraphProperty {
            name: "p",
            ty,
            collection,
            nullable: true,
            declared_on: "x",
        }
    }

    #[test]
    fn flags_are_sent_in_graph_order_and_read_as_sets() {
        let f = Field::new(
            "key_usage",
            "keyUsage",
            FieldType::Flags,
            Mode::Required,
            "",
        );
        let p = prop(PropertyType::Enum("keyUsages"), false);
        let v = Value::Set(vec![
            Value::string("digitalSignature"),
            Value::string("keyEncipherment"),
        ]);
        assert_eq!(
            to_graph(&f, &p, &v).unwrap(),
            Json::from("keyEncipherment,digitalSignature")
        );
        let back =
            from_graph(&f, &p, &Json::from("keyEncipherment, digitalSignature"), &v).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn empty_collections_match_an_unset_attribute() {
        let f = Field::new(
            "scep_server_urls",
            "scepServerUrls",
            FieldType::StringList,
            Mode::Optional,
            "",
        );
        let p = prop(PropertyType::String, true);
        assert_eq!(to_graph(&f, &p, &Value::Null).unwrap(), Json::Array(vec![]));
        assert_eq!(
            from_graph(&f, &p, &Json::Array(vec![]), &Value::Null).unwrap(),
            Value::Null
        );
        let set = Value::List(vec![]);
        assert_eq!(from_graph(&f, &p, &Json::Array(vec![]), &set).unwrap(), set);
        let drift = from_graph(&f, &p, &serde_json::json!(["https://a"]), &Value::Null).unwrap();
        assert_eq!(drift, Value::List(vec![Value::string("https://a")]));
    }

    #[test]
    fn certificate_keeps_configured_encoding() {
        let pem = certificate::tests::test_root_pem("Root");
        let f = Field::new(
            "trusted_root_certificate",
            "trustedRootCertificate",
            FieldType::Certificate,
            Mode::Required,
            "",
        );
        let p = prop(PropertyType::Binary, false);
        let wire = to_graph(&f, &p, &Value::string(&pem)).unwrap();
        let back = from_graph(&f, &p, &wire, &Value::string(&pem)).unwrap();
        assert_eq!(back, Value::string(&pem));
        let other = to_graph(
            &f,
            &p,
            &Value::string(certificate::tests::test_root_pem("Other")),
        )
        .unwrap();
        assert_eq!(
            from_graph(&f, &p, &other, &Value::string(&pem)).unwrap(),
            Value::string(other.as_str().unwrap())
        );
    }

    #[test]
    fn wrong_json_shape_is_an_error_not_a_panic() {
        let f = Field::new("version_like", "x", FieldType::Int32, Mode::Optional, "");
        let p = prop(PropertyType::Int32, false);
        assert!(from_graph(&f, &p, &Json::from("seven"), &Value::Null).is_err());
    }
}
