//! The value codec against bytes real Terraform sent (captured from
//! `PlanResourceChange` of `tests/fixtures/terraform-msgpack/main.tf`):
//! nested sets, a single nested block, `timeouts`, unknown values, and the
//! refined unknown Terraform 1.6+ sends for `"after ${...}"`.

use intune::resources::provider_config::IntuneProvider;
use intune::value::{Value, msgpack};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/terraform-msgpack/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The trusted certificate's type as it was when the fixtures were
/// captured from real terraform: attributes added since (terraform sends
/// every attribute of the schema it was given) are left out.
fn schema_type() -> intune::value::Type {
    const ADDED_SINCE_CAPTURE: [&str; 1] = ["allow_expired"];
    let provider = intune::resources::provider(IntuneProvider::with_env(|_| None));
    let mut ty = provider
        .resource_schema("intune_trusted_certificate")
        .unwrap()
        .value_type();
    if let intune::value::Type::Object(attributes) = &mut ty {
        for name in ADDED_SINCE_CAPTURE {
            assert!(attributes.remove(name).is_some(), "{name} is in the schema");
        }
    }
    ty
}

fn strings(v: &Value) -> Vec<&str> {
    let mut out: Vec<&str> = v
        .as_elements()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    out.sort();
    out
}

#[test]
fn known_values_with_nested_sets_decode_and_re_encode_byte_for_byte() {
    let ty = schema_type();
    for version in ["1.0.3", "1.11.4"] {
        for kind in ["config", "proposed"] {
            let bytes = fixture(&format!("tf{version}-plan-{kind}-first.msgpack"));
            let v =
                msgpack::decode(&bytes, &ty).unwrap_or_else(|e| panic!("{version} {kind}: {e}"));
            assert_eq!(v.get("platform"), &Value::string("windows"));
            assert_eq!(strings(v.get("role_scope_tag_ids")), ["0", "7"]);
            let rule = v.get("device_management_applicability_rule_os_edition");
            assert_eq!(
                strings(rule.get("os_edition_types")),
                ["windows10Education", "windows10Enterprise"]
            );
            assert_eq!(v.get("timeouts").get("create"), &Value::string("5m"));
            assert!(v.get("description").is_null());
            // On create, terraform proposes null for unset computed values;
            // the provider's plan makes them unknown.
            assert!(v.get("id").is_null());
            assert_eq!(
                msgpack::encode(&v, &ty).unwrap(),
                bytes,
                "{version} {kind} re-encodes identically"
            );
        }
    }
}

#[test]
fn unknown_and_refined_unknown_decode_as_unknown() {
    let ty = schema_type();
    let plain = msgpack::decode(&fixture("tf1.0.3-plan-config-second.msgpack"), &ty).unwrap();
    let refined = msgpack::decode(&fixture("tf1.11.4-plan-config-second.msgpack"), &ty).unwrap();
    for v in [&plain, &refined] {
        assert!(v.get("description").is_unknown());
        assert_eq!(v.get("display_name"), &Value::string("Second"));
    }
    // Terraform 1.11 refines the unknown ("not null, starts with 'after '").
    let bytes = fixture("tf1.11.4-plan-config-second.msgpack");
    let needle = [0xc7, 0x0b, 0x0c, 0x82, 0x01, 0xc2, 0x02, 0xa6];
    assert!(
        bytes.windows(needle.len()).any(|w| w == needle),
        "fixture holds a refined unknown"
    );
    assert_eq!(plain, refined, "refinements are dropped");
}
