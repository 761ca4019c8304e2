//! The timestamp formats Graph and Entra ID write, in one place.
//!
//! Only formatting lives here; deciding when a value changes belongs to the
//! store.

use time::OffsetDateTime;
use time::macros::format_description;

/// Graph's `DateTimeOffset` in responses: UTC with seven fractional digits,
/// e.g. `2026-11-27T10:26:01.1234567Z`.
pub fn graph_timestamp(at: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:7]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(format)
        .unwrap_or_default()
}

/// The `date` inside Graph's `innerError`, e.g. `2026-11-27T10:26:01`.
pub fn inner_error_date(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    at.to_offset(time::UtcOffset::UTC)
        .format(format)
        .unwrap_or_default()
}

/// The HTTP `Date` header (IMF-fixdate), e.g. `Fri, 27 Nov 2026 10:26:01 GMT`.
pub fn http_date(at: OffsetDateTime) -> String {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(format)
        .unwrap_or_default()
}

/// Entra ID's `timestamp` in token errors, e.g. `2026-11-27 10:26:01Z`.
pub fn entra_timestamp(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats() {
        let at = datetime!(2026-11-27 10:26:01.123_456_789 UTC);
        type Format = fn(OffsetDateTime) -> String;
        let cases: [(Format, &str); 4] = [
            (graph_timestamp, "2026-11-27T10:26:01.1234567Z"),
            (inner_error_date, "2026-11-27T10:26:01"),
            (http_date, "Fri, 27 Nov 2026 10:26:01 GMT"),
            (entra_timestamp, "2026-11-27 10:26:01Z"),
        ];
        for (format, expected) in cases {
            assert_eq!(format(at), expected);
        }
    }
}
