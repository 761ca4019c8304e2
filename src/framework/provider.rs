//! The engine: the registry of resources and data sources and the
//! operations behind each protocol RPC, in terms of decoded values. The
//! protocol layer decodes, calls one of these, and encodes the answer.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use tokio::sync::watch;

use super::function::{self, Function, FunctionError};
use super::plan::plan_object;
use super::resource::{
    Context, CreateOutcome, DataSource, ProviderDefinition, ReadOutcome, Resource,
};
use super::timeouts::{Operation, Timeouts};
use super::validate::validate_block;
use super::{Diagnostic, Diagnostics, Schema};
use crate::value::{AttributePath, Value};

/// A registered resource type with its effective schema (timeouts added).
struct ResourceEntry<C> {
    resource: Arc<dyn Resource<C>>,
    schema: Schema,
    timeouts: Timeouts,
}

struct DataSourceEntry<C> {
    data_source: Arc<dyn DataSource<C>>,
}

/// Answer to `PlanResourceChange`.
#[derive(Debug, Default)]
pub struct PlanResponse {
    pub planned: Value,
    pub requires_replace: Vec<AttributePath>,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

/// Answer to `ApplyResourceChange` and `ReadResource`.
#[derive(Debug, Default)]
pub struct StateResponse {
    /// Null when the object is gone (destroyed, or deleted outside).
    pub state: Value,
    /// What to hand terraform instead, in order, if `state` cannot be
    /// encoded (a provider bug): the prior state, or after a create the
    /// planned values with the new id and then the id alone, so that an
    /// object Graph holds is never orphaned. Empty when there is nothing to
    /// keep.
    pub fallbacks: Vec<Value>,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct Provider<D: ProviderDefinition> {
    definition: D,
    resources: BTreeMap<String, ResourceEntry<D::Client>>,
    data_sources: BTreeMap<String, DataSourceEntry<D::Client>>,
    functions: BTreeMap<String, Arc<dyn Function>>,
    client: RwLock<Option<Arc<D::Client>>>,
    /// Set once by Stop; a configure in progress gives up when it is.
    stopped: watch::Sender<bool>,
}

impl<D: ProviderDefinition> Provider<D> {
    pub fn new(definition: D) -> Self {
        Provider {
            definition,
            resources: BTreeMap::new(),
            data_sources: BTreeMap::new(),
            functions: BTreeMap::new(),
            client: RwLock::new(None),
            stopped: watch::channel(false).0,
        }
    }

    pub fn with_resource(mut self, resource: Arc<dyn Resource<D::Client>>) -> Self {
        let timeouts = resource.timeouts();
        let mut schema = resource.schema().clone();
        schema.block.blocks.push(timeouts.block());
        self.resources.insert(
            resource.type_name().to_string(),
            ResourceEntry {
                resource,
                schema,
                timeouts,
            },
        );
        self
    }

    pub fn with_data_source(mut self, data_source: Arc<dyn DataSource<D::Client>>) -> Self {
        self.data_sources.insert(
            data_source.type_name().to_string(),
            DataSourceEntry { data_source },
        );
        self
    }

    /// Registers a provider function, announced to terraform 1.8 and later.
    pub fn with_function(mut self, function: Arc<dyn Function>) -> Self {
        self.functions.insert(function.name().to_string(), function);
        self
    }

    /// Every registered function, by name.
    pub fn functions(&self) -> impl Iterator<Item = (&str, &dyn Function)> {
        self.functions.iter().map(|(k, f)| (k.as_str(), f.as_ref()))
    }

    /// The function terraform calls `name`, or the error to answer with.
    pub fn function(&self, name: &str) -> Result<&dyn Function, FunctionError> {
        self.functions
            .get(name)
            .map(|f| f.as_ref())
            .ok_or_else(|| FunctionError::call(format!("this provider has no function {name}")))
    }

    /// `CallFunction`: the arguments checked against the signature, then
    /// the function. Needs no configured client.
    pub fn call_function(&self, name: &str, args: &[Value]) -> Result<Value, FunctionError> {
        function::call(self.function(name)?, args)
    }

    pub fn provider_schema(&self) -> &Schema {
        self.definition.schema()
    }

    /// Effective schemas of all resources, by type name.
    pub fn resource_schemas(&self) -> impl Iterator<Item = (&str, &Schema)> {
        self.resources.iter().map(|(k, e)| (k.as_str(), &e.schema))
    }

