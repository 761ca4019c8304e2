//! The tfplugin5 `Provider` service. Every RPC that carries Terraform values
//! has the same shape, written once in [`adapt`]: look the type's schema up,
//! decode the request's values against it, run the framework engine, encode
//! its answer. Each handler is then a thin adapter that only says which
//! values to decode, which engine operation to call and how its answer maps
//! onto the response message (as terraform-plugin-framework's proto5server
//! does). A type or value that does not decode becomes a diagnostic, never a
//! gRPC error, so terraform shows it like any other problem.
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
    Diagnostic, Diagnostics, Provider, ProviderDefinition, Schema, StateResponse,
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
            functions: Vec::new(),
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
            functions: Default::default(),
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

    async fn stop(&self, _: Request<pb::stop::Request>) -> RpcResult<pb::stop::Response> {
        tracing::info!("terraform asked the provider to stop");
        self.provider.stop();
        Ok(Response::new(pb::stop::Response {
            error: String::new(),
        }))
    }

    // What follows is not implemented: no resource declares an identity,
    // moves state or generates configuration, and the provider has no
    // ephemeral resources, list resources, functions or actions, so nothing
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

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> RpcResult<pb::get_functions::Response> {
        unimplemented("GetFunctions")
    }

    async fn call_function(
        &self,
        _: Request<pb::call_function::Request>,
    ) -> RpcResult<pb::call_function::Response> {
        unimplemented("CallFunction")
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
/// encodes the engine's fallback instead, so an object that exists in Graph
/// keeps its place in terraform's state.
fn encode_state(
    state: &Value,
    fallback: &Value,
    ty: &Type,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match encode(state, ty) {
        Ok(dv) => Some(dv),
        Err(d) => {
            diags.push(d);
            if fallback.is_null() {
                return None;
            }
            encode_or_report(fallback, ty, diags)
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
    let new_state = encode_state(&resp.state, &resp.fallback, ty, &mut diags);
    (new_state, resp.private, convert::diagnostics(diags))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::provider_config::IntuneProvider;
    use pb::provider_server::Provider as _;

    const TYPE: &str = "intune_trusted_certificate";

    fn service() -> ProviderService<IntuneProvider> {
        ProviderService::new(Arc::new(crate::resources::provider(
            IntuneProvider::with_env(|_| None),
        )))
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

    /// A new state that cannot be encoded (a provider bug) must not orphan
    /// the object: the engine's fallback (an id-only state after a create)
    /// goes to terraform with the error.
    #[test]
    fn an_unencodable_state_falls_back_to_the_id() {
        use std::collections::BTreeMap;
        let ty = crate::value::Type::Object(BTreeMap::from([
            ("id".to_string(), crate::value::Type::String),
            ("name".to_string(), crate::value::Type::String),
        ]));
        let mut broken = Value::Object(BTreeMap::new());
        broken.set("id", Value::string("abc"));
        broken.set("name", Value::List(vec![Value::string("not a string")]));
        let mut id_only = Value::Object(BTreeMap::new());
        id_only.set("id", Value::string("abc"));
        id_only.set("name", Value::Null);
        let mut diags = Diagnostics::new();
        let encoded = encode_state(&broken, &id_only, &ty, &mut diags).expect("the fallback");
        assert!(diags.has_errors(), "the encoding failure is reported");
        assert_eq!(decode(Some(&encoded), &ty).unwrap(), id_only);
        let mut diags = Diagnostics::new();
        assert!(encode_state(&broken, &Value::Null, &ty, &mut diags).is_none());
        assert!(diags.has_errors());
    }

    #[tokio::test]
    async fn schema_and_metadata_list_the_resource() {
        let s = service();
        let schema = s
            .get_schema(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        let trusted = &schema.resource_schemas[TYPE];
        let block = trusted.block.as_ref().unwrap();
        let platform = block
            .attributes
            .iter()
            .find(|a| a.name == "platform")
            .unwrap();
        assert!(platform.required && !platform.computed);
        assert_eq!(platform.r#type, b"\"string\"");
        let secret = schema
            .provider
            .unwrap()
            .block
            .unwrap()
            .attributes
            .into_iter()
            .find(|a| a.name == "client_secret")
            .unwrap();
        assert!(secret.sensitive);
        let meta = s
            .get_metadata(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        assert!(meta.resources.iter().any(|r| r.type_name == TYPE));
    }

    #[tokio::test]
    async fn malformed_values_become_diagnostics() {
        let s = service();
        let garbage: [&[u8]; 4] = [
            b"\x93\x01\x02\x03",
            b"\xa3ab",
            b"\x81\xa1x\x01",
            b"\xdf\xff\xff\xff\xff",
        ];
        for bytes in garbage {
            let resp = s
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
            assert_eq!(
                summaries(&resp.diagnostics),
                ["Invalid value received from Terraform"],
                "{bytes:?}"
            );
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
            assert!(
                !plan.diagnostics.is_empty() && plan.planned_state.is_none(),
                "{bytes:?}"
            );
        }
    }

    #[tokio::test]
    async fn unknown_types_and_unsupported_rpcs() {
        let s = service();
        let resp = s
            .validate_resource_type_config(Request::new(
                pb::validate_resource_type_config::Request {
                    type_name: "intune_nonsense".into(),
                    config: None,
                    client_capabilities: None,
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(summaries(&resp.diagnostics), ["Unknown resource type"]);
        let status = s
            .call_function(Request::new(Default::default()))
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unimplemented);
    }

    #[tokio::test]
    async fn upgrade_tolerates_added_and_removed_attributes_and_refuses_flatmap() {
        let s = service();
        let json = br#"{"id":"abc","platform":"ios","display_name":"Old","removed_long_ago":1,"trusted_root_certificate":"x"}"#;
        let resp = s
            .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                type_name: TYPE.into(),
                version: 0,
                raw_state: Some(pb::RawState {
                    json: json.to_vec(),
                    flatmap: Default::default(),
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        let schema = crate::resources::provider(IntuneProvider::with_env(|_| None));
        let ty = schema.resource_schema(TYPE).unwrap().value_type();
        let state =
            crate::value::msgpack::decode(&resp.upgraded_state.unwrap().msgpack, &ty).unwrap();
        assert_eq!(state.get("display_name"), &Value::string("Old"));
        assert!(state.get("version").is_null());

        let flat = s
            .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                type_name: TYPE.into(),
                version: 0,
                raw_state: Some(pb::RawState {
                    json: Vec::new(),
                    flatmap: [("id".to_string(), "x".to_string())].into(),
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(summaries(&flat.diagnostics), ["Unsupported state format"]);
        let newer = s
            .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                type_name: TYPE.into(),
                version: 7,
                raw_state: Some(pb::RawState {
                    json: json.to_vec(),
                    flatmap: Default::default(),
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            summaries(&newer.diagnostics),
            ["State from a newer provider"]
        );
    }

    #[tokio::test]
    async fn lifecycle_before_configure_is_a_diagnostic_and_keeps_state() {
        let s = service();
        let provider = crate::resources::provider(IntuneProvider::with_env(|_| None));
        let ty = provider.resource_schema(TYPE).unwrap().value_type();
        let mut state = provider.resource_schema(TYPE).unwrap().block.empty_object();
        state.set("id", Value::string("abc"));
        state.set("platform", Value::string("ios"));
        let bytes = crate::value::msgpack::encode(&state, &ty).unwrap();
        let resp = s
            .read_resource(Request::new(pb::read_resource::Request {
                type_name: TYPE.into(),
                current_state: dv(&bytes),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(summaries(&resp.diagnostics), ["Provider not configured"]);
        assert_eq!(resp.new_state.unwrap().msgpack, bytes);
    }
}
