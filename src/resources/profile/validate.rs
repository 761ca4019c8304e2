//! Plan-time checks that depend on `platform`: the pair exists, each set
//! attribute exists on that platform's Graph type, enum values are members
//! of that type's enum, values Graph requires there are given, and flags
//! sets are well formed. Everything is reported, with attribute paths.

use super::schema::{enum_union, needs_value, platforms_with};
use super::{ProfileResource, RootLink, root_link};
use crate::framework::{Diagnostics, Validator};
use crate::resources::fields::{Field, FieldType, settable_members};
use crate::resources::model::GraphProfileType;
use crate::resources::platform::{self, Platform, keyword_list};
use crate::value::{AttributePath, Value};

impl ProfileResource {
    pub(super) fn check(&self, config: &Value, diags: &mut Diagnostics) {
        // Every Intune object carries at least one scope tag; an empty set
        // would come back as ["0"] and never match the configuration.
        if config
            .get("role_scope_tag_ids")
            .as_elements()
            .is_some_and(<[Value]>::is_empty)
        {
            diags.error_at(
                AttributePath::attr("role_scope_tag_ids"),
                "Empty role_scope_tag_ids",
                "Intune gives every profile at least one scope tag. Leave role_scope_tag_ids out for the Default tag (\"0\"), or name the tags.",
            );
        }
        let Some(platform) = self.check_platform(config, diags) else {
            return;
        };
        let gt = platform.and_then(|p| platform::graph_type(self.spec.kind, p));
        for field in &self.fields {
            let value = config.get(field.name);
            let path = AttributePath::attr(field.name);
            check_flags(field, value, &path, diags);
            let (Some(p), Some(gt)) = (platform, gt) else {
                // Platform not known yet: enum values against every platform's members.
                check_enum(
                    field,
                    value,
                    &path,
                    &enum_union(self.spec.kind, field),
                    diags,
                );
                continue;
            };
            match gt.property(field.graph) {
                None if is_set(value) => {
                    let on = platforms_with(self.spec.kind, field);
                    not_available(diags, path, field.name, field.graph, p, gt, &on);
                }
                None => {}
                Some(prop) => {
                    let members = settable_members(prop).unwrap_or_default();
                    check_enum(field, value, &path, &members, diags);
                    if needs_value(field, prop) && value.is_null() {
                        diags.error_at(
                            path,
                            format!("Missing {} for platform {:?}", field.name, p.keyword()),
                            format!(
                                "{} is required when platform = {:?}: Graph's {} needs a value.",
                                field.name,
                                p.keyword(),
                                gt.name
                            ),
                        );
                    }
                }
            }
        }
        if let (Some(p), Some(gt)) = (platform, gt) {
            let value = config.get(root_link::ATTRIBUTE);
            if self.spec.root_link != RootLink::None
                && gt.root_certificate_target.is_none()
                && is_set(value)
            {
                let on = root_link::platforms_with_link(self.spec.kind);
                not_available(
                    diags,
                    AttributePath::attr(root_link::ATTRIBUTE),
                    root_link::ATTRIBUTE,
                    "rootCertificate",
                    p,
                    gt,
                    &on,
                );
            }
        }
    }

    /// The configured platform when it is known and valid (`Some(None)`
    /// when not yet known); `None` after reporting an invalid one.
    fn check_platform(&self, config: &Value, diags: &mut Diagnostics) -> Option<Option<Platform>> {
        let kind = self.spec.kind;
        let Value::String(s) = config.get("platform") else {
            return Some(None);
        };
        let path = AttributePath::attr("platform");
        match Platform::from_keyword(s) {
            Some(p) if platform::graph_type(kind, p).is_some() => Some(Some(p)),
            Some(p) => {
                diags.error_at(
                    path,
                    format!(
                        "{} is not available on platform {:?}",
                        self.type_name,
                        p.keyword()
                    ),
                    format!(
                        "Intune has no {} profile for {}. Supported platforms: {}.",
                        kind.label(),
                        p.label(),
                        keyword_list(&platform::platforms(kind))
                    ),
                );
                None
            }
            None => {
                diags.error_at(
                    path,
                    "Invalid platform",
                    format!(
                        "{s:?} is not a platform. {} supports {}.",
                        self.type_name,
                        keyword_list(&platform::platforms(kind))
                    ),
                );
                None
            }
        }
    }
}

fn not_available(
    diags: &mut Diagnostics,
    path: AttributePath,
    name: &str,
    graph: &str,
    p: Platform,
    gt: &GraphProfileType,
    on: &[Platform],
) {
    let supported = if on.is_empty() {
        "no platform".to_string()
    } else {
        format!("platform {}", keyword_list(on))
    };
    diags.error_at(
        path,
        format!("{name} is not available on platform {:?}", p.keyword()),
        format!(
            "The Graph type {} has no {graph} property, so {name} cannot be set when platform = {:?}. It is accepted for {supported}.",
            gt.name,
            p.keyword()
        ),
    );
}

fn check_enum(
    field: &Field,
    value: &Value,
    path: &AttributePath,
    members: &[&str],
    diags: &mut Diagnostics,
) {
    if members.is_empty() {
        return;
    }
    let validator = match field.ty {
        FieldType::Enum => Validator::one_of(members),
        FieldType::Flags => Validator::each_one_of(members),
        _ => return,
    };
    validator.check(value, path, field.name, diags);
}

/// A flags set names at least one member, and `none` stands alone (Graph
/// would drop it from a combination, which would show as a diff forever).
fn check_flags(field: &Field, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if !matches!(field.ty, FieldType::Flags) || !value.is_wholly_known() {
        return;
    }
    let Some(items) = value.as_elements() else {
        return;
    };
    if items.is_empty() {
        diags.error_at(
            path.clone(),
            format!("Empty {}", field.name),
            format!("{} must name at least one value.", field.name),
        );
    } else if items.len() > 1 && items.iter().any(|i| i.as_str() == Some("none")) {
        diags.error_at(
            path.clone(),
            format!("Conflicting values in {}", field.name),
            format!(
                "\"none\" cannot be combined with other values of {}.",
                field.name
            ),
        );
    }
}

/// Set in the configuration: known and not null, or unknown (it may be).
fn is_set(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::List(items) | Value::Set(items) => !items.is_empty(),
        _ => true,
    }
}
