//! The tfplugin5 `Provider` service. Every RPC that carries Terraform values
//! has the same shape, written once in [`adapt`]: look the type's schema up,
//! decode the request's values against it, run the framework engine, encode
//! its answer. Each handler is then a thin adapter that only says which
//! values to decode, which engine operation to call and how its answer maps
//! onto the response message (as terraform-plugin-framework's proto5server
//! does). A type or value that does not decode becomes a diagnostic, never a
//! gRPC error, so terraform shows it like any other problem.
//!
//! Provider functions (`GetFunctions`, `CallFunction`) have their own shape:
//! one typed value per argument, and a `FunctionError` instead of
//! diagnostics. Terraform before 1.8 ignores the functions announced.
//!
//! RPCs the provider does not implement answer UNIMPLEMENTED, and nothing in
//! `GetSchema` or `GetMetadata` announces them.

use std::pin::Pin;
use std::sync::Arc;

use futures_util::Stream;
use tonic::{Request, Response, Status};
use tracing::{Instrument, info_span};

use super::convert::{self, decode, encode};
use super::tfplugin5 as pb;
use crate::framework::{
    Diagnostic, Diagnostics, FunctionError, Provider, ProviderDefinition, Schema, StateResponse,
    check_arity,
};
use crate::value::{Type, Value};

/// The tonic service terraform talks to, over one provider's engine.
pub struct ProviderService<D: ProviderDefinition> {
    provider: Arc<Provider<D>>,
}

impl<D: ProviderDefinition> ProviderService<D> {
    pub fn new(provider: Arc<Provider<D>>) -> Self {
        ProviderService { provider }
    }
}

type RpcResult<T> = Result<Response<T>, Status>;

/// The one shape of every RPC that carries values: `schema` (the type's
/// schema, or why there is none) types the `values`; when they all decode,
/// `engine` runs on them and `encode` turns its answer into the response.
/// Otherwise the engine is not called and `rejected` builds the response
/// from the diagnostic.
async fn adapt<const N: usize, A, R>(
    schema: Result<&Schema, Diagnostic>,
    values: [Option<&pb::DynamicValue>; N],
    rejected: impl FnOnce(Vec<pb::Diagnostic>) -> R,
    engine: impl AsyncFnOnce([Value; N]) -> A,
    encode: impl FnOnce(A, &Type) -> R,
) -> RpcResult<R> {
    let response = match decode_values(schema, values) {
        Err(d) => rejected(errors(d)),
        Ok((ty, values)) => encode(engine(values).await, &ty),
    };
    Ok(Response::new(response))
}

fn errors(d: Diagnostic) -> Vec<pb::Diagnostic> {
    vec![convert::diagnostic(d)]
}

