//! What Intune enforces beyond the metadata: the properties the service
//! maintains, per-property limits, and what a create stores for some
//! omitted properties. One table each, so a new rule is one row.

use serde_json::Value;

use super::error::{Result, ValidationError};

/// Properties the service maintains; a client sending one is rejected.
pub const READ_ONLY: &[&str] = &[
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "version",
    "supportsScopeTags",
];

/// A limit Intune enforces that the metadata cannot express.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// An `Int32` property must lie in `min..=max` (`max` `None`: no upper bound).
    IntRange { min: i64, max: Option<i64> },
    /// A `Binary` property must decode to at least one byte.
    NonEmptyBinary,
}

/// Per-property limits, applied to profile properties of any type.
pub const RULES: &[(&str, Rule)] = &[
    (
        "renewalThresholdPercentage",
        Rule::IntRange {
            min: 1,
            max: Some(99),
        },
    ),
    (
        "certificateValidityPeriodValue",
        Rule::IntRange { min: 1, max: None },
    ),
    ("trustedRootCertificate", Rule::NonEmptyBinary),
];

/// What Intune stores for a property a create body omits, where that is not
/// the type's null/empty value: `roleScopeTagIds` becomes the built-in
/// Default scope tag.
pub const CREATE_DEFAULTS: &[(&str, &str)] = &[("roleScopeTagIds", "0")];

/// Checks a normalised value of profile property `name` against [`RULES`].
pub(super) fn apply_rules(name: &str, value: &Value) -> Result<()> {
    for (property, rule) in RULES {
        if *property != name {
            continue;
        }
        match (rule, value) {
            (Rule::IntRange { min, max }, Value::Number(n)) => {
                let Some(v) = n.as_i64() else { continue };
                if v < *min || max.is_some_and(|max| v > max) {
                    let bounds = match max {
                        Some(max) => format!("between {min} and {max}"),
                        None => format!("at least {min}"),
                    };
                    return Err(ValidationError::OutOfRange {
                        path: name.to_owned(),
                        value: v,
                        bounds,
                    });
                }
            }
            (Rule::NonEmptyBinary, Value::String(s)) if s.is_empty() => {
                return Err(ValidationError::Invalid {
                    path: name.to_owned(),
                    reason: "it must hold at least one byte (base64 of the certificate)".into(),
                });
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{Rejection, assert_rejected, macos_scep, windows_root};
    use serde_json::json;

    #[test]
    fn limits_beyond_the_metadata() {
        let cases: Vec<Rejection> = vec![
            (
                "empty certificate",
                windows_root(),
                |m| {
                    m.insert("trustedRootCertificate".into(), json!(""));
                },
                "BadRequest",
                "at least one byte",
            ),
            (
                "renewal too high",
                macos_scep(),
                |m| {
                    m.insert("renewalThresholdPercentage".into(), json!(100));
                },
                "ModelValidationFailure",
                "'renewalThresholdPercentage' must be between 1 and 99; the request has 100",
            ),
            (
                "renewal zero",
                macos_scep(),
                |m| {
                    m.insert("renewalThresholdPercentage".into(), json!(0));
                },
                "ModelValidationFailure",
                "between 1 and 99",
            ),
            (
                "validity zero",
                macos_scep(),
                |m| {
                    m.insert("certificateValidityPeriodValue".into(), json!(0));
                },
                "ModelValidationFailure",
                "'certificateValidityPeriodValue' must be at least 1",
            ),
        ];
        assert_rejected(cases);
    }
}
