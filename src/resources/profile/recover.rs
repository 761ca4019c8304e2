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

/// Once a candidate shows, this many more listings must show the same set
/// before it is judged: lists lag, and the attempt's own object may show a
/// listing or two after another one made at the same time.
const SETTLE_LISTINGS: u32 = 2;
/// The pause between those settling listings.
const SETTLE_PAUSE: Duration = Duration::from_secs(1);

/// The last search starts when the budget ends; it may take this long.
const LAST_SEARCH_GRACE: Duration = Duration::from_secs(15);

/// How far a creation time may sit outside the window in which the
/// attempt's create can have happened (from just before the request left
/// to when its failure came back). The window is measured on Graph's clock
/// as its front ends report it in `Date`, while `createdDateTime` is
/// stamped by Intune's back end; the two need not agree to the second.
/// Wide enough for that, narrow enough that a profile made a minute earlier
/// (or later) is never taken for this attempt's.
const CLOCK_ALLOWANCE: Duration = Duration::from_secs(30);

/// When Graph's answers carry no `Date` (Graph's always do), its clock is
/// taken to be ours, give or take this much more.
const UNKNOWN_CLOCK_ALLOWANCE: Duration = Duration::from_secs(30);

/// The create being searched for.
pub struct LostCreate<'a> {
    pub gt: &'static GraphProfileType,
    pub display_name: &'a str,
    /// Our clock when the request was about to be sent.
    pub sent_at: SystemTime,
    /// Our clock when its failure came back.
    pub failed_at: SystemTime,
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
    /// Terraform interrupted the search.
    Interrupted,
    /// Listing failed for good (permissions, say) on the last try.
    Failed(GraphError),
}

