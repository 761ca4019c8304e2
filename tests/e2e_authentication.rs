//! End-to-end sign-in with the real terraform binaries (1.0.3 and the one
//! on PATH): one workspace per version, initialised once, then one `apply`
//! per method, each creating a trusted certificate profile signed in only
//! that way (client certificate, OIDC token file, GitHub Actions, Azure
//! DevOps, HCP Terraform, managed identity IMDS- and App Service-style, the
//! Azure CLI). Then the failure diagnostics (wrong secret, expired federated
//! token, untrusted subject, missing and logged-out `az`). Every token is
//! asked for Graph's resource, never the simulator's URL. Everything runs
//! at `TF_LOG=trace`, and no secret, token or assertion may appear in the
//! output.

mod support;

use intune_graph_sim::RecordedRequest;
use support::auth::*;
use support::{Run, Terraform, Workspace, provider_tf, terraforms};

fn root_pem() -> String {
    std::fs::read_to_string(support::example("certs/contoso-root-ca.cer")).unwrap()
}

/// `provider.tf` with `body` inside the provider block.
fn provider_with(body: &str) -> String {
    provider_tf().replace(
        "provider \"intune\" {}\n",
        &format!("provider \"intune\" {{\n{body}}}\n"),
    )
}

fn profile(key: &str, name: &str) -> String {
    format!(
        "resource \"intune_trusted_certificate\" \"{key}\" {{\n  platform                 = \"ios\"\n  \
         display_name             = \"Signed in with {name}\"\n  trusted_root_certificate = file(\"root.cer\")\n}}\n"
    )
}

/// Nothing secret in the output: no bearer header, no JWT, none of
/// `secrets`.
fn assert_no_secrets(run: &Run, secrets: &[String]) {
    let output = run.output();
    assert!(
        !output.contains("Bearer "),
        "{}: a bearer token leaked",
        run.command
    );
    assert!(
        !output.contains("eyJ"),
        "{}: a JWT (assertion or federated token) leaked",
        run.command
    );
    for secret in secrets {
        assert!(
            !output.contains(secret.as_str()),
            "{}: {secret:?} leaked into the output",
            run.command
        );
    }
}

