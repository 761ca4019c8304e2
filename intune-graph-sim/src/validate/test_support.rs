//! What the validation tests share: the embedded schema, two valid create
//! bodies, and runners for tables of bodies that must be refused or
//! accepted, so each module's tests are only their table.

use serde_json::{Map, Value, json};

use super::error::Result;
use super::profile::{CheckedProfile, Mode, check_profile};
use super::types::resolve_create_type;
use crate::schema::Schema;

/// Any non-empty, valid base64.
const CERT_B64: &str = "MIIBszCCAVmgAwIBAgIU";

/// Changes a valid body into the one a case sends.
pub type Edit = fn(&mut Map<String, Value>);
/// A create that must fail: name, base body, edit, Graph's `error.code`,
/// a fragment of its message.
pub type Rejection = (&'static str, Value, Edit, &'static str, &'static str);
/// A create of [`macos_scep`] that must pass: name, edit, a property and
/// the value it must be stored as.
pub type Acceptance = (&'static str, Edit, &'static str, Value);

pub fn schema() -> &'static Schema {
    Schema::embedded().expect("schema")
}

pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("test body must be an object"),
    }
}

pub fn windows_root() -> Value {
    json!({
        "@odata.type": "#microsoft.graph.windows81TrustedRootCertificate",
        "displayName": "root",
        "trustedRootCertificate": CERT_B64,
        "destinationStore": "computerCertStoreRoot",
    })
}

pub fn macos_scep() -> Value {
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
pub fn create(
    mut body: Value,
    edit: impl FnOnce(&mut Map<String, Value>),
) -> Result<CheckedProfile> {
    let map = body.as_object_mut().expect("object");
    edit(map);
    let map = object(body);
    let entity = resolve_create_type(schema(), &map)?;
    check_profile(schema(), entity, &map, Mode::Create)
}

pub fn assert_rejected(cases: Vec<Rejection>) {
    for (name, body, edit, code, fragment) in cases {
        let err = create(body, edit).expect_err(name);
        assert_eq!(err.code(), code, "{name}: {err}");
        assert!(err.to_string().contains(fragment), "{name}: {err}");
    }
}

pub fn assert_accepted(cases: Vec<Acceptance>) {
    for (name, edit, property, expected) in cases {
        let checked = create(macos_scep(), edit).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(checked.properties[property], expected, "{name}");
    }
}
