//! The tfplugin5 service over the real provider, in-process: what needs the
//! Intune resources themselves (their schemas, a stored state of theirs).
//! The adapters alone are tested in `src/protocol/service.rs` over a small
//! provider of their own.

use std::sync::Arc;

use intune::protocol::ProviderService;
use intune::protocol::tfplugin5 as pb;
use intune::protocol::tfplugin5::provider_server::Provider as _;
use intune::resources::provider_config::IntuneProvider;
use intune::value::{Value, msgpack};
use tonic::Request;

const TRUSTED: &str = "intune_trusted_certificate";

fn provider() -> intune::framework::Provider<IntuneProvider> {
    intune::resources::provider(IntuneProvider::with_env(|_| None))
}

fn service() -> ProviderService<IntuneProvider> {
    ProviderService::new(Arc::new(provider()))
}

fn sorted(mut names: Vec<&str>) -> Vec<&str> {
    names.sort_unstable();
    names
}

fn summaries(d: &[pb::Diagnostic]) -> Vec<&str> {
    d.iter().map(|d| d.summary.as_str()).collect()
}

/// GetSchema and GetMetadata list the same resources and data sources, the
/// Intune ones among them, and `certificate_info`, and announce nothing the
/// provider does not implement.
#[tokio::test]
async fn discovery_lists_the_intune_types_and_nothing_unimplemented() {
    let s = service();
    let schema = s
        .get_schema(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    let meta = s
        .get_metadata(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    let resources = sorted(
        meta.resources
            .iter()
            .map(|r| r.type_name.as_str())
            .collect(),
    );
    let data_sources = sorted(
        meta.data_sources
            .iter()
            .map(|d| d.type_name.as_str())
            .collect(),
    );
    assert_eq!(
        sorted(schema.resource_schemas.keys().map(String::as_str).collect()),
        resources
    );
    assert_eq!(
        sorted(
            schema
                .data_source_schemas
                .keys()
                .map(String::as_str)
                .collect()
        ),
        data_sources
    );
    for name in [
        TRUSTED,
        "intune_scep_certificate",
        "intune_pkcs_certificate",
        "intune_pkcs_imported_certificate",
        "intune_certificate_profile_assignment",
    ] {
        assert!(resources.contains(&name), "{name} in {resources:?}");
    }
    assert_eq!(
        data_sources,
        ["intune_certificate_profile", "intune_certificate_profiles"]
    );

    let only_caching = Some(pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    });
    assert_eq!(schema.server_capabilities, only_caching);
    assert_eq!(meta.server_capabilities, only_caching);
    assert_eq!(
        schema.functions.keys().collect::<Vec<_>>(),
        ["certificate_info"]
    );
    let functions: Vec<&str> = meta.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(functions, ["certificate_info"]);
    assert!(schema.ephemeral_resource_schemas.is_empty() && meta.ephemeral_resources.is_empty());
    assert!(schema.list_resource_schemas.is_empty() && meta.list_resources.is_empty());
    assert!(schema.action_schemas.is_empty() && meta.actions.is_empty());
    let identities = s
        .get_resource_identity_schemas(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(identities.identity_schemas.is_empty());

    let block = schema.resource_schemas[TRUSTED].block.as_ref().unwrap();
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
}

/// Bytes that do not decode against a real schema (nested sets, blocks)
/// are a diagnostic, never a gRPC error.
#[tokio::test]
async fn malformed_values_become_diagnostics() {
    let s = service();
    let garbage: [&[u8]; 4] = [
        b"\x93\x01\x02\x03",
        b"\xa3ab",
        b"\x81\xa1x\x01",
        b"\xdf\xff\xff\xff\xff",
    ];
    let dv = |bytes: &[u8]| {
        Some(pb::DynamicValue {
            msgpack: bytes.to_vec(),
            json: Vec::new(),
        })
    };
    for bytes in garbage {
        let resp = s
            .validate_resource_type_config(Request::new(
                pb::validate_resource_type_config::Request {
                    type_name: TRUSTED.into(),
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
                type_name: TRUSTED.into(),
                prior_state: None,
                proposed_new_state: dv(bytes),
                config: dv(bytes),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            summaries(&plan.diagnostics),
            ["Invalid value received from Terraform"],
            "{bytes:?}"
        );
        assert!(plan.planned_state.is_none(), "{bytes:?}");
    }
}

/// A trusted certificate's state stored by an older build (an attribute
/// since removed, `version` not yet there) upgrades to the current schema.
#[tokio::test]
async fn upgrade_tolerates_added_and_removed_attributes() {
    let s = service();
    let json = br#"{"id":"abc","platform":"ios","display_name":"Old","removed_long_ago":1,"trusted_root_certificate":"x"}"#;
    let resp = s
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: TRUSTED.into(),
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
    let ty = provider().resource_schema(TRUSTED).unwrap().value_type();
    let state = msgpack::decode(&resp.upgraded_state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(state.get("display_name"), &Value::string("Old"));
    assert_eq!(state.get("platform"), &Value::string("ios"));
    assert!(state.get("version").is_null());
}

/// The example root certificate; its facts below come from `openssl x509`,
/// not from this provider's parser.
const ROOT_PEM: &str = include_str!("../examples/certs/contoso-root-ca.cer");

fn certificate_info_type() -> intune::value::Type {
    intune::value::Type::Object(
        [
            "thumbprint",
            "sha256",
            "subject",
            "issuer",
            "not_before",
            "not_after",
        ]
        .into_iter()
        .map(|n| (n.to_string(), intune::value::Type::String))
        .chain([("is_ca".to_string(), intune::value::Type::Bool)])
        .collect(),
    )
}

async fn call_certificate_info(
    s: &ProviderService<IntuneProvider>,
    text: &str,
) -> pb::call_function::Response {
    let arg = msgpack::encode(&Value::string(text), &intune::value::Type::String).unwrap();
    s.call_function(Request::new(pb::call_function::Request {
        name: "certificate_info".into(),
        arguments: vec![pb::DynamicValue {
            msgpack: arg,
            json: Vec::new(),
        }],
    }))
    .await
    .unwrap()
    .into_inner()
}

/// GetFunctions announces `certificate_info(text)` returning the object of
/// facts; CallFunction answers them for the example root, without any
/// configure, and a non-certificate is a FunctionError on argument 0.
#[tokio::test]
async fn certificate_info_over_the_protocol() {
    let s = service();
    let functions = s
        .get_functions(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    let f = &functions.functions["certificate_info"];
    let names: Vec<&str> = f.parameters.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["text"]);
    assert_eq!(f.parameters[0].r#type, b"\"string\"");
    let ty = certificate_info_type();
    assert_eq!(
        intune::value::Type::from_json(
            &serde_json::from_slice(&f.r#return.as_ref().unwrap().r#type).unwrap()
        )
        .unwrap(),
        ty
    );

    let resp = call_certificate_info(&s, ROOT_PEM).await;
    assert!(resp.error.is_none(), "{:?}", resp.error);
    let v = msgpack::decode(&resp.result.unwrap().msgpack, &ty).unwrap();
    let expected = [
        ("thumbprint", "C6356EBFA6724036515138CFDD1E2A65B960670E"),
        (
            "sha256",
            "848D626F30F20BA3BD603096E6816016829A43873540D30EF526D1B399B90EB7",
        ),
        ("subject", "C=US, O=Contoso Ltd, CN=Contoso Root CA"),
        ("issuer", "C=US, O=Contoso Ltd, CN=Contoso Root CA"),
        ("not_before", "2026-11-27T10:50:00Z"),
        ("not_after", "2046-11-22T10:50:00Z"),
    ];
    for (name, value) in expected {
        assert_eq!(v.get(name), &Value::string(value), "{name}");
    }
    assert_eq!(v.get("is_ca"), &Value::Bool(true));

    let bad = call_certificate_info(&s, "hello").await;
    assert!(bad.result.is_none());
    let error = bad.error.expect("a function error");
    assert_eq!(error.function_argument, Some(0));
    assert!(
        error.text.contains("expected one X.509 certificate"),
        "{}",
        error.text
    );
}