    pub fn data_source_schemas(&self) -> impl Iterator<Item = (&str, &Schema)> {
        self.data_sources
            .iter()
            .map(|(k, e)| (k.as_str(), e.data_source.schema()))
    }

    /// The schema values of `type_name` decode with.
    pub fn resource_schema(&self, type_name: &str) -> Result<&Schema, Diagnostic> {
        self.resources
            .get(type_name)
            .map(|e| &e.schema)
            .ok_or_else(|| unknown_type("resource", type_name))
    }

    pub fn data_source_schema(&self, type_name: &str) -> Result<&Schema, Diagnostic> {
        self.data_sources
            .get(type_name)
            .map(|e| e.data_source.schema())
            .ok_or_else(|| unknown_type("data source", type_name))
    }

    pub fn validate_provider_config(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        validate_block(
            &self.definition.schema().block,
            config,
            &AttributePath::root(),
            &mut diags,
        );
        self.definition.validate(config, &mut diags);
        diags
    }

    /// Validates the provider block and has the definition build the
    /// client. Stop ends it: the definition's work (a sign-in, say) is
    /// dropped and an error diagnostic says why.
    pub async fn configure(&self, config: &Value, terraform_version: &str) -> Diagnostics {
        let mut diags = self.validate_provider_config(config);
        if diags.has_errors() {
            return diags;
        }
        let mut stop = self.stopped.subscribe();
        let configured = tokio::select! {
            biased;
            () = stopped(&mut stop) => None,
            client = self.definition.configure(config, terraform_version, &mut diags) => Some(client),
        };
        match configured {
            None => diags.error(
                "Provider stopped",
                "Terraform asked the provider to stop while it was being configured, so configuration was \
                 abandoned.",
            ),
            Some(Some(client)) => {
                let client = Arc::new(client);
                if let Ok(mut slot) = self.client.write() {
                    *slot = Some(client.clone());
                }
                // A Stop that came while the client was being stored found
                // no client to stop.
                if *self.stopped.borrow() {
                    self.definition.stop(&client);
                }
            }
            Some(None) => {}
        }
        diags
    }

    /// Terraform's Stop: the stored client is stopped, a configure in
    /// progress gives up, and a client stored later is stopped at once.
    pub fn stop(&self) {
        self.stopped.send_replace(true);
        if let Some(client) = self.client() {
            self.definition.stop(&client);
        }
    }

    fn client(&self) -> Option<Arc<D::Client>> {
        self.client.read().ok().and_then(|c| c.clone())
    }

    fn require_client(&self, diags: &mut Diagnostics) -> Option<Arc<D::Client>> {
        let client = self.client();
        if client.is_none() {
            diags.error(
                "Provider not configured",
                "The intune provider was used before it was configured. This usually means its \
                 configuration depends on values known only after apply; make them known at plan time.",
            );
        }
        client
    }

    fn entry(&self, type_name: &str, diags: &mut Diagnostics) -> Option<&ResourceEntry<D::Client>> {
        match self.resources.get(type_name) {
            Some(e) => Some(e),
            None => {
                diags.push(unknown_type("resource", type_name));
                None
            }
        }
    }

    pub fn validate_resource_config(&self, type_name: &str, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if let Some(entry) = self.entry(type_name, &mut diags) {
            validate_block(
                &entry.schema.block,
                config,
                &AttributePath::root(),
                &mut diags,
            );
            entry.resource.validate(config, &mut diags);
        }
        diags
    }

    pub fn validate_data_source_config(&self, type_name: &str, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        match self.data_sources.get(type_name) {
            Some(e) => {
                validate_block(
                    &e.data_source.schema().block,
                    config,
                    &AttributePath::root(),
                    &mut diags,
                );
                e.data_source.validate(config, &mut diags);
            }
            None => diags.push(unknown_type("data source", type_name)),
        }
        diags
    }

