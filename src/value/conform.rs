//! Whether a [`Value`] has the shape a [`Type`] demands, and the wording of
//! the errors both codecs raise when it does not.
//!
//! The rules are the encoders' rules: `Null` and `Unknown` fit every type;
//! lists and tuples take `Value::List`, sets `Value::Set`, maps `Value::Map`,
//! objects `Value::Object` with exactly the type's attributes, `dynamic`
//! takes `Value::Dynamic`. This module decodes and encodes nothing.

use std::collections::BTreeMap;

use super::{AttributePath, CodecError, Number, Type, Value, numbers};

/// At most this many attribute names are listed in one error, so a hostile
/// object cannot make a diagnostic megabytes long.
const MAX_NAMES_SHOWN: usize = 10;

/// Why a NaN is refused; cty numbers cannot be NaN.
pub(super) const NAN_MESSAGE: &str = "NaN is not a number terraform knows";

/// Short human name of a type for error messages (`list of string`,
/// `object`); object attributes are not spelled out.
pub(super) fn type_name(ty: &Type) -> String {
    match ty {
        Type::String => "string".into(),
        Type::Number => "number".into(),
        Type::Bool => "bool".into(),
        Type::Dynamic => "dynamic value".into(),
        Type::List(e) => format!("list of {}", type_name(e)),
        Type::Set(e) => format!("set of {}", type_name(e)),
        Type::Map(e) => format!("map of {}", type_name(e)),
        Type::Object(_) => "object".into(),
        Type::Tuple(elems) => format!("tuple of {} elements", elems.len()),
    }
}

fn value_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Unknown => "unknown",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Dynamic(..) => "dynamic value",
    }
}

/// The error for a value whose variant does not fit `ty`.
pub(super) fn mismatch(path: &AttributePath, ty: &Type, value: &Value) -> CodecError {
    CodecError::new(
        path,
        format!("expected {}, found {}", type_name(ty), value_kind(value)),
    )
}

/// Moves an error from inside a set element up to the set itself: set
/// elements have no address, so paths into a set stop at the set.
pub(super) fn at_set(set_path: &AttributePath) -> impl Fn(CodecError) -> CodecError + '_ {
    move |e| CodecError {
        path: set_path.clone(),
        ..e
    }
}

/// The error for a tuple with the wrong number of elements.
pub(super) fn tuple_length(path: &AttributePath, want: usize, got: usize) -> CodecError {
    CodecError::new(
        path,
        format!("expected a tuple of {want} elements, found {got}"),
    )
}

/// Decodes the elements of a list, set or tuple (`ty`) with `decode`, the
/// element decoder of one wire format. List and tuple elements are
/// addressed by index; set elements have none, so their errors stop at the
/// set. Both codecs decode sequences through here.
pub(super) fn decode_sequence<T>(
    ty: &Type,
    items: Vec<T>,
    path: &AttributePath,
    decode: impl Fn(T, &Type, &AttributePath) -> Result<Value, CodecError>,
) -> Result<Value, CodecError> {
    match ty {
        Type::List(elem) => {
            let decoded = items
                .into_iter()
                .enumerate()
                .map(|(i, item)| decode(item, elem, &path.index(i as i64)));
            Ok(Value::List(decoded.collect::<Result<_, _>>()?))
        }
        Type::Set(elem) => {
            let decoded = items
                .into_iter()
                .map(|item| decode(item, elem, path).map_err(at_set(path)));
            Ok(Value::Set(decoded.collect::<Result<_, _>>()?))
        }
        Type::Tuple(elems) => {
            if items.len() != elems.len() {
                return Err(tuple_length(path, elems.len(), items.len()));
            }
            let decoded = items
                .into_iter()
                .zip(elems)
                .enumerate()
                .map(|(i, (item, t))| decode(item, t, &path.index(i as i64)));
            Ok(Value::List(decoded.collect::<Result<_, _>>()?))
        }
        other => Err(CodecError::new(
            path,
            format!("{} is not a sequence type", type_name(other)),
        )),
    }
}

/// Compares an object's attribute names with the type's; `Err` names the
/// missing and the unexpected ones, at the object's path.
pub(super) fn check_attribute_names<V>(
    path: &AttributePath,
    present: &BTreeMap<String, V>,
    attrs: &BTreeMap<String, Type>,
) -> Result<(), CodecError> {
    let missing: Vec<&String> = attrs
        .keys()
        .filter(|name| !present.contains_key(*name))
        .collect();
    let extra: Vec<&String> = present
        .keys()
        .filter(|name| !attrs.contains_key(*name))
        .collect();
    if missing.is_empty() && extra.is_empty() {
        return Ok(());
    }
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing attributes {}", quote_names(&missing)));
    }
    if !extra.is_empty() {
        parts.push(format!("unexpected attributes {}", quote_names(&extra)));
    }
    Err(CodecError::new(
        path,
        format!("object does not match its type: {}", parts.join("; ")),
    ))
}

fn quote_names(names: &[&String]) -> String {
    let mut shown: Vec<String> = names
        .iter()
        .take(MAX_NAMES_SHOWN)
        .map(|n| format!("{n:?}"))
        .collect();
    if names.len() > MAX_NAMES_SHOWN {
        shown.push(format!("and {} more", names.len() - MAX_NAMES_SHOWN));
    }
    shown.join(", ")
}

