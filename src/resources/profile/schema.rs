//! The schema of a profile resource, derived from its attribute table, the
//! platform table and the Graph model: which attributes exist, their types,
//! enum members (in descriptions; checked per platform by `validate.rs`),
//! ranges, and the plan rules of the computed ones.

use std::sync::Arc;

use super::{ProfileKindSpec, RootLink, certificate_checks, root_link};
use crate::framework::{Attribute, Block, Mode, NestedBlock, Nesting, PlanRule, Schema, Validator};
use crate::resources::certificate;
use crate::resources::fields::{self, Field, FieldType, settable_members};
use crate::resources::platform::{self, Platform, ProfileKind, keyword_list};
use crate::value::{Type, Value};

/// Rows every kind shares: the properties of Graph's `deviceConfiguration`.
pub static COMMON_FIELDS: &[Field] = &[
    Field::new(
        "display_name",
        "displayName",
        FieldType::String,
        Mode::Required,
        "Name shown in the Intune admin center.",
    ),
    Field::new(
        "description",
        "description",
        FieldType::String,
        Mode::Optional,
        "Free-text description of the profile.",
    ),
    Field::new(
        "role_scope_tag_ids",
        "roleScopeTagIds",
        FieldType::StringSet,
        Mode::OptionalComputed,
        "Ids of the scope tags that limit which Intune administrators see the profile. Intune assigns `[\"0\"]` (the Default tag) when unset.",
    ),
    Field::new(
        "device_management_applicability_rule_device_mode",
        "deviceManagementApplicabilityRuleDeviceMode",
        FieldType::Object(APPLICABILITY_DEVICE_MODE),
        Mode::Optional,
        "Applicability rule on the Windows device mode (S mode or standard).",
    ),
    Field::new(
        "device_management_applicability_rule_os_edition",
        "deviceManagementApplicabilityRuleOsEdition",
        FieldType::Object(APPLICABILITY_OS_EDITION),
        Mode::Optional,
        "Applicability rule on the Windows edition.",
    ),
    Field::new(
        "device_management_applicability_rule_os_version",
        "deviceManagementApplicabilityRuleOsVersion",
        FieldType::Object(APPLICABILITY_OS_VERSION),
        Mode::Optional,
        "Applicability rule on the operating-system version.",
    ),
];

/// The rows every applicability rule has: its name, and whether devices it
/// matches are included or excluded.
const RULE_NAME: Field = Field::new(
    "name",
    "name",
    FieldType::String,
    Mode::Optional,
    "Name of the rule.",
);

const RULE_TYPE: Field = Field::new(
    "rule_type",
    "ruleType",
    FieldType::Enum,
    Mode::Required,
    "Whether matching devices are included or excluded.",
);

static APPLICABILITY_DEVICE_MODE: &[Field] = &[
    Field::new(
        "device_mode",
        "deviceMode",
        FieldType::Enum,
        Mode::Required,
        "Device mode the rule matches.",
    ),
    RULE_NAME,
    RULE_TYPE,
];

static APPLICABILITY_OS_EDITION: &[Field] = &[
    RULE_NAME,
    Field::new(
        "os_edition_types",
        "osEditionTypes",
        FieldType::StringSet,
        Mode::Required,
        "Windows editions the rule matches.",
    ),
    RULE_TYPE,
];

static APPLICABILITY_OS_VERSION: &[Field] = &[
    Field::new(
        "max_os_version",
        "maxOSVersion",
        FieldType::String,
        Mode::Optional,
        "Highest OS version the rule matches.",
    ),
    Field::new(
        "min_os_version",
        "minOSVersion",
        FieldType::String,
        Mode::Optional,
        "Lowest OS version the rule matches.",
    ),
    RULE_NAME,
    RULE_TYPE,
];

pub const CREATED: &str = "created_date_time";
pub const MODIFIED: &str = "last_modified_date_time";
pub const VERSION: &str = "version";

