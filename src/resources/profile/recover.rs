//! Finding a profile whose create reached Graph although its answer was
//! lost (the connection broke after sending, a gateway gave up). Creates
//! are never repeated blindly, since that would duplicate the profile; the
//! provider looks for the object instead, so that it never loses track of
//! what it created.

use std::time::Duration;

use serde_json::Value as Json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::COLLECTION;
use crate::graph::{CallOptions, GraphClient, GraphError};
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
    let filter = format!("displayName eq '{}'", display_name.replace('\'', "''"));
    let path = format!("{COLLECTION}?$filter={}", percent_encode(&filter));
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

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_values_are_quoted_and_encoded() {
        assert_eq!(
            percent_encode("displayName eq 'O''Brien'"),
            "displayName%20eq%20%27O%27%27Brien%27"
        );
    }
}
