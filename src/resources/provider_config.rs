//! The `provider "intune" {}` block: its settings, their environment
//! variables (azuread/azurerm names, so pipelines' existing exports work),
//! the national clouds, the choice of sign-in method (`credentials.rs`) and
//! how they become a signed-in Graph client.

mod credentials;

use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::client::{
    DEFAULT_CERTIFICATE_EXPIRY_WARNING_DAYS, DEFAULT_CREATE_RECOVERY, IntuneClient,
    ResourceSettings,
};
use crate::framework::timeouts::parse_duration;
use crate::framework::{Attribute, Block, Diagnostics, Mode, ProviderDefinition, Schema};
use crate::graph::{self, GraphClient, GraphConfig, RetryPolicy, Secret, WritePacing};
use crate::value::{AttributePath, Type, Value};
use credentials::{ChoiceError, Resolved, SECRET_VARIABLES, Settings, Skipped};

/// How long configuring may spend signing in (retries of throttled or
/// failing token requests included).
const SIGN_IN_BUDGET: Duration = Duration::from_secs(120);

/// The value type of a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    /// `true`/`false`; environment variables also accept `1`/`0`, `t`/`f`.
    Bool,
    /// A Terraform number; each setting says which numbers it accepts
    /// (a variable's text is parsed the same way).
    Number,
}

/// A provider setting: its attribute, the environment variables that can
/// supply it (first set wins), and its description.
struct Setting {
    name: &'static str,
    env: &'static [&'static str],
    kind: Kind,
    sensitive: bool,
    description: &'static str,
}

const fn text(
    name: &'static str,
    env: &'static [&'static str],
    sensitive: bool,
    description: &'static str,
) -> Setting {
    Setting {
        name,
        env,
        kind: Kind::String,
        sensitive,
        description,
    }
}

const fn number(
    name: &'static str,
    env: &'static [&'static str],
    description: &'static str,
) -> Setting {
    Setting {
        name,
        env,
        kind: Kind::Number,
        sensitive: false,
        description,
    }
}

const fn boolean(
    name: &'static str,
    env: &'static [&'static str],
    description: &'static str,
) -> Setting {
    Setting {
        name,
        env,
        kind: Kind::Bool,
        sensitive: false,
        description,
    }
}

// The settings this module reads by name itself, as constants so a
// misspelt one cannot compile.
const ENVIRONMENT: Setting = text(
    "environment",
    &["ARM_ENVIRONMENT"],
    false,
    "Cloud to use: `global` (default; alias `public`), `usgovernment` (alias `usgovernmentl4`), \
     `usgovernmentl5` (alias `dod`) or `china`. Selects the login host, the Graph host and the Graph \
     resource tokens are requested for.",
);
const GRAPH_ENDPOINT: Setting = text(
    "graph_endpoint",
    &["INTUNE_GRAPH_ENDPOINT"],
    false,
    "Overrides the Graph root URL, without the API version (the provider appends `/beta`). \
     `http://` is accepted only for loopback hosts. Changes only where requests go: tokens are still \
     requested for the cloud's Graph resource (that of the cloud whose Graph host this names, else \
     `environment`'s).",
);
const AUTHORITY_HOST: Setting = text(
    "authority_host",
    &["INTUNE_AUTHORITY_HOST"],
    false,
    "Overrides the Entra ID login root URL; tokens come from \
     `{authority_host}/{tenant_id}/oauth2/v2.0/token`. `http://` only for loopback hosts.",
);

const CREATE_RECOVERY_TIMEOUT: Setting = text(
    "create_recovery_timeout",
    &["INTUNE_CREATE_RECOVERY_TIMEOUT"],
    false,
    "How long a create whose answer was lost (a dropped connection, a gateway timeout after Graph made \
     the object) keeps looking for the object in Graph before it gives up, as a duration such as `\"2m\"` \
     or `\"90s\"`. Default `\"2m\"`. Graph's lists can lag behind a create by seconds; this wait is its own, \
     not taken from the resource's create timeout, and terraform's interrupt ends it at once.",
);

const CERTIFICATE_EXPIRY_WARNING_DAYS: Setting = number(
    "certificate_expiry_warning_days",
    &["INTUNE_CERTIFICATE_EXPIRY_WARNING_DAYS"],
    "A trusted certificate that expires within this many days gets a warning at plan time, so it can be \
     renewed before devices stop trusting it. A whole number of days; default `30`, `0` turns the warning off.",
);