/// Checks `value` against `ty` by the encoders' rules; the first problem
/// found is returned with its path.
pub(super) fn check(value: &Value, ty: &Type, path: &AttributePath) -> Result<(), CodecError> {
    match (value, ty) {
        (Value::Null | Value::Unknown, _) => Ok(()),
        (Value::String(_), Type::String) | (Value::Bool(_), Type::Bool) => Ok(()),
        (Value::Number(Number::Float(f)), Type::Number) if f.is_nan() => {
            Err(CodecError::new(path, NAN_MESSAGE))
        }
        (Value::Number(Number::Decimal(text)), Type::Number)
            if numbers::normalize_decimal(text).is_none() =>
        {
            Err(CodecError::new(
                path,
                format!("{text:?} is not a decimal number"),
            ))
        }
        (Value::Number(_), Type::Number) => Ok(()),
        (Value::List(items), Type::List(elem)) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check(item, elem, &path.index(i as i64))),
        (Value::Set(items), Type::Set(elem)) => items
            .iter()
            .try_for_each(|item| check(item, elem, path).map_err(at_set(path))),
        (Value::List(items), Type::Tuple(elems)) => {
            if items.len() != elems.len() {
                return Err(tuple_length(path, elems.len(), items.len()));
            }
            items
                .iter()
                .zip(elems)
                .enumerate()
                .try_for_each(|(i, (item, t))| check(item, t, &path.index(i as i64)))
        }
        (Value::Map(entries), Type::Map(elem)) => entries
            .iter()
            .try_for_each(|(k, v)| check(v, elem, &path.key(k.as_str()))),
        (Value::Object(fields), Type::Object(attrs)) => {
            check_attribute_names(path, fields, attrs)?;
            attrs
                .iter()
                .try_for_each(|(name, t)| match fields.get(name) {
                    Some(v) => check(v, t, &path.attribute(name.as_str())),
                    None => Ok(()),
                })
        }
        (Value::Dynamic(t, v), Type::Dynamic) => check(v, t, path),
        (v, t) => Err(mismatch(path, t, v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::test_support::*;

    #[test]
    fn conforms_cases() {
        let rule = obj_type(&[("name", Type::String)]);
        let ty = obj_type(&[
            ("rules", Type::list(rule.clone())),
            ("tags", Type::set(Type::String)),
            ("pair", Type::Tuple(vec![Type::String, Type::Number])),
            ("any", Type::Dynamic),
        ]);
        let good = obj(&[
            (
                "rules",
                Value::List(vec![obj(&[("name", Value::string("a"))])]),
            ),
            ("tags", Value::Set(vec![Value::string("x")])),
            ("pair", Value::List(vec![Value::string("p"), Value::int(1)])),
            (
                "any",
                Value::Dynamic(Box::new(Type::Bool), Box::new(Value::Bool(true))),
            ),
        ]);
        // (value, path of the expected error or None when it conforms)
        let cases: Vec<(Value, Option<&str>)> = vec![
            (good.clone(), None),
            (Value::Null, None),
            (Value::Unknown, None),
            (
                {
                    let mut v = good.clone();
                    v.set(
                        "rules",
                        Value::List(vec![
                            obj(&[("name", Value::string("a"))]),
                            obj(&[("name", Value::int(5))]),
                        ]),
                    );
                    v
                },
                Some("rules[1].name"),
            ),
            (
                {
                    let mut v = good.clone();
                    v.set("tags", Value::Set(vec![Value::Bool(true)]));
                    v
                },
                Some("tags"),
            ),
            (
                {
                    let mut v = good.clone();
                    v.set(
                        "any",
                        dynamic(
                            Type::set(rule.clone()),
                            Value::Set(vec![obj(&[("name", Value::Bool(true))])]),
                        ),
                    );
                    v
                },
                Some("any"),
            ),
            (
                {
                    let mut v = good.clone();
                    v.set("tags", Value::List(vec![]));
                    v
                },
                Some("tags"),
            ),
            (
                {
                    let mut v = good.clone();
                    v.set("pair", Value::List(vec![Value::string("p")]));
                    v
                },
                Some("pair"),
            ),
            (
                {
                    let mut v = good.clone();
                    v.set("any", Value::string("untyped"));
                    v
                },
                Some("any"),
            ),
            (
                {
                    let mut v = good.clone();
                    v.set("extra", Value::Null);
                    v
                },
                Some(""),
            ),
            (obj(&[]), Some("")),
            (Value::Map(BTreeMap::new()), Some("")),
        ];
        for (value, want) in cases {
            let got = check(&value, &ty, &AttributePath::root());
            match want {
                None => assert_eq!(got, Ok(()), "value {value:?}"),
                Some(path) => {
                    let err = got.expect_err("expected a mismatch");
                    assert_eq!(err.path.to_string(), path, "error {err}");
                }
            }
            assert_eq!(value.conforms_to(&ty), want.is_none());
        }
    }

    #[test]
    fn numbers_must_be_well_formed() {
        let p = AttributePath::root();
        assert!(check(&Value::Number(Number::Float(f64::NAN)), &Type::Number, &p).is_err());
        assert!(
            check(
                &Value::Number(Number::Decimal("1x".into())),
                &Type::Number,
                &p
            )
            .is_err()
        );
        let inf = Value::Number(Number::Float(f64::NEG_INFINITY));
        assert!(check(&inf, &Type::Number, &p).is_ok());
    }

    #[test]
    fn attribute_error_names_are_capped() {
        let attrs: BTreeMap<String, Type> = (0..30)
            .map(|i| (format!("a{i:02}"), Type::String))
            .collect();
        let err = check(&obj(&[]), &Type::Object(attrs), &AttributePath::root())
            .expect_err("all attributes are missing");
        assert!(
            err.message.contains("\"a09\", and 20 more"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("a10"), "{}", err.message);
    }
}
