//! The slice of OData URL conventions the simulator understands: percent
//! decoding (by `percent-encoding` and `url`'s `form_urlencoded`, after a
//! strict check of their input that the token endpoint's form bodies share),
//! key segments (`deviceConfigurations('id')`), system query options
//! (`$filter`, `$top`, `$skiptoken`, `$select`, `$expand`), paging with
//! opaque skip tokens and `@odata.nextLink`.
//!
//! Anything outside this slice is rejected with 400 rather than ignored, so a
//! client cannot come to rely on an option the simulator only pretends to
//! honour. `$filter` accepts only `isof('microsoft.graph.T')` and
//! `displayName eq '...'` terms joined by `or`.

use std::borrow::Cow;

use base64::Engine as _;
use percent_encoding::percent_decode_str;

use super::errors::GraphError;
use super::schema::{self, Schema};

/// What is wrong with a piece of percent-encoded text. `percent-encoding`
/// and `form_urlencoded` pass a broken escape through as it is and replace
/// bytes that are not UTF-8; the simulator refuses both instead, so a
/// client's encoding bug shows as an error rather than as another value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadEncoding {
    /// A `%` not followed by two hexadecimal digits.
    #[error("has a '%' not followed by two hexadecimal digits")]
    BrokenEscape,
    /// The escapes decode to bytes that are not UTF-8.
    #[error("does not decode to UTF-8 text")]
    NotUtf8,
}

/// Decodes `text`'s escapes (`+` stays `+`), refusing what
/// `percent-encoding` would let through (see [`BadEncoding`]).
fn decode_strictly(text: &str) -> Result<Cow<'_, str>, BadEncoding> {
    let broken = text.split('%').skip(1).any(|after| {
        !after
            .as_bytes()
            .get(..2)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if broken {
        return Err(BadEncoding::BrokenEscape);
    }
    percent_decode_str(text)
        .decode_utf8()
        .map_err(|_| BadEncoding::NotUtf8)
}

/// Decodes one path segment (`+` stays `+`); `None` when it does not
/// decode cleanly.
pub fn decode_segment(text: &str) -> Option<String> {
    decode_strictly(text).ok().map(Cow::into_owned)
}

/// The first `name=value` pair of `application/x-www-form-urlencoded` text
/// that does not decode cleanly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPair<'a> {
    /// The pair as sent, still encoded.
    pub raw: &'a str,
    /// The decoded name when only the value is at fault.
    pub name: Option<String>,
    pub problem: BadEncoding,
}

/// Names the field, never its value.
impl std::fmt::Display for BadPair<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => write!(f, "the value of '{name}' {}", self.problem),
            None => write!(f, "a parameter name {}", self.problem),
        }
    }
}

/// Checks `application/x-www-form-urlencoded` text (a query string or a
/// form body) before `form_urlencoded` or `serde_urlencoded` decode it.
/// A [`BadPair`] displays the field's name but not its value, so it can be
/// reported for a form that carries a secret.
pub fn check_form(text: &str) -> Result<(), BadPair<'_>> {
    for raw in text.split('&') {
        let (name, value) = raw.split_once('=').unwrap_or((raw, ""));
        if let Err(problem) = decode_strictly(name) {
            return Err(BadPair {
                raw,
                name: None,
                problem,
            });
        }
        if let Err(problem) = decode_strictly(value) {
            // `name` decodes cleanly; `parse` reads it with `+` as a space.
            let name = url::form_urlencoded::parse(name.as_bytes())
                .next()
                .map(|(name, _)| name.into_owned())
                .unwrap_or_default();
            return Err(BadPair {
                raw,
                name: Some(name),
                problem,
            });
        }
    }
    Ok(())
}

