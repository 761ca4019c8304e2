//! `root_certificate_id`: Graph's `rootCertificate` navigation from a SCEP
//! (and Android/AOSP PKCS or imported) profile to the trusted certificate
//! profile devices must trust. Set with `rootCertificate@odata.bind` on
//! create and `PUT …/{cast}/rootCertificate/$ref` on change; read back
//! through `GET …/{cast}/rootCertificate`, so a link changed in the portal
//! shows as drift. The target's Graph type is checked before any write.

use std::sync::Arc;

use serde_json::{Value as Json, json};

use super::{COLLECTION, ProfileKindSpec, RootLink};
use crate::framework::{Attribute, Diagnostic, Mode, Validator};
use crate::graph::{CallOptions, GraphClient, GraphError};
use crate::resources::lookup::{encode, item_path};
use crate::resources::model::GraphProfileType;
use crate::resources::platform::{self, Platform, ProfileKind};
use crate::value::{AttributePath, Type};

pub const ATTRIBUTE: &str = "root_certificate_id";

/// The platforms of `kind` whose Graph type has the `rootCertificate` link.
pub fn platforms_with_link(kind: ProfileKind) -> Vec<Platform> {
    platform::platforms(kind)
        .into_iter()
        .filter(|&p| {
            platform::graph_type(kind, p).is_some_and(|t| t.root_certificate_target.is_some())
        })
        .collect()
}

pub fn attribute(spec: &ProfileKindSpec) -> Attribute {
    let kind = spec.kind;
    let targets: Vec<String> = platforms_with_link(kind)
        .into_iter()
        .filter_map(|p| {
            let target = platform::graph_type(kind, p)?.root_certificate_target?;
            let root = trusted_platform(target)?;
            Some(if root == p.keyword() {
                format!("`{}`", p.keyword())
            } else {
                format!("`{}` (root of platform `{root}`)", p.keyword())
            })
        })
        .collect();
    let mode = if spec.root_link == RootLink::Required {
        Mode::Required
    } else {
        Mode::Optional
    };
    let mut description = String::from(
        "Id of the `intune_trusted_certificate` whose root devices must trust for this profile. It must be a \
         trusted certificate of the same platform",
    );
    if targets.len() < platform::platforms(kind).len() {
        description.push_str(&format!("; available for platform {}", targets.join(", ")));
    } else if targets.iter().any(|t| t.contains("root of platform")) {
        description.push_str(&format!(" ({})", targets.join(", ")));
    }
    description.push_str(
        ". Checked when the id is known at plan (a warning there) and again at apply before any write (an \
         error), retrying Graph's short delay for a root created in the same apply.",
    );
    Attribute::new(ATTRIBUTE, Type::String, mode)
        .description(description)
        .validator(Validator::Guid)
        .equivalence(Arc::new(|a, b| match (a.as_str(), b.as_str()) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        }))
}

/// The trusted-certificate `platform` keyword whose Graph type is `target`.
fn trusted_platform(target: &str) -> Option<&'static str> {
    platform::PROFILE_TYPES
        .iter()
        .find(|r| r.kind == ProfileKind::TrustedCertificate && r.graph_type == target)
        .map(|r| r.platform.keyword())
}

/// What the configured root turned out to be, when it is not usable.
pub enum Problem {
    Missing,
    WrongType { actual: String },
    Graph(GraphError),
}

/// Reads the profile `root_id` and checks it is of the type `gt`'s link
/// targets.
pub async fn verify(
    client: &GraphClient,
    opts: &CallOptions,
    gt: &GraphProfileType,
    root_id: &str,
) -> Result<(), Problem> {
    let target = gt.root_certificate_target.unwrap_or_default();
    match client.get(&item_path(root_id), opts).await {
        Ok(json) => {
            let actual = crate::resources::lookup::odata_type(&json);
            if actual == target {
                Ok(())
            } else {
                Err(Problem::WrongType {
                    actual: actual.to_string(),
                })
            }
        }
        Err(e) if e.is_not_found() => Err(Problem::Missing),
        Err(e) => Err(Problem::Graph(e)),
    }
}

