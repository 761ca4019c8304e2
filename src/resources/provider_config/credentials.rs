//! Which sign-in method the provider uses, from its settings: the first
//! method whose settings are complete wins, in azuread's order — client
//! certificate, client secret, OIDC (token, token file, GitHub Actions,
//! Azure DevOps, HCP Terraform), managed identity, Azure CLI. The two
//! tables [`METHODS`] and [`OIDC_SOURCES`] hold that order. A chosen
//! method whose sign-in then fails is reported, never replaced by a later
//! one.
//!
//! For every method passed over it keeps the reason, so that a failure can
//! be explained in one diagnostic. Reasons and descriptions name settings,
//! sources, paths and thumbprints, never a secret value. Secret settings
//! and variables arrive as [`Secret`] and stay so until they become part of
//! the [`Credential`], so no `{:?}` of anything here can print one.

use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::graph::{
    ClientCertificate, Credential, FederatedToken, IMDS_TOKEN_URL, ManagedIdentityEndpoint, Secret,
};

/// A setting's value and where it came from. Sensitive settings are
/// `Resolved<Secret>`, whose value prints `<redacted>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved<T = String> {
    pub value: T,
    /// `attribute client_secret` or `environment variable ARM_CLIENT_SECRET`.
    pub source: String,
    /// Whether the value came from the provider block (diagnostics then
    /// point at the attribute).
    pub from_attribute: bool,
}

/// The settings as the provider resolved them: attribute, else environment
/// variables; plus the variables that are not provider settings
/// (`SYSTEM_ACCESSTOKEN`, `IDENTITY_ENDPOINT`, `PATH`, ...). Secrets come
/// only through [`Settings::secret`] and [`Settings::env_secret`].
pub(crate) trait Settings {
    /// The provider setting `name`, one that is not sensitive.
    fn setting(&self, name: &str) -> Option<Resolved>;
    /// The sensitive provider setting `name` (`client_secret`, ...).
    fn secret(&self, name: &str) -> Option<Resolved<Secret>>;
    /// How to say "`name` is not set" with its environment variables.
    fn unset(&self, name: &str) -> String;
    /// An environment variable that is no provider setting and no secret.
    fn env(&self, var: &str) -> Option<String>;
    /// A secret environment variable that is no provider setting (one of
    /// [`SECRET_VARIABLES`]).
    fn env_secret(&self, var: &str) -> Option<Secret>;
}

/// The environment variables besides the provider settings that hold
/// secrets: read only as [`Secret`].
pub(crate) const SECRET_VARIABLES: [&str; 3] = [
    "SYSTEM_ACCESSTOKEN",
    "TFC_WORKLOAD_IDENTITY_TOKEN",
    "IDENTITY_HEADER",
];

/// The method chosen, and why the ones before it were not.
#[derive(Debug)]
pub(crate) struct Choice {
    pub credential: Credential,
    /// The tenant for the Graph client; empty when the method needs none.
    pub tenant_id: String,
    /// What was chosen, with sources: "client secret (client_secret from
    /// environment variable ARM_CLIENT_SECRET)".
    pub description: String,
    pub skipped: Vec<Skipped>,
}

/// A method passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skipped {
    pub method: &'static str,
    pub reason: String,
}

/// Why no credential could be built.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ChoiceError {
    /// No method's settings were complete; every method with its reason.
    NoneApplies(Vec<Skipped>),
    /// A method's settings are complete but unusable (an unreadable
    /// certificate, a wrong password, a setting that is not a boolean).
    /// `attribute` is set when the value came from the provider block.
    Invalid {
        summary: String,
        detail: String,
        attribute: Option<&'static str>,
    },
}

/// What one method made of the settings.
enum Step {
    Ready {
        credential: Credential,
        tenant_id: String,
        description: String,
    },
    Skip(String),
    Invalid(ChoiceError),
}

type MethodFn = fn(&dyn Settings) -> Step;

/// The methods in the order they are tried.
const METHODS: [(&str, MethodFn); 5] = [
    ("client certificate", client_certificate),
    ("client secret", client_secret),
    ("OIDC", oidc),
    ("managed identity", managed_identity),
    ("Azure CLI", azure_cli),
];

/// Picks the first method whose settings are complete.
pub(crate) fn choose(settings: &dyn Settings) -> Result<Choice, ChoiceError> {
    let mut skipped = Vec::new();
    for (method, try_method) in METHODS {
        match try_method(settings) {
            Step::Ready {
                credential,
                tenant_id,
                description,
            } => {
                return Ok(Choice {
                    credential,
                    tenant_id,
                    description,
                    skipped,
                });
            }
            Step::Skip(reason) => skipped.push(Skipped { method, reason }),
            Step::Invalid(error) => return Err(error),
        }
    }
    Err(ChoiceError::NoneApplies(skipped))
}

