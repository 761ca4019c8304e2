//! The data sources `intune_certificate_profile` (one profile, by id or
//! exact display name) and `intune_certificate_profiles` (all of them,
//! optionally by kind and platform), for profiles managed elsewhere.
//!
//! Both describe a profile with the same fields ([`PROFILE_FIELDS`]); what
//! a profile is comes from its `@odata.type` and the platform table, so
//! device configurations that are not certificate profiles are never
//! returned. They only read.

use super::client::IntuneClient;
use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::Value as Json;

use super::PROFILE_KINDS;
use super::certificate;
use super::errors::graph_failure;
use super::lookup::{self, Identity};
use super::platform::{self, Platform, ProfileKind, ProfileType, keyword_list};
use crate::framework::{
    Attribute, Block, Context, DataSource, Diagnostics, Mode, Schema, Validator,
};
use crate::value::{AttributePath, Type, Value};

pub const PROFILE_TYPE_NAME: &str = "intune_certificate_profile";
pub const PROFILES_TYPE_NAME: &str = "intune_certificate_profiles";

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
    let facts = certificate_property(row.kind)
        .and_then(|prop| json.get(prop).and_then(Json::as_str))
        .and_then(|cert| certificate::parse(cert).ok());
    for (i, (name, _)) in certificate::FACTS.iter().enumerate() {
        let value = facts.as_ref().map(|f| Value::string(f.values()[i].1));
        v.set(name, value.unwrap_or_default());
    }
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

/// The Graph types a (kind, platform) selection covers; `None` for no
/// selection (every certificate profile).
fn selected_types(
    kind: Option<ProfileKind>,
    platform: Option<Platform>,
) -> Option<Vec<&'static str>> {
    if kind.is_none() && platform.is_none() {
        return None;
    }
    let mut types: Vec<&'static str> = Vec::new();
    for row in platform::PROFILE_TYPES {
        if kind.is_none_or(|k| row.kind == k)
            && platform.is_none_or(|p| row.platform == p)
            && !types.contains(&row.graph_type)
        {
            types.push(row.graph_type);
        }
    }
    Some(types)
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

/// `intune_certificate_profile`.
pub struct CertificateProfileDataSource {
    schema: Schema,
}

impl Default for CertificateProfileDataSource {
    fn default() -> Self {
        CertificateProfileDataSource::new()
    }
}

impl CertificateProfileDataSource {
    pub fn new() -> Self {
        let mut block = Block::new().description(
            "Looks up one certificate profile (trusted certificate, SCEP, PKCS or imported PKCS) by \
             its `id` or its exact `display_name`, for example one created in the Intune admin \
             center, and tells its kind and platform. Exactly one of `id` and `display_name` must \
             be set; `kind` and `platform` narrow a lookup by name and are checked on a lookup \
             by id. It is an error when no profile or several profiles match (the message lists \
             the ids that matched).",
        );
        for (name, description) in PROFILE_FIELDS {
            let attr = match *name {
                "id" => Attribute::new("id", Type::String, Mode::OptionalComputed)
                    .description(format!(
                        "{description} Set it to look the profile up by id."
                    ))
                    .validator(Validator::Guid),
                "display_name" => Attribute::new(*name, Type::String, Mode::OptionalComputed)
                    .description(format!(
                        "{description} Set it to look the profile up by name: the match is exact \
                         (case included) and must be unique among certificate profiles."
                    ))
                    .validator(Validator::NotBlank),
                "kind" => kind_filter(
                    Mode::OptionalComputed,
                    format!("{description} When set, only profiles of this kind match."),
                ),
                "platform" => platform_filter(
                    Mode::OptionalComputed,
                    format!(
                        "{description} When set, only profiles for this platform match: one of {}.",
                        quoted(&platform_keywords())
                    ),
                ),
                _ => Attribute::new(*name, Type::String, Mode::Computed).description(*description),
            };
            block = block.attribute(attr);
        }
        CertificateProfileDataSource {
            schema: Schema::new(block),
        }
    }