    /// Decodes state stored by an earlier run. The schema is at version 0,
    /// so upgrading means decoding the JSON under the current schema, which
    /// tolerates attributes that were added (null) or removed (ignored).
    pub fn upgrade_resource_state(
        &self,
        type_name: &str,
        version: i64,
        json: &[u8],
    ) -> (Value, Diagnostics) {
        let mut diags = Diagnostics::new();
        let Some(entry) = self.entry(type_name, &mut diags) else {
            return (Value::Null, diags);
        };
        if version > entry.schema.version {
            diags.error(
                "State from a newer provider",
                format!(
                    "This {type_name} was saved by a newer version of the provider (schema version \
                     {version}, this one knows {}). Upgrade the provider.",
                    entry.schema.version
                ),
            );
            return (Value::Null, diags);
        }
        match crate::value::json::decode(json, &entry.schema.value_type()) {
            Ok(v) => (v, diags),
            Err(e) => {
                diags.push(e.into());
                (Value::Null, diags)
            }
        }
    }

    pub async fn read_resource(
        &self,
        type_name: &str,
        state: &Value,
        private: &[u8],
    ) -> StateResponse {
        let mut diags = Diagnostics::new();
        let respond = |new_state: Value, diagnostics| StateResponse {
            state: new_state,
            fallbacks: vec![state.clone()],
            private: private.to_vec(),
            diagnostics,
        };
        let Some(entry) = self.entry(type_name, &mut diags) else {
            return respond(state.clone(), diags);
        };
        if state.is_null() {
            return respond(Value::Null, diags);
        }
        let Some(client) = self.require_client(&mut diags) else {
            return respond(state.clone(), diags);
        };
        let ctx = Context {
            client: &*client,
            deadline: deadline(&entry.timeouts, state, Operation::Read),
            private,
        };
        let new_state = match entry.resource.read(&ctx, state, &mut diags).await {
            ReadOutcome::Found(mut v) => {
                carry_local_blocks(&entry.schema, state, &mut v);
                ensure_known(&mut v, &mut diags);
                v
            }
            ReadOutcome::Gone => Value::Null,
            // A failed read is never drift: the prior state stays.
            ReadOutcome::Failed => {
                require_error(&mut diags, "read");
                state.clone()
            }
        };
        respond(new_state, diags)
    }

    pub async fn plan_resource_change(
        &self,
        type_name: &str,
        prior: &Value,
        proposed: &Value,
        config: &Value,
        prior_private: &[u8],
    ) -> PlanResponse {
        let mut diags = Diagnostics::new();
        let Some(entry) = self.entry(type_name, &mut diags) else {
            return PlanResponse {
                planned: proposed.clone(),
                diagnostics: diags,
                ..Default::default()
            };
        };
        if proposed.is_null() {
            // Destroy: nothing to plan.
            return PlanResponse {
                planned: Value::Null,
                private: prior_private.to_vec(),
                ..Default::default()
            };
        }
        validate_block(
            &entry.schema.block,
            config,
            &AttributePath::root(),
            &mut diags,
        );
        entry.resource.validate(config, &mut diags);
        if diags.has_errors() {
            return PlanResponse {
                planned: proposed.clone(),
                diagnostics: diags,
                ..Default::default()
            };
        }
        let mut plan = plan_object(&entry.schema.block, prior, proposed, config);
        let client = self.client();
        entry
            .resource
            .plan(client.as_deref(), &mut plan, &mut diags)
            .await;
        PlanResponse {
            planned: plan.planned,
            requires_replace: plan.requires_replace,
            private: prior_private.to_vec(),
            diagnostics: diags,
        }
    }