/// A boolean setting: `true`/`false` and the other spellings azurerm's
/// (Go's `strconv.ParseBool`) accepts. `Err` names the source.
pub(crate) fn flag(
    settings: &dyn Settings,
    name: &'static str,
) -> Result<Option<bool>, ChoiceError> {
    let Some(resolved) = settings.setting(name) else {
        return Ok(None);
    };
    parse_bool(&resolved.value)
        .map(Some)
        .ok_or_else(|| ChoiceError::Invalid {
            summary: format!("Invalid {name}"),
            detail: format!(
                "{:?} (from {}) is not a boolean; use true or false.",
                resolved.value, resolved.source
            ),
            attribute: None,
        })
}

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// `tenant_id` and `client_id`, or why the method cannot run without them.
fn tenant_and_client(settings: &dyn Settings, what: &str) -> Result<(Resolved, Resolved), String> {
    match (settings.setting("tenant_id"), settings.setting("client_id")) {
        (Some(tenant), Some(client)) => Ok((tenant, client)),
        (tenant, client) => {
            let mut missing = Vec::new();
            if tenant.is_none() {
                missing.push(settings.unset("tenant_id"));
            }
            if client.is_none() {
                missing.push(settings.unset("client_id"));
            }
            Err(format!("{what} is set, but {}", missing.join(" and ")))
        }
    }
}

/// Why an opt-in method (`use_oidc`, `use_msi`) is off.
fn not_enabled(settings: &dyn Settings, name: &str, value: Option<bool>) -> String {
    match value {
        Some(false) => format!("{name} is false"),
        _ => format!(
            "{}; set it to true to use this method",
            settings.unset(name)
        ),
    }
}

/// Where the PKCS#12 bundle comes from.
enum Bundle {
    /// `client_certificate`: the file in base64, a secret.
    Inline(Resolved<Secret>),
    /// `client_certificate_path`.
    Path(Resolved),
}

impl Bundle {
    /// The setting, where its value came from, and whether that was the
    /// provider block.
    fn origin(&self) -> (&'static str, &str, bool) {
        match self {
            Bundle::Inline(from) => ("client_certificate", &from.source, from.from_attribute),
            Bundle::Path(from) => ("client_certificate_path", &from.source, from.from_attribute),
        }
    }

    /// The certificate cannot be used: an error on the setting.
    fn invalid(&self, summary: &str, detail: String) -> Step {
        let (attribute, _, from_attribute) = self.origin();
        Step::Invalid(ChoiceError::Invalid {
            summary: summary.to_string(),
            detail,
            attribute: from_attribute.then_some(attribute),
        })
    }
}

fn client_certificate(settings: &dyn Settings) -> Step {
    let inline = settings.secret("client_certificate");
    let path = settings.setting("client_certificate_path");
    let bundle = match (inline, path) {
        (None, None) => {
            return Step::Skip(format!(
                "{}, and {}",
                settings.unset("client_certificate"),
                settings.unset("client_certificate_path")
            ));
        }
        (Some(inline), Some(path)) => return Step::Invalid(certificate_conflict(&inline, &path)),
        (Some(inline), None) => Bundle::Inline(inline),
        (None, Some(path)) => Bundle::Path(path),
    };
    let (attribute, source, _) = bundle.origin();
    let (tenant, client) = match tenant_and_client(settings, attribute) {
        Ok(pair) => pair,
        Err(reason) => return Step::Skip(reason),
    };
    let bytes = match &bundle {
        Bundle::Path(path) => match std::fs::read(&path.value) {
            Ok(bytes) => bytes,
            Err(error) => {
                return bundle.invalid(
                    "Unreadable client certificate",
                    format!(
                        "Reading the PKCS#12 file {} (client_certificate_path from {}) failed: {error}.",
                        path.value, path.source
                    ),
                );
            }
        },
        Bundle::Inline(inline) => {
            // The one place the base64 text is read: to decode it.
            let text: String = inline.value.expose().split_whitespace().collect();
            match base64::engine::general_purpose::STANDARD.decode(text) {
                Ok(bytes) => bytes,
                Err(_) => {
                    return bundle.invalid(
                        "Invalid client_certificate",
                        format!(
                            "client_certificate (from {}) must be the PKCS#12 file in base64, e.g. \
                             filebase64(\"app.pfx\"); it is not valid base64.",
                            inline.source
                        ),
                    );
                }
            }
        }
    };
    let password = settings
        .secret("client_certificate_password")
        .map(|p| p.value)
        .unwrap_or_else(|| Secret::new(""));
    let certificate = match ClientCertificate::from_pkcs12(&bytes, &password) {
        Ok(certificate) => certificate,
        Err(error) => {
            let what = match &bundle {
                Bundle::Path(path) => format!("The client certificate {}", path.value),
                Bundle::Inline(_) => "The client certificate".to_string(),
            };
            return bundle.invalid(
                "Invalid client certificate",
                format!("{what} ({attribute} from {source}) cannot be used: {error}."),
            );
        }
    };
    Step::Ready {
        description: format!(
            "the client certificate {attribute} from {source} ({}, thumbprint {}; client_id from {})",
            certificate.subject(),
            certificate.thumbprint(),
            client.source
        ),
        credential: Credential::ClientCertificate {
            client_id: client.value,
            certificate,
        },
        tenant_id: tenant.value,
    }
}

