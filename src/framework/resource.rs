//! What a resource, a data source and the provider itself supply to the
//! engine: mostly a schema, plus small hooks for what the schema cannot say.
//!
//! `C` is the configured client the provider hands to every hook (for this
//! provider, the Graph client); the framework never looks inside it.

use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{Diagnostics, Schema, Timeouts};
use crate::value::{AttributePath, Value};

/// Everything a lifecycle hook may use besides the values themselves.
pub struct Context<'a, C> {
    pub client: &'a C,
    /// When the operation must give up, from the `timeouts` block.
    pub deadline: Instant,
    /// Opaque bytes the resource stored with the state last time.
    pub private: &'a [u8],
}

impl<C> Context<'_, C> {
    /// Time left before the deadline.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

/// A plan in the making, handed to [`Resource::plan`] after the engine has
/// applied the generic rules (configured values, equivalent values kept,
/// computed values unknown where they change, replacement paths).
#[derive(Debug)]
pub struct Plan {
    /// Null when the object is being created.
    pub prior: Value,
    pub config: Value,
    pub planned: Value,
    pub requires_replace: Vec<AttributePath>,
    /// True when the remote object will be updated in place.
    pub updates_remote: bool,
}

impl Plan {
    pub fn is_create(&self) -> bool {
        self.prior.is_null()
    }

    pub fn is_replace(&self) -> bool {
        !self.requires_replace.is_empty()
    }
}

/// What a refresh found. The engine decides what each means for
/// terraform, so no resource can turn a failed read into drift.
#[derive(Debug)]
pub enum ReadOutcome {
    /// The object exists; this is its state.
    Found(Value),
    /// The object no longer exists (deleted outside terraform): the engine
    /// removes it from state.
    Gone,
    /// The read failed (the diagnostics say why): the engine keeps the
    /// prior state unchanged.
    Failed,
}

impl ReadOutcome {
    /// From a read that answers `Ok(Some(state))` when found, `Ok(None)`
    /// when the object is gone and `Err(())` when it failed (its
    /// diagnostics already reported).
    pub fn from_fetch(fetched: Result<Option<Value>, ()>) -> ReadOutcome {
        match fetched {
            Ok(Some(state)) => ReadOutcome::Found(state),
            Ok(None) => ReadOutcome::Gone,
            Err(()) => ReadOutcome::Failed,
        }
    }
}

/// What a create did. Once the remote object exists its id must reach
/// terraform's state whatever fails afterwards, so "it exists but the rest
/// failed" is an outcome of its own rather than an error a hook could lose.
#[derive(Debug)]
pub enum CreateOutcome {
    /// Created and read back: the new state.
    Created(Value),
    /// The object exists with this id, but a later step failed (the
    /// diagnostics say which). The engine saves the planned values with this
    /// id, and terraform marks the resource tainted, to be replaced.
    Partial { id: String },
    /// Nothing was created (the diagnostics say why): no state.
    NotCreated,
}

/// A managed resource type.
///
/// Hooks report problems as diagnostics; what terraform then keeps in state
/// follows from the outcome they return ([`ReadOutcome`],
/// [`CreateOutcome`]).
#[async_trait]
pub trait Resource<C: Send + Sync>: Send + Sync {
    fn type_name(&self) -> &str;

    /// The schema without the `timeouts` block, which the engine adds from
    /// [`Resource::timeouts`].
    fn schema(&self) -> &Schema;

    fn timeouts(&self) -> Timeouts {
        Timeouts::default()
    }

    /// Cross-attribute checks the per-attribute validators cannot make.
    /// Runs at validation and again at plan, when more values are known.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Adjusts the plan: derived values, checks that need the client.
    /// `client` is `None` when the provider is not configured yet.
    async fn plan(&self, _client: Option<&C>, _plan: &mut Plan, _diags: &mut Diagnostics) {}

    async fn create(
        &self,
        ctx: &Context<'_, C>,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> CreateOutcome;

    /// Refreshes `state` from the remote object. A 404 means
    /// [`ReadOutcome::Gone`] only here, never right after this provider's
    /// own write.
    async fn read(
        &self,
        ctx: &Context<'_, C>,
        state: &Value,
        diags: &mut Diagnostics,
    ) -> ReadOutcome;

    /// Updates in place; `None` when the update failed (the engine keeps
    /// the prior state).
    async fn update(
        &self,
        ctx: &Context<'_, C>,
        prior: &Value,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;

    async fn delete(&self, ctx: &Context<'_, C>, prior: &Value, diags: &mut Diagnostics);

    /// The state for `terraform import` of `id`; terraform reads it next.
    async fn import(
        &self,
        ctx: &Context<'_, C>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value>;
}

/// A data source type.
#[async_trait]
pub trait DataSource<C: Send + Sync>: Send + Sync {
    fn type_name(&self) -> &str;
    fn schema(&self) -> &Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Read timeout for the whole lookup.
    fn timeout(&self) -> Duration {
        Timeouts::default().read
    }
    async fn read(
        &self,
        ctx: &Context<'_, C>,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;
}

/// The provider block: its schema and how it becomes a client.
#[async_trait]
pub trait ProviderDefinition: Send + Sync + 'static {
    type Client: Send + Sync + 'static;

    fn schema(&self) -> &Schema;

    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Builds the client from the provider block. Returns `None` (with an
    /// error diagnostic) when it cannot.
    async fn configure(
        &self,
        config: &Value,
        terraform_version: &str,
        diags: &mut Diagnostics,
    ) -> Option<Self::Client>;

    /// Terraform was interrupted: make in-flight waits and retries end.
    fn stop(&self, _client: &Self::Client) {}
}
