//! Sign-in fixtures shared by the credential tests: the test certificates
//! and issuer key (`tests/fixtures/auth/`), a simulator configuration that
//! trusts every method, federated tokens as the pipelines' issuers would
//! mint them, and fake `az` programs.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use intune_graph_sim::{
    AzureDevOpsEndpoint, FederatedCredential, IdTokenEndpoint, ManagedIdentities, OidcIssuer,
    RecordedRequest, SimConfig, Simulator,
};

pub const PFX_PASSWORD: &str = "fixture-pfx-password";
pub const AUDIENCE: &str = "api://AzureADTokenExchange";

pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
pub const GITHUB_SUBJECT: &str = "repo:contoso/intune-config:ref:refs/heads/main";
pub const GITHUB_REQUEST_TOKEN: &str = "github-request-token-not-a-secret-elsewhere";

pub const ADO_ISSUER: &str = "https://vstoken.dev.azure.com/00000000-0000-0000-0000-0000000000cc";
pub const ADO_SUBJECT: &str = "sc://contoso/intune/intune-graph";
pub const ADO_ACCESS_TOKEN: &str = "ado-system-access-token-for-tests";
pub const ADO_CONNECTION: &str = "00000000-0000-0000-0000-0000000000dd";

pub const HCP_ISSUER: &str = "https://app.terraform.io";
pub const HCP_SUBJECT: &str = "organization:contoso:project:intune:workspace:prod:run_phase:apply";

pub const K8S_ISSUER: &str = "https://oidc.prod-aks.azure.com/contoso/";
pub const K8S_SUBJECT: &str = "system:serviceaccount:intune:terraform";

/// Graph's resource id in the global cloud: what every token is asked for,
/// though the requests themselves go to the simulator.
pub const GRAPH_RESOURCE: &str = "https://graph.microsoft.com";

pub const IDENTITY_HEADER: &str = "app-service-identity-header-secret";
pub const USER_ASSIGNED: &str = "00000000-0000-0000-0000-0000000000ee";

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/auth")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/auth")
        .join(name)
}

/// A PKCS#12 fixture's bytes (`app-cert.pfx`, `other-cert.pfx`, ...).
pub fn pfx(name: &str) -> Vec<u8> {
    fixture(name)
}

pub fn pfx_base64(name: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(pfx(name))
}