const SETTINGS: &[Setting] = &[
    text(
        "tenant_id",
        &["ARM_TENANT_ID"],
        false,
        "Entra ID tenant, as a GUID or a domain name.",
    ),
    text(
        "client_id",
        &["ARM_CLIENT_ID"],
        false,
        "Application (client) id of the app registration the provider signs in as; with `use_msi`, the client \
         id of a user-assigned managed identity.",
    ),
    text(
        "client_secret",
        &["ARM_CLIENT_SECRET"],
        true,
        "Client secret of that application.",
    ),
    text(
        "client_certificate",
        &["ARM_CLIENT_CERTIFICATE"],
        true,
        "PKCS#12 (.pfx) bundle with the application's certificate and private key, base64-encoded \
         (`filebase64(\"app.pfx\")`).",
    ),
    text(
        "client_certificate_path",
        &["ARM_CLIENT_CERTIFICATE_PATH"],
        false,
        "Path of that PKCS#12 file, instead of `client_certificate`.",
    ),
    text(
        "client_certificate_password",
        &["ARM_CLIENT_CERTIFICATE_PASSWORD"],
        true,
        "Password of the PKCS#12 bundle (empty when it has none).",
    ),
    boolean(
        "use_oidc",
        &["ARM_USE_OIDC"],
        "Sign in with workload identity federation (OIDC): a token from GitHub Actions, Azure DevOps, HCP \
         Terraform or Kubernetes is exchanged for a Graph token.",
    ),
    text(
        "oidc_token",
        &["ARM_OIDC_TOKEN"],
        true,
        "The federated (OIDC) token itself.",
    ),
    text(
        "oidc_token_file_path",
        &["ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE"],
        false,
        "A file holding the federated token; read again at every sign-in, so a rotated token is picked up.",
    ),
    text(
        "oidc_request_url",
        &["ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"],
        false,
        "URL to request a federated token from (GitHub Actions sets `ACTIONS_ID_TOKEN_REQUEST_URL`; with \
         `ado_pipeline_service_connection_id` it defaults to `SYSTEM_OIDCREQUESTURI`).",
    ),
    text(
        "oidc_request_token",
        &["ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
        true,
        "Bearer token for `oidc_request_url` (with `ado_pipeline_service_connection_id` it defaults to \
         `SYSTEM_ACCESSTOKEN`).",
    ),
    text(
        "ado_pipeline_service_connection_id",
        &[
            "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID",
            "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID",
        ],
        false,
        "Id of the Azure DevOps service connection (workload identity federation) whose token to request, \
         using `SYSTEM_OIDCREQUESTURI` and `SYSTEM_ACCESSTOKEN`.",
    ),
    boolean(
        "use_msi",
        &["ARM_USE_MSI"],
        "Sign in as the managed identity of the Azure resource the provider runs on.",
    ),
    text(
        "msi_endpoint",
        &["ARM_MSI_ENDPOINT"],
        false,
        "Managed identity token endpoint to use instead of the Instance Metadata Service \
         (`http://169.254.169.254/metadata/identity/oauth2/token`); App Service's `IDENTITY_ENDPOINT` is \
         detected without it.",
    ),
    boolean(
        "use_cli",
        &["ARM_USE_CLI"],
        "Sign in with the account of the Azure CLI (`az login`) when no other method is configured. \
         Default `true`.",
    ),
    ENVIRONMENT,
    GRAPH_ENDPOINT,
    AUTHORITY_HOST,
    CREATE_RECOVERY_TIMEOUT,
    CERTIFICATE_EXPIRY_WARNING_DAYS,
];

/// A national cloud: its keyword, aliases, login root, Graph root and the
/// Graph resource id its tokens are issued for.
pub struct Cloud {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub authority_host: &'static str,
    pub graph_endpoint: &'static str,
    /// The audience of its Graph tokens (the same text as the default
    /// `graph_endpoint`, but not the same job: this one never changes with
    /// `graph_endpoint`).
    pub graph_resource: &'static str,
}

/// The clouds `environment` selects (docs/index.md shows this table).
pub const CLOUDS: &[Cloud] = &[
    Cloud {
        name: "global",
        aliases: &["public"],
        authority_host: "https://login.microsoftonline.com",
        graph_endpoint: "https://graph.microsoft.com",
        graph_resource: "https://graph.microsoft.com",
    },
    Cloud {
        name: "usgovernment",
        aliases: &["usgovernmentl4"],
        authority_host: "https://login.microsoftonline.us",
        graph_endpoint: "https://graph.microsoft.us",
        graph_resource: "https://graph.microsoft.us",
    },
    Cloud {
        name: "usgovernmentl5",
        aliases: &["dod"],
        authority_host: "https://login.microsoftonline.us",
        graph_endpoint: "https://dod-graph.microsoft.us",
        graph_resource: "https://dod-graph.microsoft.us",
    },
    Cloud {
        name: "china",
        aliases: &[],
        authority_host: "https://login.chinacloudapi.cn",
        graph_endpoint: "https://microsoftgraph.chinacloudapi.cn",
        graph_resource: "https://microsoftgraph.chinacloudapi.cn",
    },
];

pub fn cloud(name: &str) -> Option<&'static Cloud> {
    let name = name.trim().to_ascii_lowercase();
    CLOUDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name.as_str()))
}

