//! `intune_certificate_profiles`: every certificate profile of the tenant,
//! optionally of one kind and/or platform, sorted by display name and id.
//! A selection becomes an `isof` filter Graph applies; without one (or when
//! Graph refuses the filter) every device configuration is read and the
//! others are dropped here.

use async_trait::async_trait;

use super::{
    PROFILE_FIELDS, check_pair, kind_filter, kind_keywords, matches, platform_filter,
    platform_keywords, profile_value, quoted, selection,
};
use crate::framework::{Attribute, Block, Context, DataSource, Diagnostics, Mode, Schema};
use crate::resources::client::IntuneClient;
use crate::resources::errors::graph_failure;
use crate::resources::lookup::{self, Identity};
use crate::resources::platform::{self, Platform, ProfileKind};
use crate::resources::profile;
use crate::value::{Type, Value};

pub const PROFILES_TYPE_NAME: &str = "intune_certificate_profiles";

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
            None => profile::COLLECTION.to_string(),
        };
        let mut listed = ctx
            .client
            .list(&path, &crate::resources::call_options(ctx))
            .await;
        if listed.as_ref().is_err_and(|e| e.status() == Some(400)) && path != profile::COLLECTION {
            // Graph's support for `isof` here is not documented: when it
            // refuses the filter, read everything and select here.
            tracing::debug!("Graph refused the type filter; listing without it");
            listed = ctx
                .client
                .list(profile::COLLECTION, &crate::resources::call_options(ctx))
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
}
