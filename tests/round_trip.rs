//! Every attribute of every kind on every platform, set at once to a valid
//! value, goes through the engine and the strict simulator and comes back
//! exactly as planned: apply returns the plan, a second plan is empty, and
//! a refresh changes nothing. This is where a conversion bug for one field
//! type on one platform would show.

mod support;

use intune::framework::{Diagnostics, Mode, Provider};
use intune::resources::fields::{Field, FieldType, complex_properties, property_enum};
use intune::resources::model::GraphProperty;
use intune::resources::platform::{self, Platform, ProfileKind};
use intune::resources::profile::{COMMON_FIELDS, ProfileKindSpec};
use intune::resources::provider_config::IntuneProvider;
use intune::value::Value;
use intune_graph_sim::{SimConfig, Simulator};

fn root_pem() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/certs/contoso-root-ca.cer"
    ))
    .unwrap()
}

/// A valid member of `prop`'s enum, avoiding placeholders and `none`.
fn member(prop: &GraphProperty) -> &'static str {
    let members = property_enum(prop).expect("an enum").members;
    members
        .iter()
        .rev()
        .find(|m| **m != "unknownFutureValue" && **m != "none" && **m != "notConfigured")
        .or(members.first())
        .copied()
        .unwrap()
}

fn value_for(field: &Field, prop: &GraphProperty) -> Value {
    match field.ty {
        FieldType::String => Value::string(format!("{} value", field.name)),
        FieldType::Certificate => Value::string(root_pem()),
        FieldType::Int32 => Value::int(field.range.map_or(7, |(min, _)| min + 1)),
        FieldType::Bool => Value::Bool(true),
        FieldType::Enum => Value::string(member(prop)),
        FieldType::Flags => Value::Set(vec![Value::string(member(prop))]),
        FieldType::StringSet
            if matches!(prop.ty, intune::resources::model::PropertyType::Enum(_)) =>
        {
            Value::Set(vec![Value::string(member(prop))])
        }
        FieldType::StringSet => Value::Set(vec![Value::string("1"), Value::string("2")]),
        FieldType::StringList => Value::List(vec![
            Value::string("https://one.example"),
            Value::string("https://two.example"),
        ]),
        FieldType::Object(subfields) => object(subfields, complex_properties(prop), 0),
        FieldType::ObjectSet(subfields) => {
            let props = complex_properties(prop);
            Value::Set(vec![
                object(subfields, props, 1),
                object(subfields, props, 2),
            ])
        }
    }
}

/// A complex value with every sub-field set; `n` makes elements differ.
fn object(subfields: &[Field], props: &[GraphProperty], n: usize) -> Value {
    let mut out = Value::Object(Default::default());
    for sub in subfields {
        let prop = props
            .iter()
            .find(|p| p.name == sub.graph)
            .expect("sub-property");
        let v = match sub.ty {
            FieldType::String => Value::string(format!("{} {n}", sub.name)),
            _ => value_for(sub, prop),
        };
        out.set(sub.name, v);
    }
    out
}

async fn apply(
    provider: &Provider<IntuneProvider>,
    type_name: &str,
    config: &Value,
) -> (Value, Diagnostics) {
    let plan = provider
        .plan_resource_change(type_name, &Value::Null, config, config, &[])
        .await;
    assert!(
        !plan.diagnostics.has_errors(),
        "{type_name}: {:?}",
        plan.diagnostics
    );
    let applied = provider
        .apply_resource_change(type_name, &Value::Null, &plan.planned, &plan.private)
        .await;
    // Apply keeps every value the plan knew.
    if let (Value::Object(planned), Value::Object(state)) = (&plan.planned, &applied.state) {
        for (k, v) in planned {
            if v.is_wholly_known() {
                assert_eq!(
                    Some(v),
                    state.get(k),
                    "{type_name}.{k}: apply changed a planned value"
                );
            }
        }
    }
    (applied.state, applied.diagnostics)
}

/// A trusted root of the Graph type `target`, for `root_certificate_id`.
async fn root_of(provider: &Provider<IntuneProvider>, target: &str) -> String {
    let row = platform::PROFILE_TYPES
        .iter()
        .find(|r| r.kind == ProfileKind::TrustedCertificate && r.graph_type == target)
        .unwrap();
    let type_name = ProfileKind::TrustedCertificate.resource_type();
    let mut cfg = provider
        .resource_schema(&type_name)
        .unwrap()
        .block
        .empty_object();
    cfg.set("platform", Value::string(row.platform.keyword()));
    cfg.set("display_name", Value::string("Root"));
    cfg.set("trusted_root_certificate", Value::string(root_pem()));
    if row.platform == Platform::Windows {
        cfg.set("destination_store", Value::string("computerCertStoreRoot"));
    }
    let (state, diags) = apply(provider, &type_name, &cfg).await;
    assert!(!diags.has_errors(), "{diags:?}");
    state.get("id").as_str().unwrap().to_string()
}