    pub async fn apply_resource_change(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
        planned_private: &[u8],
    ) -> StateResponse {
        let mut diags = Diagnostics::new();
        let respond = |state: Value, fallbacks: Vec<Value>, diagnostics| StateResponse {
            state,
            fallbacks,
            private: planned_private.to_vec(),
            diagnostics,
        };
        let Some(entry) = self.entry(type_name, &mut diags) else {
            return respond(prior.clone(), vec![prior.clone()], diags);
        };
        let Some(client) = self.require_client(&mut diags) else {
            return respond(prior.clone(), vec![prior.clone()], diags);
        };
        let resource = &entry.resource;
        let op = match (prior.is_null(), planned.is_null()) {
            (_, true) => Operation::Delete,
            (true, false) => Operation::Create,
            (false, false) => Operation::Update,
        };
        let timeouts_from = if op == Operation::Delete {
            prior
        } else {
            planned
        };
        let ctx = Context {
            client: &*client,
            deadline: deadline(&entry.timeouts, timeouts_from, op),
            private: planned_private,
        };
        match op {
            Operation::Delete => {
                resource.delete(&ctx, prior, &mut diags).await;
                // A failed delete leaves the object in place and in state.
                if diags.has_errors() {
                    respond(prior.clone(), vec![prior.clone()], diags)
                } else {
                    StateResponse {
                        diagnostics: diags,
                        ..Default::default()
                    }
                }
            }
            Operation::Create => match resource.create(&ctx, planned, &mut diags).await {
                CreateOutcome::Created(mut v) => {
                    self.finish_apply(entry, planned, &mut v, &mut diags);
                    let id = v.get("id").clone();
                    let fallbacks = created_fallbacks(&entry.schema, planned, &id);
                    respond(v, fallbacks, diags)
                }
                CreateOutcome::Partial { id } => {
                    // The object exists: its id goes to state, terraform
                    // taints it, and the next apply replaces it.
                    require_error(&mut diags, "create");
                    let mut fallbacks =
                        created_fallbacks(&entry.schema, planned, &Value::string(id));
                    let v = fallbacks.remove(0);
                    respond(v, fallbacks, diags)
                }
                CreateOutcome::NotCreated => {
                    require_error(&mut diags, "create");
                    respond(Value::Null, Vec::new(), diags)
                }
            },
            _ => match resource.update(&ctx, prior, planned, &mut diags).await {
                Some(mut v) => {
                    self.finish_apply(entry, planned, &mut v, &mut diags);
                    respond(v, vec![prior.clone()], diags)
                }
                // A failed update keeps the prior state.
                None => {
                    require_error(&mut diags, "update");
                    respond(prior.clone(), vec![prior.clone()], diags)
                }
            },
        }
    }

    /// The engine's last word on a state a create or update returned:
    /// configured values Graph answered in an equivalent form keep the
    /// planned form (so terraform never sees an inconsistent result), local
    /// blocks come from the plan, and nothing is left unknown.
    fn finish_apply(
        &self,
        entry: &ResourceEntry<D::Client>,
        planned: &Value,
        state: &mut Value,
        diags: &mut Diagnostics,
    ) {
        keep_planned_equivalents(&entry.schema, planned, state);
        carry_local_blocks(&entry.schema, planned, state);
        ensure_known(state, diags);
    }

    pub async fn import_resource_state(&self, type_name: &str, id: &str) -> StateResponse {
        let mut diags = Diagnostics::new();
        let Some(entry) = self.entry(type_name, &mut diags) else {
            return StateResponse {
                diagnostics: diags,
                ..Default::default()
            };
        };
        let Some(client) = self.require_client(&mut diags) else {
            return StateResponse {
                diagnostics: diags,
                ..Default::default()
            };
        };
        let ctx = Context {
            client: &*client,
            deadline: Instant::now() + entry.timeouts.read,
            private: &[],
        };
        let state = match entry.resource.import(&ctx, id, &mut diags).await {
            Some(mut v) => {
                carry_local_blocks(&entry.schema, &Value::Null, &mut v);
                ensure_known(&mut v, &mut diags);
                v
            }
            None => Value::Null,
        };
        StateResponse {
            state,
            diagnostics: diags,
            ..Default::default()
        }
    }

