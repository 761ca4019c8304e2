//! Coverage proven, not claimed: for every (kind, platform) the provider
//! serves, every writable property of the Graph type (inherited ones
//! included), read from the schema fixture independently of the provider's
//! generated model, must be an attribute or block of the served schema with
//! the right type and nesting, accept exactly its enum members on that
//! platform, and be refused on platforms whose type lacks it. Fails when a
//! property is added to the fixture and not to the provider.

use std::collections::BTreeSet;

use intune::framework::{Block, Nesting, Provider};
use intune::resources::fields::snake_case;
use intune::resources::platform::{self, Platform, ProfileKind};
use intune::resources::provider_config::IntuneProvider;
use intune::value::{AttributePath, Type, Value};
use serde_json::Value as Json;

/// Server-maintained or key properties: `id`, the two timestamps and
/// `version` are computed attributes; `supportsScopeTags` is kept by the
/// service and not exposed as an attribute.
const NOT_WRITABLE: [&str; 5] = [
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "version",
    "supportsScopeTags",
];

/// Configurable attributes that map no Graph property, with the reason:
/// the provider keeps them itself and never sends them as properties.
const PROVIDER_LOCAL: [(&str, &str); 3] = [
    (
        "platform",
        "chooses the Graph type (`@odata.type`), not a property",
    ),
    (
        "root_certificate_id",
        "Graph's rootCertificate navigation link, bound with @odata.bind",
    ),
    (
        "allow_expired",
        "a plan-time permission to write an out-of-date certificate; only the provider reads it",
    ),
];

/// Collections whose order matters, exposed as lists (all others are sets).
const ORDERED: [&str; 1] = ["scepServerUrls"];

/// Flags-typed properties exposed as one member, with the reason: each
/// custom SAN entry has exactly one kind (`san_type = "…"` in the
/// `custom_subject_alternative_names` block).
const SINGLE_MEMBER_FLAGS: [(&str, &str); 1] =
    [("sanType", "one subject alternative name has one type")];

/// Profile types of a kind that the provider deliberately does not map, with
/// the reason (also stated in the docs).
const EXCLUDED_TYPES: [(&str, &str); 3] = [
    (
        "windows10XTrustedRootCertificate",
        "a Windows 10X resource access profile, not a device configuration",
    ),
    (
        "windows10XSCEPCertificateProfile",
        "a Windows 10X resource access profile, not a device configuration",
    ),
    (
        "windows10PFXImportCertificateProfile",
        "only keyStorageProvider; not used by Intune's imported-PFX flow",
    ),
];

fn fixture() -> Json {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/graph-schema.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn graph_kind(kind: ProfileKind) -> &'static str {
    match kind {
        ProfileKind::TrustedCertificate => "trustedRoot",
        ProfileKind::ScepCertificate => "scep",
        ProfileKind::PkcsCertificate => "pkcs",
        ProfileKind::PkcsImportedCertificate => "importedPfx",
    }
}

fn short(t: &str) -> &str {
    t.trim_start_matches("microsoft.graph.")
}

struct Fixture {
    doc: Json,
}

impl Fixture {
    fn entity(&self, name: &str) -> &Json {
        &self.doc["beta"]["entityTypes"][name]
    }
    fn complex(&self, name: &str) -> &Json {
        &self.doc["beta"]["complexTypes"][short(name)]
    }
    fn enum_members(&self, name: &str) -> Option<(bool, Vec<String>)> {
        let e = self.doc["beta"]["enumTypes"].get(short(name))?;
        let members = e["members"]
            .as_array()?
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_string())
            .collect();
        Some((e["isFlags"].as_bool().unwrap_or(false), members))
    }
    fn writable(&self, type_name: &str) -> Vec<Json> {
        self.entity(type_name)["allProperties"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| !NOT_WRITABLE.contains(&p["name"].as_str().unwrap()))
            .cloned()
            .collect()
    }
}

/// Checks one property against the served block; returns problems found.
fn check_property(
    fx: &Fixture,
    block: &Block,
    prop: &Json,
    problems: &mut Vec<String>,
    context: &str,
) {
    let graph_name = prop["name"].as_str().unwrap();
    let name = snake_case(graph_name);
    let ty = prop["type"].as_str().unwrap();
    let collection = prop["collection"].as_bool().unwrap();
    let kind = prop["kind"].as_str().unwrap();
    if kind == "complex" {
        let Some(nested) = block.find_block(&name) else {
            problems.push(format!("{context}: {graph_name} has no block {name}"));
            return;
        };
        let want = if collection {
            Nesting::Set
        } else {
            Nesting::Single
        };
        if nested.nesting != want {
            problems.push(format!(
                "{context}: block {name} is {:?}, expected {want:?}",
                nested.nesting
            ));
        }
        for sub in fx.complex(ty)["allProperties"].as_array().unwrap() {
            check_property(
                fx,
                &nested.block,
                sub,
                problems,
                &format!("{context}.{name}"),
            );
        }
        return;
    }
    let Some(attr) = block.find_attribute(&name) else {
        problems.push(format!("{context}: {graph_name} has no attribute {name}"));
        return;
    };
    let flags = kind == "enum"
        && fx.enum_members(ty).is_some_and(|(f, _)| f)
        && !SINGLE_MEMBER_FLAGS.iter().any(|(n, _)| *n == graph_name);
    let expected = match (collection || flags, short(ty)) {
        (false, "Edm.Int32") => Type::Number,
        (false, "Edm.Boolean") => Type::Bool,
        (false, _) => Type::String,
        (true, _) if ORDERED.contains(&graph_name) => Type::list(Type::String),
        (true, _) => Type::set(Type::String),
    };
    if attr.ty != expected {
        problems.push(format!(
            "{context}: {name} is {:?}, expected {expected:?}",
            attr.ty
        ));
    }
}

