//! The `timeouts` block every resource offers, and Go-style durations.
//!
//! Timeouts bound how long an operation may retry (throttling, Graph's
//! replication delay) before it gives up; they have no field in the
//! protocol, so they are an ordinary nested block the engine adds.

use std::time::Duration;

use super::schema::{Attribute, Block, Mode, NestedBlock, Nesting};
use super::validators::Validator;
use crate::value::{Type, Value};

/// Default durations per operation, documented on each resource's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub create: Duration,
    pub read: Duration,
    pub update: Duration,
    pub delete: Duration,
}

/// The operation a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Read,
    Update,
    Delete,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            create: Duration::from_secs(10 * 60),
            read: Duration::from_secs(5 * 60),
            update: Duration::from_secs(10 * 60),
            delete: Duration::from_secs(10 * 60),
        }
    }
}

impl Timeouts {
    pub const BLOCK: &'static str = "timeouts";

    /// The nested block added to a resource's schema.
    pub fn block(&self) -> NestedBlock {
        let mut block =
            Block::new().description("How long each operation may take, retries included.");
        for op in [
            Operation::Create,
            Operation::Read,
            Operation::Update,
            Operation::Delete,
        ] {
            block = block.attribute(
                Attribute::new(op.name(), Type::String, Mode::Optional)
                    .description(format!(
                        "Limit for {}, as a duration such as \"30s\" or \"10m\". Default {}.",
                        op.name(),
                        format_duration(self.get(op))
                    ))
                    .validator(Validator::Duration),
            );
        }
        NestedBlock::new(Self::BLOCK, Nesting::Single, block).local_only()
    }

    pub fn get(&self, op: Operation) -> Duration {
        match op {
            Operation::Create => self.create,
            Operation::Read => self.read,
            Operation::Update => self.update,
            Operation::Delete => self.delete,
        }
    }

    /// The limit for `op` given the resource's object (config, plan or
    /// state): the block's value when set and valid, else the default.
    pub fn for_operation(&self, object: &Value, op: Operation) -> Duration {
        object
            .get(Self::BLOCK)
            .get(op.name())
            .as_str()
            .and_then(|s| parse_duration(s).ok())
            .unwrap_or_else(|| self.get(op))
    }
}

/// Renders whole minutes as `"10m"` and anything else in seconds.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs % 60 == 0 && secs > 0 {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

/// Parses Go's duration syntax (`"1h30m"`, `"45s"`, `"1.5h"`, `"300ms"`).
/// Negative durations are rejected: a deadline in the past is a mistake.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("missing unit in duration {s:?}"))?;
        if num_len == 0 {
            return Err(format!("invalid duration {s:?}"));
        }
        let number: f64 = rest[..num_len]
            .parse()
            .map_err(|_| format!("invalid number in duration {s:?}"))?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            other => return Err(format!("unknown unit {other:?} in duration {s:?}")),
        };
        total += number * seconds_per_unit;
        rest = &rest[unit_len..];
    }
    if !total.is_finite() || total > 1e9 {
        return Err(format!("duration {s:?} is too long"));
    }
    Ok(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        let cases = [
            ("30s", Some(30.0)),
            ("10m", Some(600.0)),
            ("1h30m", Some(5400.0)),
            ("1.5h", Some(5400.0)),
            ("300ms", Some(0.3)),
            ("0", Some(0.0)),
            ("", None),
            ("10", None),
            ("-5m", None),
            ("5 minutes", None),
            ("m", None),
        ];
        for (input, want) in cases {
            let got = parse_duration(input).ok().map(|d| d.as_secs_f64());
            assert_eq!(got, want, "{input:?}");
        }
    }

    #[test]
    fn block_value_overrides_default() {
        let t = Timeouts::default();
        let mut obj = Value::Object(Default::default());
        assert_eq!(
            t.for_operation(&obj, Operation::Create),
            Duration::from_secs(600)
        );
        let mut block = Value::Object(Default::default());
        block.set("create", Value::string("2m"));
        obj.set("timeouts", block);
        assert_eq!(
            t.for_operation(&obj, Operation::Create),
            Duration::from_secs(120)
        );
        assert_eq!(
            t.for_operation(&obj, Operation::Read),
            Duration::from_secs(300)
        );
    }
}
