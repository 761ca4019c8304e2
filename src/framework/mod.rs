//! The declarative resource framework: schemas as data, validation, the
//! generic planning rules, provider functions, and the engine behind every
//! RPC. Resources are mostly tables plus small hooks; this layer never names
//! one of them and knows nothing of Graph.

mod diagnostics;
mod function;
mod plan;
mod provider;
mod resource;
mod schema;
pub mod timeouts;
mod validate;
pub mod validators;

pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use function::{Function, FunctionError, Parameter, call as call_function, check_arity};
pub use plan::remote_differs;
pub use provider::{PlanResponse, Provider, StateResponse};
pub use resource::{
    Context, CreateOutcome, DataSource, Plan, ProviderDefinition, ReadOutcome, Resource,
};
pub use schema::{Attribute, Block, Equivalence, Mode, NestedBlock, Nesting, PlanRule, Schema};
pub use timeouts::{Operation, Timeouts};
pub use validators::Validator;
