//! Reusable attribute validators. They run on known, non-null values only
//! (unknown values are checked again once known, at plan time) and report
//! every problem with the attribute's path.

use std::fmt;
use std::sync::Arc;

use super::Diagnostics;
use crate::value::{AttributePath, Value};

/// A hand-written check: gets the value, its path and the diagnostics to add to.
pub type CheckFn = Arc<dyn Fn(&Value, &AttributePath, &mut Diagnostics) + Send + Sync>;

/// A check bound to an attribute. `Custom` is for what the table cannot say
/// (X.509 parsing, say); everything else is data.
#[derive(Clone)]
pub enum Validator {
    /// A string that must be one of these (Graph enum member names).
    OneOf(Vec<String>),
    /// A set or list of strings, each one of these (flags enums).
    EachOneOf(Vec<String>),
    /// A whole number within bounds (inclusive).
    IntRange {
        min: i64,
        max: i64,
    },
    /// A string that is not empty or only whitespace.
    NotBlank,
    /// A GUID in its canonical 8-4-4-4-12 hexadecimal form.
    Guid,
    /// A duration such as `"30m"` or `"1h30m"` (Go's syntax, as in every
    /// provider's `timeouts` block).
    Duration,
    Custom(CheckFn),
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Validator::OneOf(v) => f.debug_tuple("OneOf").field(v).finish(),
            Validator::EachOneOf(v) => f.debug_tuple("EachOneOf").field(v).finish(),
            Validator::IntRange { min, max } => write!(f, "IntRange({min}..={max})"),
            Validator::NotBlank => f.write_str("NotBlank"),
            Validator::Guid => f.write_str("Guid"),
            Validator::Duration => f.write_str("Duration"),
            Validator::Custom(_) => f.write_str("Custom"),
        }
    }
}

impl Validator {
    pub fn one_of<S: AsRef<str>>(members: &[S]) -> Self {
        Validator::OneOf(members.iter().map(|s| s.as_ref().to_string()).collect())
    }

    pub fn each_one_of<S: AsRef<str>>(members: &[S]) -> Self {
        Validator::EachOneOf(members.iter().map(|s| s.as_ref().to_string()).collect())
    }

    /// Checks `value` (the attribute's value at `path`), adding errors.
    pub fn check(&self, value: &Value, path: &AttributePath, name: &str, diags: &mut Diagnostics) {
        if !value.is_known_non_null() {
            return;
        }
        match self {
            Validator::OneOf(members) => {
                if let Some(s) = value.as_str() {
                    check_member(s, members, path, name, diags);
                }
            }
            Validator::EachOneOf(members) => {
                for item in value.as_elements().unwrap_or_default() {
                    if let Some(s) = item.as_str() {
                        check_member(s, members, path, name, diags);
                    }
                }
            }
            Validator::IntRange { min, max } => match value.as_i64() {
                Some(i) if (*min..=*max).contains(&i) => {}
                Some(i) => diags.error_at(
                    path.clone(),
                    format!("Value out of range for {name}"),
                    format!("{name} must be between {min} and {max}; got {i}."),
                ),
                None => diags.error_at(
                    path.clone(),
                    format!("Invalid number for {name}"),
                    format!("{name} must be a whole number between {min} and {max}."),
                ),
            },
            Validator::NotBlank => {
                if value.as_str().is_some_and(|s| s.trim().is_empty()) {
                    diags.error_at(
                        path.clone(),
                        format!("Empty value for {name}"),
                        format!("{name} must not be empty."),
                    );
                }
            }
            Validator::Guid => {
                if let Some(s) = value.as_str() {
                    if !is_guid(s) {
                        diags.error_at(
                            path.clone(),
                            format!("Invalid GUID for {name}"),
                            format!(
                                "{name} must be a GUID such as \
                                 \"00000000-0000-0000-0000-000000000000\"; got {s:?}."
                            ),
                        );
                    }
                }
            }
            Validator::Duration => {
                if let Some(s) = value.as_str() {
                    if let Err(e) = super::timeouts::parse_duration(s) {
                        diags.error_at(
                            path.clone(),
                            format!("Invalid duration for {name}"),
                            format!("{e}. Use a number and a unit, such as \"30s\", \"10m\" or \"1h30m\"."),
                        );
                    }
                }
            }
            Validator::Custom(f) => f(value, path, diags),
        }
    }
}

