//! The data sources `intune_certificate_profile` (one profile, by id or
//! exact display name; `certificate_profile.rs`) and
//! `intune_certificate_profiles` (all of them, optionally by kind and
//! platform; `certificate_profiles.rs`), for profiles managed elsewhere.
//!
//! Both describe a profile with the same fields ([`PROFILE_FIELDS`], built
//! here); what a profile is comes from its `@odata.type` and the platform
//! table, so device configurations that are not certificate profiles are
//! never returned. They only read.

mod certificate_profile;
mod certificate_profiles;

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::PROFILE_KINDS;
use super::certificate;
use super::platform::{self, Platform, ProfileKind, ProfileType, keyword_list};
use crate::framework::{Attribute, Diagnostics, Mode, Validator};
use crate::value::{AttributePath, Type, Value};
pub use certificate_profile::{CertificateProfileDataSource, PROFILE_TYPE_NAME};
pub use certificate_profiles::{CertificateProfilesDataSource, PROFILES_TYPE_NAME};

/// The fields describing one profile, with their descriptions: the
/// attributes of `intune_certificate_profile` and of each element of
/// `intune_certificate_profiles.profiles`.
pub static PROFILE_FIELDS: &[(&str, &str)] = &[
    ("id", "The profile's Graph id (a GUID)."),
    (
        "kind",
        "What the profile is: `trusted_certificate`, `scep_certificate`, `pkcs_certificate` or `pkcs_imported_certificate` (the resource names without `intune_`).",
    ),
    (
        "platform",
        "The profile's platform keyword, as in the resources' `platform` (for a Graph type two platforms share, the first in the docs' platform table).",
    ),
    (
        "odata_type",
        "Graph's type of the profile, e.g. `#microsoft.graph.iosScepCertificateProfile`.",
    ),
    ("display_name", "Name shown in the Intune admin center."),
    (
        "description",
        "The profile's description (null when it has none).",
    ),
    (
        "created_date_time",
        "When the profile was created (RFC 3339).",
    ),
    (
        "last_modified_date_time",
        "When the profile was last modified (RFC 3339).",
    ),
    (
        "thumbprint",
        "Trusted certificate profiles: SHA-1 thumbprint of the certificate, upper-case hexadecimal. Null for other kinds.",
    ),
    (
        "subject",
        "Trusted certificate profiles: subject distinguished name of the certificate. Null for other kinds.",
    ),
    (
        "issuer",
        "Trusted certificate profiles: issuer distinguished name of the certificate. Null for other kinds.",
    ),
    (
        "not_after",
        "Trusted certificate profiles: end of the certificate's validity, RFC 3339 (UTC). Null for other kinds.",
    ),
];

fn kind_keywords() -> Vec<&'static str> {
    ProfileKind::ALL.iter().map(|k| k.keyword()).collect()
}

fn platform_keywords() -> Vec<&'static str> {
    Platform::ALL.iter().map(|p| p.keyword()).collect()
}

fn kind_filter(mode: Mode, description: String) -> Attribute {
    Attribute::new("kind", Type::String, mode)
        .description(description)
        .validator(Validator::one_of(&kind_keywords()))
}

fn platform_filter(mode: Mode, description: String) -> Attribute {
    Attribute::new("platform", Type::String, mode)
        .description(description)
        .validator(Validator::one_of(&platform_keywords()))
}

fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The object describing one profile: every [`PROFILE_FIELDS`] entry.
/// `platform` may be given when the caller knows which of two platforms
/// sharing a Graph type was meant.
fn profile_value(json: &Json, row: &ProfileType, platform: Platform) -> Value {
    let text = |key: &str| {
        json.get(key)
            .and_then(Json::as_str)
            .map(Value::string)
            .unwrap_or_default()
    };
    let mut v = Value::Object(BTreeMap::new());
    v.set("id", text("id"));
    v.set("kind", Value::string(row.kind.keyword()));
    v.set("platform", Value::string(platform.keyword()));
    v.set("odata_type", text("@odata.type"));
    v.set("display_name", text("displayName"));
    v.set("description", text("description"));
    v.set("created_date_time", text("createdDateTime"));
    v.set("last_modified_date_time", text("lastModifiedDateTime"));
    let cert = certificate_property(row.kind)
        .and_then(|prop| json.get(prop).and_then(Json::as_str))
        .map(Value::string)
        .unwrap_or_default();
    certificate::set_facts(&mut v, &cert);
    v
}

/// The Graph property holding the certificate of a kind that has one (the
/// kind's attribute table says so with `FieldType::Certificate`).
fn certificate_property(kind: ProfileKind) -> Option<&'static str> {
    PROFILE_KINDS
        .iter()
        .find(|spec| spec.kind == kind)
        .and_then(|spec| spec.certificate_field())
        .map(|f| f.graph)
}