/// Splits `name('key')`, `name(key)` or `name` (percent-encoded or not) into
/// the name and the key. `None` when the parentheses or quotes are broken or
/// the key is empty.
pub fn key_segment(raw: &str) -> Option<(String, Option<String>)> {
    let segment = decode_segment(raw)?;
    let Some(open) = segment.find('(') else {
        return (!segment.contains(')')).then_some((segment, None));
    };
    let inner = segment.get(open + 1..)?.strip_suffix(')')?;
    let key = match inner.strip_prefix('\'') {
        Some(quoted) => quoted.strip_suffix('\'')?.replace("''", "'"),
        None if inner.contains(['\'', '(', ')']) => return None,
        None => inner.to_owned(),
    };
    if key.is_empty() {
        return None;
    }
    Some((segment.get(..open)?.to_owned(), Some(key)))
}

/// One `$filter` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterTerm {
    /// `isof('microsoft.graph.T')`: the object is `T` or derives from it.
    IsOf(String),
    /// `displayName eq '...'`, compared without regard to case: Graph's
    /// string comparisons in `$filter` are not guaranteed to be exact, so
    /// the simulator takes the less convenient reading and a client that
    /// needs an exact match must check the names itself.
    DisplayNameEq(String),
}

/// A `$filter` of terms joined by `or`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter(pub Vec<FilterTerm>);

impl Filter {
    /// Whether an object of `type_name` named `display_name` passes.
    pub fn matches(&self, schema: &Schema, type_name: &str, display_name: Option<&str>) -> bool {
        self.0.iter().any(|term| match term {
            FilterTerm::IsOf(base) => schema.entity_is_a(type_name, base),
            FilterTerm::DisplayNameEq(name) => {
                display_name.is_some_and(|d| d.to_lowercase() == name.to_lowercase())
            }
        })
    }
}

/// The system query options of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryOptions {
    pub filter: Option<Filter>,
    pub top: Option<usize>,
    /// The offset a previous page's skip token points at.
    pub skip: Option<usize>,
    pub select: Option<Vec<String>>,
    pub expand: Option<Vec<String>>,
}

/// Options a request may carry, by where it goes.
pub const LIST_OPTIONS: &[&str] = &["$filter", "$top", "$skiptoken", "$select", "$expand"];
pub const ITEM_OPTIONS: &[&str] = &["$select", "$expand"];
pub const PAGED_OPTIONS: &[&str] = &["$top", "$skiptoken"];

/// Parses the raw query string. `$`-prefixed names (case-insensitive) not in
/// `allowed` are rejected; other parameters are ignored, as Graph ignores
/// unknown custom parameters.
pub fn parse_query(
    schema: &Schema,
    raw: Option<&str>,
    allowed: &[&str],
) -> Result<QueryOptions, GraphError> {
    let mut options = QueryOptions::default();
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in query_pairs(raw)? {
        let name = key.to_ascii_lowercase();
        if !name.starts_with('$') {
            continue;
        }
        if !allowed.contains(&name.as_str()) {
            return Err(GraphError::bad_request(format!(
                "Query option '{key}' is not supported on this request by the simulator (supported: {}).",
                if allowed.is_empty() {
                    "none".to_owned()
                } else {
                    allowed.join(", ")
                }
            )));
        }
        if seen.contains(&name) {
            return Err(GraphError::bad_request(format!(
                "Query option '{key}' was specified more than once; it must be specified at most once."
            )));
        }
        seen.push(name.clone());
        match name.as_str() {
            "$filter" => options.filter = Some(parse_filter(schema, &value)?),
            "$top" => {
                let top = value.trim().parse::<usize>().map_err(|_| {
                    GraphError::bad_request(format!(
                        "Invalid value '{value}' for $top query option; it must be a non-negative integer."
                    ))
                })?;
                options.top = Some(top);
            }
            "$skiptoken" => {
                options.skip = Some(decode_skip_token(&value).ok_or_else(|| {
                    GraphError::bad_request(
                        "The $skiptoken value is not valid; follow @odata.nextLink as returned.",
                    )
                })?);
            }
            "$select" => options.select = Some(split_list(&value)),
            "$expand" => options.expand = Some(split_list(&value)),
            _ => {}
        }
    }
    Ok(options)
}