fn check_member(
    s: &str,
    members: &[String],
    path: &AttributePath,
    name: &str,
    diags: &mut Diagnostics,
) {
    if members.iter().any(|m| m == s) {
        return;
    }
    let list = members
        .iter()
        .map(|m| format!("{m:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let hint = closest(s, members)
        .map(|m| format!(" Did you mean {m:?}?"))
        .unwrap_or_default();
    diags.error_at(
        path.clone(),
        format!("Invalid value for {name}"),
        format!("{s:?} is not a valid value for {name}.{hint} Valid values are: {list}."),
    );
}

/// The member closest to `s` when it is plausibly a typo: same letters in
/// another case, or at most two edits away.
fn closest<'a>(s: &str, members: &'a [String]) -> Option<&'a str> {
    if let Some(m) = members.iter().find(|m| m.eq_ignore_ascii_case(s)) {
        return Some(m);
    }
    members
        .iter()
        .map(|m| (edit_distance(&s.to_lowercase(), &m.to_lowercase()), m))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, m)| m.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// True for the canonical textual form of a GUID.
pub fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &Validator, value: Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        v.check(&value, &AttributePath::attr("x"), "x", &mut d);
        d
    }

    #[test]
    fn validators_accept_and_reject() {
        let members = Validator::one_of(&["size1024", "size2048"]);
        let cases: Vec<(&Validator, Value, bool)> = vec![
            (&members, Value::string("size2048"), true),
            (&members, Value::string("size4096"), false),
            (&members, Value::Unknown, true),
            (&members, Value::Null, true),
        ];
        for (v, value, ok) in cases {
            assert_eq!(!run(v, value.clone()).has_errors(), ok, "{v:?} {value:?}");
        }
        let range = Validator::IntRange { min: 1, max: 99 };
        assert!(!run(&range, Value::int(1)).has_errors());
        assert!(run(&range, Value::int(100)).has_errors());
        assert!(run(&range, Value::int(0)).has_errors());
        assert!(run(&Validator::Guid, Value::string("not-a-guid")).has_errors());
        assert!(
            !run(
                &Validator::Guid,
                Value::string("0f8fad5b-d9cb-469f-a165-70867728950e")
            )
            .has_errors()
        );
        assert!(run(&Validator::NotBlank, Value::string("  ")).has_errors());
        assert!(run(&Validator::Duration, Value::string("ten minutes")).has_errors());
        assert!(!run(&Validator::Duration, Value::string("1h30m")).has_errors());
    }

    #[test]
    fn typo_gets_a_suggestion_and_the_full_list() {
        let v = Validator::one_of(&["computerCertStoreRoot", "computerCertStoreIntermediate"]);
        let d = run(&v, Value::string("computerCertStoreRot"));
        let diag = d.iter().next().unwrap();
        assert!(
            diag.detail
                .contains("Did you mean \"computerCertStoreRoot\"?"),
            "{}",
            diag.detail
        );
        assert!(diag.detail.contains("\"computerCertStoreIntermediate\""));
        assert_eq!(diag.path, Some(AttributePath::attr("x")));
    }

    #[test]
    fn flags_check_each_member() {
        let v = Validator::each_one_of(&["keyEncipherment", "digitalSignature"]);
        let ok = Value::Set(vec![Value::string("keyEncipherment")]);
        let bad = Value::Set(vec![
            Value::string("keyEncipherment"),
            Value::string("signing"),
        ]);
        assert!(!run(&v, ok).has_errors());
        assert_eq!(run(&v, bad).iter().count(), 1);
    }
}