/// A (kind, platform) pair no Graph type has, as an error on `platform`.
fn check_pair(config: &Value, diags: &mut Diagnostics) {
    let (kind, platform) = selection(config);
    if let (Some(k), Some(p)) = (kind, platform) {
        if platform::graph_type(k, p).is_none() {
            diags.error_at(
                AttributePath::attr("platform"),
                format!("No {} profiles on platform {:?}", k.label(), p.keyword()),
                format!(
                    "Intune has no {} profile for {}, so nothing can match. {} exists on {}.",
                    k.label(),
                    p.label(),
                    k.keyword(),
                    keyword_list(&platform::platforms(k))
                ),
            );
        }
    }
}

fn selection(config: &Value) -> (Option<ProfileKind>, Option<Platform>) {
    (
        config
            .get("kind")
            .as_str()
            .and_then(ProfileKind::from_keyword),
        config
            .get("platform")
            .as_str()
            .and_then(Platform::from_keyword),
    )
}

/// Whether a profile of Graph type `row` matches the selection. Platforms
/// sharing a Graph type both match it.
fn matches(row: &ProfileType, kind: Option<ProfileKind>, platform: Option<Platform>) -> bool {
    kind.is_none_or(|k| row.kind == k)
        && platform.is_none_or(|p| {
            platform::PROFILE_TYPES
                .iter()
                .any(|r| r.kind == row.kind && r.platform == p && r.graph_type == row.graph_type)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::DataSource;
    use serde_json::json;

    fn row(graph_type: &str) -> &'static ProfileType {
        platform::identify(graph_type).expect("in the table")
    }

    #[test]
    fn matching_by_kind_and_platform() {
        use Platform::*;
        use ProfileKind::*;
        let shared = row("androidForWorkImportedPFXCertificateProfile");
        let cases = [
            (row("iosScepCertificateProfile"), None, None, true),
            (
                row("iosScepCertificateProfile"),
                Some(ScepCertificate),
                Some(Ios),
                true,
            ),
            (
                row("iosScepCertificateProfile"),
                Some(TrustedCertificate),
                None,
                false,
            ),
            (row("iosScepCertificateProfile"), None, Some(Macos), false),
            (
                shared,
                Some(PkcsImportedCertificate),
                Some(AndroidWorkProfile),
                true,
            ),
            (shared, None, Some(AndroidForWork), true),
            (shared, None, Some(AndroidDeviceOwner), false),
        ];
        for (r, kind, platform, want) in cases {
            assert_eq!(
                matches(r, kind, platform),
                want,
                "{} {kind:?} {platform:?}",
                r.graph_type
            );
        }
    }

    #[test]
    fn profile_values_have_every_field() {
        let pem = certificate::tests::test_root_pem("Data Source Root");
        let der_b64 = certificate::to_graph(&pem).expect("encodes");
        let trusted = json!({
            "@odata.type": "#microsoft.graph.macOSTrustedRootCertificate",
            "id": "a1", "displayName": "Root", "description": null,
            "createdDateTime": "2026-01-01T00:00:00.0000000Z",
            "lastModifiedDateTime": "2026-01-02T00:00:00.0000000Z",
            "trustedRootCertificate": der_b64,
        });
        let r = row("macOSTrustedRootCertificate");
        let v = profile_value(&trusted, r, r.platform);
        let fields: Vec<&str> = PROFILE_FIELDS.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            v.as_object()
                .map(|m| m.keys().map(String::as_str).collect::<Vec<_>>().len()),
            Some(fields.len())
        );
        assert_eq!(v.get("kind"), &Value::string("trusted_certificate"));
        assert_eq!(v.get("platform"), &Value::string("macos"));
        assert_eq!(v.get("description"), &Value::Null);
        assert!(
            v.get("subject")
                .as_str()
                .is_some_and(|s| s.contains("Data Source Root"))
        );
        assert_eq!(v.get("thumbprint").as_str().map(str::len), Some(40));
        let list_type = DataSource::schema(&CertificateProfilesDataSource::new())
            .block
            .find_attribute("profiles")
            .map(|a| a.ty.clone())
            .expect("profiles");
        assert!(Value::List(vec![v]).check_type(&list_type).is_ok());

        let scep = json!({"@odata.type": "#microsoft.graph.iosScepCertificateProfile", "id": "b2", "displayName": "Wi-Fi"});
        let r = row("iosScepCertificateProfile");
        let v = profile_value(&scep, r, r.platform);
        for (name, _) in certificate::FACTS {
            assert_eq!(v.get(name), &Value::Null, "{name}");
        }
    }
}