/// One way of signing in, as a pipeline sets it up.
struct Method {
    key: &'static str,
    name: &'static str,
    /// Inside `provider "intune" {}`.
    provider: String,
    set: Vec<(&'static str, String)>,
    unset: Vec<&'static str>,
    secrets: Vec<String>,
    /// Checks the simulator saw this method's requests.
    check: fn(&[RecordedRequest]),
}

fn asked(requests: &[RecordedRequest], path: &str) -> bool {
    requests.iter().any(|r| r.path == path && r.status == 200)
}

fn token_requests(requests: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    requests
        .iter()
        .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
        .collect()
}

fn with_assertion_only(requests: &[RecordedRequest]) {
    let tokens = token_requests(requests);
    assert!(!tokens.is_empty(), "no token request");
    for request in tokens {
        let body = request.body.as_ref().unwrap();
        assert_eq!(request.status, 200, "{body}");
        assert_eq!(body["client_assertion"], "[REDACTED]");
        assert!(body.get("client_secret").is_none(), "{body}");
    }
}

fn without_token_endpoint(requests: &[RecordedRequest]) {
    assert!(
        token_requests(requests).is_empty(),
        "this method never asks Entra's token endpoint"
    );
}

fn methods(ws: &Workspace, az_dir: &std::path::Path, token_file: &std::path::Path) -> Vec<Method> {
    let sim = &ws.sim;
    let hcp_token = federated_token(sim, HCP_ISSUER, HCP_SUBJECT);
    let path = format!(
        "{}:{}",
        az_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    vec![
        Method {
            key: "certificate",
            name: "a client certificate",
            provider: "  client_certificate = filebase64(\"app.pfx\")\n".into(),
            set: vec![("ARM_CLIENT_CERTIFICATE_PASSWORD", PFX_PASSWORD.into())],
            unset: vec!["ARM_CLIENT_SECRET"],
            secrets: vec![PFX_PASSWORD.into(), pfx_base64("app-cert.pfx")],
            check: with_assertion_only,
        },
        Method {
            key: "token_file",
            name: "an OIDC token file",
            provider: String::new(),
            set: vec![
                ("ARM_USE_OIDC", "true".into()),
                ("ARM_OIDC_TOKEN_FILE_PATH", token_file.display().to_string()),
            ],
            unset: vec!["ARM_CLIENT_SECRET"],
            secrets: vec![std::fs::read_to_string(token_file).unwrap()],
            check: with_assertion_only,
        },
        Method {
            key: "github",
            name: "GitHub Actions",
            provider: String::new(),
            set: vec![
                ("ARM_USE_OIDC", "true".into()),
                ("ACTIONS_ID_TOKEN_REQUEST_URL", sim.github_actions_url()),
                (
                    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                    GITHUB_REQUEST_TOKEN.into(),
                ),
            ],
            unset: vec!["ARM_CLIENT_SECRET"],
            secrets: vec![GITHUB_REQUEST_TOKEN.into()],
            check: |requests| {
                assert!(asked(requests, "/github-actions/idtoken"));
                with_assertion_only(requests);
            },
        },
        Method {
            key: "azure_devops",
            name: "an Azure DevOps service connection",
            provider: String::new(),
            set: vec![
                ("ARM_USE_OIDC", "true".into()),
                (
                    "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID",
                    ADO_CONNECTION.into(),
                ),
                ("SYSTEM_OIDCREQUESTURI", sim.azure_devops_url()),
                ("SYSTEM_ACCESSTOKEN", ADO_ACCESS_TOKEN.into()),
            ],
            unset: vec!["ARM_CLIENT_SECRET"],
            secrets: vec![ADO_ACCESS_TOKEN.into()],
            check: |requests| {
                assert!(asked(requests, "/azure-devops/oidctoken"));
                with_assertion_only(requests);
            },
        },
        Method {
            key: "hcp_terraform",
            name: "HCP Terraform workload identity",
            provider: String::new(),
            set: vec![
                ("ARM_USE_OIDC", "true".into()),
                ("TFC_WORKLOAD_IDENTITY_TOKEN", hcp_token.clone()),
            ],
            unset: vec!["ARM_CLIENT_SECRET"],
            secrets: vec![hcp_token],
            check: with_assertion_only,
        },
        Method {
            key: "imds",
            name: "a managed identity (IMDS)",
            provider: format!(
                "  use_msi      = true\n  msi_endpoint = \"{}\"\n",
                sim.imds_url()
            ),
            set: vec![],
            // System-assigned: no client id.
            unset: vec!["ARM_CLIENT_SECRET", "ARM_CLIENT_ID"],
            secrets: vec![],
            check: |requests| {
                assert!(asked(requests, "/metadata/identity/oauth2/token"));
                without_token_endpoint(requests);
            },
        },
        Method {
            key: "app_service",
            name: "a managed identity (App Service)",
            provider: String::new(),
            set: vec![
                ("ARM_USE_MSI", "true".into()),
                ("ARM_CLIENT_ID", USER_ASSIGNED.into()),
                ("IDENTITY_ENDPOINT", sim.app_service_url()),
                ("IDENTITY_HEADER", IDENTITY_HEADER.into()),
            ],
            unset: vec!["ARM_CLIENT_SECRET"],
            secrets: vec![IDENTITY_HEADER.into()],
            check: |requests| {
                assert!(asked(requests, "/msi/token"));
                without_token_endpoint(requests);
            },
        },
        Method {
            key: "azure_cli",
            name: "the Azure CLI",
            provider: String::new(),
            set: vec![("PATH", path)],
            unset: vec!["ARM_CLIENT_SECRET"],
            secrets: vec![],
            check: without_token_endpoint,
        },
    ]
}

fn every_method(tf: &Terraform) {
    let mut ws = Workspace::with_simulator(tf, trusting_config());
    ws.set_env("TF_LOG", "trace");
    ws.write("root.cer", root_pem());
    ws.write("app.pfx", pfx("app-cert.pfx"));
    let az_dir = ws.dir.path().join("az-bin");
    std::fs::create_dir_all(&az_dir).unwrap();
    let cli_token = ws.sim.issue_access_token();
    write_fake_az(
        &az_dir,
        FakeAz::LoggedIn {
            tokens: std::slice::from_ref(&cli_token),
            tenant: &ws.sim.config().tenant_id,
        },
    );
    let token_file = ws.dir.path().join("azure-identity-token");
    std::fs::write(
        &token_file,
        federated_token(&ws.sim, K8S_ISSUER, K8S_SUBJECT),
    )
    .unwrap();
    // The token file's issuer is the cluster's.
    ws.config("");
    ws.init();

    let mut resources = String::new();
    let methods = methods(&ws, &az_dir, &token_file);
    for method in &methods {
        resources.push_str(&profile(method.key, method.name));
        ws.write("main.tf", &resources);
        ws.write("provider.tf", provider_with(&method.provider));
        ws.sim.clear_requests();
        let run = ws.tf_with(
            &["apply", "-no-color", "-input=false", "-auto-approve"],
            &method.set,
            &method.unset,
        );
        run.expect_code(0);
        let names: Vec<String> = ws
            .sim
            .objects()
            .iter()
            .map(|o| o["displayName"].as_str().unwrap_or_default().to_string())
            .collect();
        assert!(
            names.contains(&format!("Signed in with {}", method.name)),
            "{}: {names:?}",
            method.name
        );
        run.expect_output("signing in to Entra ID with");
        (method.check)(&ws.sim.requests());
        // Requests go to the simulator, but tokens are asked for Graph.
        if method.key == "azure_cli" {
            let calls = az_calls(&az_dir);
            let resource = calls.last().and_then(|call| {
                let words: Vec<&str> = call.split_whitespace().collect();
                let at = words.iter().position(|word| *word == "--resource")?;
                words.get(at + 1).map(|word| word.to_string())
            });
            assert_eq!(resource.as_deref(), Some(GRAPH_RESOURCE), "{calls:?}");
        } else {
            assert_tokens_for(&ws.sim.requests(), GRAPH_RESOURCE);
        }
        let mut secrets = method.secrets.clone();
        secrets.push(ws.sim.config().client_secret.clone());
        secrets.push(cli_token.clone());
        assert_no_secrets(&run, &secrets);
    }
    assert!(!az_calls(&az_dir).is_empty(), "the fake az was used");
    assert_eq!(ws.sim.objects().len(), methods.len());

    let last = methods.last().unwrap();
    ws.tf_with(
        &["destroy", "-no-color", "-input=false", "-auto-approve"],
        &last.set,
        &last.unset,
    )
    .expect_code(0);
    assert!(ws.sim.objects().is_empty());
}

#[test]
fn every_sign_in_method_applies_a_profile() {
    for tf in terraforms() {
        every_method(&tf);
    }
}

fn failures(tf: &Terraform) {
    let mut ws = Workspace::with_simulator(tf, trusting_config());
    ws.set_env("TF_LOG", "trace");
    ws.write("root.cer", root_pem());
    ws.config(&profile("failing", "nothing"));
    ws.init();
    let empty_bin = ws.dir.path().join("empty-bin");
    std::fs::create_dir_all(&empty_bin).unwrap();
    let logged_out_bin = ws.dir.path().join("logged-out-bin");
    std::fs::create_dir_all(&logged_out_bin).unwrap();
    write_fake_az(&logged_out_bin, FakeAz::NotLoggedIn);
    let expired_file = ws.dir.path().join("expired-token");
    let expired = expired_federated_token(&ws.sim, K8S_ISSUER, K8S_SUBJECT);
    std::fs::write(&expired_file, &expired).unwrap();
    let untrusted = federated_token(
        &ws.sim,
        HCP_ISSUER,
        "organization:contoso:project:intune:workspace:dev:run_phase:plan",
    );
    let tenant = ws.sim.config().tenant_id.clone();

    type Case<'a> = (
        &'a str,
        Vec<(&'static str, String)>,
        Vec<&'static str>,
        Vec<String>,
        Vec<String>,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "wrong secret",
            vec![("ARM_CLIENT_SECRET", "wrong-secret-value-e2e".into())],
            vec![],
            vec![
                "Sign-in to Entra ID failed".into(),
                "Signing in with the client secret (client_secret from environment variable ARM_CLIENT_SECRET".into(),
                "AADSTS7000215: Invalid client secret provided.".into(),
            ],
            vec!["wrong-secret-value-e2e".into()],
        ),
        (
            "expired federated token",
            vec![
                ("ARM_USE_OIDC", "true".into()),
                ("AZURE_FEDERATED_TOKEN_FILE", expired_file.display().to_string()),
            ],
            vec!["ARM_CLIENT_SECRET"],
            vec![
                "Sign-in to Entra ID failed".into(),
                format!("the token file {}", expired_file.display()),
                "AADSTS700024: Client assertion is not within its valid time range.".into(),
            ],
            vec![expired.clone()],
        ),
        (
            "untrusted federated subject",
            vec![
                ("ARM_USE_OIDC", "true".into()),
                ("TFC_WORKLOAD_IDENTITY_TOKEN", untrusted.clone()),
            ],
            vec!["ARM_CLIENT_SECRET"],
            vec![
                "HCP Terraform's workload identity token (TFC_WORKLOAD_IDENTITY_TOKEN)".into(),
                "AADSTS700213: No matching federated identity record found for presented assertion subject \
                 'organization:contoso:project:intune:workspace:dev:run_phase:plan'"
                    .into(),
            ],
            vec![untrusted.clone()],
        ),
        (
            "missing az",
            vec![("PATH", empty_bin.display().to_string())],
            vec!["ARM_CLIENT_SECRET"],
            vec![
                "No credentials for Entra ID".into(),
                "- client certificate: client_certificate is not set (nor ARM_CLIENT_CERTIFICATE)".into(),
                "- client secret: client_secret is not set (nor ARM_CLIENT_SECRET)".into(),
                "- OIDC: use_oidc is not set (nor ARM_USE_OIDC)".into(),
                "- managed identity: use_msi is not set (nor ARM_USE_MSI)".into(),
                "- Azure CLI: `az` was not found on PATH".into(),
            ],
            vec![],
        ),
        (
            "logged-out az",
            vec![("PATH", logged_out_bin.display().to_string())],
            vec!["ARM_CLIENT_SECRET"],
            vec![
                "Sign-in to Entra ID failed".into(),
                "Azure CLI: the Azure CLI is not logged in".into(),
                format!("run `az login --tenant {tenant}`"),
            ],
            vec![],
        ),
    ];
    for (name, set, unset, expected, secrets) in cases {
        let run = ws.tf_with(&["plan", "-no-color", "-input=false"], &set, &unset);
        run.expect_code(1);
        for needle in &expected {
            run.expect_output(needle);
        }
        let mut secrets = secrets;
        secrets.push(ws.sim.config().client_secret.clone());
        assert_no_secrets(&run, &secrets);
        assert_eq!(ws.sim.write_count(), 0, "{name}: no Graph write");
    }
}

#[test]
fn sign_in_failures_are_clear_and_keep_secrets() {
    for tf in terraforms() {
        failures(&tf);
    }
}