    /// The result, keeping the configured arguments as written.
    fn result(
        config: &Value,
        json: &Json,
        row: &ProfileType,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let platform = config
            .get("platform")
            .as_str()
            .and_then(Platform::from_keyword)
            .unwrap_or(row.platform);
        let mut v = profile_value(json, row, platform);
        for name in ["id", "display_name"] {
            if config.get(name).is_known_non_null() {
                v.set(name, config.get(name).clone());
            }
        }
        if v.get("id").is_null() {
            diags.error(
                "Unexpected answer from Graph",
                "The profile Graph returned has no id.",
            );
            return None;
        }
        Some(v)
    }

    async fn by_id(
        &self,
        ctx: &Context<'_, IntuneClient>,
        config: &Value,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let path = AttributePath::attr("id");
        let json = match ctx
            .client
            .get(&lookup::item_path(id), &super::call_options(ctx))
            .await
        {
            Ok(json) => json,
            Err(e) if e.is_not_found() => {
                diags.error_at(
                    path,
                    "Certificate profile not found",
                    format!("Graph has no device configuration with id {id:?}."),
                );
                return None;
            }
            Err(e) => {
                graph_failure(
                    diags,
                    "Failed to read certificate profile",
                    &format!("reading profile {id}"),
                    &e,
                    &[],
                );
                return None;
            }
        };
        let row = match lookup::identify(&json) {
            Identity::Certificate(row) => row,
            Identity::Other(t) => {
                diags.error_at(
                    path,
                    "Not a certificate profile",
                    lookup::not_a_certificate_profile(id, t),
                );
                return None;
            }
        };
        let (kind, platform) = selection(config);
        if !matches(row, kind, platform) {
            let attr = if kind.is_some_and(|k| k != row.kind) {
                "kind"
            } else {
                "platform"
            };
            diags.error_at(
                AttributePath::attr(attr),
                "Certificate profile does not match",
                format!(
                    "Profile {id} is a {} profile for platform {:?} ({}), not what kind and \
                     platform ask for.",
                    row.kind.keyword(),
                    row.platform.keyword(),
                    row.graph_type
                ),
            );
            return None;
        }
        Self::result(config, &json, row, diags)
    }

    async fn by_name(
        &self,
        ctx: &Context<'_, IntuneClient>,
        config: &Value,
        name: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let filter = format!("displayName eq {}", lookup::string_literal(name));
        let items = match ctx
            .client
            .list(
                &lookup::filtered_collection(&filter),
                &super::call_options(ctx),
            )
            .await
        {
            Ok(items) => items,
            Err(e) => {
                graph_failure(
                    diags,
                    "Failed to look up certificate profiles",
                    &format!("listing device configurations named {name:?}"),
                    &e,
                    &[],
                );
                return None;
            }
        };
        let (kind, platform) = selection(config);
        // Graph's `eq` may ignore case: the exact comparison is ours.
        let named: Vec<&Json> = items
            .iter()
            .filter(|j| j.get("displayName").and_then(Json::as_str) == Some(name))
            .collect();
        let mut found: Vec<(&Json, &'static ProfileType)> = Vec::new();
        let mut others: Vec<String> = Vec::new();
        for json in &named {
            let id = json.get("id").and_then(Json::as_str).unwrap_or("?");
            match lookup::identify(json) {
                Identity::Certificate(row) if matches(row, kind, platform) => {
                    found.push((json, row))
                }
                Identity::Certificate(row) => others.push(format!(
                    "{id} ({}, platform {:?})",
                    row.kind.keyword(),
                    row.platform.keyword()
                )),
                Identity::Other(t) => others.push(format!("{id} ({t}, not a certificate profile)")),
            }
        }
        let path = AttributePath::attr("display_name");
        match found.as_slice() {
            [(json, row)] => Self::result(config, json, row, diags),
            [] => {
                let also = if others.is_empty() {
                    String::new()
                } else {
                    format!(
                        " Device configurations with this name that do not match: {}.",
                        others.join(", ")
                    )
                };
                diags.error_at(
                    path,
                    "Certificate profile not found",
                    format!(
                        "No certificate profile{} is named {name:?} (names are compared exactly, \
                         case included).{also}",
                        describe_selection(kind, platform)
                    ),
                );
                None
            }
            several => {
                let ids: Vec<String> = several
                    .iter()
                    .map(|(json, row)| {
                        format!(
                            "{} ({}, platform {:?})",
                            json.get("id").and_then(Json::as_str).unwrap_or("?"),
                            row.kind.keyword(),
                            row.platform.keyword()
                        )
                    })
                    .collect();
                diags.error_at(
                    path,
                    "Several certificate profiles match",
                    format!(
                        "{} certificate profiles{} are named {name:?}: {}. Look the profile up by \
                         id instead, or narrow the lookup with kind and platform.",
                        several.len(),
                        describe_selection(kind, platform),
                        ids.join(", ")
                    ),
                );
                None
            }
        }
    }
}

/// " of kind … on platform …" for messages.
fn describe_selection(kind: Option<ProfileKind>, platform: Option<Platform>) -> String {
    let mut out = String::new();
    if let Some(k) = kind {
        out.push_str(&format!(" of kind {:?}", k.keyword()));
    }
    if let Some(p) = platform {
        out.push_str(&format!(" on platform {:?}", p.keyword()));
    }
    out
}

#[async_trait]
impl DataSource<IntuneClient> for CertificateProfileDataSource {
    fn type_name(&self) -> &str {
        PROFILE_TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let (id, name) = (config.get("id"), config.get("display_name"));
        if id.is_known_non_null() && name.is_known_non_null() {
            diags.error_at(
                AttributePath::attr("display_name"),
                "Conflicting lookup arguments",
                "Set either id or display_name, not both.",
            );
        }
        if id.is_null() && name.is_null() {
            diags.error(
                "Missing lookup argument",
                "intune_certificate_profile needs either id or display_name to find the profile.",
            );
        }
        check_pair(config, diags);
    }

