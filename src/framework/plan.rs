//! The generic planning rules, applied before a resource's own plan hook:
//!
//! - a configured value is planned as configured, unless the attribute has
//!   an equivalence and the configured value means the same as the prior
//!   one, in which case the prior value is kept (terraform accepts that);
//! - on create, computed attributes left unset are unknown;
//! - on an in-place update, attributes marked `UnknownOnUpdate` are unknown
//!   and every other computed value keeps its prior value;
//! - attributes marked `RequiresReplace` that change make it a replacement,
//!   in which case every unset computed attribute is unknown again.

use super::resource::Plan;
use super::schema::{Block, PlanRule};
use crate::value::{AttributePath, Value};

/// Builds the engine's plan from terraform's proposed new state.
pub fn plan_object(block: &Block, prior: &Value, proposed: &Value, config: &Value) -> Plan {
    let mut planned = proposed.clone();
    for attr in &block.attributes {
        let (Some(eq), c, p) = (
            &attr.equivalence,
            config.get(&attr.name),
            prior.get(&attr.name),
        ) else {
            continue;
        };
        if c.is_known_non_null() && p.is_known_non_null() && c != p && eq(c, p) {
            planned.set(&attr.name, p.clone());
        }
    }

    let create = prior.is_null();
    let mut requires_replace = Vec::new();
    if !create {
        for attr in &block.attributes {
            if attr.plan_rule == PlanRule::RequiresReplace
                && planned.get(&attr.name) != prior.get(&attr.name)
            {
                requires_replace.push(AttributePath::attr(&attr.name));
            }
        }
    }
    let replace = !requires_replace.is_empty();
    let updates_remote = !create && !replace && remote_differs(block, prior, &planned);

    for attr in block.attributes.iter().filter(|a| a.mode.is_computed()) {
        if !config.get(&attr.name).is_null() {
            continue;
        }
        let unknown =
            create || replace || (updates_remote && attr.plan_rule == PlanRule::UnknownOnUpdate);
        if unknown {
            planned.set(&attr.name, Value::Unknown);
        }
    }

    Plan {
        prior: prior.clone(),
        config: config.clone(),
        planned,
        requires_replace,
        updates_remote,
    }
}

/// True when the two objects differ in anything that lives remotely, that
/// is outside local-only blocks such as `timeouts`.
pub fn remote_differs(block: &Block, a: &Value, b: &Value) -> bool {
    block
        .attributes
        .iter()
        .any(|attr| a.get(&attr.name) != b.get(&attr.name))
        || block
            .blocks
            .iter()
            .filter(|nb| !nb.local_only)
            .any(|nb| a.get(&nb.name) != b.get(&nb.name))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::framework::Timeouts;
    use crate::framework::schema::{Attribute, Mode};
    use crate::value::Type;

    fn block() -> Block {
        Block::new()
            .attribute(Attribute::new("id", Type::String, Mode::Computed))
            .attribute(
                Attribute::new("version", Type::Number, Mode::Computed)
                    .plan_rule(PlanRule::UnknownOnUpdate),
            )
            .attribute(Attribute::new("name", Type::String, Mode::Required))
            .attribute(
                Attribute::new("kind", Type::String, Mode::Required)
                    .plan_rule(PlanRule::RequiresReplace),
            )
            .attribute(
                Attribute::new("text", Type::String, Mode::Optional).equivalence(Arc::new(
                    |a, b| a.as_str().map(str::trim) == b.as_str().map(str::trim),
                )),
            )
            .block(Timeouts::default().block())
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        let mut v = block().empty_object();
        for (k, x) in pairs {
            v.set(k, x.clone());
        }
        v
    }

    fn state() -> Value {
        obj(&[
            ("id", Value::string("1")),
            ("version", Value::int(3)),
            ("name", Value::string("a")),
            ("kind", Value::string("k")),
            ("text", Value::string("t")),
        ])
    }

    /// What terraform proposes: the configuration, with prior values for
    /// unset computed attributes.
    fn proposed(config: &Value, prior: &Value) -> Value {
        let mut p = config.clone();
        for name in ["id", "version"] {
            if config.get(name).is_null() {
                p.set(name, prior.get(name).clone());
            }
        }
        p
    }

    #[test]
    fn create_makes_unset_computed_unknown() {
        let config = obj(&[("name", Value::string("a")), ("kind", Value::string("k"))]);
        let plan = plan_object(
            &block(),
            &Value::Null,
            &proposed(&config, &Value::Null),
            &config,
        );
        assert!(plan.planned.get("id").is_unknown());
        assert!(plan.planned.get("version").is_unknown());
        assert_eq!(plan.planned.get("name"), &Value::string("a"));
        assert!(!plan.updates_remote);
    }

    #[test]
    fn no_change_keeps_everything() {
        let prior = state();
        let config = obj(&[
            ("name", Value::string("a")),
            ("kind", Value::string("k")),
            ("text", Value::string("t")),
        ]);
        let plan = plan_object(&block(), &prior, &proposed(&config, &prior), &config);
        assert_eq!(plan.planned, prior);
        assert!(!plan.updates_remote);
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn update_in_place_marks_volatile_unknown_only() {
        let prior = state();
        let config = obj(&[
            ("name", Value::string("b")),
            ("kind", Value::string("k")),
            ("text", Value::string("t")),
        ]);
        let plan = plan_object(&block(), &prior, &proposed(&config, &prior), &config);
        assert!(plan.updates_remote);
        assert_eq!(plan.planned.get("id"), &Value::string("1"));
        assert!(plan.planned.get("version").is_unknown());
    }

    #[test]
    fn equivalent_value_keeps_prior_form() {
        let prior = state();
        let config = obj(&[
            ("name", Value::string("a")),
            ("kind", Value::string("k")),
            ("text", Value::string(" t ")),
        ]);
        let plan = plan_object(&block(), &prior, &proposed(&config, &prior), &config);
        assert_eq!(plan.planned.get("text"), &Value::string("t"));
        assert!(!plan.updates_remote);
    }

    #[test]
    fn replacement_path_and_unknowns() {
        let prior = state();
        let config = obj(&[
            ("name", Value::string("a")),
            ("kind", Value::string("other")),
            ("text", Value::string("t")),
        ]);
        let plan = plan_object(&block(), &prior, &proposed(&config, &prior), &config);
        assert_eq!(plan.requires_replace, vec![AttributePath::attr("kind")]);
        assert!(plan.planned.get("id").is_unknown());
        assert!(!plan.updates_remote);
    }

    #[test]
    fn timeouts_only_change_is_not_remote() {
        let prior = state();
        let mut config = obj(&[
            ("name", Value::string("a")),
            ("kind", Value::string("k")),
            ("text", Value::string("t")),
        ]);
        let mut t = Value::null_object(&Timeouts::default().block().block.value_type());
        t.set("create", Value::string("1m"));
        config.set("timeouts", t);
        let plan = plan_object(&block(), &prior, &proposed(&config, &prior), &config);
        assert!(!plan.updates_remote);
        assert_eq!(plan.planned.get("version"), &Value::int(3));
    }
}