/// The decoded `(name, value)` pairs of a raw query string.
pub fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, GraphError> {
    let raw = raw.unwrap_or_default();
    check_form(raw).map_err(|bad| {
        GraphError::bad_request(format!(
            "The query string is not valid percent-encoded text near '{}'.",
            bad.raw
        ))
    })?;
    Ok(url::form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect())
}

/// The absolute URL of the next page: `base_url + path`, the original query
/// options except `$skiptoken`, and a skip token for `offset`.
pub fn next_link(base_url: &str, path: &str, raw_query: Option<&str>, offset: usize) -> String {
    let mut pairs: Vec<&str> = raw_query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            url::form_urlencoded::parse(pair.as_bytes())
                .next()
                .is_none_or(|(key, _)| !key.eq_ignore_ascii_case("$skiptoken"))
        })
        .collect();
    let token = format!("$skiptoken={}", encode_skip_token(offset));
    pairs.push(&token);
    format!("{base_url}{path}?{}", pairs.join("&"))
}

/// Splits a collection into the page starting at `skip` (limited by `top`
/// counted from the start) and the offset of the next page, if any.
pub fn page<T: Clone>(
    items: &[T],
    skip: usize,
    top: Option<usize>,
    page_size: usize,
) -> (Vec<T>, Option<usize>) {
    let end_of_set = top.map_or(items.len(), |top| top.min(items.len()));
    let start = skip.min(end_of_set);
    let end = start.saturating_add(page_size.max(1)).min(end_of_set);
    let next = (end < end_of_set).then_some(end);
    (
        items.get(start..end).map(<[T]>::to_vec).unwrap_or_default(),
        next,
    )
}

fn encode_skip_token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("sim-offset:{offset}"))
}

