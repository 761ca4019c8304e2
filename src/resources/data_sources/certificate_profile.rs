//! `intune_certificate_profile`: one certificate profile, looked up by id
//! (`GET` of the device configuration) or by exact display name (a
//! `displayName eq` filter, compared exactly here since Graph may ignore
//! case). Finding none or several is an error that lists what did match.

use async_trait::async_trait;
use serde_json::Value as Json;

use super::{
    PROFILE_FIELDS, check_pair, kind_filter, matches, platform_filter, platform_keywords,
    profile_value, quoted, selection,
};
use crate::framework::{
    Attribute, Block, Context, DataSource, Diagnostics, Mode, Schema, Validator,
};
use crate::resources::client::IntuneClient;
use crate::resources::errors::graph_failure;
use crate::resources::lookup::{self, Identity};
use crate::resources::platform::{Platform, ProfileKind, ProfileType};
use crate::value::{AttributePath, Type, Value};

pub const PROFILE_TYPE_NAME: &str = "intune_certificate_profile";

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
            .get(&lookup::item_path(id), &crate::resources::call_options(ctx))
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
                &crate::resources::call_options(ctx),
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

#[cfg(test)]
mod tests {
    use super::*;

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