async fn round_trip(spec: &ProfileKindSpec, p: Platform, provider: &Provider<IntuneProvider>) {
    let kind = spec.kind;
    let type_name = kind.resource_type();
    let gt = platform::graph_type(kind, p).unwrap();
    let mut config = provider
        .resource_schema(&type_name)
        .unwrap()
        .block
        .empty_object();
    config.set("platform", Value::string(p.keyword()));
    for field in COMMON_FIELDS.iter().chain(spec.fields) {
        if let Some(prop) = gt.property(field.graph) {
            config.set(field.name, value_for(field, prop));
        }
    }
    if let Some(target) = gt.root_certificate_target {
        config.set(
            "root_certificate_id",
            Value::string(root_of(provider, target).await),
        );
    }
    let (state, diags) = apply(provider, &type_name, &config).await;
    assert!(
        !diags.has_errors(),
        "{} on {}: {diags:?}",
        type_name,
        p.keyword()
    );

    // A second plan is empty: the state is exactly what the config says.
    let mut proposed = config.clone();
    if let Value::Object(attrs) = &state {
        for (k, v) in attrs {
            if config.get(k).is_null() {
                proposed.set(k, v.clone());
            }
        }
    }
    let plan = provider
        .plan_resource_change(&type_name, &state, &proposed, &config, &[])
        .await;
    assert!(
        plan.requires_replace.is_empty(),
        "{}: {:?}",
        gt.name,
        plan.requires_replace
    );
    assert_eq!(
        plan.planned, state,
        "{}: a plan right after apply must be empty",
        gt.name
    );

    // A refresh reads the same state back.
    let read = provider.read_resource(&type_name, &state, &[]).await;
    assert!(!read.diagnostics.has_errors(), "{:?}", read.diagnostics);
    assert_eq!(read.state, state, "{}: refresh changed the state", gt.name);

    // Update in place: every optional attribute cleared, every required
    // string changed. One PATCH, and the result is again exactly the plan.
    let mut cleared = config.clone();
    for field in COMMON_FIELDS.iter().chain(spec.fields) {
        let Some(prop) = gt.property(field.graph) else {
            continue;
        };
        let required = field.mode == Mode::Required
            || (!prop.nullable && !prop.collection && !field.is_block());
        match (required, field.ty) {
            (true, FieldType::String) => {
                cleared.set(field.name, Value::string(format!("{} changed", field.name)))
            }
            (true, _) => {}
            (false, FieldType::ObjectSet(_)) => cleared.set(field.name, Value::Set(Vec::new())),
            (false, _) if field.mode == Mode::OptionalComputed => {}
            (false, _) => cleared.set(field.name, Value::Null),
        }
    }
    let mut proposed = cleared.clone();
    for (k, v) in state.as_object().unwrap() {
        if cleared.get(k).is_null() && field_is_computed(provider, &type_name, k) {
            proposed.set(k, v.clone());
        }
    }
    let plan = provider
        .plan_resource_change(&type_name, &state, &proposed, &cleared, &[])
        .await;
    assert!(
        !plan.diagnostics.has_errors(),
        "{}: {:?}",
        gt.name,
        plan.diagnostics
    );
    let applied = provider
        .apply_resource_change(&type_name, &state, &plan.planned, &[])
        .await;
    assert!(
        !applied.diagnostics.has_errors(),
        "{}: {:?}",
        gt.name,
        applied.diagnostics
    );
    for (k, v) in plan.planned.as_object().unwrap() {
        if v.is_wholly_known() {
            assert_eq!(
                Some(v),
                applied.state.as_object().unwrap().get(k),
                "{}.{k} after update",
                gt.name
            );
        }
    }
    let read = provider
        .read_resource(&type_name, &applied.state, &[])
        .await;
    assert_eq!(
        read.state, applied.state,
        "{}: refresh after update changed the state",
        gt.name
    );
}

fn field_is_computed(provider: &Provider<IntuneProvider>, type_name: &str, name: &str) -> bool {
    let block = &provider.resource_schema(type_name).unwrap().block;
    block
        .find_attribute(name)
        .is_some_and(|a| a.mode.is_computed())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_attribute_on_every_platform_round_trips() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = support::configured_provider(&sim).await;
    let mut pairs = 0;
    for spec in intune::resources::PROFILE_KINDS {
        for p in platform::platforms(spec.kind) {
            round_trip(spec, p, &provider).await;
            pairs += 1;
        }
    }
    assert_eq!(pairs, 34, "every (kind, platform) pair");
    let patches = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH" && r.is_graph_write())
        .count();
    assert_eq!(patches, pairs, "one PATCH per update");
}