/// The Graph resource id tokens are requested for: that of the cloud whose
/// Graph host `graph_endpoint` names (any case, any port), else that of
/// `environment`'s cloud (a simulator, a proxy, or no `graph_endpoint`).
/// Where requests go never changes whom the token is for.
pub fn graph_resource(graph_endpoint: Option<&str>, environment: &Cloud) -> &'static str {
    let host = |url: &str| {
        reqwest::Url::parse(url.trim())
            .ok()
            .and_then(|url| url.host_str().map(str::to_ascii_lowercase))
    };
    let named = graph_endpoint.and_then(host).and_then(|endpoint_host| {
        CLOUDS
            .iter()
            .find(|c| host(c.graph_resource).as_deref() == Some(endpoint_host.as_str()))
    });
    named.unwrap_or(environment).graph_resource
}

/// Reads an environment variable; tests substitute a map.
type EnvLookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

pub struct IntuneProvider {
    schema: Schema,
    /// Reads an environment variable; tests substitute a map.
    env: EnvLookup,
}

impl Default for IntuneProvider {
    fn default() -> Self {
        Self::with_env(|k| std::env::var(k).ok())
    }
}

impl IntuneProvider {
    pub fn with_env(env: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        let mut block = Block::new().description(
            "Manages Microsoft Intune certificate profiles through Microsoft Graph. Every setting can also \
             come from an environment variable; the attribute wins.",
        );
        for s in SETTINGS {
            let ty = match s.kind {
                Kind::String => Type::String,
                Kind::Bool => Type::Bool,
                Kind::Number => Type::Number,
            };
            let mut attr = Attribute::new(s.name, ty, Mode::Optional).description(format!(
                "{} Environment: {}.",
                s.description,
                env_list(s.env)
            ));
            if s.sensitive {
                attr = attr.sensitive();
            }
            block = block.attribute(attr);
        }
        IntuneProvider {
            schema: Schema::new(block),
            env: Box::new(env),
        }
    }

    /// A setting that is not sensitive; see [`IntuneProvider::resolve_as`].
    fn resolve(&self, config: &Value, s: &Setting) -> Option<Resolved> {
        debug_assert!(!s.sensitive, "{} must be resolved as a secret", s.name);
        self.resolve_as(config, s)
    }

    /// The attribute when set, else the first environment variable set, as
    /// `T`: [`Secret`] for sensitive settings, so the value is wrapped the
    /// moment it is read. Booleans come back as `true`/`false` from the
    /// attribute and as written from a variable. `None` also while the
    /// attribute is unknown (known only after apply): what it will be, and
    /// so whether the variable applies, cannot be told yet, and checks skip
    /// the setting.
    fn resolve_as<T: From<String>>(&self, config: &Value, s: &Setting) -> Option<Resolved<T>> {
        if config.get(s.name).is_unknown() {
            return None;
        }
        let attribute = match s.kind {
            Kind::String => config
                .get(s.name)
                .as_str()
                .filter(|v| !v.trim().is_empty())
                .map(str::to_string),
            Kind::Bool => config.get(s.name).as_bool().map(|b| b.to_string()),
            Kind::Number => match config.get(s.name) {
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            },
        };
        if let Some(value) = attribute {
            return Some(Resolved {
                value: T::from(value),
                source: format!("attribute {}", s.name),
                from_attribute: true,
            });
        }
        s.env.iter().find_map(|var| {
            (self.env)(var)
                .filter(|v| !v.trim().is_empty())
                .map(|v| Resolved {
                    value: T::from(v),
                    source: format!("environment variable {var}"),
                    from_attribute: false,
                })
        })
    }
}

/// The settings of one configuration, as `credentials::choose` reads them.
struct ConfigSettings<'a> {
    provider: &'a IntuneProvider,
    config: &'a Value,
}

impl ConfigSettings<'_> {
    fn find(name: &str) -> Option<&'static Setting> {
        let found = SETTINGS.iter().find(|s| s.name == name);
        debug_assert!(found.is_some(), "{name} is not a provider setting");
        found
    }
}

impl Settings for ConfigSettings<'_> {
    fn setting(&self, name: &str) -> Option<Resolved> {
        // A sensitive setting never comes back as a plain string.
        let found = Self::find(name).filter(|s| !s.sensitive);
        debug_assert!(
            found.is_some(),
            "{name} is sensitive: read it with secret()"
        );
        self.provider.resolve(self.config, found?)
    }

    fn secret(&self, name: &str) -> Option<Resolved<Secret>> {
        let found = Self::find(name);
        debug_assert!(found.is_none_or(|s| s.sensitive), "{name} is not sensitive");
        self.provider.resolve_as(self.config, found?)
    }

    fn unset(&self, name: &str) -> String {
        match SETTINGS.iter().find(|s| s.name == name) {
            Some(s) => format!("{name} is not set (nor {})", s.env.join(" or ")),
            None => format!("{name} is not set"),
        }
    }

    fn env(&self, var: &str) -> Option<String> {
        if SECRET_VARIABLES.contains(&var) {
            debug_assert!(false, "{var} is a secret: read it with env_secret()");
            return None;
        }
        (self.provider.env)(var).filter(|v| !v.trim().is_empty())
    }

    fn env_secret(&self, var: &str) -> Option<Secret> {
        debug_assert!(SECRET_VARIABLES.contains(&var), "{var} is no secret");
        (self.provider.env)(var)
            .filter(|v| !v.trim().is_empty())
            .map(Secret::from)
    }
}