#[tonic::async_trait]
impl<D: ProviderDefinition> pb::provider_server::Provider for ProviderService<D> {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> RpcResult<pb::get_metadata::Response> {
        let p = &self.provider;
        // Every field is named: a field a later protocol adds must be
        // decided here, not defaulted silently.
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            diagnostics: Vec::new(),
            data_sources: p
                .data_source_schemas()
                .map(|(name, _)| pb::get_metadata::DataSourceMetadata {
                    type_name: name.to_string(),
                })
                .collect(),
            resources: p
                .resource_schemas()
                .map(|(name, _)| pb::get_metadata::ResourceMetadata {
                    type_name: name.to_string(),
                })
                .collect(),
            functions: p
                .functions()
                .map(|(name, _)| pb::get_metadata::FunctionMetadata {
                    name: name.to_string(),
                })
                .collect(),
            ephemeral_resources: Vec::new(),
            list_resources: Vec::new(),
            actions: Vec::new(),
        }))
    }

    async fn get_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> RpcResult<pb::get_provider_schema::Response> {
        let p = &self.provider;
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(convert::schema(p.provider_schema())),
            resource_schemas: p
                .resource_schemas()
                .map(|(n, s)| (n.to_string(), convert::schema(s)))
                .collect(),
            data_source_schemas: p
                .data_source_schemas()
                .map(|(n, s)| (n.to_string(), convert::schema(s)))
                .collect(),
            functions: function_schemas(p),
            ephemeral_resource_schemas: Default::default(),
            list_resource_schemas: Default::default(),
            action_schemas: Default::default(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(capabilities()),
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> RpcResult<pb::get_resource_identity_schemas::Response> {
        // No resource declares an identity; an empty answer says so.
        Ok(Response::new(Default::default()))
    }

    async fn prepare_provider_config(
        &self,
        request: Request<pb::prepare_provider_config::Request>,
    ) -> RpcResult<pb::prepare_provider_config::Response> {
        let req = request.into_inner();
        adapt(
            Ok(self.provider.provider_schema()),
            [req.config.as_ref()],
            |diagnostics| pb::prepare_provider_config::Response {
                diagnostics,
                ..Default::default()
            },
            async |[config]| self.provider.validate_provider_config(&config),
            |diags, _| pb::prepare_provider_config::Response {
                // Terraform ignores the prepared config; echo what it sent.
                prepared_config: req.config.clone(),
                diagnostics: convert::diagnostics(diags),
            },
        )
        .await
    }

    async fn validate_resource_type_config(
        &self,
        request: Request<pb::validate_resource_type_config::Request>,
    ) -> RpcResult<pb::validate_resource_type_config::Response> {
        let req = request.into_inner();
        let reply = |diagnostics| pb::validate_resource_type_config::Response { diagnostics };
        adapt(
            self.provider.resource_schema(&req.type_name),
            [req.config.as_ref()],
            reply,
            async |[config]| {
                self.provider
                    .validate_resource_config(&req.type_name, &config)
            },
            |diags, _| reply(convert::diagnostics(diags)),
        )
        .await
    }

    async fn validate_data_source_config(
        &self,
        request: Request<pb::validate_data_source_config::Request>,
    ) -> RpcResult<pb::validate_data_source_config::Response> {
        let req = request.into_inner();
        let reply = |diagnostics| pb::validate_data_source_config::Response { diagnostics };
        adapt(
            self.provider.data_source_schema(&req.type_name),
            [req.config.as_ref()],
            reply,
            async |[config]| {
                self.provider
                    .validate_data_source_config(&req.type_name, &config)
            },
            |diags, _| reply(convert::diagnostics(diags)),
        )
        .await
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        let req = request.into_inner();
        let raw = req.raw_state.unwrap_or_default();
        let reply = |upgraded_state, diagnostics| pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics,
        };
        // The stored state is raw JSON, not a dynamic value: the engine
        // decodes it, so only the type is looked up here.
        adapt(
            self.provider.resource_schema(&req.type_name),
            [],
            |d| reply(None, d),
            async |[]| {
                stored_json(&raw).map(|json| {
                    json.map(|json| {
                        self.provider
                            .upgrade_resource_state(&req.type_name, req.version, json)
                    })
                })
            },
            |upgraded, ty| match upgraded {
                Err(d) => reply(None, errors(d)),
                Ok(None) => reply(None, Vec::new()),
                Ok(Some((_, diags))) if diags.has_errors() => {
                    reply(None, convert::diagnostics(diags))
                }
                Ok(Some((state, diags))) => match encode(&state, ty) {
                    Ok(dv) => reply(Some(dv), convert::diagnostics(diags)),
                    Err(d) => reply(None, errors(d)),
                },
            },
        )
        .await
    }

    async fn configure(
        &self,
        request: Request<pb::configure::Request>,
    ) -> RpcResult<pb::configure::Response> {
        let req = request.into_inner();
        let reply = |diagnostics| pb::configure::Response { diagnostics };
        adapt(
            Ok(self.provider.provider_schema()),
            [req.config.as_ref()],
            reply,
            async |[config]| {
                self.provider
                    .configure(&config, &req.terraform_version)
                    .instrument(info_span!("configure"))
                    .await
            },
            |diags, _| reply(convert::diagnostics(diags)),
        )
        .await
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> RpcResult<pb::read_resource::Response> {
        let req = request.into_inner();
        adapt(
            self.provider.resource_schema(&req.type_name),
            [req.current_state.as_ref()],
            // What terraform sent stays its state.
            |diagnostics| pb::read_resource::Response {
                new_state: req.current_state.clone(),
                diagnostics,
                private: req.private.clone(),
                ..Default::default()
            },
            async |[state]| {
                self.provider
                    .read_resource(&req.type_name, &state, &req.private)
                    .instrument(info_span!("read", resource = %req.type_name))
                    .await
            },
            |resp, ty| {
                let (new_state, private, diagnostics) = encode_state_response(resp, ty);
                pb::read_resource::Response {
                    new_state,
                    diagnostics,
                    private,
                    ..Default::default()
                }
            },
        )
        .await
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        let req = request.into_inner();
        adapt(
            self.provider.resource_schema(&req.type_name),
            [
                req.prior_state.as_ref(),
                req.proposed_new_state.as_ref(),
                req.config.as_ref(),
            ],
            |diagnostics| pb::plan_resource_change::Response {
                diagnostics,
                ..Default::default()
            },
            async |[prior, proposed, config]| {
                self.provider
                    .plan_resource_change(
                        &req.type_name,
                        &prior,
                        &proposed,
                        &config,
                        &req.prior_private,
                    )
                    .instrument(info_span!("plan", resource = %req.type_name))
                    .await
            },
            |resp, ty| {
                let mut diags = resp.diagnostics;
                let planned_state = encode_or_report(&resp.planned, ty, &mut diags);
                pb::plan_resource_change::Response {
                    planned_state,
                    requires_replace: resp.requires_replace.iter().map(convert::path).collect(),
                    planned_private: resp.private,
                    diagnostics: convert::diagnostics(diags),
                    ..Default::default()
                }
            },
        )
        .await
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        let req = request.into_inner();
        adapt(
            self.provider.resource_schema(&req.type_name),
            [req.prior_state.as_ref(), req.planned_state.as_ref()],
            // Nothing was applied: the prior state stays.
            |diagnostics| pb::apply_resource_change::Response {
                new_state: req.prior_state.clone(),
                diagnostics,
                ..Default::default()
            },
            async |[prior, planned]| {
                self.provider
                    .apply_resource_change(&req.type_name, &prior, &planned, &req.planned_private)
                    .instrument(info_span!("apply", resource = %req.type_name))
                    .await
            },
            |resp, ty| {
                let (new_state, private, diagnostics) = encode_state_response(resp, ty);
                pb::apply_resource_change::Response {
                    new_state,
                    private,
                    diagnostics,
                    ..Default::default()
                }
            },
        )
        .await
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        let req = request.into_inner();
        adapt(
            self.provider.resource_schema(&req.type_name),
            [],
            |diagnostics| pb::import_resource_state::Response {
                diagnostics,
                ..Default::default()
            },
            async |[]| {
                self.provider
                    .import_resource_state(&req.type_name, &req.id)
                    .instrument(info_span!("import", resource = %req.type_name))
                    .await
            },
            |resp, ty| {
                let mut diags = resp.diagnostics;
                let mut imported = Vec::new();
                if !resp.state.is_null() && !diags.has_errors() {
                    if let Some(state) = encode_or_report(&resp.state, ty, &mut diags) {
                        imported.push(pb::import_resource_state::ImportedResource {
                            type_name: req.type_name.clone(),
                            state: Some(state),
                            private: resp.private,
                            identity: None,
                        });
                    }
                }
                pb::import_resource_state::Response {
                    imported_resources: imported,
                    diagnostics: convert::diagnostics(diags),
                    ..Default::default()
                }
            },
        )
        .await
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        let req = request.into_inner();
        adapt(
            self.provider.data_source_schema(&req.type_name),
            [req.config.as_ref()],
            |diagnostics| pb::read_data_source::Response {
                diagnostics,
                ..Default::default()
            },
            async |[config]| {
                self.provider
                    .read_data_source(&req.type_name, &config)
                    .instrument(info_span!("read_data_source", data_source = %req.type_name))
                    .await
            },
            |(state, mut diags), ty| {
                let state = encode_or_report(&state, ty, &mut diags);
                pb::read_data_source::Response {
                    state,
                    diagnostics: convert::diagnostics(diags),
                    ..Default::default()
                }
            },
        )
        .await
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> RpcResult<pb::get_functions::Response> {
        Ok(Response::new(pb::get_functions::Response {
            functions: function_schemas(&self.provider),
            diagnostics: Vec::new(),
        }))
    }

    /// Not through [`adapt`]: each argument has its own type, and a problem
    /// is a `FunctionError` (naming the argument), not a diagnostic.
    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> RpcResult<pb::call_function::Response> {
        let req = request.into_inner();
        let answer = info_span!("call_function", function = %req.name)
            .in_scope(|| call_function(&self.provider, &req.name, &req.arguments));
        Ok(Response::new(match answer {
            Ok(result) => pb::call_function::Response {
                result: Some(result),
                error: None,
            },
            Err(e) => pb::call_function::Response {
                result: None,
                error: Some(convert::function_error(e)),
            },
        }))
    }

    async fn stop(&self, _: Request<pb::stop::Request>) -> RpcResult<pb::stop::Response> {
        tracing::info!("terraform asked the provider to stop");
        self.provider.stop();
        Ok(Response::new(pb::stop::Response {
            error: String::new(),
        }))
    }

    // What follows is not implemented: no resource declares an identity,
    // moves state or generates configuration, and the provider has no
    // ephemeral resources, list resources or actions, so nothing
    // in GetSchema or GetMetadata leads terraform here.

    async fn upgrade_resource_identity(
        &self,
        _: Request<pb::upgrade_resource_identity::Request>,
    ) -> RpcResult<pb::upgrade_resource_identity::Response> {
        unimplemented("UpgradeResourceIdentity")
    }

    async fn move_resource_state(
        &self,
        _: Request<pb::move_resource_state::Request>,
    ) -> RpcResult<pb::move_resource_state::Response> {
        unimplemented("MoveResourceState")
    }

    async fn generate_resource_config(
        &self,
        _: Request<pb::generate_resource_config::Request>,
    ) -> RpcResult<pb::generate_resource_config::Response> {
        unimplemented("GenerateResourceConfig")
    }

    async fn validate_ephemeral_resource_config(
        &self,
        _: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> RpcResult<pb::validate_ephemeral_resource_config::Response> {
        unimplemented("ValidateEphemeralResourceConfig")
    }

    async fn open_ephemeral_resource(
        &self,
        _: Request<pb::open_ephemeral_resource::Request>,
    ) -> RpcResult<pb::open_ephemeral_resource::Response> {
        unimplemented("OpenEphemeralResource")
    }

    async fn renew_ephemeral_resource(
        &self,
        _: Request<pb::renew_ephemeral_resource::Request>,
    ) -> RpcResult<pb::renew_ephemeral_resource::Response> {
        unimplemented("RenewEphemeralResource")
    }

    async fn close_ephemeral_resource(
        &self,
        _: Request<pb::close_ephemeral_resource::Request>,
    ) -> RpcResult<pb::close_ephemeral_resource::Response> {
        unimplemented("CloseEphemeralResource")
    }

    type ListResourceStream = EventStream<pb::list_resource::Event>;

    async fn list_resource(
        &self,
        _: Request<pb::list_resource::Request>,
    ) -> RpcResult<Self::ListResourceStream> {
        unimplemented("ListResource")
    }

    async fn validate_list_resource_config(
        &self,
        _: Request<pb::validate_list_resource_config::Request>,
    ) -> RpcResult<pb::validate_list_resource_config::Response> {
        unimplemented("ValidateListResourceConfig")
    }

    async fn plan_action(
        &self,
        _: Request<pb::plan_action::Request>,
    ) -> RpcResult<pb::plan_action::Response> {
        unimplemented("PlanAction")
    }

    type InvokeActionStream = EventStream<pb::invoke_action::Event>;

    async fn invoke_action(
        &self,
        _: Request<pb::invoke_action::Request>,
    ) -> RpcResult<Self::InvokeActionStream> {
        unimplemented("InvokeAction")
    }

    async fn validate_action_config(
        &self,
        _: Request<pb::validate_action_config::Request>,
    ) -> RpcResult<pb::validate_action_config::Response> {
        unimplemented("ValidateActionConfig")
    }
}

/// The stream type of the server-streaming RPCs (`ListResource`,
/// `InvokeAction`); never produced, since both are unimplemented.
type EventStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The answer to an RPC of the protocol this provider does not implement:
/// gRPC's UNIMPLEMENTED, naming the RPC so a log shows which one was asked.
fn unimplemented<T>(rpc: &str) -> RpcResult<T> {
    Err(Status::unimplemented(format!(
        "terraform-provider-intune does not implement tfplugin5.Provider/{rpc}"
    )))
}

/// Only capabilities this provider honours: terraform may cache the schema.
fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

/// Every function's signature, by name, for `GetSchema` and `GetFunctions`.
fn function_schemas<D: ProviderDefinition>(
    p: &Provider<D>,
) -> std::collections::HashMap<String, pb::Function> {
    p.functions()
        .map(|(name, f)| (name.to_string(), convert::function(f)))
        .collect()
}

/// Decodes each argument against its parameter's type (a failure names
/// that argument), runs the function and encodes its result against the
/// return type.
fn call_function<D: ProviderDefinition>(
    p: &Provider<D>,
    name: &str,
    arguments: &[pb::DynamicValue],
) -> Result<pb::DynamicValue, FunctionError> {
    let function = p.function(name)?;
    check_arity(function, arguments.len())?;
    let mut args = Vec::with_capacity(arguments.len());
    for (i, (param, dv)) in function.parameters().iter().zip(arguments).enumerate() {
        let arg = decode(Some(dv), &param.ty)
            .map_err(|d| FunctionError::argument(i, format!("{}: {}", d.summary, d.detail)))?;
        args.push(arg);
    }
    let result = p.call_function(name, &args)?;
    encode(&result, &function.return_type())
        .map_err(|d| FunctionError::call(format!("{}: {}", d.summary, d.detail)))
}

/// Looks a type up and decodes each value against its schema: the first
/// step of [`adapt`].
fn decode_values<const N: usize>(
    schema: Result<&Schema, Diagnostic>,
    values: [Option<&pb::DynamicValue>; N],
) -> Result<(Type, [Value; N]), Diagnostic> {
    let ty = schema?.value_type();
    let mut out: [Value; N] = std::array::from_fn(|_| Value::Null);
    for (slot, dv) in out.iter_mut().zip(values) {
        *slot = decode(dv, &ty)?;
    }
    Ok((ty, out))
}

/// Encodes a new state; if that fails (a provider bug), reports it and
/// encodes the first of the engine's fallbacks that encodes, so an object
/// that exists in Graph keeps its place in terraform's state.
fn encode_state(
    state: &Value,
    fallbacks: &[Value],
    ty: &Type,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match encode(state, ty) {
        Ok(dv) => Some(dv),
        Err(d) => {
            diags.push(d);
            fallbacks.iter().find_map(|v| encode(v, ty).ok())
        }
    }
}

/// Encodes a value that has no fallback (a plan, an import, a data source
/// read); a failure is reported and the value left out.
fn encode_or_report(v: &Value, ty: &Type, diags: &mut Diagnostics) -> Option<pb::DynamicValue> {
    match encode(v, ty) {
        Ok(dv) => Some(dv),
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// The upgradeable part of a stored state: its JSON, `None` when nothing is
/// stored, or an error for the pre-0.12 flatmap form, which this provider
/// never wrote.
fn stored_json(raw: &pb::RawState) -> Result<Option<&[u8]>, Diagnostic> {
    if !raw.json.is_empty() {
        Ok(Some(&raw.json))
    } else if raw.flatmap.is_empty() {
        Ok(None)
    } else {
        Err(Diagnostic::error(
            "Unsupported state format",
            "This state was written in the pre-0.12 flatmap format, which this provider never produced.",
        ))
    }
}

/// A read or apply answer as its response fields: the new state (or the
/// engine's fallback, see [`encode_state`]), the private bytes and the
/// diagnostics.
fn encode_state_response(
    resp: StateResponse,
    ty: &Type,
) -> (Option<pb::DynamicValue>, Vec<u8>, Vec<pb::Diagnostic>) {
    let mut diags = resp.diagnostics;
    let new_state = encode_state(&resp.state, &resp.fallbacks, ty, &mut diags);
    (new_state, resp.private, convert::diagnostics(diags))
}

#[cfg(test)]
mod tests {
    //! The adapters alone, over a provider defined here (one resource kept
    //! in memory), so no Intune resource is involved. Tests that need the
    //! real resources are in `tests/protocol_service.rs`.

    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use pb::provider_server::Provider as _;

    use super::*;
    use crate::framework::{
        Attribute, Block, Context, CreateOutcome, Function, Mode, Parameter, ReadOutcome, Resource,
    };

    const TYPE: &str = "test_thing";
    /// A name the test resource answers with a value that cannot be
    /// encoded (a list where the schema says string): a provider bug.
    const GARBLED: &str = "garbled";

    /// The configured client: the objects "created", by id.
    #[derive(Default)]
    struct Store {
        objects: Mutex<BTreeMap<String, String>>,
    }

    struct TestProvider {
        schema: Schema,
    }

    #[async_trait]
    impl ProviderDefinition for TestProvider {
        type Client = Store;

        fn schema(&self) -> &Schema {
            &self.schema
        }

        async fn configure(
            &self,
            _config: &Value,
            _terraform_version: &str,
            _diags: &mut Diagnostics,
        ) -> Option<Store> {
            Some(Store::default())
        }
    }

    /// `test_thing`: an `id` the store assigns and a required `name`.
    struct Thing {
        schema: Schema,
        /// How many times a lifecycle hook ran.
        calls: Arc<AtomicUsize>,
    }

    impl Thing {
        fn state(&self, id: &str, name: &str) -> Value {
            let mut v = self.schema.block.empty_object();
            v.set("id", Value::string(id));
            v.set(
                "name",
                if name == GARBLED {
                    Value::List(vec![Value::string(name)])
                } else {
                    Value::string(name)
                },
            );
            v
        }

        fn called(&self) {
            self.calls.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn id_of(v: &Value) -> String {
        v.get("id").as_str().unwrap_or_default().to_string()
    }

    #[async_trait]
    impl Resource<Store> for Thing {
        fn type_name(&self) -> &str {
            TYPE
        }

        fn schema(&self) -> &Schema {
            &self.schema
        }

        async fn create(
            &self,
            ctx: &Context<'_, Store>,
            planned: &Value,
            _diags: &mut Diagnostics,
        ) -> CreateOutcome {
            self.called();
            let name = planned.get("name").as_str().unwrap_or_default().to_string();
            let mut objects = ctx.client.objects.lock().unwrap();
            let id = format!("id-{}", objects.len() + 1);
            objects.insert(id.clone(), name.clone());
            CreateOutcome::Created(self.state(&id, &name))
        }

        async fn read(
            &self,
            ctx: &Context<'_, Store>,
            state: &Value,
            _diags: &mut Diagnostics,
        ) -> ReadOutcome {
            self.called();
            let id = id_of(state);
            match ctx.client.objects.lock().unwrap().get(&id) {
                Some(name) => ReadOutcome::Found(self.state(&id, name)),
                None => ReadOutcome::Gone,
            }
        }

        async fn update(
            &self,
            ctx: &Context<'_, Store>,
            _prior: &Value,
            planned: &Value,
            _diags: &mut Diagnostics,
        ) -> Option<Value> {
            self.called();
            let id = id_of(planned);
            let name = planned.get("name").as_str().unwrap_or_default().to_string();
            ctx.client
                .objects
                .lock()
                .unwrap()
                .insert(id.clone(), name.clone());
            Some(self.state(&id, &name))
        }

        async fn delete(&self, ctx: &Context<'_, Store>, prior: &Value, _diags: &mut Diagnostics) {
            self.called();
            ctx.client.objects.lock().unwrap().remove(&id_of(prior));
        }

        async fn import(
            &self,
            ctx: &Context<'_, Store>,
            id: &str,
            diags: &mut Diagnostics,
        ) -> Option<Value> {
            self.called();
            let name = ctx.client.objects.lock().unwrap().get(id).cloned();
            match name {
                Some(name) => Some(self.state(id, &name)),
                None => {
                    diags.error("Cannot import", format!("No thing {id}."));
                    None
                }
            }
        }
    }

    /// The service over the test provider, and the count of hook calls.
    fn service() -> (ProviderService<TestProvider>, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let provider = Provider::new(TestProvider {
            schema: Schema::new(
                Block::new()
                    .attribute(Attribute::new("token", Type::String, Mode::Optional).sensitive()),
            ),
        })
        .with_resource(Arc::new(Thing {
            schema: Schema::new(
                Block::new()
                    .attribute(Attribute::new("id", Type::String, Mode::Computed))
                    .attribute(Attribute::new("name", Type::String, Mode::Required)),
            ),
            calls: calls.clone(),
        }))
        .with_function(Arc::new(Shout));
        (ProviderService::new(Arc::new(provider)), calls)
    }

    const SHOUT_PARAMS: &[Parameter] = &[Parameter {
        name: "text",
        ty: Type::String,
        description: "What to shout.",
    }];

    /// `shout(text)`: `{loud = upper-case text, length = its length}`; an
    /// empty text is refused.
    struct Shout;

    impl Function for Shout {
        fn name(&self) -> &str {
            "shout"
        }
        fn summary(&self) -> &str {
            "Shouts"
        }
        fn description(&self) -> &str {
            "Upper-cases its argument."
        }
        fn parameters(&self) -> &[Parameter] {
            SHOUT_PARAMS
        }
        fn return_type(&self) -> Type {
            Type::Object(BTreeMap::from([
                ("loud".to_string(), Type::String),
                ("length".to_string(), Type::Number),
            ]))
        }
        fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
            let text = args[0].as_str().unwrap_or_default();
            if text.is_empty() {
                return Err(FunctionError::argument(0, "expected a non-empty text"));
            }
            Ok(Value::Object(BTreeMap::from([
                ("loud".to_string(), Value::string(text.to_uppercase())),
                ("length".to_string(), Value::int(text.len() as i64)),
            ])))
        }
    }

    fn thing_type(s: &ProviderService<TestProvider>) -> Type {
        s.provider.resource_schema(TYPE).unwrap().value_type()
    }

    /// A `test_thing` value as terraform would send it.
    fn thing(
        s: &ProviderService<TestProvider>,
        id: Option<&str>,
        name: &str,
    ) -> Option<pb::DynamicValue> {
        let schema = s.provider.resource_schema(TYPE).unwrap();
        let mut v = schema.block.empty_object();
        v.set("id", id.map_or(Value::Null, Value::string));
        v.set("name", Value::string(name));
        Some(encode(&v, &schema.value_type()).unwrap())
    }

    fn decoded(s: &ProviderService<TestProvider>, dv: Option<&pb::DynamicValue>) -> Value {
        decode(Some(dv.expect("a value")), &thing_type(s)).unwrap()
    }

    fn dv(msgpack: &[u8]) -> Option<pb::DynamicValue> {
        Some(pb::DynamicValue {
            msgpack: msgpack.to_vec(),
            json: Vec::new(),
        })
    }

    fn summaries(d: &[pb::Diagnostic]) -> Vec<&str> {
        d.iter().map(|d| d.summary.as_str()).collect()
    }

    async fn configure(s: &ProviderService<TestProvider>) {
        let resp = s
            .configure(Request::new(pb::configure::Request {
                terraform_version: "1.14.0".into(),
                config: None,
                client_capabilities: None,
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    }

    async fn apply(
        s: &ProviderService<TestProvider>,
        prior: Option<pb::DynamicValue>,
        planned: Option<pb::DynamicValue>,
    ) -> pb::apply_resource_change::Response {
        s.apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: TYPE.into(),
            prior_state: prior,
            planned_state: planned,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
    }

    async fn read(
        s: &ProviderService<TestProvider>,
        state: Option<pb::DynamicValue>,
        private: &[u8],
    ) -> pb::read_resource::Response {
        s.read_resource(Request::new(pb::read_resource::Request {
            type_name: TYPE.into(),
            current_state: state,
            private: private.to_vec(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
    }

    /// A new state that cannot be encoded (a provider bug) must not orphan
    /// the object: the engine's fallback (an id-only state after a create)
    /// goes to terraform with the error.
    #[test]
    fn an_unencodable_state_falls_back_to_the_id() {
        let ty = Type::Object(BTreeMap::from([
            ("id".to_string(), Type::String),
            ("name".to_string(), Type::String),
        ]));
        let mut broken = Value::Object(BTreeMap::new());
        broken.set("id", Value::string("abc"));
        broken.set("name", Value::List(vec![Value::string("not a string")]));
        let mut id_only = Value::Object(BTreeMap::new());
        id_only.set("id", Value::string("abc"));
        id_only.set("name", Value::Null);
        let mut diags = Diagnostics::new();
        // The planned values with the id are tried first; when they do not
        // encode either, the id alone.
        let fallbacks = [broken.clone(), id_only.clone()];
        let encoded = encode_state(&broken, &fallbacks, &ty, &mut diags).expect("the fallback");
        assert!(diags.has_errors(), "the encoding failure is reported");
        assert_eq!(decode(Some(&encoded), &ty).unwrap(), id_only);
        let mut diags = Diagnostics::new();
        assert!(encode_state(&broken, &[], &ty, &mut diags).is_none());
        assert!(diags.has_errors());
    }

    /// GetSchema and GetMetadata name the one resource and the one function
    /// and nothing the provider does not implement: no ephemeral or list
    /// resources, actions, identities, and only the schema-caching
    /// capability.
    #[tokio::test]
    async fn discovery_announces_only_what_is_implemented() {
        let (s, _) = service();
        let only_caching = pb::ServerCapabilities {
            plan_destroy: false,
            get_provider_schema_optional: true,
            move_resource_state: false,
            generate_resource_config: false,
        };
        let schema = s
            .get_schema(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(schema.resource_schemas.keys().collect::<Vec<_>>(), [TYPE]);
        assert!(schema.data_source_schemas.is_empty());
        assert_eq!(schema.functions.keys().collect::<Vec<_>>(), ["shout"]);
        assert!(schema.ephemeral_resource_schemas.is_empty());
        assert!(schema.list_resource_schemas.is_empty());
        assert!(schema.action_schemas.is_empty());
        assert!(schema.provider_meta.is_none() && schema.diagnostics.is_empty());
        assert_eq!(schema.server_capabilities, Some(only_caching));
        let token = &schema.provider.unwrap().block.unwrap().attributes[0];
        assert!(token.name == "token" && token.sensitive && token.optional);
        let names: Vec<&str> = schema.resource_schemas[TYPE]
            .block
            .as_ref()
            .unwrap()
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["id", "name"]);

        let meta = s
            .get_metadata(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        let resources: Vec<&str> = meta
            .resources
            .iter()
            .map(|r| r.type_name.as_str())
            .collect();
        assert_eq!(resources, [TYPE]);
        assert!(meta.data_sources.is_empty());
        let functions: Vec<&str> = meta.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(functions, ["shout"]);
        assert!(meta.ephemeral_resources.is_empty());
        assert!(meta.list_resources.is_empty());
        assert!(meta.actions.is_empty());
        assert_eq!(meta.server_capabilities, Some(only_caching));

        let identities = s
            .get_resource_identity_schemas(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        assert!(identities.identity_schemas.is_empty());
    }

    /// Every RPC the provider does not implement is UNIMPLEMENTED, and the
    /// message names it.
    #[tokio::test]
    async fn unimplemented_rpcs_say_which() {
        let (s, _) = service();
        let answers: Vec<(&str, Option<Status>)> = vec![
            (
                "UpgradeResourceIdentity",
                s.upgrade_resource_identity(Request::new(Default::default()))
                    .await
                    .err(),
            ),
            (
                "MoveResourceState",
                s.move_resource_state(Request::new(Default::default()))
                    .await
                    .err(),
            ),
            (
                "GenerateResourceConfig",
                s.generate_resource_config(Request::new(Default::default()))
                    .await
                    .err(),
            ),
            (
                "ValidateEphemeralResourceConfig",
                s.validate_ephemeral_resource_config(Request::new(Default::default()))
                    .await
                    .err(),
            ),
            (
                "OpenEphemeralResource",
                s.open_ephemeral_resource(Request::new(Default::default()))
                    .await
                    .err(),
            ),
            (
                "RenewEphemeralResource",
                s.renew_ephemeral_resource(Request::new(Default::default()))
                    .await
                    .err(),
            ),
            (
                "CloseEphemeralResource",
                s.close_ephemeral_resource(Request::new(Default::default()))
                    .await
                    .err(),
            ),
            (
                "ListResource",
                s.list_resource(Request::new(Default::default()))
                    .await
                    .err(),
            ),
            (
                "ValidateListResourceConfig",
                s.validate_list_resource_config(Request::new(Default::default()))
                    .await
                    .err(),
            ),
            (
                "PlanAction",
                s.plan_action(Request::new(Default::default())).await.err(),
            ),
            (
                "InvokeAction",
                s.invoke_action(Request::new(Default::default()))
                    .await
                    .err(),
            ),
            (
                "ValidateActionConfig",
                s.validate_action_config(Request::new(Default::default()))
                    .await
                    .err(),
            ),
        ];
        for (rpc, status) in answers {
            let status = status.unwrap_or_else(|| panic!("{rpc} answered"));
            assert_eq!(status.code(), tonic::Code::Unimplemented, "{rpc}");
            assert_eq!(
                status.message(),
                format!("terraform-provider-intune does not implement tfplugin5.Provider/{rpc}")
            );
        }
    }

    fn text_arg(text: &str) -> pb::DynamicValue {
        encode(&Value::string(text), &Type::String).unwrap()
    }

    async fn call(
        s: &ProviderService<TestProvider>,
        name: &str,
        arguments: Vec<pb::DynamicValue>,
    ) -> pb::call_function::Response {
        s.call_function(Request::new(pb::call_function::Request {
            name: name.into(),
            arguments,
        }))
        .await
        .unwrap()
        .into_inner()
    }

    /// GetFunctions announces the signature with cty JSON types, as
    /// GetSchema does, and allows neither null nor unknown arguments.
    #[tokio::test]
    async fn get_functions_announces_the_signature() {
        let (s, _) = service();
        let functions = s
            .get_functions(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        assert!(functions.diagnostics.is_empty());
        let schema = s
            .get_schema(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(functions.functions, schema.functions);
        let shout = &functions.functions["shout"];
        let [param] = &shout.parameters[..] else {
            panic!("one parameter: {shout:?}")
        };
        assert_eq!(param.name, "text");
        assert_eq!(param.r#type, b"\"string\"");
        assert!(!param.allow_null_value && !param.allow_unknown_values);
        assert_eq!(param.description, "What to shout.");
        assert_eq!(
            shout.r#return.as_ref().unwrap().r#type,
            br#"["object",{"length":"number","loud":"string"}]"#
        );
        assert_eq!(shout.summary, "Shouts");
        assert!(shout.variadic_parameter.is_none());
    }

    /// CallFunction decodes each argument against its parameter and
    /// encodes the result against the return type; a refusal is a
    /// FunctionError naming the argument, and so is an argument that does
    /// not decode. An unknown function or a wrong count names none.
    #[tokio::test]
    async fn call_function_answers_a_result_or_a_function_error() {
        let (s, calls) = service();
        let ok = call(&s, "shout", vec![text_arg("hey")]).await;
        assert!(ok.error.is_none(), "{:?}", ok.error);
        let ty = Shout.return_type();
        let result = decode(ok.result.as_ref(), &ty).unwrap();
        assert_eq!(result.get("loud"), &Value::string("HEY"));
        assert_eq!(result.get("length"), &Value::int(3));

        let refused = call(&s, "shout", vec![text_arg("")]).await;
        assert!(refused.result.is_none());
        assert_eq!(
            refused.error,
            Some(pb::FunctionError {
                text: "expected a non-empty text".into(),
                function_argument: Some(0),
            })
        );
        let undecodable = call(&s, "shout", vec![dv(b"\x93\x01").unwrap()]).await;
        assert_eq!(undecodable.error.unwrap().function_argument, Some(0));
        let null = call(&s, "shout", vec![dv(b"\xc0").unwrap()]).await;
        assert_eq!(null.error.unwrap().function_argument, Some(0));
        for (name, args) in [
            ("whisper", vec![text_arg("hey")]),
            ("shout", vec![]),
            ("shout", vec![text_arg("a"), text_arg("b")]),
        ] {
            let resp = call(&s, name, args).await;
            let error = resp.error.expect("an error");
            assert_eq!(error.function_argument, None, "{name}: {error:?}");
            assert!(resp.result.is_none());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 0, "no resource hook ran");
    }

    /// Bytes that do not decode are a diagnostic; the engine never sees
    /// them, and read and apply hand terraform back what it sent.
    #[tokio::test]
    async fn values_that_do_not_decode_never_reach_the_engine() {
        let (s, calls) = service();
        configure(&s).await;
        let garbage: [&[u8]; 4] = [
            b"\x93\x01\x02\x03",
            b"\xa3ab",
            b"\x81\xa1x\x01",
            b"\xdf\xff\xff\xff\xff",
        ];
        for bytes in garbage {
            let invalid = ["Invalid value received from Terraform"];
            let validate = s
                .validate_resource_type_config(Request::new(
                    pb::validate_resource_type_config::Request {
                        type_name: TYPE.into(),
                        config: dv(bytes),
                        client_capabilities: None,
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(summaries(&validate.diagnostics), invalid, "{bytes:?}");
            let prepare = s
                .prepare_provider_config(Request::new(pb::prepare_provider_config::Request {
                    config: dv(bytes),
                }))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(summaries(&prepare.diagnostics), invalid, "{bytes:?}");
            assert!(prepare.prepared_config.is_none());
            let plan = s
                .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                    type_name: TYPE.into(),
                    prior_state: None,
                    proposed_new_state: dv(bytes),
                    config: dv(bytes),
                    ..Default::default()
                }))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(summaries(&plan.diagnostics), invalid, "{bytes:?}");
            assert!(plan.planned_state.is_none());
            let applied = apply(&s, dv(bytes), thing(&s, Some("id-1"), "x")).await;
            assert_eq!(summaries(&applied.diagnostics), invalid, "{bytes:?}");
            assert_eq!(applied.new_state, dv(bytes), "the prior state stays");
            let refreshed = read(&s, dv(bytes), b"private").await;
            assert_eq!(summaries(&refreshed.diagnostics), invalid, "{bytes:?}");
            assert_eq!(refreshed.new_state, dv(bytes), "the state stays");
            assert_eq!(refreshed.private, b"private");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 0, "no hook ran");
    }

    #[tokio::test]
    async fn unknown_types_are_diagnostics() {
        let (s, calls) = service();
        configure(&s).await;
        let validate = s
            .validate_resource_type_config(Request::new(
                pb::validate_resource_type_config::Request {
                    type_name: "test_nonsense".into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(summaries(&validate.diagnostics), ["Unknown resource type"]);
        let import = s
            .import_resource_state(Request::new(pb::import_resource_state::Request {
                type_name: "test_nonsense".into(),
                id: "id-1".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(summaries(&import.diagnostics), ["Unknown resource type"]);
        assert!(import.imported_resources.is_empty());
        let validate_data = s
            .validate_data_source_config(Request::new(pb::validate_data_source_config::Request {
                type_name: "test_nonsense".into(),
                config: None,
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            summaries(&validate_data.diagnostics),
            ["Unknown data source type"]
        );
        let data = s
            .read_data_source(Request::new(pb::read_data_source::Request {
                type_name: "test_nonsense".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(summaries(&data.diagnostics), ["Unknown data source type"]);
        assert!(data.state.is_none());
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    /// Plan, create, read, import, update and destroy through the adapters:
    /// each request's values reach the engine and each answer comes back
    /// encoded, private bytes included.
    #[tokio::test]
    async fn a_lifecycle_through_the_adapters() {
        let (s, _) = service();
        configure(&s).await;
        let proposed = thing(&s, None, "first");
        let plan = s
            .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                type_name: TYPE.into(),
                prior_state: None,
                proposed_new_state: proposed.clone(),
                config: proposed,
                prior_private: b"kept".to_vec(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
        let planned = decoded(&s, plan.planned_state.as_ref());
        assert!(planned.get("id").is_unknown());
        assert_eq!(planned.get("name"), &Value::string("first"));
        assert_eq!(plan.planned_private, b"kept");

        let created = apply(&s, None, plan.planned_state).await;
        assert!(created.diagnostics.is_empty(), "{:?}", created.diagnostics);
        let state = decoded(&s, created.new_state.as_ref());
        assert_eq!(state.get("id"), &Value::string("id-1"));

        let refreshed = read(&s, created.new_state.clone(), b"private").await;
        assert!(
            refreshed.diagnostics.is_empty(),
            "{:?}",
            refreshed.diagnostics
        );
        assert_eq!(refreshed.new_state, created.new_state);
        assert_eq!(refreshed.private, b"private");

        let import = s
            .import_resource_state(Request::new(pb::import_resource_state::Request {
                type_name: TYPE.into(),
                id: "id-1".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(import.diagnostics.is_empty(), "{:?}", import.diagnostics);
        let [imported] = &import.imported_resources[..] else {
            panic!("one imported resource: {:?}", import.imported_resources)
        };
        assert_eq!(imported.type_name, TYPE);
        assert_eq!(imported.state, created.new_state);
        let missing = s
            .import_resource_state(Request::new(pb::import_resource_state::Request {
                type_name: TYPE.into(),
                id: "id-9".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(summaries(&missing.diagnostics), ["Cannot import"]);
        assert!(missing.imported_resources.is_empty());

        let updated = apply(
            &s,
            created.new_state.clone(),
            thing(&s, Some("id-1"), "second"),
        )
        .await;
        assert!(updated.diagnostics.is_empty(), "{:?}", updated.diagnostics);
        assert_eq!(
            decoded(&s, updated.new_state.as_ref()).get("name"),
            &Value::string("second")
        );

        let destroyed = apply(&s, updated.new_state.clone(), None).await;
        assert!(
            destroyed.diagnostics.is_empty(),
            "{:?}",
            destroyed.diagnostics
        );
        assert!(
            decoded(&s, destroyed.new_state.as_ref()).is_null(),
            "a destroyed object leaves a null state"
        );
        let gone = read(&s, updated.new_state, &[]).await;
        assert!(
            decoded(&s, gone.new_state.as_ref()).is_null(),
            "an object deleted outside is gone"
        );
    }

    /// When the engine's new state cannot be encoded, read and apply send
    /// its fallback with the error: the planned values with the new id
    /// after a create, the prior state after a refresh, so an existing
    /// object keeps its place in state.
    #[tokio::test]
    async fn an_unencodable_new_state_sends_the_engines_fallback() {
        let (s, _) = service();
        configure(&s).await;
        let created = apply(&s, None, thing(&s, None, GARBLED)).await;
        assert_eq!(
            summaries(&created.diagnostics),
            ["Provider produced a value it cannot encode"]
        );
        let state = decoded(&s, created.new_state.as_ref());
        assert_eq!(state.get("id"), &Value::string("id-1"));
        assert_eq!(
            state.get("name"),
            &Value::string(GARBLED),
            "the planned values with the id: {state:?}"
        );

        let prior = thing(&s, Some("id-1"), "as terraform knows it");
        let refreshed = read(&s, prior.clone(), &[]).await;
        assert_eq!(
            summaries(&refreshed.diagnostics),
            ["Provider produced a value it cannot encode"]
        );
        assert_eq!(refreshed.new_state, prior, "the prior state stays");
    }

    #[tokio::test]
    async fn lifecycle_before_configure_is_a_diagnostic_and_keeps_state() {
        let (s, calls) = service();
        let state = thing(&s, Some("id-1"), "x");
        let refreshed = read(&s, state.clone(), b"private").await;
        assert_eq!(
            summaries(&refreshed.diagnostics),
            ["Provider not configured"]
        );
        assert_eq!(refreshed.new_state, state);
        assert_eq!(refreshed.private, b"private");
        let applied = apply(&s, state.clone(), thing(&s, Some("id-1"), "y")).await;
        assert_eq!(summaries(&applied.diagnostics), ["Provider not configured"]);
        assert_eq!(applied.new_state, state);
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn upgrade_decodes_stored_json_and_refuses_what_it_cannot() {
        let (s, _) = service();
        let upgrade = async |type_name: &str, version, json: &[u8], flatmap: &[(&str, &str)]| {
            s.upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                type_name: type_name.into(),
                version,
                raw_state: Some(pb::RawState {
                    json: json.to_vec(),
                    flatmap: flatmap
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                }),
            }))
            .await
            .unwrap()
            .into_inner()
        };
        // An attribute removed since, and `timeouts` added since.
        let old = br#"{"id":"id-1","name":"Old","removed_long_ago":1}"#;
        let resp = upgrade(TYPE, 0, old, &[]).await;
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        let state = decoded(&s, resp.upgraded_state.as_ref());
        assert_eq!(state.get("name"), &Value::string("Old"));
        assert!(state.get("timeouts").is_null());

        let nothing = upgrade(TYPE, 0, b"", &[]).await;
        assert!(nothing.upgraded_state.is_none() && nothing.diagnostics.is_empty());
        let flat = upgrade(TYPE, 0, b"", &[("id", "id-1")]).await;
        assert_eq!(summaries(&flat.diagnostics), ["Unsupported state format"]);
        assert!(flat.upgraded_state.is_none());
        let newer = upgrade(TYPE, 7, old, &[]).await;
        assert_eq!(
            summaries(&newer.diagnostics),
            ["State from a newer provider"]
        );
        assert!(newer.upgraded_state.is_none());
        let unknown = upgrade("test_nonsense", 0, old, &[("id", "id-1")]).await;
        assert_eq!(summaries(&unknown.diagnostics), ["Unknown resource type"]);
        let broken = upgrade(TYPE, 0, b"{", &[]).await;
        assert_eq!(
            summaries(&broken.diagnostics),
            ["Invalid value received from Terraform"]
        );
        assert!(broken.upgraded_state.is_none());
    }
}
