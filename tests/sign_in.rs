//! Every sign-in method against the simulator, in-process: the Graph client
//! with each credential (certificate assertions, federated tokens from a
//! value, a rotating file, GitHub Actions and Azure DevOps, managed identity
//! in both styles, a fake `az`), the one refresh after a 401, and the
//! provider's configure step choosing and signing in (or explaining why
//! not) from environment variables as pipelines set them.

mod support;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use intune::framework::Diagnostics;
use intune::framework::ProviderDefinition;
use intune::graph::{
    CallOptions, ClientCertificate, Credential, FederatedToken, GraphClient, GraphConfig,
    GraphError, ManagedIdentityEndpoint, RetryPolicy, Secret, WritePacing,
};
use intune::resources::provider_config::IntuneProvider;
use intune_graph_sim::{RecordedRequest, Simulator};
use support::auth::*;
use tokio::time::Instant;

const PROFILES: &str = "/deviceManagement/deviceConfigurations";

fn start() -> Simulator {
    Simulator::spawn(trusting_config()).expect("simulator starts")
}

fn client(sim: &Simulator, tenant: &str, credential: Credential) -> GraphClient {
    GraphClient::new(GraphConfig {
        graph_endpoint: sim.base_url(),
        graph_resource: GRAPH_RESOURCE.into(),
        authority_host: sim.base_url(),
        tenant_id: tenant.to_string(),
        credential,
        user_agent: "terraform-provider-intune/0.0.0-test (sign_in)".into(),
        retry: RetryPolicy {
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            not_found_delay: Duration::from_millis(10),
            max_not_found_retries: 3,
            attempt_timeout: Duration::from_secs(5),
            ..RetryPolicy::default()
        },
        write_pacing: WritePacing::Off,
    })
    .expect("valid client configuration")
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

fn client_id(sim: &Simulator) -> String {
    sim.config().client_id.clone()
}

fn tenant(sim: &Simulator) -> String {
    sim.config().tenant_id.clone()
}

fn token_requests(sim: &Simulator) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
        .collect()
}

/// Signs in and lists profiles: the token works for Graph.
async fn works(client: &GraphClient) {
    client.sign_in(soon()).await.expect("sign-in succeeds");
    client
        .list(PROFILES, &CallOptions::within(Duration::from_secs(10)))
        .await
        .expect("the token is accepted by Graph");
}

/// The error of a failed sign-in, checked for leaked secrets.
async fn fails(client: &GraphClient, secrets: &[&str]) -> String {
    let error = client.sign_in(soon()).await.expect_err("sign-in fails");
    let text = error.to_string();
    for secret in secrets {
        assert!(!text.contains(secret), "{text} leaks {secret}");
    }
    text
}

fn certificate(name: &str) -> ClientCertificate {
    ClientCertificate::from_pkcs12(&pfx(name), &Secret::new(PFX_PASSWORD)).unwrap()
}

#[tokio::test]
async fn client_certificate_assertions_are_accepted_and_never_replayed() {
    let mut config = trusting_config();
    // Two-second tokens: the client refreshes after one, with a new assertion.
    config.token_lifetime = Duration::from_secs(2);
    let sim = Simulator::spawn(config).unwrap();
    let client = client(
        &sim,
        &tenant(&sim),
        Credential::ClientCertificate {
            client_id: client_id(&sim),
            certificate: certificate("app-cert.pfx"),
        },
    );
    works(&client).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    works(&client).await;
    assert_tokens_for(&sim.requests(), GRAPH_RESOURCE);
    let requests = token_requests(&sim);
    assert_eq!(requests.len(), 2, "{requests:#?}");
    for request in requests {
        assert_eq!(request.status, 200);
        let body = request.body.unwrap();
        assert_eq!(
            body["client_assertion_type"],
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        );
        assert_eq!(body["client_assertion"], "[REDACTED]");
        assert!(body.get("client_secret").is_none());
    }
}

#[tokio::test]
async fn an_unregistered_certificate_is_refused_by_thumbprint() {
    let sim = start();
    let other = certificate("other-cert.pfx");
    let text = fails(
        &client(
            &sim,
            &tenant(&sim),
            Credential::ClientCertificate {
                client_id: client_id(&sim),
                certificate: other.clone(),
            },
        ),
        &[],
    )
    .await;
    assert!(text.contains("AADSTS700027"), "{text}");
    assert!(text.contains("not registered on application"), "{text}");
}