    pub async fn read_data_source(&self, type_name: &str, config: &Value) -> (Value, Diagnostics) {
        let mut diags = Diagnostics::new();
        let Some(entry) = self.data_sources.get(type_name) else {
            diags.push(unknown_type("data source", type_name));
            return (Value::Null, diags);
        };
        let Some(client) = self.require_client(&mut diags) else {
            return (Value::Null, diags);
        };
        let ctx = Context {
            client: &*client,
            deadline: Instant::now() + entry.data_source.timeout(),
            private: &[],
        };
        let state = match entry.data_source.read(&ctx, config, &mut diags).await {
            Some(mut v) => {
                ensure_known(&mut v, &mut diags);
                v
            }
            None => config.clone(),
        };
        (state, diags)
    }
}

/// Resolves once Stop has been called.
async fn stopped(receiver: &mut watch::Receiver<bool>) {
    // The sender lives in the provider, which outlives every configure.
    let _ = receiver.wait_for(|stopped| *stopped).await;
}

fn deadline(timeouts: &Timeouts, object: &Value, op: Operation) -> Instant {
    Instant::now() + timeouts.for_operation(object, op)
}

fn unknown_type(what: &str, type_name: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Unknown {what} type"),
        format!("This provider has no {what} named {type_name:?}."),
    )
}

/// Local-only blocks (`timeouts`) are not remote data: a new state takes
/// them from the plan or prior state it replaces. Attributes a resource
/// left out are filled in (null, or an empty repeated block) so the state
/// always has the schema's shape.
fn carry_local_blocks(schema: &Schema, from: &Value, to: &mut Value) {
    for nb in schema.block.blocks.iter().filter(|b| b.local_only) {
        to.set(&nb.name, from.get(&nb.name).clone());
    }
    let Some(obj) = to.as_object_mut() else {
        return;
    };
    if let Value::Object(empty) = schema.block.empty_object() {
        for (k, v) in empty {
            obj.entry(k).or_insert(v);
        }
    }
}

/// The states that keep a created object `id` in terraform's state when
/// the real one cannot be used, best first: the planned values with the id
/// (what Graph computes, unknown in the plan, null), then the id alone
/// (and the plan's local blocks), the least terraform needs to track, and
/// later delete, the object. Empty when the id is not known.
fn created_fallbacks(schema: &Schema, planned: &Value, id: &Value) -> Vec<Value> {
    if id.is_null() || id.is_unknown() {
        return Vec::new();
    }
    let mut with_plan = planned.clone();
    with_plan.set("id", id.clone());
    null_unknowns(&mut with_plan);
    carry_local_blocks(schema, planned, &mut with_plan);
    let mut id_only = schema.block.empty_object();
    id_only.set("id", id.clone());
    carry_local_blocks(schema, planned, &mut id_only);
    vec![with_plan, id_only]
}

/// Top-level attributes whose new value differs from a known planned value
/// only in a way the attribute's equivalence accepts (a GUID's case, a
/// certificate's encoding) take the planned value back.
fn keep_planned_equivalents(schema: &Schema, planned: &Value, state: &mut Value) {
    for attr in &schema.block.attributes {
        let Some(eq) = &attr.equivalence else {
            continue;
        };
        let want = planned.get(&attr.name);
        if want.is_null() || want.is_unknown() {
            continue;
        }
        let got = state.get(&attr.name);
        if got != want && eq(want, got) {
            let want = want.clone();
            state.set(&attr.name, want);
        }
    }
}

/// Unknown values become null (what Graph computes is not known after a
/// failed create).
fn null_unknowns(value: &mut Value) {
    ensure_known(value, &mut Diagnostics::new());
}

/// A hook that reports failure must say why; one that forgot gets a generic
/// error rather than a silent success.
fn require_error(diags: &mut Diagnostics, verb: &str) {
    if !diags.has_errors() {
        diags.error(
            format!("Failed to {verb} the resource"),
            "The provider reported no reason. This is a bug in the provider; please report it.",
        );
    }
}

/// A state must be wholly known. Unknowns left over are a provider bug;
/// they become null with an error, rather than a protocol failure.
fn ensure_known(value: &mut Value, diags: &mut Diagnostics) {
    fn walk(v: &mut Value, path: &AttributePath, bad: &mut Vec<AttributePath>) {
        match v {
            Value::Unknown => {
                *v = Value::Null;
                bad.push(path.clone());
            }
            Value::Object(m) => {
                for (k, item) in m.iter_mut() {
                    walk(item, &path.attribute(k), bad);
                }
            }
            Value::Map(m) => {
                for (k, item) in m.iter_mut() {
                    walk(item, &path.key(k), bad);
                }
            }
            Value::List(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    walk(item, &path.index(i as i64), bad);
                }
            }
            Value::Set(items) => {
                for item in items.iter_mut() {
                    walk(item, path, bad);
                }
            }
            _ => {}
        }
    }
    let mut bad = Vec::new();
    walk(value, &AttributePath::root(), &mut bad);
    for path in bad {
        diags.push(
            Diagnostic::error(
                "Provider left a value unknown",
                "The provider did not determine this value after the operation. This is a bug in the provider; please report it.",
            )
            .at(path),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{OnceLock, Weak};
    use std::time::Duration;

    use async_trait::async_trait;

    use super::*;
    use crate::framework::Block;

    #[derive(Default)]
    struct Client {
        stopped: AtomicBool,
    }

    /// How the test definition's configure behaves.
    #[derive(Clone, Copy)]
    enum Configure {
        /// Never finishes (a sign-in that hangs).
        Hangs,
        /// Terraform's Stop arrives just as the client is built.
        StoppedOnTheWay,
    }

    /// Set when the definition's configure future is dropped unfinished.
    struct DroppedFlag(Arc<AtomicBool>);

    impl Drop for DroppedFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    struct Definition {
        schema: Schema,
        behaviour: Configure,
        abandoned: Arc<AtomicBool>,
        provider: OnceLock<Weak<Provider<Definition>>>,
    }

    #[async_trait]
    impl ProviderDefinition for Definition {
        type Client = Client;

        fn schema(&self) -> &Schema {
            &self.schema
        }

        async fn configure(
            &self,
            _config: &Value,
            _terraform_version: &str,
            _diags: &mut Diagnostics,
        ) -> Option<Client> {
            let guard = DroppedFlag(self.abandoned.clone());
            match self.behaviour {
                Configure::Hangs => std::future::pending::<()>().await,
                Configure::StoppedOnTheWay => {
                    if let Some(provider) = self.provider.get().and_then(Weak::upgrade) {
                        provider.stop();
                    }
                }
            }
            std::mem::forget(guard);
            Some(Client::default())
        }

        fn stop(&self, client: &Client) {
            client.stopped.store(true, Ordering::SeqCst);
        }
    }

    fn provider(behaviour: Configure) -> (Arc<Provider<Definition>>, Arc<AtomicBool>) {
        let abandoned = Arc::new(AtomicBool::new(false));
        let provider = Arc::new(Provider::new(Definition {
            schema: Schema::new(Block::new()),
            behaviour,
            abandoned: abandoned.clone(),
            provider: OnceLock::new(),
        }));
        let _ = provider.definition.provider.set(Arc::downgrade(&provider));
        (provider, abandoned)
    }

    #[test]
    fn equivalent_answers_keep_the_planned_form() {
        use crate::framework::{Attribute, Mode};
        use crate::value::Type;
        let same_guid = Arc::new(|a: &Value, b: &Value| match (a.as_str(), b.as_str()) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        });
        let schema = Schema::new(
            Block::new()
                .attribute(Attribute::new("id", Type::String, Mode::Computed))
                .attribute(
                    Attribute::new("group", Type::String, Mode::Optional).equivalence(same_guid),
                )
                .attribute(Attribute::new("name", Type::String, Mode::Optional)),
        );
        let mut planned = schema.block.empty_object();
        planned.set("group", Value::string("ABC-1"));
        planned.set("name", Value::string("Wi-Fi"));
        // Graph answered the GUID in lower case and changed the name: only
        // the equivalent value takes the planned form back.
        let mut answered = planned.clone();
        answered.set("id", Value::string("x"));
        answered.set("group", Value::string("abc-1"));
        answered.set("name", Value::string("wi-fi"));
        keep_planned_equivalents(&schema, &planned, &mut answered);
        assert_eq!(answered.get("group"), &Value::string("ABC-1"));
        assert_eq!(answered.get("name"), &Value::string("wi-fi"));
        assert_eq!(answered.get("id"), &Value::string("x"));
    }

    #[tokio::test]
    async fn stop_ends_a_configure_in_progress() {
        let (provider, abandoned) = provider(Configure::Hangs);
        let config = provider.provider_schema().block.empty_object();
        let configuring = {
            let provider = provider.clone();
            tokio::spawn(async move { provider.configure(&config, "1.11.4").await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        provider.stop();
        let diags = tokio::time::timeout(Duration::from_secs(2), configuring)
            .await
            .expect("configure gave up after Stop")
            .expect("no panic");
        let summaries: Vec<&str> = diags.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(summaries, ["Provider stopped"]);
        assert!(diags.has_errors());
        assert!(
            abandoned.load(Ordering::SeqCst),
            "the definition's work was dropped"
        );
        assert!(provider.client().is_none());
    }

    #[tokio::test]
    async fn a_client_stored_after_stop_is_stopped() {
        let (provider, _) = provider(Configure::StoppedOnTheWay);
        let config = provider.provider_schema().block.empty_object();
        let diags = provider.configure(&config, "1.11.4").await;
        assert!(!diags.has_errors(), "{diags:?}");
        let client = provider.client().expect("the client is stored");
        assert!(client.stopped.load(Ordering::SeqCst));
    }
}
