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

/// A managed resource type.
///
/// Hooks report problems as diagnostics. A hook that created something
/// remotely and then failed returns the partial state *with* the error, so
/// the object's id is saved (terraform marks it tainted) and never lost.
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
    ) -> Option<Value>;

    /// `None` when the remote object no longer exists. On any other failure
    /// it reports an error and returns the state it was given: a failed read
    /// must never look like drift or deletion.
    async fn read(
        &self,
        ctx: &Context<'_, C>,
        state: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;

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
