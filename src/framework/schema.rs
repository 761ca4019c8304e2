//! Resource schemas as data. A resource declares its attributes and nested
//! blocks once; the engine derives the protocol schema, the cty type used to
//! decode values, validation and the generic planning rules from it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::validators::Validator;
use crate::value::{Type, Value};

/// Whether the user sets an attribute, the provider does, or both. One enum
/// rather than three booleans, so impossible mixes cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    /// Set only by the provider; the user may not set it.
    Computed,
    /// The user may set it; when they do not, the provider (or Graph) does.
    OptionalComputed,
}

impl Mode {
    pub fn is_computed(self) -> bool {
        matches!(self, Mode::Computed | Mode::OptionalComputed)
    }
}

/// How the engine plans an attribute beyond "planned = configured".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlanRule {
    /// Computed values keep their prior value when the configuration leaves
    /// them unset (the id, the creation time).
    #[default]
    KeepPrior,
    /// The value changes whenever the remote object changes (modification
    /// time, version): unknown in any plan that updates the object.
    UnknownOnUpdate,
    /// A change replaces the object (destroy, then create).
    RequiresReplace,
}

/// Compares a configured value with the prior one when they may be written
/// differently yet mean the same thing (two encodings of one certificate).
/// When it returns true the plan keeps the prior value, which terraform
/// accepts as "equivalent".
pub type Equivalence = Arc<dyn Fn(&Value, &Value) -> bool + Send + Sync>;

#[derive(Clone)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub mode: Mode,
    pub sensitive: bool,
    pub description: String,
    pub validators: Vec<Validator>,
    pub plan_rule: PlanRule,
    pub equivalence: Option<Equivalence>,
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("ty", &self.ty)
            .field("mode", &self.mode)
            .field("sensitive", &self.sensitive)
            .field("plan_rule", &self.plan_rule)
            .finish_non_exhaustive()
    }
}

impl Attribute {
    pub fn new(name: impl Into<String>, ty: Type, mode: Mode) -> Self {
        Attribute {
            name: name.into(),
            ty,
            mode,
            sensitive: false,
            description: String::new(),
            validators: Vec::new(),
            plan_rule: PlanRule::default(),
            equivalence: None,
        }
    }

    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    pub fn validator(mut self, v: Validator) -> Self {
        self.validators.push(v);
        self
    }

    pub fn plan_rule(mut self, rule: PlanRule) -> Self {
        self.plan_rule = rule;
        self
    }

    pub fn equivalence(mut self, eq: Equivalence) -> Self {
        self.equivalence = Some(eq);
        self
    }
}

/// How a nested block repeats, as in the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one; absent means null.
    Single,
    List,
    Set,
}

#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
    /// Changes to a local-only block (such as `timeouts`) never reach the
    /// remote object, so they do not make the plan an update of it.
    pub local_only: bool,
}

impl NestedBlock {
    pub fn new(name: impl Into<String>, nesting: Nesting, block: Block) -> Self {
        NestedBlock {
            name: name.into(),
            nesting,
            block,
            min_items: 0,
            max_items: 0,
            local_only: false,
        }
    }

    pub fn local_only(mut self) -> Self {
        self.local_only = true;
        self
    }

    /// The cty type of the block's value in its parent object.
    pub fn value_type(&self) -> Type {
        let object = self.block.value_type();
        match self.nesting {
            Nesting::Single => object,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
}

impl Block {
    pub fn new() -> Self {
        Block::default()
    }

    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    /// The object type values of this block decode as.
    pub fn value_type(&self) -> Type {
        let mut attrs = BTreeMap::new();
        for a in &self.attributes {
            attrs.insert(a.name.clone(), a.ty.clone());
        }
        for b in &self.blocks {
            attrs.insert(b.name.clone(), b.value_type());
        }
        Type::Object(attrs)
    }

    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn find_block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.name == name)
    }

    /// An object of this block with every attribute null and every
    /// repeated block empty: the shape states start from.
    pub fn empty_object(&self) -> Value {
        let mut m = BTreeMap::new();
        for a in &self.attributes {
            m.insert(a.name.clone(), Value::Null);
        }
        for b in &self.blocks {
            let v = match b.nesting {
                Nesting::Single => Value::Null,
                Nesting::List => Value::List(Vec::new()),
                Nesting::Set => Value::Set(Vec::new()),
            };
            m.insert(b.name.clone(), v);
        }
        Value::Object(m)
    }
}

/// A versioned schema, as served by `GetSchema`.
#[derive(Debug, Clone)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(block: Block) -> Self {
        Schema { version: 0, block }
    }

    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}
