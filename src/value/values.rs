//! Values of the cty type system.

use std::collections::BTreeMap;
use std::fmt;

use super::{AttributePath, CodecError, Type, conform, numbers};

/// A cty number. Terraform numbers are arbitrary-precision decimals; the
/// wire carries them as int64, float64 or a decimal string, and so do we.
#[derive(Debug, Clone)]
pub enum Number {
    Int(i64),
    Float(f64),
    /// A number that fits neither an `i64` nor an exact `f64`, kept as
    /// terraform sent it.
    Decimal(String),
}

impl Number {
    /// Reads a number written as decimal text (`"42"`, `"-1.5"`, `"1e3"`),
    /// keeping it exact: a whole `i64` becomes `Int`, anything else stays
    /// text in `Decimal`. `None` when the text is not a decimal number.
    pub fn parse(text: &str) -> Option<Number> {
        numbers::parse_decimal(text)
    }

    /// The number as an `i64` when it is a whole number in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::Float(f)
                if f.fract() == 0.0 && *f >= i64::MIN as f64 && *f < i64::MAX as f64 =>
            {
                Some(*f as i64)
            }
            Number::Float(_) => None,
            Number::Decimal(s) => s.parse().ok(),
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Number::Int(i) => Some(*i as f64),
            Number::Float(f) => Some(*f),
            Number::Decimal(s) => s.parse().ok(),
        }
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (Number::Decimal(a), Number::Decimal(b)) => a == b,
            _ => match (self.as_i64(), other.as_i64()) {
                (Some(a), Some(b)) => a == b,
                _ => self.as_f64() == other.as_f64(),
            },
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
            Number::Decimal(s) => f.write_str(s),
        }
    }
}

/// A value of some [`Type`]. Which variant is valid depends on that type:
/// `List` serves lists and tuples, `Object` objects, `Map` maps. Sets keep
/// the order they arrived in but compare without regard to it.
#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Null,
    /// Known only after apply. Refinements terraform may attach (prefix,
    /// bounds, non-null) are dropped: this provider does not use them.
    Unknown,
    String(String),
    Number(Number),
    Bool(bool),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    /// A known value in a `DynamicPseudoType` position, with the concrete
    /// type it was sent as.
    Dynamic(Box<Type>, Box<Value>),
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) | (Value::Unknown, Value::Unknown) => true,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Set(a), Value::Set(b)) => set_eq(a, b),
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => a == b,
            (Value::Dynamic(ta, a), Value::Dynamic(tb, b)) => ta == tb && a == b,
            _ => false,
        }
    }
}

/// Order-insensitive comparison; sets hold distinct elements, so equal
/// lengths and inclusion one way suffice.
fn set_eq(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Known and not null at the top level (elements may still be unknown).
    pub fn is_known_non_null(&self) -> bool {
        !self.is_null() && !self.is_unknown()
    }

    /// True when no part of the value is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) | Value::Set(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// Elements of a list, tuple or set.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) | Value::Set(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_object_mut(&mut self) -> Option<&mut BTreeMap<String, Value>> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// An attribute of an object; `Null` when absent or when `self` is not
    /// a known object, which is what a missing block or attribute means.
    pub fn get(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Value::Object(m) => m.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// Sets an attribute of an object; does nothing on other variants.
    pub fn set(&mut self, name: &str, value: Value) {
        if let Value::Object(m) = self {
            m.insert(name.to_string(), value);
        }
    }

    /// Whether the codecs would accept this value as a `ty`: useful as a
    /// debug assertion on values a resource builds by hand, before they
    /// reach terraform. See [`Value::check_type`] for what is checked.
    pub fn conforms_to(&self, ty: &Type) -> bool {
        self.check_type(ty).is_ok()
    }

    /// Like [`Value::conforms_to`], but says what is wrong and where.
    /// `Null` and `Unknown` fit any type; lists and tuples need
    /// `Value::List` (a tuple of the right length), sets `Value::Set`, maps
    /// `Value::Map`, objects `Value::Object` with exactly the type's
    /// attributes, `dynamic` a `Value::Dynamic`; a number must not be NaN
    /// and `Number::Decimal` must hold decimal text. The JSON encoder also
    /// refuses unknowns and infinities, which JSON cannot hold.
    pub fn check_type(&self, ty: &Type) -> Result<(), CodecError> {
        conform::check(self, ty, &AttributePath::root())
    }

    /// The null value's shape for `ty`'s type is just `Null`; this returns
    /// an object of `ty` with every attribute null, the starting point for
    /// states built from Graph.
    pub fn null_object(ty: &Type) -> Value {
        match ty {
            Type::Object(attrs) => {
                Value::Object(attrs.keys().map(|k| (k.clone(), Value::Null)).collect())
            }
            _ => Value::Null,
        }
    }
}