#[tokio::test]
async fn federated_tokens_from_a_value_and_their_failures() {
    let sim = start();
    let federated = |token: String| Credential::Federated {
        client_id: client_id(&sim),
        token: FederatedToken::Token(Secret::new(token)),
    };
    works(&client(
        &sim,
        &tenant(&sim),
        federated(federated_token(&sim, HCP_ISSUER, HCP_SUBJECT)),
    ))
    .await;
    assert_tokens_for(&sim.requests(), GRAPH_RESOURCE);

    let expired = expired_federated_token(&sim, HCP_ISSUER, HCP_SUBJECT);
    let text = fails(
        &client(&sim, &tenant(&sim), federated(expired.clone())),
        &[&expired],
    )
    .await;
    assert!(text.contains("AADSTS700024"), "{text}");

    let untrusted = federated_token(
        &sim,
        GITHUB_ISSUER,
        "repo:contoso/intune-config:pull_request",
    );
    let text = fails(
        &client(&sim, &tenant(&sim), federated(untrusted.clone())),
        &[&untrusted],
    )
    .await;
    assert!(text.contains("AADSTS700213"), "{text}");
    assert!(
        text.contains("'repo:contoso/intune-config:pull_request'"),
        "the untrusted subject is named: {text}"
    );
}

#[tokio::test]
async fn a_token_file_is_read_again_after_it_rotates() {
    let sim = start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("azure-identity-token");
    std::fs::write(
        &path,
        expired_federated_token(&sim, K8S_ISSUER, K8S_SUBJECT),
    )
    .unwrap();
    let client = client(
        &sim,
        &tenant(&sim),
        Credential::Federated {
            client_id: client_id(&sim),
            token: FederatedToken::File(path.clone()),
        },
    );
    let text = fails(&client, &[]).await;
    assert!(text.contains("AADSTS700024"), "{text}");
    // The kubelet writes a fresh token; the same client picks it up.
    std::fs::write(&path, federated_token(&sim, K8S_ISSUER, K8S_SUBJECT)).unwrap();
    works(&client).await;
    assert_tokens_for(&sim.requests(), GRAPH_RESOURCE);

    std::fs::remove_file(&path).unwrap();
    let missing = client_missing_file(&sim, path).await;
    assert!(missing.starts_with("OIDC token file: reading"), "{missing}");
}

async fn client_missing_file(sim: &Simulator, path: PathBuf) -> String {
    fails(
        &client(
            sim,
            &tenant(sim),
            Credential::Federated {
                client_id: client_id(sim),
                token: FederatedToken::File(path),
            },
        ),
        &[],
    )
    .await
}

#[tokio::test]
async fn github_actions_id_tokens_are_requested_for_the_exchange_audience() {
    let sim = start();
    let github = |request_token: &str| Credential::Federated {
        client_id: client_id(&sim),
        token: FederatedToken::GitHubActions {
            request_url: sim.github_actions_url(),
            request_token: Secret::new(request_token),
        },
    };
    works(&client(&sim, &tenant(&sim), github(GITHUB_REQUEST_TOKEN))).await;
    assert_tokens_for(&sim.requests(), GRAPH_RESOURCE);
    let id_token_request = sim
        .requests()
        .into_iter()
        .find(|r| r.path == "/github-actions/idtoken")
        .expect("the ID-token endpoint was asked");
    assert_eq!(id_token_request.method, "GET");
    assert_eq!(
        id_token_request.query_param("audience").as_deref(),
        Some(AUDIENCE)
    );
    assert_eq!(
        id_token_request.query_param("api-version").as_deref(),
        Some("2.0"),
        "the URL's own query string is kept"
    );

    let text = fails(
        &client(&sim, &tenant(&sim), github("not-the-request-token")),
        &["not-the-request-token"],
    )
    .await;
    assert!(
        text.starts_with("GitHub Actions OIDC: the ID-token endpoint"),
        "{text}"
    );
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(text.contains("id-token: write"), "{text}");
}