    async fn read(
        &self,
        ctx: &Context<'_, IntuneClient>,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        self.validate(config, diags);
        if diags.has_errors() {
            return None;
        }
        match (
            config.get("id").as_str(),
            config.get("display_name").as_str(),
        ) {
            (Some(id), _) => self.by_id(ctx, config, id, diags).await,
            (None, Some(name)) => self.by_name(ctx, config, name, diags).await,
            (None, None) => None,
        }
    }
}

/// `intune_certificate_profiles`.
pub struct CertificateProfilesDataSource {
    schema: Schema,
}

impl Default for CertificateProfilesDataSource {
    fn default() -> Self {
        CertificateProfilesDataSource::new()
    }
}

impl CertificateProfilesDataSource {
    pub fn new() -> Self {
        let item = Type::Object(
            PROFILE_FIELDS
                .iter()
                .map(|(name, _)| (name.to_string(), Type::String))
                .collect(),
        );
        let block = Block::new()
            .description(
                "Lists the tenant's certificate profiles (trusted certificate, SCEP, PKCS and \
                 imported PKCS), optionally only those of one kind and/or platform. Device \
                 configurations of other types are never listed. Profiles are sorted by display \
                 name, then id, so the list is stable between runs.",
            )
            .attribute(kind_filter(
                Mode::Optional,
                format!(
                    "Only profiles of this kind: one of {}.",
                    quoted(&kind_keywords())
                ),
            ))
            .attribute(platform_filter(
                Mode::Optional,
                format!(
                    "Only profiles for this platform: one of {}. Platforms that share a Graph \
                     type (`android_work_profile` and `android_for_work` for imported PKCS) \
                     both select it.",
                    quoted(&platform_keywords())
                ),
            ))
            .attribute(
                Attribute::new("profiles", Type::list(item), Mode::Computed).description(
                    "The matching profiles, each an object with the attributes of the \
                     `intune_certificate_profile` data source.",
                ),
            );
        CertificateProfilesDataSource {
            schema: Schema::new(block),
        }
    }
}

#[async_trait]
impl DataSource<IntuneClient> for CertificateProfilesDataSource {
    fn type_name(&self) -> &str {
        PROFILES_TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check_pair(config, diags);
    }

