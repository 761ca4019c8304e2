//! Builders shared by the value layer's unit tests: short constructors for
//! objects and hex, and the nested schema the fuzz tests mutate.

use super::{Number, Type, Value};

pub(super) fn obj(fields: &[(&str, Value)]) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

pub(super) fn obj_type(attrs: &[(&str, Type)]) -> Type {
    Type::Object(
        attrs
            .iter()
            .map(|(k, t)| (k.to_string(), t.clone()))
            .collect(),
    )
}

pub(super) fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

pub(super) fn dynamic(ty: Type, value: Value) -> Value {
    Value::Dynamic(Box::new(ty), Box::new(value))
}

pub(super) fn decimal(text: &str) -> Value {
    Value::Number(Number::Decimal(text.to_string()))
}

pub(super) fn float(f: f64) -> Value {
    Value::Number(Number::Float(f))
}

/// Bytes from space-separated hex pairs, as the test tables write them.
pub(super) fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|pair| u8::from_str_radix(pair, 16).expect("test table holds valid hex"))
        .collect()
}

/// A resource-like schema touching every type: nested list and set
/// blocks, a map, a tuple and a dynamic attribute.
pub(super) fn nested_schema() -> Type {
    let rule = obj_type(&[
        ("name", Type::String),
        ("ports", Type::set(Type::Number)),
        ("labels", Type::map(Type::String)),
    ]);
    obj_type(&[
        ("id", Type::String),
        ("count", Type::Number),
        ("enabled", Type::Bool),
        ("rules", Type::list(rule.clone())),
        ("groups", Type::set(rule)),
        (
            "pair",
            Type::Tuple(vec![Type::String, Type::list(Type::Bool)]),
        ),
        ("extra", Type::Dynamic),
        ("timeouts", obj_type(&[("create", Type::String)])),
    ])
}

/// A value of [`nested_schema`] with a bit of everything, unknowns included.
pub(super) fn nested_sample() -> Value {
    let rule = |name: &str, port: i64| {
        obj(&[
            ("name", Value::string(name)),
            ("ports", Value::Set(vec![Value::int(port), float(0.5)])),
            (
                "labels",
                map(&[("env", Value::string("prod")), ("x", Value::Null)]),
            ),
        ])
    };
    obj(&[
        ("id", Value::Unknown),
        ("count", decimal("123456789012345678901234567890")),
        ("enabled", Value::Bool(true)),
        ("rules", Value::List(vec![rule("a", 443), rule("b", -1)])),
        ("groups", Value::Set(vec![rule("g", 8080), Value::Unknown])),
        (
            "pair",
            Value::List(vec![
                Value::string("p"),
                Value::List(vec![Value::Bool(false)]),
            ]),
        ),
        (
            "extra",
            dynamic(
                Type::map(Type::Number),
                map(&[("n", Value::int(7)), ("f", float(2.25))]),
            ),
        ),
        ("timeouts", Value::Null),
    ])
}

/// `base` with a few random edits: byte flips, insertions, deletions, a
/// truncation, or whole random bytes.
pub(super) fn mutate(rng: &mut fastrand::Rng, base: &[u8]) -> Vec<u8> {
    if rng.u8(..10) == 0 {
        let len = rng.usize(..64);
        return (0..len).map(|_| rng.u8(..)).collect();
    }
    let mut bytes = base.to_vec();
    for _ in 0..rng.usize(1..4) {
        let at = rng.usize(..=bytes.len());
        match rng.u8(..4) {
            0 if at < bytes.len() => bytes[at] = rng.u8(..),
            1 => bytes.insert(at, rng.u8(..)),
            2 if at < bytes.len() => {
                bytes.remove(at);
            }
            _ => bytes.truncate(at),
        }
    }
    bytes
}