/// Searches for `attempt`'s object for up to `budget`. `is_ours` says
/// whether a listed object of the right type, name and age holds exactly
/// the configured properties.
///
/// A listing that fails (throttled past its deadline, a lost page) is
/// tried again at the next poll; only Stop, or a failure on the last poll,
/// ends the search early. Once candidates show, the search goes on until
/// [`SETTLE_LISTINGS`] more listings agree, so that a twin made by someone
/// else in the same seconds is not adopted while this attempt's own object
/// is still missing from the lists.
pub async fn search(
    client: &GraphClient,
    attempt: &LostCreate<'_>,
    budget: Duration,
    is_ours: impl Fn(&Json) -> bool,
) -> Recovery {
    let started = Instant::now();
    let deadline = started + budget;
    let mut pause = FIRST_PAUSE;
    // The candidate ids last seen and how many listings in a row showed
    // exactly them.
    let mut seen: Option<(Vec<String>, Vec<Json>, u32)> = None;
    loop {
        let mut last_error = None;
        let opts = CallOptions::until(deadline + LAST_SEARCH_GRACE);
        match candidates(client, &opts, attempt, &is_ours).await {
            Ok(found) if !found.is_empty() => {
                let mut ids: Vec<String> = found
                    .iter()
                    .filter_map(|o| o.get("id").and_then(Json::as_str))
                    .map(str::to_ascii_lowercase)
                    .collect();
                ids.sort();
                ids.dedup();
                let agreeing = match &seen {
                    Some((before, _, n)) if *before == ids => n + 1,
                    _ => 0,
                };
                if agreeing >= SETTLE_LISTINGS {
                    return judge(found, ids);
                }
                seen = Some((ids, found, agreeing));
            }
            Ok(_) => seen = None,
            Err(GraphError::Cancelled) => return Recovery::Interrupted,
            Err(e) => {
                tracing::debug!(error = %e, "searching for the lost create failed; trying again");
                last_error = Some(e);
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            // Out of time: what the lists showed last is all there is.
            return match (seen, last_error) {
                (Some((ids, found, _)), _) => judge(found, ids),
                (None, Some(e)) => Recovery::Failed(e),
                (None, None) => Recovery::NotFound {
                    waited: started.elapsed(),
                },
            };
        }
        let pause_now = if seen.is_some() { SETTLE_PAUSE } else { pause }.min(left);
        tracing::debug!(
            graph_type = attempt.gt.name,
            pause_ms = u64::try_from(pause_now.as_millis()).unwrap_or(u64::MAX),
            "searching again for the lost create"
        );
        if client.pause(pause_now).await.is_err() {
            return Recovery::Interrupted;
        }
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// The verdict on a settled set of candidates.
fn judge(mut found: Vec<Json>, ids: Vec<String>) -> Recovery {
    if ids.len() == 1 {
        Recovery::Adopted(found.remove(0))
    } else {
        Recovery::Ambiguous(ids)
    }
}

/// One search: the listed objects of the attempt's type and exact name,
/// created while the attempt's create can have happened (by Graph's
/// clock), that `is_ours` accepts.
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
    let (earliest, latest) = creation_window(
        client.graph_time(attempt.sent_at),
        client.graph_time(attempt.failed_at),
        attempt,
    );
    Ok(listed
        .into_iter()
        .filter(|o| o.get("@odata.type").and_then(Json::as_str) == Some(attempt.gt.odata_type))
        .filter(|o| o.get("displayName").and_then(Json::as_str) == Some(attempt.display_name))
        .filter(|o| created_at(o).is_some_and(|t| t >= earliest && t <= latest))
        .filter(|o| is_ours(o))
        .collect())
}

/// The `createdDateTime`s the attempt's object can have: from when the
/// request left to when its failure came back, both on Graph's clock
/// (estimates never later than Graph's true time), widened by
/// [`CLOCK_ALLOWANCE`] on each side plus, at the late end, the second
/// that `Date` rounds away; on our own clock with a wider allowance when
/// Graph's is unknown.
fn creation_window(
    sent_on_graph: Option<OffsetDateTime>,
    failed_on_graph: Option<OffsetDateTime>,
    attempt: &LostCreate<'_>,
) -> (OffsetDateTime, OffsetDateTime) {
    let unknown = CLOCK_ALLOWANCE + UNKNOWN_CLOCK_ALLOWANCE;
    let earliest = match sent_on_graph {
        Some(t) => t - CLOCK_ALLOWANCE,
        None => OffsetDateTime::from(attempt.sent_at) - unknown,
    };
    let latest = match failed_on_graph {
        Some(t) => t + CLOCK_ALLOWANCE + Duration::from_secs(1),
        None => OffsetDateTime::from(attempt.failed_at) + unknown,
    };
    (earliest, latest)
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
    fn the_creation_window_is_graphs_clock_widened_by_the_allowance() {
        let gt = crate::resources::platform::graph_type(
            crate::resources::platform::ProfileKind::TrustedCertificate,
            crate::resources::platform::Platform::Ios,
        )
        .unwrap();
        let sent = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let failed = sent + Duration::from_secs(5);
        let attempt = LostCreate {
            gt,
            display_name: "x",
            sent_at: sent,
            failed_at: failed,
        };
        // Graph's clock 90 s ahead of ours.
        let ahead = Duration::from_secs(90);
        let sent_g = OffsetDateTime::from(sent) + ahead;
        let failed_g = OffsetDateTime::from(failed) + ahead;
        let (earliest, latest) = creation_window(Some(sent_g), Some(failed_g), &attempt);
        assert_eq!(earliest, sent_g - CLOCK_ALLOWANCE);
        assert_eq!(latest, failed_g + CLOCK_ALLOWANCE + Duration::from_secs(1));
        // A profile made a minute before the request left is outside.
        assert!(sent_g - Duration::from_secs(60) < earliest);
        let (earliest, latest) = creation_window(None, None, &attempt);
        assert_eq!(
            earliest,
            OffsetDateTime::from(sent) - Duration::from_secs(60)
        );
        assert_eq!(
            latest,
            OffsetDateTime::from(failed) + Duration::from_secs(60)
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