#[tokio::test]
async fn azure_devops_service_connection_tokens() {
    let sim = start();
    let ado = |access_token: &str, connection: &str| Credential::Federated {
        client_id: client_id(&sim),
        token: FederatedToken::AzureDevOps {
            request_url: sim.azure_devops_url(),
            access_token: Secret::new(access_token),
            service_connection_id: connection.to_string(),
        },
    };
    works(&client(
        &sim,
        &tenant(&sim),
        ado(ADO_ACCESS_TOKEN, ADO_CONNECTION),
    ))
    .await;
    assert_tokens_for(&sim.requests(), GRAPH_RESOURCE);
    let request = sim
        .requests()
        .into_iter()
        .find(|r| r.path == "/azure-devops/oidctoken")
        .expect("the OIDC endpoint was asked");
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.query_param("serviceConnectionId").as_deref(),
        Some(ADO_CONNECTION)
    );

    // A bad access token: the provider asks for a 401 rather than Azure
    // DevOps' sign-in page (HTTP 203).
    let text = fails(
        &client(
            &sim,
            &tenant(&sim),
            ado("stale-access-token", ADO_CONNECTION),
        ),
        &["stale-access-token"],
    )
    .await;
    assert!(text.contains("answered HTTP 401: "), "{text}");
    assert!(text.contains("TF400813"), "{text}");
    assert!(text.contains("SYSTEM_ACCESSTOKEN"), "{text}");
    assert!(!text.contains("endpoint (SYSTEM_OIDCREQUESTURI)"), "{text}");

    let text = fails(
        &client(
            &sim,
            &tenant(&sim),
            ado(ADO_ACCESS_TOKEN, "another-connection"),
        ),
        &[ADO_ACCESS_TOKEN],
    )
    .await;
    assert!(text.contains("HTTP 404"), "{text}");
    assert!(
        text.contains("ado_pipeline_service_connection_id"),
        "{text}"
    );
}

#[tokio::test]
async fn managed_identity_in_both_styles() {
    let sim = start();
    let managed = |client_id: Option<&str>, endpoint: ManagedIdentityEndpoint| {
        client(
            &sim,
            "",
            Credential::ManagedIdentity {
                client_id: client_id.map(str::to_string),
                endpoint,
            },
        )
    };
    let imds = || ManagedIdentityEndpoint::Imds {
        url: sim.imds_url(),
    };
    let app_service = |header: &str| ManagedIdentityEndpoint::AppService {
        url: sim.app_service_url(),
        header: Secret::new(header),
    };
    works(&managed(None, imds())).await;
    works(&managed(Some(USER_ASSIGNED), imds())).await;
    works(&managed(None, app_service(IDENTITY_HEADER))).await;
    works(&managed(Some(USER_ASSIGNED), app_service(IDENTITY_HEADER))).await;
    let requests = sim.requests();
    for path in ["/metadata/identity/oauth2/token", "/msi/token"] {
        let asked: Vec<_> = requests.iter().filter(|r| r.path == path).collect();
        assert_eq!(asked.len(), 2, "{path}: {requests:#?}");
        for request in asked {
            assert_eq!(
                request.query_param("resource").as_deref(),
                Some(GRAPH_RESOURCE),
                "{path}: the token is for Graph, not for the simulator's URL"
            );
        }
    }
    assert!(
        requests
            .iter()
            .all(|r| !r.path.ends_with("/oauth2/v2.0/token")),
        "a managed identity never asks the token endpoint"
    );

    let text = fails(
        &managed(Some("00000000-0000-0000-0000-00000000beef"), imds()),
        &[],
    )
    .await;
    assert!(text.contains("HTTP 400: Identity not found"), "{text}");
    assert!(text.contains("user-assigned identity"), "{text}");
    let text = fails(
        &managed(None, app_service("wrong-header")),
        &["wrong-header"],
    )
    .await;
    assert!(text.contains("HTTP 401"), "{text}");
}