/// The DER of a PEM certificate fixture.
pub fn certificate_der(name: &str) -> Vec<u8> {
    let pem = String::from_utf8(fixture(name)).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

pub fn issuer_key() -> Vec<u8> {
    fixture("issuer-key.pk8")
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The default simulator, trusting the application's certificate, the four
/// issuers with one federated credential each, a system- and a
/// user-assigned managed identity, and serving the GitHub Actions and Azure
/// DevOps ID-token endpoints.
pub fn trusting_config() -> SimConfig {
    let issuers = [
        (GITHUB_ISSUER, GITHUB_SUBJECT),
        (ADO_ISSUER, ADO_SUBJECT),
        (HCP_ISSUER, HCP_SUBJECT),
        (K8S_ISSUER, K8S_SUBJECT),
    ];
    SimConfig {
        client_certificates: vec![certificate_der("app.cer")],
        oidc_issuers: issuers
            .iter()
            .map(|(issuer, _)| OidcIssuer {
                issuer: issuer.to_string(),
                signing_key_pkcs8: issuer_key(),
            })
            .collect(),
        federated_credentials: issuers
            .iter()
            .map(|(issuer, subject)| FederatedCredential {
                issuer: issuer.to_string(),
                subject: subject.to_string(),
                audience: AUDIENCE.to_string(),
            })
            .collect(),
        github_actions: Some(IdTokenEndpoint {
            issuer: GITHUB_ISSUER.into(),
            subject: GITHUB_SUBJECT.into(),
            request_token: GITHUB_REQUEST_TOKEN.into(),
        }),
        azure_devops: Some(AzureDevOpsEndpoint {
            issuer: ADO_ISSUER.into(),
            subject: ADO_SUBJECT.into(),
            access_token: ADO_ACCESS_TOKEN.into(),
            service_connection_id: ADO_CONNECTION.into(),
        }),
        managed_identity: Some(ManagedIdentities {
            system_assigned: true,
            user_assigned: vec![USER_ASSIGNED.into()],
            identity_header: IDENTITY_HEADER.into(),
        }),
        ..SimConfig::default()
    }
}

/// A federated token from `issuer` valid for ten more minutes.
pub fn federated_token(sim: &Simulator, issuer: &str, subject: &str) -> String {
    let now = unix_now();
    sim.federated_token(issuer, subject, AUDIENCE, now - 5, now + 600)
        .expect("the simulator knows the issuer")
}

/// A federated token from `issuer` that expired a minute ago.
pub fn expired_federated_token(sim: &Simulator, issuer: &str, subject: &str) -> String {
    let now = unix_now();
    sim.federated_token(issuer, subject, AUDIENCE, now - 3600, now - 60)
        .expect("the simulator knows the issuer")
}

/// How a fake `az` behaves.
pub enum FakeAz<'a> {
    /// Prints `tokens` in turn (the last one from then on).
    LoggedIn {
        tokens: &'a [String],
        tenant: &'a str,
    },
    /// Fails as the CLI does before `az login`.
    NotLoggedIn,
}

/// Writes an executable `az` into `dir` (put it first on PATH). Each run
/// appends its arguments to `dir/az-calls.log`.
pub fn write_fake_az(dir: &Path, behaviour: FakeAz<'_>) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let log = dir.join("az-calls.log");
    let body = match behaviour {
        FakeAz::LoggedIn { tokens, tenant } => {
            let expires = unix_now() + 3600;
            let mut script = format!(
                "calls=$(wc -l < '{log}')\n\
                 if [ \"$1 $2\" != \"account get-access-token\" ]; then echo \"ERROR: unexpected: $*\" >&2; exit 2; fi\n\
                 case $calls in\n",
                log = log.display()
            );
            for (index, token) in tokens.iter().enumerate() {
                let pattern = if index + 1 == tokens.len() {
                    "*".to_string()
                } else {
                    (index + 1).to_string()
                };
                script.push_str(&format!("  {pattern}) token='{token}' ;;\n"));
            }
            script.push_str(&format!(
                "esac\n\
                 printf '{{\"accessToken\": \"%s\", \"expiresOn\": \"2099-01-01 00:00:00.000000\", \
                 \"expires_on\": {expires}, \"subscription\": \"00000000-0000-0000-0000-000000000001\", \
                 \"tenant\": \"{tenant}\", \"tokenType\": \"Bearer\"}}\\n' \"$token\"\n"
            ));
            script
        }
        FakeAz::NotLoggedIn => {
            "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n".to_string()
        }
    };
    let script = format!(
        "#!/bin/sh\n# A stand-in for the Azure CLI, written by the tests.\necho \"$*\" >> '{}'\n{body}",
        log.display()
    );
    let path = dir.join("az");
    let temporary = dir.join("az.partial");
    std::fs::write(&temporary, script).unwrap();
    std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::rename(&temporary, &path).unwrap();
    path
}

/// The argument lines the fake `az` in `dir` was called with.
pub fn az_calls(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("az-calls.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// What each recorded sign-in request asked a token for: the `scope` of a
/// token-endpoint request, the `resource` of a managed identity request
/// (both styles). Other requests are left out.
pub fn requested_audiences(requests: &[RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .filter_map(|request| {
            if request.path.ends_with("/oauth2/v2.0/token") {
                let scope = request.body.as_ref()?.get("scope")?.as_str()?;
                Some(scope.to_string())
            } else if request.path == "/metadata/identity/oauth2/token"
                || request.path == "/msi/token"
            {
                request.query_param("resource")
            } else {
                None
            }
        })
        .collect()
}

/// Every token was asked for `resource` (as `{resource}/.default` from
/// Entra ID, as `resource` from managed identity), and at least one was.
pub fn assert_tokens_for(requests: &[RecordedRequest], resource: &str) {
    let audiences = requested_audiences(requests);
    assert!(!audiences.is_empty(), "no token request: {requests:#?}");
    for audience in &audiences {
        assert!(
            audience == resource || *audience == format!("{resource}/.default"),
            "a token was asked for {audience:?}, not {resource:?}: {audiences:?}"
        );
    }
}