fn decode_skip_token(token: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("sim-offset:")?
        .parse()
        .ok()
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn parse_filter(schema: &Schema, text: &str) -> Result<Filter, GraphError> {
    let unsupported = || {
        GraphError::bad_request(format!(
            "Invalid $filter '{text}': the simulator supports only isof('microsoft.graph.<type>') and displayName eq '<text>' terms joined by 'or'."
        ))
    };
    let mut terms = Vec::new();
    let mut rest = text.trim_start();
    loop {
        let (term, after) = parse_term(rest).ok_or_else(unsupported)?;
        if let FilterTerm::IsOf(name) = &term {
            if schema.entity(name).is_none() {
                return Err(GraphError::bad_request(format!(
                    "Invalid $filter '{text}': a type named 'microsoft.graph.{name}' could not be resolved by the model."
                )));
            }
        }
        terms.push(term);
        let after = after.trim_start();
        if after.is_empty() {
            return Ok(Filter(terms));
        }
        rest = after
            .strip_prefix("or")
            .filter(|r| r.starts_with(char::is_whitespace))
            .ok_or_else(unsupported)?
            .trim_start();
    }
}

/// One term and the text after it.
fn parse_term(text: &str) -> Option<(FilterTerm, &str)> {
    if let Some(rest) = text.strip_prefix("isof(") {
        let close = rest.find(')')?;
        let arg = rest.get(..close)?.trim();
        let arg = match arg.strip_prefix('\'') {
            Some(quoted) => quoted.strip_suffix('\'')?,
            None => arg,
        };
        let name = schema::short_type_name(arg).filter(|_| !arg.starts_with('#'))?;
        return Some((FilterTerm::IsOf(name.to_owned()), rest.get(close + 1..)?));
    }
    let rest = text.strip_prefix("displayName")?.trim_start();
    let rest = rest.strip_prefix("eq")?.trim_start();
    let mut literal = String::new();
    let mut chars = rest.strip_prefix('\'')?.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().map(|(_, n)| *n) == Some('\'') {
                literal.push('\'');
                chars.next();
                continue;
            }
            return Some((FilterTerm::DisplayNameEq(literal), rest.get(i + 2..)?));
        }
        literal.push(c);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> &'static Schema {
        Schema::embedded().expect("schema")
    }

    #[test]
    fn segments() {
        let cases = [
            ("a%20b+c", Some("a b+c")),
            ("%24filter", Some("$filter")),
            ("caf%C3%A9", Some("café")),
            ("%2", None),
            ("%zz", None),
            ("%+1", None),
            ("%ff", None),
        ];
        for (input, expected) in cases {
            assert_eq!(decode_segment(input).as_deref(), expected, "{input}");
        }
    }

    #[test]
    fn query_strings() {
        let pairs = query_pairs(Some("a%20b+c=1+2&&flag&%24top=3&x=y=z")).expect("valid");
        let expected = [("a b c", "1 2"), ("flag", ""), ("$top", "3"), ("x", "y=z")];
        assert_eq!(
            pairs,
            expected.map(|(k, v)| (k.to_owned(), v.to_owned())).to_vec()
        );
        assert_eq!(query_pairs(None).expect("none"), Vec::new());
        let err = query_pairs(Some("$top=3&$filter=%zz")).expect_err("broken");
        assert!(
            err.message.contains("near '$filter=%zz'"),
            "{}",
            err.message
        );
    }

    #[test]
    fn forms() {
        let cases = [
            ("a=1&b=%41+%2B", None),
            ("", None),
            (
                "client_id=x&client_secret=ab%zzcd",
                Some(
                    "the value of 'client_secret' has a '%' not followed by two hexadecimal digits",
                ),
            ),
            (
                "scope=%C3%28",
                Some("the value of 'scope' does not decode to UTF-8 text"),
            ),
            (
                "client%2=x",
                Some("a parameter name has a '%' not followed by two hexadecimal digits"),
            ),
            ("my+key=%", Some("the value of 'my key' has a '%'")),
        ];
        for (text, expected) in cases {
            let got = check_form(text).err().map(|bad| bad.to_string());
            match (got, expected) {
                (None, None) => {}
                (Some(got), Some(fragment)) => assert!(got.starts_with(fragment), "{text}: {got}"),
                (got, _) => panic!("{text}: got {got:?}, want {expected:?}"),
            }
        }
        let bad = check_form("client_secret=s3cret%").expect_err("broken");
        assert!(!bad.to_string().contains("s3cret"), "{bad}");
    }

    #[test]
    fn key_segments() {
        let some = |name: &str, key: Option<&str>| Some((name.to_owned(), key.map(str::to_owned)));
        let cases = [
            ("deviceConfigurations", some("deviceConfigurations", None)),
            (
                "deviceConfigurations('a-1')",
                some("deviceConfigurations", Some("a-1")),
            ),
            (
                "deviceConfigurations(%27a-1%27)",
                some("deviceConfigurations", Some("a-1")),
            ),
            (
                "deviceConfigurations(a-1)",
                some("deviceConfigurations", Some("a-1")),
            ),
            ("x('it''s')", some("x", Some("it's"))),
            ("x('')", None),
            ("x('a'", None),
            ("x(a')", None),
            ("x)", None),
        ];
        for (input, expected) in cases {
            assert_eq!(key_segment(input), expected, "{input}");
        }
    }

    #[test]
    fn filters() {
        let isof = |t: &str| FilterTerm::IsOf(t.to_owned());
        let cases = [
            (
                "isof('microsoft.graph.iosTrustedRootCertificate')",
                Some(vec![isof("iosTrustedRootCertificate")]),
            ),
            (
                "isof(microsoft.graph.iosTrustedRootCertificate)",
                Some(vec![isof("iosTrustedRootCertificate")]),
            ),
            (
                "isof('microsoft.graph.iosTrustedRootCertificate') or  isof('microsoft.graph.macOSCertificateProfileBase')",
                Some(vec![
                    isof("iosTrustedRootCertificate"),
                    isof("macOSCertificateProfileBase"),
                ]),
            ),
            (
                "displayName eq 'it''s'",
                Some(vec![FilterTerm::DisplayNameEq("it's".into())]),
            ),
            ("isof('microsoft.graph.nope')", None),
            ("isof('#microsoft.graph.iosTrustedRootCertificate')", None),
            (
                "isof('microsoft.graph.iosTrustedRootCertificate') and isof('microsoft.graph.entity')",
                None,
            ),
            (
                "isof('microsoft.graph.iosTrustedRootCertificate') orisof('microsoft.graph.entity')",
                None,
            ),
            ("startswith(displayName,'a')", None),
            ("displayName eq 'open", None),
        ];
        for (text, expected) in cases {
            let parsed = parse_filter(schema(), text).ok().map(|f| f.0);
            assert_eq!(parsed, expected, "{text}");
        }
    }

    #[test]
    fn filter_matches_base_types() {
        let filter = parse_filter(
            schema(),
            "isof('microsoft.graph.macOSCertificateProfileBase')",
        )
        .expect("filter");
        assert!(filter.matches(schema(), "macOSScepCertificateProfile", None));
        assert!(!filter.matches(schema(), "macOSTrustedRootCertificate", None));
        let named = parse_filter(schema(), "displayName eq 'Wi-Fi Ä'").expect("filter");
        for (name, expected) in [("Wi-Fi Ä", true), ("wi-fi ä", true), ("Wi-Fi", false)] {
            assert_eq!(named.matches(schema(), "x", Some(name)), expected, "{name}");
        }
        assert!(!named.matches(schema(), "x", None));
    }

    #[test]
    fn query_options() {
        let parsed = parse_query(
            schema(),
            Some("%24top=3&$select=id,displayName&custom=1"),
            LIST_OPTIONS,
        )
        .expect("valid");
        assert_eq!(parsed.top, Some(3));
        assert_eq!(
            parsed.select,
            Some(vec!["id".to_owned(), "displayName".to_owned()])
        );
        let rejected = [
            (
                "$orderby=displayName",
                LIST_OPTIONS,
                "'$orderby' is not supported",
            ),
            ("$top=1&$top=2", LIST_OPTIONS, "more than once"),
            ("$top=-1", LIST_OPTIONS, "Invalid value '-1' for $top"),
            (
                "$skiptoken=abc",
                LIST_OPTIONS,
                "$skiptoken value is not valid",
            ),
            (
                "$filter=isof('microsoft.graph.entity')",
                ITEM_OPTIONS,
                "'$filter' is not supported",
            ),
            ("$select=id", &[], "supported: none"),
        ];
        for (raw, allowed, fragment) in rejected {
            let err = parse_query(schema(), Some(raw), allowed).expect_err(raw);
            assert!(err.message.contains(fragment), "{raw}: {}", err.message);
            assert_eq!(err.code, "BadRequest");
        }
    }

    #[test]
    fn paging_round_trip() {
        let items: Vec<u32> = (0..5).collect();
        let cases = [
            (0, None, 2, vec![0, 1], Some(2)),
            (2, None, 2, vec![2, 3], Some(4)),
            (4, None, 2, vec![4], None),
            (0, Some(3), 2, vec![0, 1], Some(2)),
            (2, Some(3), 2, vec![2], None),
            (9, None, 2, vec![], None),
            (0, Some(0), 2, vec![], None),
        ];
        for (skip, top, size, expected, next) in cases {
            assert_eq!(
                page(&items, skip, top, size),
                (expected, next),
                "{skip} {top:?}"
            );
        }
        let link = next_link(
            "http://h",
            "/beta/x",
            Some("$top=3&%24skiptoken=zzz&$filter=a%20b"),
            2,
        );
        assert!(
            link.starts_with("http://h/beta/x?$top=3&$filter=a%20b&$skiptoken="),
            "{link}"
        );
        let token = link.rsplit_once('=').map(|(_, t)| t).expect("token");
        assert_eq!(decode_skip_token(token), Some(2));
    }
}
