//! Number conversions shared by the two codecs: decimal text, floats and
//! integers in the forms terraform's wire and state expect.
//!
//! Terraform numbers are arbitrary-precision; we never round a decimal we
//! were given as text, and only produce a float where the input was one.
//! This module does no I/O and knows nothing of paths or types.

use super::Number;

/// `2^63` as a float: the first whole float that no longer fits an `i64`.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// Brings decimal text into the one form both wires accept: optional `-`,
/// integer digits without leading zeros, optional `.digits`, optional
/// `e[+-]digits`. Accepts a leading `+`, `.5` and `5.` on input. `None` when
/// the text is not a decimal number (hex, `inf`, `NaN`, spaces...).
pub(super) fn normalize_decimal(text: &str) -> Option<String> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (unsigned, None),
    };
    let (int_digits, frac_digits) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_digits.is_empty() && frac_digits.is_empty())
        || !all_digits(int_digits)
        || !all_digits(frac_digits)
    {
        return None;
    }
    if let Some(exp) = exponent {
        let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if digits.is_empty() || !all_digits(digits) {
            return None;
        }
    }

    let int_digits = int_digits.trim_start_matches('0');
    let mut out = String::with_capacity(text.len() + 1);
    if negative {
        out.push('-');
    }
    out.push_str(if int_digits.is_empty() {
        "0"
    } else {
        int_digits
    });
    if !frac_digits.is_empty() {
        out.push('.');
        out.push_str(frac_digits);
    }
    if let Some(exp) = exponent {
        out.push('e');
        out.push_str(exp);
    }
    Some(out)
}

/// A number given as text (a msgpack string, a JSON string, a decimal we
/// must re-validate before sending): an `Int` when it is a whole `i64`
/// written without fraction or exponent, else the normalized text.
pub(super) fn parse_decimal(text: &str) -> Option<Number> {
    let normalized = normalize_decimal(text)?;
    Some(match normalized.parse::<i64>() {
        Ok(i) => Number::Int(i),
        Err(_) => Number::Decimal(normalized),
    })
}

/// A float that holds a whole `i64` becomes an `Int`, so the number is
/// written the way terraform writes it (int before float). Callers reject
/// NaN before calling: cty has no NaN.
pub(super) fn from_f64(f: f64) -> Number {
    if f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&f) {
        // In range and whole, so the cast is exact.
        Number::Int(f as i64)
    } else {
        Number::Float(f)
    }
}

/// The number as JSON number text, exact for `Int` and `Decimal` and the
/// shortest round-tripping form for a finite `Float`. `Err` names why the
/// number has no JSON form (infinity, NaN, malformed decimal text).
pub(super) fn to_json_text(n: &Number) -> Result<String, String> {
    match n {
        Number::Int(i) => Ok(i.to_string()),
        Number::Float(f) if f.is_finite() => Ok(match from_f64(*f) {
            Number::Int(i) => i.to_string(),
            // Rust's float Display is the shortest text that reads back to
            // the same float, and never uses an exponent: valid JSON.
            _ => f.to_string(),
        }),
        Number::Float(f) => Err(format!("{f} cannot be written as a JSON number")),
        Number::Decimal(s) => {
            normalize_decimal(s).ok_or_else(|| format!("{s:?} is not a decimal number"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_decimal_cases() {
        let cases: &[(&str, Option<&str>)] = &[
            ("0", Some("0")),
            ("-12", Some("-12")),
            ("+12", Some("12")),
            ("007", Some("7")),
            ("000", Some("0")),
            ("1.50", Some("1.50")),
            (".5", Some("0.5")),
            ("5.", Some("5")),
            ("-0.001", Some("-0.001")),
            ("1e10", Some("1e10")),
            ("1E-3", Some("1e-3")),
            ("2.5e+7", Some("2.5e+7")),
            (
                "123456789012345678901234567890",
                Some("123456789012345678901234567890"),
            ),
            ("", None),
            ("-", None),
            (".", None),
            ("e5", None),
            ("1e", None),
            ("1e+", None),
            ("1.2.3", None),
            ("0x10", None),
            ("inf", None),
            ("NaN", None),
            (" 1", None),
            ("1 ", None),
            ("--1", None),
            ("1_000", None),
            ("١", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                normalize_decimal(input).as_deref(),
                *want,
                "input {input:?}"
            );
        }
    }

    #[test]
    fn parse_decimal_prefers_int() {
        assert!(matches!(parse_decimal("42"), Some(Number::Int(42))));
        assert!(matches!(
            parse_decimal("-9223372036854775808"),
            Some(Number::Int(i64::MIN))
        ));
        assert!(
            matches!(parse_decimal("9223372036854775808"), Some(Number::Decimal(s)) if s == "9223372036854775808")
        );
        assert!(matches!(parse_decimal("0.1"), Some(Number::Decimal(s)) if s == "0.1"));
        assert!(matches!(parse_decimal("1e3"), Some(Number::Decimal(s)) if s == "1e3"));
        assert!(parse_decimal("abc").is_none());
    }

    #[test]
    fn from_f64_cases() {
        assert!(matches!(from_f64(3.0), Number::Int(3)));
        assert!(matches!(from_f64(-0.0), Number::Int(0)));
        assert!(matches!(from_f64(-TWO_POW_63), Number::Int(i64::MIN)));
        assert!(matches!(from_f64(TWO_POW_63), Number::Float(_)));
        assert!(matches!(from_f64(1.5), Number::Float(f) if f == 1.5));
        assert!(matches!(from_f64(f64::INFINITY), Number::Float(f) if f.is_infinite()));
    }

    #[test]
    fn json_text_cases() {
        let cases: &[(Number, Result<&str, ()>)] = &[
            (Number::Int(-5), Ok("-5")),
            (Number::Float(2.0), Ok("2")),
            (Number::Float(0.1), Ok("0.1")),
            (Number::Float(1e21), Ok("1000000000000000000000")),
            (Number::Float(f64::INFINITY), Err(())),
            (Number::Float(f64::NAN), Err(())),
            (Number::Decimal("+.5".into()), Ok("0.5")),
            (Number::Decimal("12x".into()), Err(())),
        ];
        for (n, want) in cases {
            assert_eq!(
                to_json_text(n).as_deref().map_err(|_| ()),
                *want,
                "number {n:?}"
            );
        }
    }
}
