//! Finding a profile whose create reached Graph although its answer was
//! lost (the connection broke after the request was sent, a gateway gave
//! up with 504, an answer without the new id). A create is never repeated
//! blindly, since that could make a second profile; the provider looks for
//! the one this attempt made instead, so that it never loses track of it.
//!
//! Only an object this attempt can have made is adopted: one of the same
//! Graph type and display name, whose configured properties all equal what
//! was sent (the caller judges that), created by Graph's clock after the
//! request left. Graph's lists lag behind its creates, so when nothing is
//! visible yet the search polls for a budget of its own
//! (`create_recovery_timeout`), which terraform's interrupt ends at once.

use std::time::{Duration, SystemTime};

use serde_json::Value as Json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::time::Instant;

use crate::graph::{CallOptions, GraphClient, GraphError};
use crate::resources::lookup;
use crate::resources::model::GraphProfileType;

/// The first pause between searches; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const MAX_PAUSE: Duration = Duration::from_secs(8);

/// The last search starts when the budget ends; it may take this long.
const LAST_SEARCH_GRACE: Duration = Duration::from_secs(15);

/// When Graph's answers carry no `Date` (Graph's always do), its clock is
/// taken to be ours give or take this much.
const UNKNOWN_CLOCK_ALLOWANCE: Duration = Duration::from_secs(30);

/// The create being searched for.
pub struct LostCreate<'a> {
    pub gt: &'static GraphProfileType,
    pub display_name: &'a str,
    /// Our clock when the request was about to be sent.
    pub sent_at: SystemTime,
}

/// What the search found.
pub enum Recovery {
    /// Exactly one object this attempt can have made.
    Adopted(Json),
    /// Several such objects: their ids. Which one is this attempt's cannot
    /// be told, so none is adopted.
    Ambiguous(Vec<String>),
    /// Nothing appeared within the budget; the create may still show up.
    NotFound { waited: Duration },
    /// Searching failed (or terraform interrupted it).
    Failed(GraphError),
}

/// Searches for `attempt`'s object for up to `budget`. `is_ours` says
/// whether a listed object of the right type, name and age holds exactly
/// the configured properties.
pub async fn search(
    client: &GraphClient,
    attempt: &LostCreate<'_>,
    budget: Duration,
    is_ours: impl Fn(&Json) -> bool,
) -> Recovery {
    let started = Instant::now();
    let deadline = started + budget;
    let mut pause = FIRST_PAUSE;
    loop {
        let opts = CallOptions::until(deadline + LAST_SEARCH_GRACE);
        match candidates(client, &opts, attempt, &is_ours).await {
            Ok(mut found) if found.len() == 1 => return Recovery::Adopted(found.remove(0)),
            Ok(found) if !found.is_empty() => {
                return Recovery::Ambiguous(
                    found
                        .iter()
                        .filter_map(|o| o.get("id").and_then(Json::as_str))
                        .map(str::to_string)
                        .collect(),
                );
            }
            Ok(_) => {}
            Err(e) => return Recovery::Failed(e),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Recovery::NotFound {
                waited: started.elapsed(),
            };
        }
        let pause_now = pause.min(left);
        tracing::debug!(
            graph_type = attempt.gt.name,
            pause_ms = u64::try_from(pause_now.as_millis()).unwrap_or(u64::MAX),
            "the lost create is not visible yet; searching again"
        );
        if let Err(e) = client.pause(pause_now).await {
            return Recovery::Failed(e);
        }
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// One search: the listed objects of the attempt's type and exact name,
/// created since it was sent (by Graph's clock), that `is_ours` accepts.
async fn candidates(
    client: &GraphClient,
    opts: &CallOptions,
    attempt: &LostCreate<'_>,
    is_ours: &impl Fn(&Json) -> bool,
) -> Result<Vec<Json>, GraphError> {
    let path = lookup::filtered_collection(&format!(
        "displayName eq {}",
        lookup::string_literal(attempt.display_name)
    ));
    let listed = client.list(&path, opts).await?;
    // After the list, Graph's clock is known from its answer's `Date`.
    let earliest = earliest_creation(client.graph_time(attempt.sent_at), attempt.sent_at);
    Ok(listed
        .into_iter()
        .filter(|o| o.get("@odata.type").and_then(Json::as_str) == Some(attempt.gt.odata_type))
        .filter(|o| o.get("displayName").and_then(Json::as_str) == Some(attempt.display_name))
        .filter(|o| created_at(o).is_some_and(|t| t >= earliest))
        .filter(|o| is_ours(o))
        .collect())
}

/// The earliest `createdDateTime` the attempt's object can have: the send
/// time on Graph's clock (`on_graph`, an estimate that is never later than
/// Graph's true time), or, when Graph's clock is unknown, ours less an
/// allowance.
fn earliest_creation(on_graph: Option<OffsetDateTime>, sent_at: SystemTime) -> OffsetDateTime {
    on_graph.unwrap_or_else(|| OffsetDateTime::from(sent_at) - UNKNOWN_CLOCK_ALLOWANCE)
}

fn created_at(object: &Json) -> Option<OffsetDateTime> {
    object
        .get("createdDateTime")
        .and_then(Json::as_str)
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn earliest_creation_prefers_graphs_clock() {
        let sent = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let graph = OffsetDateTime::from(sent) + Duration::from_secs(90);
        assert_eq!(earliest_creation(Some(graph), sent), graph);
        assert_eq!(
            earliest_creation(None, sent),
            OffsetDateTime::from(sent) - UNKNOWN_CLOCK_ALLOWANCE
        );
    }

    #[test]
    fn creation_times_parse_with_graphs_seven_digits() {
        let object = json!({ "createdDateTime": "2026-12-08T03:00:01.1234567Z" });
        let t = created_at(&object).expect("parses");
        assert_eq!(t.unix_timestamp(), 1_796_698_801);
        assert_eq!(created_at(&json!({})), None);
        assert_eq!(created_at(&json!({ "createdDateTime": "yesterday" })), None);
    }
}