fn served(provider: &Provider<IntuneProvider>, kind: ProfileKind) -> Option<&Block> {
    provider
        .resource_schema(&kind.resource_type())
        .ok()
        .map(|s| &s.block)
}

#[test]
fn every_writable_property_of_every_mapped_type_is_served() {
    let fx = Fixture { doc: fixture() };
    let provider = intune::resources::provider(IntuneProvider::with_env(|_| None));
    let mut problems = Vec::new();
    let mut covered = 0;
    for kind in ProfileKind::ALL {
        let Some(block) = served(&provider, kind) else {
            continue;
        };
        // Every type of the kind in the fixture is mapped or excluded with a reason.
        for entry in fx.doc["profileIndex"].as_array().unwrap() {
            let t = entry["type"].as_str().unwrap();
            if entry["profileKind"] == graph_kind(kind)
                && !EXCLUDED_TYPES.iter().any(|(x, _)| *x == t)
                && !platform::PROFILE_TYPES
                    .iter()
                    .any(|r| r.kind == kind && r.graph_type == t)
            {
                problems.push(format!(
                    "{t} ({}) is not mapped to any platform",
                    kind.keyword()
                ));
            }
        }
        for p in platform::platforms(kind) {
            let graph_type = platform::graph_type(kind, p).unwrap().name;
            for prop in fx.writable(graph_type) {
                check_property(&fx, block, &prop, &mut problems, graph_type);
                covered += 1;
            }
        }
    }
    assert!(covered > 0);
    assert!(
        problems.is_empty(),
        "{} coverage problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_configurable_attribute_is_a_graph_property_or_provider_local() {
    let fx = Fixture { doc: fixture() };
    let provider = intune::resources::provider(IntuneProvider::with_env(|_| None));
    let mut problems = Vec::new();
    for kind in ProfileKind::ALL {
        let Some(block) = served(&provider, kind) else {
            continue;
        };
        for a in &block.attributes {
            let local = PROVIDER_LOCAL.iter().any(|(n, _)| *n == a.name);
            if a.mode != intune::framework::Mode::Computed
                && !local
                && !fx.writable_anywhere(kind, &a.name)
            {
                problems.push(format!("{}.{}", kind.resource_type(), a.name));
            }
        }
    }
    let trusted = served(&provider, ProfileKind::TrustedCertificate).unwrap();
    assert!(trusted.find_attribute("allow_expired").is_some());
    assert!(
        problems.is_empty(),
        "attributes that map no Graph property: {problems:?}"
    );
}

fn validate_one(
    provider: &Provider<IntuneProvider>,
    kind: ProfileKind,
    p: Platform,
    attr: &str,
    value: Value,
) -> Vec<String> {
    let type_name = kind.resource_type();
    let mut config = provider
        .resource_schema(&type_name)
        .unwrap()
        .block
        .empty_object();
    config.set("platform", Value::string(p.keyword()));
    config.set(attr, value);
    provider
        .validate_resource_config(&type_name, &config)
        .into_iter()
        .filter(|d| d.path == Some(AttributePath::attr(attr)))
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect()
}

#[test]
fn enum_members_and_platform_availability_are_enforced_per_platform() {
    let fx = Fixture { doc: fixture() };
    let provider = intune::resources::provider(IntuneProvider::with_env(|_| None));
    let mut problems = Vec::new();
    for kind in ProfileKind::ALL {
        let Some(block) = served(&provider, kind) else {
            continue;
        };
        let platforms = platform::platforms(kind);
        let attributes: BTreeSet<String> =
            block.attributes.iter().map(|a| a.name.clone()).collect();
        for &p in &platforms {
            let graph_type = platform::graph_type(kind, p).unwrap().name;
            let props = fx.writable(graph_type);
            for prop in &props {
                let name = snake_case(prop["name"].as_str().unwrap());
                let Some((flags, members)) = fx.enum_members(prop["type"].as_str().unwrap()) else {
                    continue;
                };
                if prop["collection"].as_bool().unwrap() || !attributes.contains(&name) {
                    continue;
                }
                let wrap = |m: &str| {
                    if flags {
                        Value::Set(vec![Value::string(m)])
                    } else {
                        Value::string(m)
                    }
                };
                for m in &members {
                    let errs = validate_one(&provider, kind, p, &name, wrap(m));
                    // Graph's placeholder for future members names no setting.
                    let placeholder = m == "unknownFutureValue";
                    if placeholder == errs.is_empty() {
                        problems.push(format!(
                            "{graph_type}.{name} = {m:?}: accepted {}, {errs:?}",
                            errs.is_empty()
                        ));
                    }
                }
                if validate_one(&provider, kind, p, &name, wrap("notAMember")).is_empty() {
                    problems.push(format!("{graph_type}.{name} accepts a bogus member"));
                }
                // Members of another platform's enum (Apple's subject name
                // formats, say) are refused here.
                for other in fx.enum_members_of_kind(kind, prop["name"].as_str().unwrap()) {
                    if !members.contains(&other)
                        && validate_one(&provider, kind, p, &name, wrap(&other)).is_empty()
                    {
                        problems.push(format!(
                            "{graph_type}.{name} accepts {other:?} from another platform's enum"
                        ));
                    }
                }
            }
            // Attributes whose property this platform's type lacks are refused.
            let has: BTreeSet<String> = props
                .iter()
                .map(|pr| snake_case(pr["name"].as_str().unwrap()))
                .collect();
            for a in &block.attributes {
                let exempt = a.mode == intune::framework::Mode::Computed
                    || a.name == "platform"
                    || has.contains(&a.name);
                if exempt || !fx.writable_anywhere(kind, &a.name) {
                    continue;
                }
                let value = match &a.ty {
                    Type::String => Value::string("x"),
                    Type::Number => Value::int(1),
                    Type::Bool => Value::Bool(true),
                    _ => Value::Set(vec![Value::string("x")]),
                };
                let errs = validate_one(&provider, kind, p, &a.name, value);
                if !errs
                    .iter()
                    .any(|e| e.contains("is not available on platform"))
                {
                    problems.push(format!(
                        "{} on {}: not refused ({errs:?})",
                        a.name,
                        p.keyword()
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

impl Fixture {
    /// Members of the enums a property has on any platform of `kind`.
    fn enum_members_of_kind(&self, kind: ProfileKind, property: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for p in platform::platforms(kind) {
            let t = platform::graph_type(kind, p).unwrap().name;
            for pr in self.writable(t).iter().filter(|pr| pr["name"] == property) {
                if let Some((_, members)) = self.enum_members(pr["type"].as_str().unwrap()) {
                    out.extend(members);
                }
            }
        }
        out
    }

    /// True when `name` maps a writable property on some platform's type of
    /// `kind` (so it is a Graph-backed attribute, not a provider-only one).
    fn writable_anywhere(&self, kind: ProfileKind, name: &str) -> bool {
        platform::platforms(kind).into_iter().any(|p| {
            let t = platform::graph_type(kind, p).unwrap().name;
            self.writable(t)
                .iter()
                .any(|pr| snake_case(pr["name"].as_str().unwrap()) == name)
        })
    }
}

/// Every writable property of every served Graph type is an attribute or a
/// block: the coverage is 100 % or the test fails, naming what is missing.
/// The per-type figures print with `cargo test --test conformance --
/// --nocapture`.
#[test]
fn coverage_figures() {
    let fx = Fixture { doc: fixture() };
    let provider = intune::resources::provider(IntuneProvider::with_env(|_| None));
    let mut types = 0;
    let mut short = Vec::new();
    for kind in ProfileKind::ALL {
        let block = served(&provider, kind)
            .unwrap_or_else(|| panic!("{} is not served", kind.resource_type()));
        for p in platform::platforms(kind) {
            let t = platform::graph_type(kind, p).unwrap().name;
            let props = fx.writable(t);
            assert!(
                !props.is_empty(),
                "{t} has no writable property in the fixture"
            );
            let missing: Vec<String> = props
                .iter()
                .map(|pr| snake_case(pr["name"].as_str().unwrap()))
                .filter(|n| block.find_attribute(n).is_none() && block.find_block(n).is_none())
                .collect();
            println!(
                "{:<28} {:<30} {}/{} writable properties",
                kind.resource_type(),
                t,
                props.len() - missing.len(),
                props.len()
            );
            types += 1;
            if !missing.is_empty() {
                short.push(format!("{t}: {}", missing.join(", ")));
            }
        }
    }
    // Platforms sharing one Graph type count once per platform keyword.
    assert!(types >= 33, "only {types} (kind, platform) pairs served");
    assert!(
        short.is_empty(),
        "writable properties not served:\n{}",
        short.join("\n")
    );
}