#[tokio::test]
async fn the_azure_cli_and_a_401_refresh() {
    let sim = start();
    let dir = tempfile::tempdir().unwrap();
    // The first token is one Graph does not accept: the 401 makes the
    // client ask `az` once more and retry with the new token.
    let tokens = ["stale-cli-token".to_string(), sim.issue_access_token()];
    let az = write_fake_az(
        dir.path(),
        FakeAz::LoggedIn {
            tokens: &tokens,
            tenant: &tenant(&sim),
        },
    );
    let cli = client(&sim, &tenant(&sim), Credential::AzureCli { program: az });
    works(&cli).await;
    let calls = az_calls(dir.path());
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(
        calls[0],
        format!(
            "account get-access-token --output json --resource {GRAPH_RESOURCE} --tenant {}",
            tenant(&sim)
        )
    );
    let statuses: Vec<u16> = sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/beta"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [401, 200]);

    let other = tempfile::tempdir().unwrap();
    let az = write_fake_az(other.path(), FakeAz::NotLoggedIn);
    let text = fails(
        &client(&sim, &tenant(&sim), Credential::AzureCli { program: az }),
        &[],
    )
    .await;
    assert_eq!(
        text,
        format!(
            "Azure CLI: the Azure CLI is not logged in (exit status 1: ERROR: Please run 'az login' to setup \
             account.); run `az login --tenant {}`",
            tenant(&sim)
        )
    );
}

// ---- the provider's configure step, from the environment ----

fn provider(env: Vec<(String, String)>) -> IntuneProvider {
    // Later entries win, so a case can override the shared environment.
    let map: HashMap<String, String> = env.into_iter().collect();
    IntuneProvider::with_env(move |k| map.get(k).cloned())
}

/// The environment every pipeline test shares (the simulator's tenant,
/// client and endpoints, and no `az` on PATH), then `extra`.
fn pipeline_env(sim: &Simulator, extra: &[(&str, String)]) -> Vec<(String, String)> {
    let shared = [
        ("ARM_TENANT_ID", tenant(sim)),
        ("ARM_CLIENT_ID", client_id(sim)),
        ("INTUNE_GRAPH_ENDPOINT", sim.base_url()),
        ("INTUNE_AUTHORITY_HOST", sim.base_url()),
        ("PATH", "/nonexistent".into()),
    ];
    shared
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

async fn configure(provider: &IntuneProvider) -> (Option<GraphClient>, Diagnostics) {
    let config = provider.schema().block.empty_object();
    let mut diags = Diagnostics::new();
    let client = provider
        .configure(&config, "1.11.4", &mut diags)
        .await
        .map(|c| c.graph().clone());
    (client, diags)
}

#[tokio::test]
async fn configure_signs_in_with_what_each_pipeline_exports() {
    let sim = start();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, federated_token(&sim, K8S_ISSUER, K8S_SUBJECT)).unwrap();
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "client certificate (path)",
            vec![
                (
                    "ARM_CLIENT_CERTIFICATE_PATH",
                    fixture_path("app-cert-3des.pfx").display().to_string(),
                ),
                ("ARM_CLIENT_CERTIFICATE_PASSWORD", PFX_PASSWORD.into()),
            ],
        ),
        (
            "client certificate (base64)",
            vec![("ARM_CLIENT_CERTIFICATE", pfx_base64("app-cert-nopass.pfx"))],
        ),
        (
            "GitHub Actions",
            vec![
                ("ARM_USE_OIDC", "true".into()),
                ("ACTIONS_ID_TOKEN_REQUEST_URL", sim.github_actions_url()),
                (
                    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                    GITHUB_REQUEST_TOKEN.into(),
                ),
            ],
        ),
        (
            "Azure DevOps",
            vec![
                ("ARM_USE_OIDC", "true".into()),
                (
                    "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID",
                    ADO_CONNECTION.into(),
                ),
                ("SYSTEM_OIDCREQUESTURI", sim.azure_devops_url()),
                ("SYSTEM_ACCESSTOKEN", ADO_ACCESS_TOKEN.into()),
            ],
        ),
        (
            "HCP Terraform",
            vec![
                ("ARM_USE_OIDC", "true".into()),
                (
                    "TFC_WORKLOAD_IDENTITY_TOKEN",
                    federated_token(&sim, HCP_ISSUER, HCP_SUBJECT),
                ),
            ],
        ),
        (
            "Kubernetes workload identity",
            vec![
                ("ARM_USE_OIDC", "true".into()),
                (
                    "AZURE_FEDERATED_TOKEN_FILE",
                    token_file.display().to_string(),
                ),
            ],
        ),
        (
            "App Service managed identity (user-assigned: ARM_CLIENT_ID names it)",
            vec![
                ("ARM_USE_MSI", "true".into()),
                ("ARM_CLIENT_ID", USER_ASSIGNED.into()),
                ("IDENTITY_ENDPOINT", sim.app_service_url()),
                ("IDENTITY_HEADER", IDENTITY_HEADER.into()),
            ],
        ),
    ];
    for (name, extra) in cases {
        sim.clear_requests();
        let (client, diags) = configure(&provider(pipeline_env(&sim, &extra))).await;
        assert!(client.is_some() && diags.is_empty(), "{name}: {diags:?}");
        assert_tokens_for(&sim.requests(), GRAPH_RESOURCE);
    }
}