pub fn build_schema(spec: &ProfileKindSpec, fields: &[&'static Field]) -> Schema {
    let kind = spec.kind;
    let supported = platform::platforms(kind);
    let mut block = Block::new().description(spec.description);
    block = block.attribute(
        Attribute::new("id", Type::String, Mode::Computed)
            .description("The profile's Graph id (a GUID)."),
    );
    let table: Vec<String> = supported
        .iter()
        .map(|p| format!("`{}` ({})", p.keyword(), p.label()))
        .collect();
    let same_graph_type = move |a: &Value, b: &Value| {
        let t = |v: &Value| {
            v.as_str()
                .and_then(Platform::from_keyword)
                .and_then(|p| platform::graph_type(kind, p))
                .map(|t| t.name)
        };
        t(a).is_some() && t(a) == t(b)
    };
    block = block.attribute(
        Attribute::new("platform", Type::String, Mode::Required)
            .description(format!(
                "Platform the profile targets; changing it replaces the profile. One of {}.",
                table.join(", ")
            ))
            .plan_rule(PlanRule::RequiresReplace)
            .equivalence(Arc::new(same_graph_type)),
    );
    if spec.root_link != RootLink::None {
        block = block.attribute(root_link::attribute(spec));
    }
    for field in fields {
        if let Some((subfields, nesting)) = block_shape(field) {
            block = block.block(nested_block(kind, field, subfields, nesting));
        } else {
            block = block.attribute(attribute(kind, field));
        }
    }
    if spec.certificate_field().is_some() {
        for (name, text) in certificate::FACTS {
            block = block
                .attribute(Attribute::new(name, Type::String, Mode::Computed).description(text));
        }
        block = block.attribute(certificate_checks::allow_expired_attribute());
    }
    block = block
        .attribute(
            Attribute::new(CREATED, Type::String, Mode::Computed)
                .description("When the profile was created (RFC 3339)."),
        )
        .attribute(
            Attribute::new(MODIFIED, Type::String, Mode::Computed)
                .description("When the profile was last modified (RFC 3339).")
                .plan_rule(PlanRule::UnknownOnUpdate),
        )
        .attribute(
            Attribute::new(VERSION, Type::Number, Mode::Computed)
                .description("Intune's version counter of the profile; it grows with every change.")
                .plan_rule(PlanRule::UnknownOnUpdate),
        );
    Schema::new(block)
}

fn field_type(field: &Field) -> Type {
    match field.ty {
        FieldType::String | FieldType::Enum | FieldType::Certificate => Type::String,
        FieldType::Int32 => Type::Number,
        FieldType::Bool => Type::Bool,
        FieldType::Flags | FieldType::StringSet => Type::set(Type::String),
        FieldType::StringList => Type::list(Type::String),
        FieldType::Object(sub) => object_type(sub),
        FieldType::ObjectSet(sub) => Type::set(object_type(sub)),
    }
}

fn object_type(subfields: &[Field]) -> Type {
    Type::Object(
        subfields
            .iter()
            .map(|f| (f.name.to_string(), field_type(f)))
            .collect(),
    )
}

/// The sub-fields and nesting of a field shown as a block.
fn block_shape(field: &Field) -> Option<(&'static [Field], Nesting)> {
    match field.ty {
        FieldType::Object(sub) => Some((sub, Nesting::Single)),
        FieldType::ObjectSet(sub) => Some((sub, Nesting::Set)),
        _ => None,
    }
}

fn attribute(kind: ProfileKind, field: &Field) -> Attribute {
    let mut description = field.description.to_string();
    description.push_str(&enum_values(kind, field));
    let on = platforms_with(kind, field);
    description.push_str(&availability(kind, &on));
    let required_on = required_on(kind, field);
    if field.mode == Mode::Optional && !required_on.is_empty() {
        let phrase = if required_on == on {
            " Required wherever it is available.".to_string()
        } else {
            format!(" Required for platform {}.", keyword_list(&required_on))
        };
        description.push_str(&phrase);
    }
    let mut attr =
        Attribute::new(field.name, field_type(field), field.mode).description(description);
    if field.sensitive {
        attr = attr.sensitive();
    }
    if let Some((min, max)) = field.range {
        attr = attr.validator(Validator::IntRange { min, max });
    } else if matches!(field.ty, FieldType::Int32) {
        attr = attr.validator(Validator::IntRange {
            min: i32::MIN.into(),
            max: i32::MAX.into(),
        });
    }
    if matches!(field.ty, FieldType::String)
        && !field.mode.is_computed()
        && field.name == "display_name"
    {
        attr = attr.validator(Validator::NotBlank);
    }
    if matches!(field.ty, FieldType::Certificate) {
        attr = attr
            .validator(Validator::Custom(Arc::new(|v, path, diags| {
                if let Some(Err(e)) = v.as_str().map(certificate::parse) {
                    diags.error_at(
                        path.clone(),
                        "Invalid certificate",
                        format!("The certificate cannot be used: {e}."),
                    );
                }
            })))
            .equivalence(Arc::new(|a, b| match (a.as_str(), b.as_str()) {
                (Some(a), Some(b)) => certificate::same_certificate(a, b),
                _ => false,
            }));
    }
    attr
}

/// A complex property as a nested block; its own enum members do not vary
/// by platform, so they are checked by plain validators.
fn nested_block(
    kind: ProfileKind,
    field: &Field,
    subfields: &[Field],
    nesting: Nesting,
) -> NestedBlock {
    let props = platform::platforms(kind)
        .into_iter()
        .filter_map(|p| platform::graph_type(kind, p)?.property(field.graph))
        .map(fields::complex_properties)
        .next()
        .unwrap_or(&[]);
    let mut description = field.description.to_string();
    description.push_str(&availability(kind, &platforms_with(kind, field)));
    let mut block = Block::new().description(description);
    for sub in subfields {
        let mut attr =
            Attribute::new(sub.name, field_type(sub), sub.mode).description(sub.description);
        if let Some(members) = props
            .iter()
            .find(|p| p.name == sub.graph)
            .and_then(settable_members)
        {
            attr = match sub.ty {
                FieldType::Enum => attr.validator(Validator::one_of(&members)),
                _ => attr.validator(Validator::each_one_of(&members)),
            };
            let list: Vec<String> = members.iter().map(|m| format!("`{m}`")).collect();
            attr.description
                .push_str(&format!(" Values: {}.", list.join(", ")));
        }
        if matches!(sub.ty, FieldType::String) && sub.mode == Mode::Required {
            attr = attr.validator(Validator::NotBlank);
        }
        block = block.attribute(attr);
    }
    // A single block may appear once by its nesting mode; terraform requires
    // its min and max items to be 0 (optional) or 1 (required).
    NestedBlock::new(field.name, nesting, block)
}

/// The accepted enum members for the docs: one list when every platform
/// agrees, else one list per group of platforms (Apple's subject name
/// formats differ from everyone else's, say).
fn enum_values(kind: ProfileKind, field: &Field) -> String {
    if !matches!(field.ty, FieldType::Enum | FieldType::Flags) {
        return String::new();
    }
    let mut groups: Vec<(Vec<&'static str>, Vec<Platform>)> = Vec::new();
    for p in platform::platforms(kind) {
        let Some(prop) = platform::graph_type(kind, p).and_then(|t| t.property(field.graph)) else {
            continue;
        };
        let Some(members) = settable_members(prop) else {
            continue;
        };
        match groups.iter_mut().find(|(m, _)| *m == members) {
            Some((_, platforms)) => platforms.push(p),
            None => groups.push((members, vec![p])),
        }
    }
    let list = |members: &[&str]| {
        members
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match groups.as_slice() {
        [] => String::new(),
        [(members, _)] => format!(" Values: {}.", list(members)),
        _ => groups
            .iter()
            .map(|(members, platforms)| {
                format!(
                    " Values for platform {}: {}.",
                    keyword_list(platforms),
                    list(members)
                )
            })
            .collect(),
    }
}

/// " Only for platform …" or " Not available for platform …", whichever
/// is shorter; empty when every platform of the kind has the property.
fn availability(kind: ProfileKind, on: &[Platform]) -> String {
    let all = platform::platforms(kind);
    let missing: Vec<Platform> = all.iter().copied().filter(|p| !on.contains(p)).collect();
    if missing.is_empty() {
        String::new()
    } else if missing.len() < on.len() {
        format!(" Not available for platform {}.", keyword_list(&missing))
    } else {
        format!(" Only for platform {}.", keyword_list(on))
    }
}

/// Platforms of `kind` whose Graph type has the field's property.
pub fn platforms_with(kind: ProfileKind, field: &Field) -> Vec<Platform> {
    platform::platforms(kind)
        .into_iter()
        .filter(|&p| {
            platform::graph_type(kind, p).is_some_and(|t| t.property(field.graph).is_some())
        })
        .collect()
}

/// Platforms of `kind` whose Graph type needs a value for the field (a
/// non-nullable scalar), when the table leaves it optional.
fn required_on(kind: ProfileKind, field: &Field) -> Vec<Platform> {
    platform::platforms(kind)
        .into_iter()
        .filter(|&p| {
            platform::graph_type(kind, p)
                .and_then(|t| t.property(field.graph))
                .is_some_and(|prop| needs_value(field, prop))
        })
        .collect()
}

/// True when Graph requires a value for `prop` and the table leaves it to
/// the platform check (the attribute is optional in the schema).
pub fn needs_value(field: &Field, prop: &crate::resources::model::GraphProperty) -> bool {
    !prop.nullable && !prop.collection && field.mode == Mode::Optional && !field.is_block()
}

/// Enum members the field accepts on any platform of `kind`.
pub fn enum_union(kind: ProfileKind, field: &Field) -> Vec<&'static str> {
    if !matches!(field.ty, FieldType::Enum | FieldType::Flags) {
        return Vec::new();
    }
    let mut out: Vec<&'static str> = Vec::new();
    for p in platform::platforms(kind) {
        let Some(prop) = platform::graph_type(kind, p).and_then(|t| t.property(field.graph)) else {
            continue;
        };
        for m in settable_members(prop).unwrap_or_default() {
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out
}