/// Both `client_certificate` and `client_certificate_path` are set. Also
/// reported by the provider's validation, before configure.
pub(crate) fn certificate_conflict(inline: &Resolved<Secret>, path: &Resolved) -> ChoiceError {
    ChoiceError::Invalid {
        summary: "Conflicting client certificate settings".into(),
        detail: format!(
            "Both client_certificate (from {}) and client_certificate_path (from {}) are set; set only one.",
            inline.source, path.source
        ),
        attribute: inline
            .from_attribute
            .then_some("client_certificate")
            .or(path.from_attribute.then_some("client_certificate_path")),
    }
}

fn client_secret(settings: &dyn Settings) -> Step {
    let Some(secret) = settings.secret("client_secret") else {
        return Step::Skip(settings.unset("client_secret"));
    };
    match tenant_and_client(settings, "client_secret") {
        Ok((tenant, client)) => Step::Ready {
            description: format!(
                "the client secret (client_secret from {}, client_id from {})",
                secret.source, client.source
            ),
            credential: Credential::ClientSecret {
                client_id: client.value,
                client_secret: secret.value,
            },
            tenant_id: tenant.value,
        },
        Err(reason) => Step::Skip(reason),
    }
}

/// OIDC, when `use_oidc` is true: the first of [`OIDC_SOURCES`] that
/// applies, or every source's settings and what is missing from those
/// partly set.
fn oidc(settings: &dyn Settings) -> Step {
    let use_oidc = match flag(settings, "use_oidc") {
        Ok(value) => value,
        Err(error) => return Step::Invalid(error),
    };
    if use_oidc != Some(true) {
        let present: Vec<&str> = [
            ("oidc_token", settings.secret("oidc_token").is_some()),
            (
                "oidc_token_file_path",
                settings.setting("oidc_token_file_path").is_some(),
            ),
            (
                "ado_pipeline_service_connection_id",
                settings
                    .setting("ado_pipeline_service_connection_id")
                    .is_some(),
            ),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect();
        let mut reason = not_enabled(settings, "use_oidc", use_oidc);
        if !present.is_empty() {
            reason.push_str(&format!(
                "; {} {} set but used only with use_oidc = true",
                present.join(" and "),
                if present.len() == 1 { "is" } else { "are" }
            ));
        }
        return Step::Skip(reason);
    }
    let (tenant, client) = match tenant_and_client(settings, "use_oidc") {
        Ok(pair) => pair,
        Err(reason) => return Step::Skip(reason),
    };
    let ready = |token: FederatedToken, from: String| Step::Ready {
        description: format!(
            "OIDC (workload identity federation) with {from}; client_id from {}",
            client.source
        ),
        credential: Credential::Federated {
            client_id: client.value.clone(),
            token,
        },
        tenant_id: tenant.value.clone(),
    };
    let mut gaps = Vec::new();
    for source in &OIDC_SOURCES {
        match (source.build)(settings) {
            Ok((token, from)) => return ready(token, from),
            Err(NotApplied::Incomplete(gap)) => {
                tracing::debug!(source = source.name, reason = %gap, "OIDC token source is incomplete");
                gaps.push(gap);
            }
            Err(NotApplied::NotAsked) => {
                tracing::debug!(source = source.name, "OIDC token source is not configured");
            }
        }
    }
    let wanted: Vec<&str> = OIDC_SOURCES.iter().map(|source| source.settings).collect();
    let (last, others) = wanted.split_last().unwrap_or((&"", &[]));
    let mut reason = format!(
        "use_oidc is true but no federated token is available: set {}, or {last}",
        others.join(", ")
    );
    for gap in gaps {
        reason.push_str("; ");
        reason.push_str(&gap);
    }
    Step::Skip(reason)
}

/// A federated token source, and how the choice describes it ("the token
/// file /run/token (from attribute oidc_token_file_path)").
type Found = (FederatedToken, String);

/// Why an OIDC source does not apply.
enum NotApplied {
    /// Nothing asks for it: none of its settings is set, or what is set
    /// belongs to another source. The reason for no token lists it by its
    /// [`OidcSource::settings`].
    NotAsked,
    /// Some of its settings are set but not all it needs: what is missing,
    /// added to the reason for no token.
    Incomplete(String),
}

/// One place a federated token can come from: a row of [`OIDC_SOURCES`].
struct OidcSource {
    /// What the source is, for debug logs.
    name: &'static str,
    /// The settings it needs (with their variables, or the platform that
    /// sets them), as the reason for no token names them.
    settings: &'static str,
    /// The token source from the settings, or why this source does not
    /// apply.
    build: fn(&dyn Settings) -> Result<Found, NotApplied>,
}

/// Where a federated token comes from, tried in this order, the first
/// that applies wins: a token given directly, a token file, GitHub
/// Actions' ID-token endpoint, Azure DevOps' (for a service connection),
/// HCP Terraform's workload identity token.
const OIDC_SOURCES: [OidcSource; 5] = [
    OidcSource {
        name: "oidc_token",
        settings: "oidc_token (ARM_OIDC_TOKEN)",
        build: oidc_token,
    },
    OidcSource {
        name: "token file",
        settings: "oidc_token_file_path (ARM_OIDC_TOKEN_FILE_PATH, AZURE_FEDERATED_TOKEN_FILE)",
        build: oidc_token_file,
    },
    OidcSource {
        name: "GitHub Actions",
        settings: "oidc_request_url and oidc_request_token (GitHub Actions)",
        build: github_actions,
    },
    OidcSource {
        name: "Azure DevOps",
        settings: "ado_pipeline_service_connection_id (Azure DevOps)",
        build: azure_devops,
    },
    OidcSource {
        name: "HCP Terraform",
        settings: "TFC_WORKLOAD_IDENTITY_TOKEN (HCP Terraform)",
        build: hcp_terraform,
    },
];

fn oidc_token(settings: &dyn Settings) -> Result<Found, NotApplied> {
    let token = settings.secret("oidc_token").ok_or(NotApplied::NotAsked)?;
    let from = format!("the token in oidc_token (from {})", token.source);
    Ok((FederatedToken::Token(token.value), from))
}

fn oidc_token_file(settings: &dyn Settings) -> Result<Found, NotApplied> {
    let path = settings
        .setting("oidc_token_file_path")
        .ok_or(NotApplied::NotAsked)?;
    let from = format!("the token file {} (from {})", path.value, path.source);
    Ok((FederatedToken::File(PathBuf::from(path.value)), from))
}

/// `oidc_request_url` and `oidc_request_token`, unless a service connection
/// is set: then they are Azure DevOps' and its row reads them.
fn github_actions(settings: &dyn Settings) -> Result<Found, NotApplied> {
    if settings
        .setting("ado_pipeline_service_connection_id")
        .is_some()
    {
        return Err(NotApplied::NotAsked);
    }
    match (
        settings.setting("oidc_request_url"),
        settings.secret("oidc_request_token"),
    ) {
        (Some(url), Some(token)) => {
            let from = format!(
                "a GitHub Actions ID token (oidc_request_url from {})",
                url.source
            );
            let token = FederatedToken::GitHubActions {
                request_url: url.value,
                request_token: token.value,
            };
            Ok((token, from))
        }
        (Some(_), None) => Err(NotApplied::Incomplete(format!(
            "oidc_request_url is set but {} (in GitHub Actions the job needs `permissions: id-token: write`)",
            settings.unset("oidc_request_token")
        ))),
        (None, Some(_)) => Err(NotApplied::Incomplete(format!(
            "oidc_request_token is set but {}",
            settings.unset("oidc_request_url")
        ))),
        (None, None) => Err(NotApplied::NotAsked),
    }
}

/// A service connection, with the request URL and token from the settings
/// or from the variables Azure Pipelines sets.
fn azure_devops(settings: &dyn Settings) -> Result<Found, NotApplied> {
    let connection = settings
        .setting("ado_pipeline_service_connection_id")
        .ok_or(NotApplied::NotAsked)?;
    let url = settings
        .setting("oidc_request_url")
        .map(|r| (r.value, r.source))
        .or_else(|| {
            settings
                .env("SYSTEM_OIDCREQUESTURI")
                .map(|v| (v, "environment variable SYSTEM_OIDCREQUESTURI".to_string()))
        });
    let token = settings
        .secret("oidc_request_token")
        .map(|r| r.value)
        .or_else(|| settings.env_secret("SYSTEM_ACCESSTOKEN"));
    match (url, token) {
        (Some((request_url, url_source)), Some(access_token)) => {
            let from = format!(
                "an Azure DevOps token for service connection {} (from {}; request URL from {url_source})",
                connection.value, connection.source
            );
            let token = FederatedToken::AzureDevOps {
                request_url,
                access_token,
                service_connection_id: connection.value,
            };
            Ok((token, from))
        }
        (url, token) => {
            let mut missing = Vec::new();
            if url.is_none() {
                missing.push("SYSTEM_OIDCREQUESTURI (set by Azure Pipelines)");
            }
            if token.is_none() {
                missing.push(
                    "SYSTEM_ACCESSTOKEN (map it into the step: `SYSTEM_ACCESSTOKEN: $(System.AccessToken)`)",
                );
            }
            Err(NotApplied::Incomplete(format!(
                "ado_pipeline_service_connection_id is set but {} is not",
                missing.join(" and ")
            )))
        }
    }
}

fn hcp_terraform(settings: &dyn Settings) -> Result<Found, NotApplied> {
    let token = settings
        .env_secret("TFC_WORKLOAD_IDENTITY_TOKEN")
        .ok_or(NotApplied::NotAsked)?;
    Ok((
        FederatedToken::Token(token),
        "HCP Terraform's workload identity token (TFC_WORKLOAD_IDENTITY_TOKEN)".to_string(),
    ))
}

fn managed_identity(settings: &dyn Settings) -> Step {
    match flag(settings, "use_msi") {
        Ok(Some(true)) => {}
        Ok(value) => return Step::Skip(not_enabled(settings, "use_msi", value)),
        Err(error) => return Step::Invalid(error),
    }
    let client = settings.setting("client_id");
    let (endpoint, where_) = if let Some(url) = settings.setting("msi_endpoint") {
        let text = format!(
            "the IMDS-style endpoint {} (msi_endpoint from {})",
            url.value, url.source
        );
        (ManagedIdentityEndpoint::Imds { url: url.value }, text)
    } else if let (Some(url), Some(header)) = (
        settings.env("IDENTITY_ENDPOINT"),
        settings.env_secret("IDENTITY_HEADER"),
    ) {
        let text = format!("the App Service endpoint {url} (IDENTITY_ENDPOINT)");
        (ManagedIdentityEndpoint::AppService { url, header }, text)
    } else {
        (
            ManagedIdentityEndpoint::Imds {
                url: IMDS_TOKEN_URL.to_string(),
            },
            format!("the Instance Metadata Service ({IMDS_TOKEN_URL})"),
        )
    };
    let which = match &client {
        Some(client) => format!(
            "the user-assigned identity {} (client_id from {})",
            client.value, client.source
        ),
        None => "the system-assigned identity".to_string(),
    };
    Step::Ready {
        description: format!("managed identity: {which} through {where_}"),
        credential: Credential::ManagedIdentity {
            client_id: client.map(|c| c.value),
            endpoint,
        },
        tenant_id: String::new(),
    }
}

fn azure_cli(settings: &dyn Settings) -> Step {
    match flag(settings, "use_cli") {
        Ok(Some(false)) => return Step::Skip("use_cli is false".into()),
        Ok(_) => {}
        Err(error) => return Step::Invalid(error),
    }
    let Some(program) = find_on_path(settings.env("PATH").as_deref()) else {
        return Step::Skip(
            "`az` was not found on PATH (install the Azure CLI and run `az login`)".into(),
        );
    };
    let tenant = settings.setting("tenant_id");
    let description = match &tenant {
        Some(tenant) => format!(
            "the Azure CLI ({}, tenant_id from {})",
            program.display(),
            tenant.source
        ),
        None => format!("the Azure CLI ({}, its default tenant)", program.display()),
    };
    Step::Ready {
        description,
        credential: Credential::AzureCli { program },
        tenant_id: tenant.map(|t| t.value).unwrap_or_default(),
    }
}

/// The first executable `az` in the directories of `path`, as a shell
/// would find it (the provider runs on Linux and macOS only).
fn find_on_path(path: Option<&str>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join("az"))
        .find(|candidate| is_program(candidate))
}