/// With `graph_endpoint` at the simulator, `environment` picks whose Graph
/// the token is for; a cloud's own Graph host would pick its cloud.
#[tokio::test]
async fn configure_asks_for_the_environments_graph_resource() {
    let sim = start();
    let secret = ("ARM_CLIENT_SECRET", sim.config().client_secret.clone());
    for (environment, resource) in [
        ("usgovernment", "https://graph.microsoft.us"),
        ("dod", "https://dod-graph.microsoft.us"),
        ("china", "https://microsoftgraph.chinacloudapi.cn"),
    ] {
        sim.clear_requests();
        let env = pipeline_env(
            &sim,
            &[secret.clone(), ("ARM_ENVIRONMENT", environment.into())],
        );
        let (client, diags) = configure(&provider(env)).await;
        assert!(
            client.is_some() && diags.is_empty(),
            "{environment}: {diags:?}"
        );
        assert_tokens_for(&sim.requests(), resource);
    }
}

#[tokio::test]
async fn configure_failures_are_one_clear_diagnostic_without_secrets() {
    let sim = start();
    // No method complete: every method with its reason.
    let (client, diags) = configure(&provider(pipeline_env(&sim, &[]))).await;
    assert!(client.is_none());
    let all: Vec<_> = diags.iter().collect();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].summary, "No credentials for Entra ID");
    assert!(
        all[0]
            .detail
            .contains("- Azure CLI: `az` was not found on PATH")
    );

    // The chosen method fails: its error, and why earlier ones did not apply.
    let (client, diags) = configure(&provider(pipeline_env(
        &sim,
        &[("ARM_CLIENT_SECRET", "wrong-secret-value".into())],
    )))
    .await;
    assert!(client.is_none());
    let all: Vec<_> = diags.iter().collect();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].summary, "Sign-in to Entra ID failed");
    let detail = &all[0].detail;
    assert!(
        detail.starts_with(
            "Signing in with the client secret (client_secret from environment variable \
             ARM_CLIENT_SECRET, client_id from environment variable ARM_CLIENT_ID) failed:"
        ),
        "{detail}"
    );
    assert!(detail.contains("AADSTS7000215"), "{detail}");
    assert!(
        detail.contains("- client certificate: client_certificate is not set"),
        "{detail}"
    );
    assert!(!detail.contains("wrong-secret-value"), "{detail}");

    // A wrong PKCS#12 password is an error about the certificate.
    let (_, diags) = configure(&provider(pipeline_env(
        &sim,
        &[
            ("ARM_CLIENT_CERTIFICATE", pfx_base64("app-cert.pfx")),
            (
                "ARM_CLIENT_CERTIFICATE_PASSWORD",
                "not-the-pfx-password".into(),
            ),
        ],
    )))
    .await;
    let text = format!("{diags:?}");
    assert!(text.contains("Invalid client certificate"), "{text}");
    assert!(text.contains("password does not open it"), "{text}");
    assert!(!text.contains("not-the-pfx-password"), "{text}");
}

#[tokio::test]
async fn an_unreachable_managed_identity_endpoint_is_given_up_quickly() {
    // A managed identity endpoint that is not there: connection refused a
    // few times, then a credential error, long before the deadline.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sim = start();
    let client = client(
        &sim,
        "",
        Credential::ManagedIdentity {
            client_id: None,
            endpoint: ManagedIdentityEndpoint::Imds {
                url: format!("http://127.0.0.1:{port}/metadata/identity/oauth2/token"),
            },
        },
    );
    let started = Instant::now();
    let error = client
        .sign_in(Instant::now() + Duration::from_secs(15))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "{error}");
    assert!(matches!(error, GraphError::Credential { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("could not be reached (3 attempts"), "{text}");
    assert!(text.contains("Connection refused"), "{text}");
    assert!(!text.contains("resource="), "no query string: {text}");
}