/// The diagnostic for a root that failed [`verify`]: a warning at plan
/// (`at_plan`), an error before the write at apply. A check of another
/// object in Graph must not fail a plan: `terraform destroy` runs an
/// ordinary plan first, and an error there would block the destroy.
pub fn diagnostic(
    problem: &Problem,
    gt: &GraphProfileType,
    kind: ProfileKind,
    root_id: &str,
    at_plan: bool,
) -> Diagnostic {
    let target = gt.root_certificate_target.unwrap_or_default();
    let wanted = match trusted_platform(target) {
        Some(p) => format!("an intune_trusted_certificate with platform = {p:?} ({target})"),
        None => format!("a {target}"),
    };
    let this = match platform::identify(gt.name) {
        Some(row) => format!(
            "A {} profile for platform {:?}",
            kind.label(),
            row.platform.keyword()
        ),
        None => format!("A {}", gt.name),
    };
    let (summary, mut detail) = match problem {
        Problem::Missing => (
            "Root certificate not found".to_string(),
            format!("There is no profile with id {root_id:?}. {this} must reference {wanted}."),
        ),
        Problem::WrongType { actual } => {
            let what = match platform::identify(actual) {
                Some(row) => format!(
                    "a {} profile for platform {:?} ({actual})",
                    row.kind.label(),
                    row.platform.keyword()
                ),
                None => format!("a {actual}"),
            };
            (
                "Wrong root certificate".to_string(),
                format!("{root_id} is {what}. {this} must reference {wanted}."),
            )
        }
        Problem::Graph(e) => (
            "Cannot check the root certificate".to_string(),
            format!("Reading {root_id}: {e}"),
        ),
    };
    let path = AttributePath::attr(ATTRIBUTE);
    if !at_plan {
        detail.push_str(" Nothing was changed in Intune.");
        return Diagnostic::error(summary, detail).at(path);
    }
    detail.push_str(
        " The apply checks again before it writes anything and stops there if this still holds. (A plan \
         reports this as a warning so that it never blocks `terraform destroy`.)",
    );
    Diagnostic::warning(summary, detail).at(path)
}

/// The value of `rootCertificate@odata.bind` for a create.
pub fn bind_value(client: &GraphClient, root_id: &str) -> Json {
    Json::from(client.url(&format!("{COLLECTION}('{}')", encode(root_id))))
}

fn navigation_path(gt: &GraphProfileType, profile_id: &str) -> String {
    format!(
        "{}/microsoft.graph.{}/rootCertificate",
        item_path(profile_id),
        gt.name
    )
}

/// Points the profile's link at `root_id`.
pub async fn set(
    client: &GraphClient,
    opts: &CallOptions,
    gt: &GraphProfileType,
    profile_id: &str,
    root_id: &str,
) -> Result<(), GraphError> {
    let body = json!({ "@odata.id": client.url(&item_path(root_id)) });
    client
        .put(
            &format!("{}/$ref", navigation_path(gt, profile_id)),
            &body,
            opts,
        )
        .await
        .map(|_| ())
}

/// Removes the profile's link (the configuration no longer names a root).
pub async fn unset(
    client: &GraphClient,
    opts: &CallOptions,
    gt: &GraphProfileType,
    profile_id: &str,
) -> Result<(), GraphError> {
    match client
        .delete(&format!("{}/$ref", navigation_path(gt, profile_id)), opts)
        .await
    {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

/// The id the profile's link points at; `None` when it has none.
pub async fn read(
    client: &GraphClient,
    opts: &CallOptions,
    gt: &GraphProfileType,
    profile_id: &str,
) -> Result<Option<String>, GraphError> {
    // No link reads as 404 or as an empty 204, depending on the service.
    match client
        .get_optional(&navigation_path(gt, profile_id), opts)
        .await
    {
        Ok(json) => Ok(json.and_then(|j| j.get("id").and_then(Json::as_str).map(str::to_string))),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}