impl IntuneProvider {
    /// The cloud `environment` names, `global` when it is unset; `None`
    /// with an error on the attribute when it names no cloud.
    fn chosen_cloud(&self, config: &Value, diags: &mut Diagnostics) -> Option<&'static Cloud> {
        let Some(env) = self.resolve(config, &ENVIRONMENT) else {
            return CLOUDS.first();
        };
        let found = cloud(&env.value);
        if found.is_none() {
            let names: Vec<String> = CLOUDS.iter().map(|c| format!("{:?}", c.name)).collect();
            diags.error_at(
                AttributePath::attr(ENVIRONMENT.name),
                "Unknown environment",
                format!(
                    "{:?} (from {}) is not a cloud; use one of {}.",
                    env.value,
                    env.source,
                    names.join(", ")
                ),
            );
        }
        found
    }
}

/// A setting that is complete but unusable, on its attribute when it came
/// from the provider block.
fn invalid_setting(
    diags: &mut Diagnostics,
    summary: String,
    detail: String,
    attribute: Option<&str>,
) {
    match attribute {
        Some(name) => diags.error_at(AttributePath::attr(name), summary, detail),
        None => diags.error(summary, detail),
    }
}

fn env_list(vars: &[&str]) -> String {
    vars.iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// "- client secret: client_secret is not set (nor ARM_CLIENT_SECRET)"
/// lines, one per method passed over.
fn method_lines(skipped: &[Skipped]) -> String {
    skipped
        .iter()
        .map(|s| format!("- {}: {}", s.method, s.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

impl IntuneProvider {
    /// The settings resources act on; `None` with an error on the attribute
    /// when one does not parse.
    fn resource_settings(
        &self,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<ResourceSettings> {
        let create_recovery = match self.resolve(config, &CREATE_RECOVERY_TIMEOUT) {
            None => DEFAULT_CREATE_RECOVERY,
            Some(r) => match parse_duration(&r.value) {
                Ok(d) => d,
                Err(e) => {
                    diags.error_at(
                        AttributePath::attr(CREATE_RECOVERY_TIMEOUT.name),
                        "Invalid create_recovery_timeout",
                        format!(
                            "{e} (from {}). Use a duration such as \"2m\" or \"90s\".",
                            r.source
                        ),
                    );
                    return None;
                }
            },
        };
        let certificate_expiry_warning_days = match self
            .resolve(config, &CERTIFICATE_EXPIRY_WARNING_DAYS)
        {
            None => DEFAULT_CERTIFICATE_EXPIRY_WARNING_DAYS,
            Some(r) => match r.value.trim().parse::<u32>() {
                Ok(days) => days,
                Err(_) => {
                    diags.error_at(
                            AttributePath::attr(CERTIFICATE_EXPIRY_WARNING_DAYS.name),
                            "Invalid certificate_expiry_warning_days",
                            format!(
                                "{:?} (from {}) is not a whole number of days. Use a number such as 30, or 0 to \
                                 turn the expiry warning off.",
                                r.value, r.source
                            ),
                        );
                    return None;
                }
            },
        };
        Some(ResourceSettings {
            create_recovery,
            certificate_expiry_warning_days,
        })
    }
}

#[async_trait]
impl ProviderDefinition for IntuneProvider {
    type Client = IntuneClient;

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.chosen_cloud(config, diags);
        self.resource_settings(config, diags);
        for s in [&GRAPH_ENDPOINT, &AUTHORITY_HOST] {
            if let Some(r) = self.resolve(config, s) {
                if let Err(e) = graph::check_root_url(s.name, &r.value) {
                    diags.error_at(
                        AttributePath::attr(s.name),
                        format!("Invalid {}", s.name),
                        format!("{e} (from {}).", r.source),
                    );
                }
            }
        }
        let settings = ConfigSettings {
            provider: self,
            config,
        };
        for s in SETTINGS.iter().filter(|s| s.kind == Kind::Bool) {
            if let Err(ChoiceError::Invalid {
                summary, detail, ..
            }) = credentials::flag(&settings, s.name)
            {
                diags.error(summary, detail);
            }
        }
        if let (Some(inline), Some(path)) = (
            settings.secret("client_certificate"),
            settings.setting("client_certificate_path"),
        ) && let ChoiceError::Invalid {
            summary,
            detail,
            attribute,
        } = credentials::certificate_conflict(&inline, &path)
        {
            invalid_setting(diags, summary, detail, attribute);
        }
    }

    async fn configure(
        &self,
        config: &Value,
        terraform_version: &str,
        diags: &mut Diagnostics,
    ) -> Option<IntuneClient> {
        if !config.is_wholly_known() {
            // Values known only after apply: configuration waits for them.
            return None;
        }
        let cloud = self.chosen_cloud(config, diags)?;
        let resource_settings = self.resource_settings(config, diags)?;
        let settings = ConfigSettings {
            provider: self,
            config,
        };
        let choice = match credentials::choose(&settings) {
            Ok(choice) => choice,
            Err(ChoiceError::NoneApplies(skipped)) => {
                diags.error(
                    "No credentials for Entra ID",
                    format!(
                        "The provider signs in with the first of these methods whose settings are complete, \
                         and none is:\n{}\nSee the provider documentation, section Authentication.",
                        method_lines(&skipped)
                    ),
                );
                return None;
            }
            Err(ChoiceError::Invalid {
                summary,
                detail,
                attribute,
            }) => {
                invalid_setting(diags, summary, detail, attribute);
                return None;
            }
        };
        let configured_endpoint = self.resolve(config, &GRAPH_ENDPOINT).map(|r| r.value);
        let graph_resource = graph_resource(configured_endpoint.as_deref(), cloud).to_string();
        let graph_endpoint =
            configured_endpoint.unwrap_or_else(|| cloud.graph_endpoint.to_string());
        let authority_host = self
            .resolve(config, &AUTHORITY_HOST)
            .map(|r| r.value)
            .unwrap_or_else(|| cloud.authority_host.to_string());
        tracing::debug!(
            method = choice.credential.method(),
            "signing in to Entra ID with {}",
            choice.description
        );
        let graph_config = GraphConfig {
            graph_endpoint,
            graph_resource,
            authority_host,
            tenant_id: choice.tenant_id,
            credential: choice.credential,
            user_agent: user_agent(terraform_version),
            retry: RetryPolicy::default(),
            write_pacing: WritePacing::default(),
        };
        let client = match GraphClient::new(graph_config) {
            Ok(client) => client,
            Err(e) => {
                diags.error(
                    "Invalid provider configuration",
                    format!("Signing in with {}: {e}", choice.description),
                );
                return None;
            }
        };
        // Sign in now: a credential problem is then one diagnostic here
        // rather than an error on every resource.
        if let Err(error) = client.sign_in(Instant::now() + SIGN_IN_BUDGET).await {
            let mut detail = format!("Signing in with {} failed:\n{error}", choice.description);
            if !choice.skipped.is_empty() {
                detail.push_str(&format!(
                    "\n\nMethods before it in the order the provider tries them did not apply:\n{}",
                    method_lines(&choice.skipped)
                ));
            }
            diags.error("Sign-in to Entra ID failed", detail);
            return None;
        }
        Some(IntuneClient::new(client, resource_settings))
    }

    fn stop(&self, client: &IntuneClient) {
        client.stop();
    }
}

/// `terraform-provider-intune/0.1.0 (Terraform 1.11.4)`: lets Microsoft and
/// tenant admins tell this provider's calls apart in audit logs.
pub fn user_agent(terraform_version: &str) -> String {
    let tf = if terraform_version.is_empty() {
        "unknown"
    } else {
        terraform_version
    };
    format!(
        "terraform-provider-intune/{} (Terraform {tf})",
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn provider(env: &[(&str, &str)]) -> IntuneProvider {
        let map: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        IntuneProvider::with_env(move |k| map.get(k).cloned())
    }

    fn config(pairs: &[(&str, &str)]) -> Value {
        let mut v = provider(&[]).schema.block.empty_object();
        for (k, x) in pairs {
            v.set(k, Value::string(*x));
        }
        v
    }

    #[tokio::test]
    async fn missing_credentials_give_one_diagnostic_listing_every_method() {
        let p = provider(&[
            ("ARM_TENANT_ID", "contoso.onmicrosoft.com"),
            ("ARM_CLIENT_SECRET", "env-secret-value"),
            ("PATH", "/nonexistent"),
        ]);
        let mut diags = Diagnostics::new();
        assert!(
            p.configure(&config(&[]), "1.11.4", &mut diags)
                .await
                .is_none()
        );
        let all: Vec<_> = diags.iter().collect();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].summary, "No credentials for Entra ID");
        let detail = &all[0].detail;
        for line in [
            "- client certificate: client_certificate is not set (nor ARM_CLIENT_CERTIFICATE), and \
             client_certificate_path is not set (nor ARM_CLIENT_CERTIFICATE_PATH)",
            "- client secret: client_secret is set, but client_id is not set (nor ARM_CLIENT_ID)",
            "- OIDC: use_oidc is not set (nor ARM_USE_OIDC); set it to true to use this method",
            "- managed identity: use_msi is not set (nor ARM_USE_MSI)",
            "- Azure CLI: `az` was not found on PATH",
        ] {
            assert!(detail.contains(line), "{line:?} not in {detail}");
        }
        assert!(!detail.contains("env-secret-value"), "{detail}");
    }

    #[tokio::test]
    async fn attribute_wins_over_environment_and_secret_never_leaks() {
        let p = provider(&[
            ("ARM_CLIENT_SECRET", "env-secret-value"),
            ("INTUNE_GRAPH_ENDPOINT", "http://example.com"),
            ("ARM_USE_MSI", "true"),
        ]);
        let c = config(&[
            ("tenant_id", "t"),
            ("client_id", "c"),
            ("graph_endpoint", "http://127.0.0.1:9"),
        ]);
        let mut diags = Diagnostics::new();
        p.validate(&c, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        let settings = ConfigSettings {
            provider: &p,
            config: &c,
        };
        assert_eq!(
            settings.setting("graph_endpoint").unwrap().source,
            "attribute graph_endpoint"
        );
        let choice = credentials::choose(&settings).unwrap();
        assert_eq!(choice.credential.method(), "client secret");
        assert_eq!(
            choice.description,
            "the client secret (client_secret from environment variable ARM_CLIENT_SECRET, client_id from \
             attribute client_id)"
        );
        let mut off = config(&[]);
        off.set("use_msi", Value::Bool(false));
        let settings = ConfigSettings {
            provider: &p,
            config: &off,
        };
        assert_eq!(
            settings.setting("use_msi").unwrap().value,
            "false",
            "a boolean attribute wins over ARM_USE_MSI"
        );
        let bad = config(&[]);
        let mut diags = Diagnostics::new();
        p.validate(&bad, &mut diags);
        let d = diags
            .iter()
            .next()
            .expect("http to a remote host is refused");
        assert_eq!(d.path, Some(AttributePath::attr("graph_endpoint")));
        assert!(d.detail.contains("INTUNE_GRAPH_ENDPOINT"));
        assert!(!format!("{diags:?}").contains("env-secret-value"));
    }

    /// With every secret set, from attributes or from environment
    /// variables, no `{:?}` of a resolved setting, a credential choice or
    /// the validation diagnostics shows a secret, whichever method wins.
    #[test]
    fn debug_output_never_holds_a_secret() {
        use base64::Engine as _;
        let pfx = base64::engine::general_purpose::STANDARD
            .encode(include_bytes!("../../tests/fixtures/auth/app-cert.pfx"));
        let secrets: Vec<(&str, String)> = vec![
            ("client_certificate", pfx),
            ("client_certificate_password", "fixture-pfx-password".into()),
            ("client_secret", "client-secret-value-1".into()),
            ("oidc_token", "oidc-token-value-2".into()),
            ("oidc_request_token", "oidc-request-token-value-3".into()),
            ("SYSTEM_ACCESSTOKEN", "system-access-token-value-4".into()),
            ("TFC_WORKLOAD_IDENTITY_TOKEN", "tfc-token-value-5".into()),
            ("IDENTITY_HEADER", "identity-header-value-6".into()),
        ];
        let plain: Vec<(&str, String)> = [
            ("tenant_id", "contoso.onmicrosoft.com"),
            ("client_id", "00000000-0000-0000-0000-0000000000bb"),
            ("use_oidc", "true"),
            ("use_msi", "true"),
            (
                "oidc_request_url",
                "https://actions.example/idtoken?api-version=2.0",
            ),
            ("ado_pipeline_service_connection_id", "sc-1"),
            ("SYSTEM_OIDCREQUESTURI", "https://ado.example/oidctoken"),
            ("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token"),
            ("PATH", "/nonexistent"),
        ]
        .iter()
        .map(|(k, v)| (*k, v.to_string()))
        .collect();
        const NOT_CERT: [&str; 1] = ["client_certificate"];
        const ENTRA: [&str; 3] = ["client_certificate", "client_secret", "oidc_token"];
        // (settings left out, what the credential's Debug starts with)
        let stages: Vec<(Vec<&str>, &str)> = vec![
            (vec![], "ClientCertificate"),
            (NOT_CERT.to_vec(), "ClientSecret"),
            (
                vec!["client_certificate", "client_secret"],
                "Federated { client_id: \"00000000-0000-0000-0000-0000000000bb\", token: Token(",
            ),
            (
                [&ENTRA[..], &["ado_pipeline_service_connection_id"]].concat(),
                "Federated { client_id: \"00000000-0000-0000-0000-0000000000bb\", token: GitHubActions",
            ),
            (
                [&ENTRA[..], &["oidc_request_token"]].concat(),
                "Federated { client_id: \"00000000-0000-0000-0000-0000000000bb\", token: AzureDevOps",
            ),
            (
                [
                    &ENTRA[..],
                    &["ado_pipeline_service_connection_id", "oidc_request_url"],
                ]
                .concat(),
                "Federated { client_id: \"00000000-0000-0000-0000-0000000000bb\", token: Token(",
            ),
            ([&ENTRA[..], &["use_oidc"]].concat(), "ManagedIdentity"),
        ];
        for from_attributes in [true, false] {
            for (left_out, expected) in &stages {
                let mut attributes = Vec::new();
                let mut env = Vec::new();
                for (name, value) in secrets.iter().chain(&plain) {
                    if left_out.contains(name) {
                        continue;
                    }
                    match SETTINGS.iter().find(|s| s.name == *name) {
                        Some(s) if from_attributes && s.kind == Kind::String => {
                            attributes.push((*name, value.as_str()))
                        }
                        Some(s) => env.push((s.env[0], value.as_str())),
                        None => env.push((*name, value.as_str())),
                    }
                }
                let p = provider(&env);
                let c = config(&attributes);
                let settings = ConfigSettings {
                    provider: &p,
                    config: &c,
                };
                let mut text = String::new();
                for s in SETTINGS {
                    if s.sensitive {
                        text.push_str(&format!("{:?}\n", settings.secret(s.name)));
                    } else {
                        text.push_str(&format!("{:?}\n", settings.setting(s.name)));
                    }
                }
                let choice = credentials::choose(&settings);
                text.push_str(&format!("{choice:?}\n"));
                let mut diags = Diagnostics::new();
                p.validate(&c, &mut diags);
                text.push_str(&format!("{diags:?}\n"));
                let case = format!("from attributes: {from_attributes}, without {left_out:?}");
                let credential = format!("{:?}", choice.expect(&case).credential);
                assert!(credential.starts_with(expected), "{case}: {credential}");
                assert!(text.contains("<redacted>"), "{case}: {text}");
                for (name, value) in &secrets {
                    assert!(
                        !text.contains(value.as_str()),
                        "{case}: {name} printed in {text}"
                    );
                }
            }
        }
    }

    #[test]
    fn validation_checks_booleans_and_certificate_conflicts() {
        let p = provider(&[
            ("ARM_USE_OIDC", "yes"),
            ("ARM_CLIENT_CERTIFICATE_PATH", "/a.pfx"),
        ]);
        let mut diags = Diagnostics::new();
        p.validate(&config(&[("client_certificate", "QUJD")]), &mut diags);
        let all: Vec<_> = diags.iter().collect();
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!(all[0].summary, "Invalid use_oidc");
        assert!(all[0].detail.contains("environment variable ARM_USE_OIDC"));
        assert_eq!(all[1].summary, "Conflicting client certificate settings");
        assert_eq!(all[1].path, Some(AttributePath::attr("client_certificate")));
        assert!(!all[1].detail.contains("QUJD"));
    }

    #[test]
    fn expiry_warning_days_is_a_whole_number_from_attribute_or_environment() {
        let with = |attr: Option<Value>, env: &[(&str, &str)]| {
            let mut c = config(&[]);
            if let Some(v) = attr {
                c.set(CERTIFICATE_EXPIRY_WARNING_DAYS.name, v);
            }
            let mut diags = Diagnostics::new();
            let days = provider(env)
                .resource_settings(&c, &mut diags)
                .map(|s| s.certificate_expiry_warning_days);
            let mut validated = Diagnostics::new();
            provider(env).validate(&c, &mut validated);
            assert_eq!(diags.has_errors(), validated.has_errors());
            (days, diags)
        };
        let var = "INTUNE_CERTIFICATE_EXPIRY_WARNING_DAYS";
        assert_eq!(with(None, &[]).0, Some(30));
        assert_eq!(with(Some(Value::int(0)), &[]).0, Some(0));
        assert_eq!(with(None, &[(var, " 45 ")]).0, Some(45));
        assert_eq!(with(Some(Value::int(7)), &[(var, "45")]).0, Some(7));
        let bad_float = Value::Number(crate::value::Number::Float(1.5));
        for (attr, env, source) in [
            (Some(Value::int(-1)), "", "attribute"),
            (Some(bad_float), "", "attribute"),
            (None, "ten", "environment variable"),
            (None, "-3", "environment variable"),
        ] {
            let pairs = [(var, env)];
            let (days, diags) = with(attr, if env.is_empty() { &[] } else { &pairs });
            assert_eq!(days, None);
            let all: Vec<_> = diags.iter().collect();
            assert_eq!(all.len(), 1, "{all:?}");
            assert_eq!(all[0].summary, "Invalid certificate_expiry_warning_days");
            assert_eq!(
                all[0].path,
                Some(AttributePath::attr("certificate_expiry_warning_days"))
            );
            assert!(all[0].detail.contains(source), "{}", all[0].detail);
        }
    }

    #[test]
    fn schema_types_and_sensitivity() {
        let p = provider(&[]);
        let block = &p.schema.block;
        for (name, ty, sensitive) in [
            ("use_cli", Type::Bool, false),
            ("use_oidc", Type::Bool, false),
            ("use_msi", Type::Bool, false),
            ("client_secret", Type::String, true),
            ("client_certificate", Type::String, true),
            ("client_certificate_password", Type::String, true),
            ("oidc_token", Type::String, true),
            ("oidc_request_token", Type::String, true),
            ("oidc_token_file_path", Type::String, false),
            ("msi_endpoint", Type::String, false),
            ("certificate_expiry_warning_days", Type::Number, false),
        ] {
            let attr = block
                .find_attribute(name)
                .unwrap_or_else(|| panic!("{name}"));
            assert_eq!((&attr.ty, attr.sensitive), (&ty, sensitive), "{name}");
        }
    }

    #[test]
    fn clouds_and_aliases() {
        assert_eq!(
            cloud("public").unwrap().graph_endpoint,
            "https://graph.microsoft.com"
        );
        assert_eq!(
            cloud("DoD").unwrap().graph_endpoint,
            "https://dod-graph.microsoft.us"
        );
        assert_eq!(cloud("usgovernmentl4").unwrap().name, "usgovernment");
        assert!(cloud("mars").is_none());
        let mut diags = Diagnostics::new();
        provider(&[("ARM_ENVIRONMENT", "mars")]).validate(&config(&[]), &mut diags);
        assert!(
            diags
                .iter()
                .next()
                .unwrap()
                .detail
                .contains("environment variable ARM_ENVIRONMENT")
        );
    }

    #[test]
    fn tokens_are_for_the_graph_resource_of_the_endpoint_host_or_the_environment() {
        // (graph_endpoint, environment, resource)
        let cases = [
            (None, "global", "https://graph.microsoft.com"),
            (None, "usgovernment", "https://graph.microsoft.us"),
            (None, "dod", "https://dod-graph.microsoft.us"),
            (None, "china", "https://microsoftgraph.chinacloudapi.cn"),
            // Each cloud's Graph host names its cloud, whatever environment says.
            (
                Some("https://graph.microsoft.com"),
                "china",
                "https://graph.microsoft.com",
            ),
            (
                Some("https://graph.microsoft.us"),
                "global",
                "https://graph.microsoft.us",
            ),
            (
                Some("https://dod-graph.microsoft.us/"),
                "global",
                "https://dod-graph.microsoft.us",
            ),
            (
                Some("https://microsoftgraph.chinacloudapi.cn"),
                "usgovernment",
                "https://microsoftgraph.chinacloudapi.cn",
            ),
            (
                Some("https://GRAPH.Microsoft.US"),
                "global",
                "https://graph.microsoft.us",
            ),
            (
                Some(" https://graph.microsoft.us:443 "),
                "global",
                "https://graph.microsoft.us",
            ),
            (
                Some("https://graph.microsoft.us:8443"),
                "global",
                "https://graph.microsoft.us",
            ),
            // A simulator or a proxy: the environment's cloud.
            (
                Some("http://127.0.0.1:8443"),
                "global",
                "https://graph.microsoft.com",
            ),
            (
                Some("http://127.0.0.1:8443"),
                "usgovernment",
                "https://graph.microsoft.us",
            ),
            (
                Some("http://127.0.0.1:8443"),
                "usgovernmentl5",
                "https://dod-graph.microsoft.us",
            ),
            (
                Some("http://127.0.0.1:8443"),
                "china",
                "https://microsoftgraph.chinacloudapi.cn",
            ),
            (
                Some("http://localhost:8443"),
                "public",
                "https://graph.microsoft.com",
            ),
            (
                Some("https://graph-proxy.contoso.com"),
                "dod",
                "https://dod-graph.microsoft.us",
            ),
            (
                Some("https://graph.microsoft.us.contoso.com"),
                "global",
                "https://graph.microsoft.com",
            ),
            (
                Some("not a url"),
                "usgovernment",
                "https://graph.microsoft.us",
            ),
        ];
        for (endpoint, environment, expected) in cases {
            assert_eq!(
                graph_resource(endpoint, cloud(environment).unwrap()),
                expected,
                "{endpoint:?} in {environment}"
            );
        }
    }

    #[test]
    fn unknown_attributes_are_checked_once_known() {
        // Environment variables that would be refused, each behind an
        // attribute whose value is known only after apply.
        let p = provider(&[
            ("ARM_ENVIRONMENT", "mars"),
            ("INTUNE_GRAPH_ENDPOINT", "http://example.com"),
            ("INTUNE_AUTHORITY_HOST", "ftp://example.com"),
            ("ARM_USE_MSI", "yes"),
            ("ARM_CLIENT_CERTIFICATE_PATH", "/a.pfx"),
        ]);
        let mut c = config(&[]);
        for name in [
            "environment",
            "graph_endpoint",
            "authority_host",
            "use_msi",
            "client_certificate",
        ] {
            c.set(name, Value::Unknown);
        }
        let mut diags = Diagnostics::new();
        p.validate(&c, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        // Once known (here: unset), the variables are checked.
        let mut diags = Diagnostics::new();
        p.validate(&config(&[]), &mut diags);
        assert_eq!(diags.iter().count(), 4, "{diags:?}");
    }

    #[tokio::test]
    async fn configure_explains_an_unknown_environment() {
        let p = provider(&[("ARM_ENVIRONMENT", "mars"), ("PATH", "/nonexistent")]);
        let mut diags = Diagnostics::new();
        assert!(
            p.configure(&config(&[]), "1.11.4", &mut diags)
                .await
                .is_none()
        );
        let all: Vec<_> = diags.iter().collect();
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].summary, "Unknown environment");
        assert_eq!(all[0].path, Some(AttributePath::attr("environment")));
    }

    #[test]
    fn user_agent_names_both_versions() {
        assert_eq!(
            user_agent("1.11.4"),
            format!(
                "terraform-provider-intune/{} (Terraform 1.11.4)",
                env!("CARGO_PKG_VERSION")
            )
        );
    }
}