/// A file (links followed) with an execute bit set.
fn is_program(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Settings from a map: `name` for attributes, `$VAR` for variables.
    struct Map(HashMap<String, String>);

    impl Map {
        fn new(pairs: &[(&str, &str)]) -> Self {
            Map(pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect())
        }
    }

    /// The settings that are secrets, as the provider's schema marks them.
    const SENSITIVE: [&str; 5] = [
        "client_secret",
        "client_certificate",
        "client_certificate_password",
        "oidc_token",
        "oidc_request_token",
    ];

    impl Settings for Map {
        fn setting(&self, name: &str) -> Option<Resolved> {
            assert!(!SENSITIVE.contains(&name), "{name} is read as a secret");
            self.0.get(name).map(|value| Resolved {
                value: value.clone(),
                source: format!("attribute {name}"),
                from_attribute: true,
            })
        }
        fn secret(&self, name: &str) -> Option<Resolved<Secret>> {
            assert!(SENSITIVE.contains(&name), "{name} is no secret");
            self.0.get(name).map(|value| Resolved {
                value: Secret::new(value.clone()),
                source: format!("attribute {name}"),
                from_attribute: true,
            })
        }
        fn unset(&self, name: &str) -> String {
            format!("{name} is not set")
        }
        fn env(&self, var: &str) -> Option<String> {
            assert!(
                !SECRET_VARIABLES.contains(&var),
                "{var} is read as a secret"
            );
            self.0.get(&format!("${var}")).cloned()
        }
        fn env_secret(&self, var: &str) -> Option<Secret> {
            assert!(SECRET_VARIABLES.contains(&var), "{var} is no secret");
            self.0.get(&format!("${var}")).cloned().map(Secret::new)
        }
    }

    const PFX: &[u8] = include_bytes!("../../../tests/fixtures/auth/app-cert.pfx");

    fn method_of(choice: &Result<Choice, ChoiceError>) -> &'static str {
        match choice {
            Ok(choice) => choice.credential.method(),
            Err(ChoiceError::NoneApplies(_)) => "none",
            Err(ChoiceError::Invalid { .. }) => "invalid",
        }
    }

    #[test]
    fn the_first_complete_method_wins() {
        let pfx = base64::engine::general_purpose::STANDARD.encode(PFX);
        let ids = [("tenant_id", "t"), ("client_id", "c")];
        let with = |extra: &[(&str, &str)]| {
            let mut pairs: Vec<(&str, &str)> = ids.to_vec();
            pairs.extend_from_slice(extra);
            choose(&Map::new(&pairs))
        };
        let cert = [
            ("client_certificate", pfx.as_str()),
            ("client_certificate_password", "fixture-pfx-password"),
        ];
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (
                [&cert[..], &[("client_secret", "s")]].concat(),
                "client certificate",
            ),
            (
                vec![
                    ("client_secret", "s"),
                    ("use_oidc", "true"),
                    ("oidc_token", "x"),
                ],
                "client secret",
            ),
            (
                vec![
                    ("use_oidc", "true"),
                    ("oidc_token", "x"),
                    ("use_msi", "true"),
                ],
                "OIDC (workload identity federation)",
            ),
            (
                vec![("oidc_token", "x"), ("use_msi", "true")],
                "managed identity",
            ),
            (
                vec![("use_oidc", "true"), ("use_msi", "1")],
                "managed identity",
            ),
            (
                vec![("use_msi", "false"), ("$PATH", "/nonexistent")],
                "none",
            ),
            (vec![("use_cli", "false")], "none"),
            (vec![("use_msi", "yes")], "invalid"),
        ];
        for (pairs, expected) in cases {
            let choice = with(&pairs);
            assert_eq!(method_of(&choice), expected, "{pairs:?}: {choice:?}");
        }
    }

    #[test]
    fn oidc_sources_in_order() {
        let base = [("tenant_id", "t"), ("client_id", "c"), ("use_oidc", "true")];
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (
                vec![("oidc_token", "a"), ("oidc_token_file_path", "/f")],
                "Token",
            ),
            (
                vec![
                    ("oidc_token_file_path", "/f"),
                    ("oidc_request_url", "https://x"),
                    ("oidc_request_token", "r"),
                ],
                "File",
            ),
            (
                vec![
                    ("oidc_request_url", "https://x"),
                    ("oidc_request_token", "r"),
                    ("$TFC_WORKLOAD_IDENTITY_TOKEN", "h"),
                ],
                "GitHubActions",
            ),
            (
                vec![
                    ("ado_pipeline_service_connection_id", "sc"),
                    ("$SYSTEM_OIDCREQUESTURI", "https://ado"),
                    ("$SYSTEM_ACCESSTOKEN", "a"),
                ],
                "AzureDevOps",
            ),
            (
                vec![
                    ("ado_pipeline_service_connection_id", "sc"),
                    ("$SYSTEM_OIDCREQUESTURI", "https://ado"),
                    ("$TFC_WORKLOAD_IDENTITY_TOKEN", "h"),
                ],
                "Token",
            ),
            (vec![("$TFC_WORKLOAD_IDENTITY_TOKEN", "h")], "Token"),
        ];
        for (extra, expected) in cases {
            let mut pairs = base.to_vec();
            pairs.extend(extra.iter().copied());
            let choice = choose(&Map::new(&pairs)).unwrap_or_else(|e| panic!("{pairs:?}: {e:?}"));
            let Credential::Federated { token, .. } = &choice.credential else {
                panic!("{pairs:?}: {choice:?}");
            };
            assert!(
                format!("{token:?}").starts_with(expected),
                "{pairs:?}: {token:?}"
            );
        }
    }

    #[test]
    fn reasons_name_what_is_missing_and_never_a_secret() {
        let pairs = [
            ("client_secret", "hunter2-secret"),
            ("use_oidc", "true"),
            ("oidc_request_url", "https://actions.example/idtoken"),
            ("ado_pipeline_service_connection_id", "sc-1"),
            ("$SYSTEM_ACCESSTOKEN", "ado-access-token"),
            ("use_cli", "false"),
        ];
        let Err(ChoiceError::NoneApplies(skipped)) = choose(&Map::new(&pairs)) else {
            panic!("nothing is complete without tenant_id and client_id");
        };
        let methods: Vec<&str> = skipped.iter().map(|s| s.method).collect();
        assert_eq!(
            methods,
            [
                "client certificate",
                "client secret",
                "OIDC",
                "managed identity",
                "Azure CLI"
            ]
        );
        let text = format!("{skipped:?}");
        assert!(
            skipped[1]
                .reason
                .contains("tenant_id is not set and client_id is not set"),
            "{text}"
        );
        assert!(skipped[2].reason.contains("tenant_id is not set"), "{text}");
        assert!(
            !text.contains("hunter2-secret") && !text.contains("ado-access-token"),
            "{text}"
        );

        let mut pairs = pairs.to_vec();
        pairs.extend([("tenant_id", "t"), ("client_id", "c")]);
        pairs.retain(|(k, _)| !["client_secret", "oidc_request_url"].contains(k));
        let Err(ChoiceError::NoneApplies(skipped)) = choose(&Map::new(&pairs)) else {
            panic!("no OIDC source is complete");
        };
        let oidc = &skipped[2].reason;
        assert!(
            oidc.contains("SYSTEM_OIDCREQUESTURI (set by Azure Pipelines)"),
            "{oidc}"
        );
        assert!(!oidc.contains("SYSTEM_ACCESSTOKEN (map"), "{oidc}");
        assert_eq!(skipped[4].reason, "use_cli is false");

        let Err(ChoiceError::NoneApplies(skipped)) =
            choose(&Map::new(&[("oidc_token", "x"), ("use_cli", "0")]))
        else {
            panic!()
        };
        assert!(
            skipped[2]
                .reason
                .contains("oidc_token is set but used only with use_oidc = true")
        );
    }

    #[test]
    fn without_a_token_source_the_reason_lists_every_source_and_each_gap() {
        let base = [("tenant_id", "t"), ("client_id", "c"), ("use_oidc", "true")];
        let all = "use_oidc is true but no federated token is available: set oidc_token \
                   (ARM_OIDC_TOKEN), oidc_token_file_path (ARM_OIDC_TOKEN_FILE_PATH, \
                   AZURE_FEDERATED_TOKEN_FILE), oidc_request_url and oidc_request_token (GitHub \
                   Actions), ado_pipeline_service_connection_id (Azure DevOps), or \
                   TFC_WORKLOAD_IDENTITY_TOKEN (HCP Terraform)";
        let cases: Vec<(Vec<(&str, &str)>, String)> = vec![
            (vec![], all.to_string()),
            (
                vec![("oidc_request_url", "https://x")],
                format!(
                    "{all}; oidc_request_url is set but oidc_request_token is not set (in GitHub \
                     Actions the job needs `permissions: id-token: write`)"
                ),
            ),
            (
                vec![("oidc_request_token", "r")],
                format!("{all}; oidc_request_token is set but oidc_request_url is not set"),
            ),
            (
                vec![
                    ("ado_pipeline_service_connection_id", "sc"),
                    ("oidc_request_token", "r"),
                ],
                format!(
                    "{all}; ado_pipeline_service_connection_id is set but SYSTEM_OIDCREQUESTURI \
                     (set by Azure Pipelines) is not"
                ),
            ),
        ];
        for (extra, expected) in cases {
            let mut pairs = base.to_vec();
            pairs.extend(extra.iter().copied());
            pairs.push(("use_cli", "false"));
            let Err(ChoiceError::NoneApplies(skipped)) = choose(&Map::new(&pairs)) else {
                panic!("{pairs:?}: no OIDC source is complete");
            };
            assert_eq!(skipped[2].method, "OIDC");
            assert_eq!(skipped[2].reason, expected, "{pairs:?}");
        }
    }

    #[test]
    fn certificate_problems_are_errors_of_their_own() {
        let ids = [("tenant_id", "t"), ("client_id", "c")];
        /// (extra settings, summary, text in the detail)
        type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
        let cases: Vec<Case<'_>> = vec![
            (
                vec![("client_certificate", "not base64!")],
                "Invalid client_certificate",
                "not valid base64",
            ),
            (
                vec![("client_certificate_path", "/nonexistent/app.pfx")],
                "Unreadable client certificate",
                "/nonexistent/app.pfx",
            ),
            (
                vec![
                    ("client_certificate", "QUJD"),
                    ("client_certificate_path", "/x"),
                ],
                "Conflicting client certificate settings",
                "set only one",
            ),
        ];
        for (extra, summary, text) in cases {
            let mut pairs = ids.to_vec();
            pairs.extend(extra.iter().copied());
            match choose(&Map::new(&pairs)) {
                Err(ChoiceError::Invalid {
                    summary: got,
                    detail,
                    attribute,
                }) => {
                    assert_eq!(got, summary);
                    assert!(detail.contains(text), "{detail}");
                    assert!(attribute.is_some());
                }
                other => panic!("{extra:?}: {other:?}"),
            }
        }
        let pfx = base64::engine::general_purpose::STANDARD.encode(PFX);
        let mut pairs = ids.to_vec();
        pairs.extend([
            ("client_certificate", pfx.as_str()),
            ("client_certificate_password", "wrong-password"),
        ]);
        let Err(ChoiceError::Invalid { detail, .. }) = choose(&Map::new(&pairs)) else {
            panic!("a wrong password is an error");
        };
        assert!(detail.contains("password does not open it"), "{detail}");
        assert!(!detail.contains("wrong-password"), "{detail}");
    }

    #[test]
    fn managed_identity_endpoints() {
        let cases: Vec<(Vec<(&str, &str)>, ManagedIdentityEndpoint)> = vec![
            (
                vec![],
                ManagedIdentityEndpoint::Imds {
                    url: IMDS_TOKEN_URL.into(),
                },
            ),
            (
                vec![
                    ("msi_endpoint", "http://127.0.0.1:9/m"),
                    ("$IDENTITY_ENDPOINT", "http://127.0.0.1:8/a"),
                    ("$IDENTITY_HEADER", "h"),
                ],
                ManagedIdentityEndpoint::Imds {
                    url: "http://127.0.0.1:9/m".into(),
                },
            ),
            (
                vec![
                    ("$IDENTITY_ENDPOINT", "http://127.0.0.1:8/a"),
                    ("$IDENTITY_HEADER", "h"),
                ],
                ManagedIdentityEndpoint::AppService {
                    url: "http://127.0.0.1:8/a".into(),
                    header: Secret::new("h"),
                },
            ),
            (
                vec![("$IDENTITY_ENDPOINT", "http://127.0.0.1:8/a")],
                ManagedIdentityEndpoint::Imds {
                    url: IMDS_TOKEN_URL.into(),
                },
            ),
        ];
        for (extra, expected) in cases {
            let mut pairs = vec![("use_msi", "true")];
            pairs.extend(extra.iter().copied());
            let choice = choose(&Map::new(&pairs)).unwrap();
            let Credential::ManagedIdentity {
                endpoint,
                client_id,
            } = choice.credential
            else {
                panic!()
            };
            assert_eq!(endpoint, expected, "{pairs:?}");
            assert_eq!(client_id, None);
        }
    }

    #[test]
    fn the_cli_is_found_on_path() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let empty = tempfile::tempdir().unwrap();
        let not_executable = tempfile::tempdir().unwrap();
        let program = |dir: &Path, mode: u32| {
            let az = dir.join("az");
            std::fs::write(&az, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&az, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        program(dir.path(), 0o755);
        program(not_executable.path(), 0o644);
        std::fs::create_dir(empty.path().join("az")).unwrap();
        let path = std::env::join_paths([empty.path(), not_executable.path(), dir.path()]).unwrap();
        let path = path.to_str().unwrap();
        let choice = choose(&Map::new(&[("$PATH", path), ("tenant_id", "t")])).unwrap();
        assert_eq!(
            choice.credential,
            Credential::AzureCli {
                program: dir.path().join("az")
            }
        );
        assert_eq!(choice.tenant_id, "t");
        assert_eq!(find_on_path(Some(empty.path().to_str().unwrap())), None);
        assert_eq!(
            find_on_path(Some(not_executable.path().to_str().unwrap())),
            None,
            "a file without an execute bit is not a program"
        );
        assert_eq!(find_on_path(None), None);
    }

    #[test]
    fn booleans() {
        for (text, expected) in [
            ("true", Some(true)),
            ("1", Some(true)),
            ("False", Some(false)),
            ("0", Some(false)),
            ("yes", None),
            ("", None),
        ] {
            assert_eq!(parse_bool(text), expected, "{text:?}");
        }
    }
}
