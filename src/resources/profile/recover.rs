//! Finding a profile whose create reached Graph although its answer was
//! lost (the connection broke after sending, a gateway gave up). Creates
//! are never repeated blindly, since that would duplicate the profile; the
//! provider looks for the object instead, so that it never loses track of
//! what it created.

use std::time::Duration;

use serde_json::Value as Json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::graph::{CallOptions, GraphClient, GraphError};
use crate::resources::lookup;
use crate::resources::model::GraphProfileType;

/// How far Graph's clock may be behind ours when comparing creation times.
const CLOCK_SKEW: Duration = Duration::from_secs(10 * 60);

/// Profiles of type `gt` named `display_name` that were created since
/// `since` (less the allowed clock skew): the candidates for the lost create.
pub async fn candidates(
    client: &GraphClient,
    opts: &CallOptions,
    gt: &GraphProfileType,
    display_name: &str,
    since: OffsetDateTime,
) -> Result<Vec<Json>, GraphError> {
    let path = lookup::filtered_collection(&format!(
        "displayName eq {}",
        lookup::string_literal(display_name)
    ));
    let earliest = since - CLOCK_SKEW;
    let found = client.list(&path, opts).await?;
    Ok(found
        .into_iter()
        .filter(|o| o.get("@odata.type").and_then(Json::as_str) == Some(gt.odata_type))
        .filter(|o| o.get("displayName").and_then(Json::as_str) == Some(display_name))
        .filter(|o| {
            o.get("createdDateTime")
                .and_then(Json::as_str)
                .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
                .is_some_and(|t| t >= earliest)
        })
        .collect())
}