    async fn read(
        &self,
        ctx: &Context<'_, IntuneClient>,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        check_pair(config, diags);
        if diags.has_errors() {
            return None;
        }
        let (kind, platform) = selection(config);
        // With a selection, Graph filters by type; without one, every
        // device configuration is read and the others dropped here.
        let path = match selected_types(kind, platform) {
            Some(types) => lookup::filtered_collection(&lookup::isof_filter(&types)),
            None => super::profile::COLLECTION.to_string(),
        };
        let mut listed = ctx.client.list(&path, &super::call_options(ctx)).await;
        if listed.as_ref().is_err_and(|e| e.status() == Some(400))
            && path != super::profile::COLLECTION
        {
            // Graph's support for `isof` here is not documented: when it
            // refuses the filter, read everything and select here.
            tracing::debug!("Graph refused the type filter; listing without it");
            listed = ctx
                .client
                .list(super::profile::COLLECTION, &super::call_options(ctx))
                .await;
        }
        let items = match listed {
            Ok(items) => items,
            Err(e) => {
                graph_failure(
                    diags,
                    "Failed to list certificate profiles",
                    "listing device configurations",
                    &e,
                    &[],
                );
                return None;
            }
        };
        let mut profiles: Vec<Value> = items
            .iter()
            .filter_map(|json| match lookup::identify(json) {
                Identity::Certificate(row) if matches(row, kind, platform) => {
                    Some(profile_value(json, row, platform.unwrap_or(row.platform)))
                }
                _ => None,
            })
            .collect();
        let key = |v: &Value| {
            (
                v.get("display_name")
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                v.get("id").as_str().unwrap_or_default().to_string(),
            )
        };
        profiles.sort_by_key(key);
        tracing::debug!(count = profiles.len(), "listed certificate profiles");
        let mut state = config.clone();
        state.set("profiles", Value::List(profiles));
        Some(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(graph_type: &str) -> &'static ProfileType {
        platform::identify(graph_type).expect("in the table")
    }

    #[test]
    fn selections_cover_the_table() {
        use Platform::*;
        use ProfileKind::*;
        assert_eq!(selected_types(None, None), None);
        assert_eq!(
            selected_types(Some(ScepCertificate), Some(Ios)),
            Some(vec!["iosScepCertificateProfile"])
        );
        assert_eq!(
            selected_types(Some(TrustedCertificate), None).map(|t| t.len()),
            Some(9)
        );
        // Platforms sharing a Graph type list it once.
        assert_eq!(
            selected_types(Some(PkcsImportedCertificate), Some(AndroidForWork)),
            Some(vec!["androidForWorkImportedPFXCertificateProfile"])
        );
        let windows = selected_types(None, Some(Windows)).expect("selected");
        assert_eq!(
            windows,
            vec![
                "windows81TrustedRootCertificate",
                "windows81SCEPCertificateProfile",
                "windows10PkcsCertificateProfile",
                "windows10ImportedPFXCertificateProfile",
            ]
        );
        assert_eq!(
            selected_types(Some(PkcsCertificate), Some(WindowsPhone81)),
            Some(vec![])
        );
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
        let list_type = CertificateProfilesDataSource::new()
            .schema
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

    #[test]
    fn validation_of_lookup_arguments() {
        let ds = CertificateProfileDataSource::new();
        let config = |pairs: &[(&str, &str)]| {
            let mut v = ds.schema.block.empty_object();
            for (k, x) in pairs {
                v.set(k, Value::string(*x));
            }
            v
        };
        let cases: Vec<(Value, &[&str])> = vec![
            (config(&[("display_name", "Root")]), &[]),
            (config(&[("id", "x")]), &[]),
            (config(&[]), &["Missing lookup argument"]),
            (
                config(&[("id", "x"), ("display_name", "Root")]),
                &["Conflicting lookup arguments"],
            ),
            (
                config(&[
                    ("display_name", "Root"),
                    ("kind", "pkcs_certificate"),
                    ("platform", "windows_phone_81"),
                ]),
                &["No PKCS certificate profiles on platform \"windows_phone_81\""],
            ),
        ];
        for (cfg, want) in cases {
            let mut diags = Diagnostics::new();
            ds.validate(&cfg, &mut diags);
            let got: Vec<&str> = diags.iter().map(|d| d.summary.as_str()).collect();
            assert_eq!(got, want, "{cfg:?}");
        }
        let mut unknown = config(&[]);
        unknown.set("id", Value::Unknown);
        let mut diags = Diagnostics::new();
        ds.validate(&unknown, &mut diags);
        assert!(
            diags.is_empty(),
            "an unknown id is checked once known: {diags:?}"
        );
    }
}
