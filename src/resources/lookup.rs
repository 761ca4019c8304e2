//! Finding certificate profiles in Graph and saying what they are, for the
//! code that works with profiles it did not create: the assignment resource
//! (any kind, any platform) and the data sources.
//!
//! Everything here reads; nothing writes. What a profile *is* comes only
//! from its `@odata.type` and the platform table (`platform::identify`),
//! never from its name.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value as Json;

use super::platform::{self, ProfileType, bare_type_name};
use super::profile::COLLECTION;

/// The URL path of one device configuration.
pub fn item_path(id: &str) -> String {
    format!("{COLLECTION}/{}", encode(id))
}

/// The path of the list of `id`'s assignments.
pub fn assignments_path(id: &str) -> String {
    format!("{}/assignments", item_path(id))
}

/// The path of `id`'s `assign` action.
pub fn assign_path(id: &str) -> String {
    format!("{}/assign", item_path(id))
}

/// The collection path with `$filter` set to `filter` (percent-encoded).
pub fn filtered_collection(filter: &str) -> String {
    format!("{COLLECTION}?$filter={}", encode(filter))
}

/// An OData string literal: single quotes, inner quotes doubled.
pub fn string_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A `$filter` matching exactly the given Graph types (each `isof` also
/// matches derived types; callers check each item's type again).
pub fn isof_filter(graph_types: &[&str]) -> String {
    graph_types
        .iter()
        .map(|t| format!("isof('microsoft.graph.{t}')"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Everything but RFC 3986's unreserved characters (letters, digits,
/// `-._~`): what [`encode`] escapes.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes everything but RFC 3986's unreserved characters, so ids
/// and filter text survive as one path segment or query value (`+`, `&`,
/// `#`, `/` and quotes included), UTF-8 bytes as upper-case `%XX`.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, NOT_UNRESERVED).to_string()
}

/// What a device configuration from Graph is.
#[derive(Debug, Clone, Copy)]
pub enum Identity<'a> {
    /// A certificate profile of a kind and platform in the table.
    Certificate(&'static ProfileType),
    /// Anything else; the bare Graph type name (or a placeholder when the
    /// object carries none).
    Other(&'a str),
}

/// A Graph object's type: its `@odata.type` without the
/// `#microsoft.graph.` prefix, or `"untyped object"` when it has none.
pub fn odata_type(json: &Json) -> &str {
    json.get("@odata.type")
        .and_then(Json::as_str)
        .map(bare_type_name)
        .unwrap_or("untyped object")
}

/// Identifies a Graph object by its `@odata.type`.
pub fn identify(json: &Json) -> Identity<'_> {
    let odata = odata_type(json);
    match platform::identify(odata) {
        Some(row) => Identity::Certificate(row),
        None => Identity::Other(odata),
    }
}

/// The detail of the error for an id that is not a certificate profile.
pub fn not_a_certificate_profile(id: &str, graph_type: &str) -> String {
    format!(
        "{id} is a {graph_type} device configuration, not a certificate profile this provider \
         manages (trusted certificate, SCEP, PKCS or imported PKCS, on the platforms in the docs)."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::platform::{Platform, ProfileKind};
    use serde_json::{Value as Json, json};

    #[test]
    fn paths_and_filters_are_encoded() {
        let cases = [
            (
                item_path("abc-1"),
                "/deviceManagement/deviceConfigurations/abc-1",
            ),
            (
                item_path("a/b?c"),
                "/deviceManagement/deviceConfigurations/a%2Fb%3Fc",
            ),
            (
                assign_path("x"),
                "/deviceManagement/deviceConfigurations/x/assign",
            ),
            (
                assignments_path("x"),
                "/deviceManagement/deviceConfigurations/x/assignments",
            ),
            (
                filtered_collection("displayName eq 'Zürich-Wi-Fi_2.0~ 100%'"),
                "/deviceManagement/deviceConfigurations?$filter=displayName%20eq%20%27Z%C3%BCrich-Wi-Fi_2.0~%20100%25%27",
            ),
            (
                filtered_collection("displayName eq 'A&B #1+2'"),
                "/deviceManagement/deviceConfigurations?$filter=displayName%20eq%20%27A%26B%20%231%2B2%27",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
        assert_eq!(string_literal("Bob's Wi-Fi"), "'Bob''s Wi-Fi'");
        assert_eq!(
            isof_filter(&["iosTrustedRootCertificate", "macOSTrustedRootCertificate"]),
            "isof('microsoft.graph.iosTrustedRootCertificate') or isof('microsoft.graph.macOSTrustedRootCertificate')"
        );
    }

    #[test]
    fn objects_are_identified_by_their_type_only() {
        let row = |t: &str| match identify(&json!({ "@odata.type": t, "displayName": "Root" })) {
            Identity::Certificate(r) => Some((r.kind, r.platform)),
            Identity::Other(_) => None,
        };
        assert_eq!(
            row("#microsoft.graph.iosTrustedRootCertificate"),
            Some((ProfileKind::TrustedCertificate, Platform::Ios))
        );
        assert_eq!(
            row("#microsoft.graph.windows81SCEPCertificateProfile"),
            Some((ProfileKind::ScepCertificate, Platform::Windows))
        );
        assert_eq!(
            row("#microsoft.graph.windows10PFXImportCertificateProfile"),
            None
        );
        let other = |v: Json| match identify(&v) {
            Identity::Other(t) => t.to_string(),
            Identity::Certificate(r) => panic!("{v} identified as {r:?}"),
        };
        assert_eq!(
            other(json!({"@odata.type": "#microsoft.graph.windows10GeneralConfiguration"})),
            "windows10GeneralConfiguration"
        );
        assert_eq!(other(json!({})), "untyped object");
    }
}
