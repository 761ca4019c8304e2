//! The `provider "intune" {}` block: its settings, their environment
//! variables (azuread/azurerm names, so pipelines' existing exports work),
//! the national clouds, and how they become a Graph client.

use async_trait::async_trait;

use crate::framework::{Attribute, Block, Diagnostics, Mode, ProviderDefinition, Schema};
use crate::graph::{self, Credential, GraphClient, GraphConfig, RetryPolicy, Secret, WritePacing};
use crate::value::{AttributePath, Type, Value};

/// A provider setting: its attribute, the environment variables that can
/// supply it (first set wins), and its description.
struct Setting {
    name: &'static str,
    env: &'static [&'static str],
    sensitive: bool,
    description: &'static str,
}

const SETTINGS: &[Setting] = &[
    Setting {
        name: "tenant_id",
        env: &["ARM_TENANT_ID"],
        sensitive: false,
        description: "Entra ID tenant, as a GUID or a domain name.",
    },
    Setting {
        name: "client_id",
        env: &["ARM_CLIENT_ID"],
        sensitive: false,
        description: "Application (client) id of the app registration the provider signs in as.",
    },
    Setting {
        name: "client_secret",
        env: &["ARM_CLIENT_SECRET"],
        sensitive: true,
        description: "Client secret of that application.",
    },
    Setting {
        name: "environment",
        env: &["ARM_ENVIRONMENT"],
        sensitive: false,
        description: "Cloud to use: `global` (default; alias `public`), `usgovernment` (alias `usgovernmentl4`), \
                      `usgovernmentl5` (alias `dod`) or `china`. Selects both the login and the Graph host.",
    },
    Setting {
        name: "graph_endpoint",
        env: &["INTUNE_GRAPH_ENDPOINT"],
        sensitive: false,
        description: "Overrides the Graph root URL, without the API version (the provider appends `/beta`). \
                      `http://` is accepted only for loopback hosts.",
    },
    Setting {
        name: "authority_host",
        env: &["INTUNE_AUTHORITY_HOST"],
        sensitive: false,
        description: "Overrides the Entra ID login root URL; tokens come from \
                      `{authority_host}/{tenant_id}/oauth2/v2.0/token`. `http://` only for loopback hosts.",
    },
];

/// A national cloud: its keyword, aliases, login root and Graph root.
pub struct Cloud {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub authority_host: &'static str,
    pub graph_endpoint: &'static str,
}

/// The clouds `environment` selects (docs/index.md shows this table).
pub const CLOUDS: &[Cloud] = &[
    Cloud {
        name: "global",
        aliases: &["public"],
        authority_host: "https://login.microsoftonline.com",
        graph_endpoint: "https://graph.microsoft.com",
    },
    Cloud {
        name: "usgovernment",
        aliases: &["usgovernmentl4"],
        authority_host: "https://login.microsoftonline.us",
        graph_endpoint: "https://graph.microsoft.us",
    },
    Cloud {
        name: "usgovernmentl5",
        aliases: &["dod"],
        authority_host: "https://login.microsoftonline.us",
        graph_endpoint: "https://dod-graph.microsoft.us",
    },
    Cloud {
        name: "china",
        aliases: &[],
        authority_host: "https://login.chinacloudapi.cn",
        graph_endpoint: "https://microsoftgraph.chinacloudapi.cn",
    },
];

pub fn cloud(name: &str) -> Option<&'static Cloud> {
    let name = name.trim().to_ascii_lowercase();
    CLOUDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name.as_str()))
}

/// Where a value came from, for messages that must not show secrets.
struct Resolved {
    value: String,
    source: String,
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
            let mut attr = Attribute::new(s.name, Type::String, Mode::Optional).description(
                format!("{} Environment: {}.", s.description, env_list(s.env)),
            );
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

    /// The attribute when set, else the first environment variable set.
    fn resolve(&self, config: &Value, s: &Setting) -> Option<Resolved> {
        if let Some(v) = config.get(s.name).as_str().filter(|v| !v.trim().is_empty()) {
            return Some(Resolved {
                value: v.to_string(),
                source: format!("attribute {}", s.name),
            });
        }
        s.env.iter().find_map(|var| {
            (self.env)(var)
                .filter(|v| !v.trim().is_empty())
                .map(|v| Resolved {
                    value: v,
                    source: format!("environment variable {var}"),
                })
        })
    }
}

fn setting(name: &str) -> &'static Setting {
    SETTINGS
        .iter()
        .find(|s| s.name == name)
        .unwrap_or(&SETTINGS[0])
}

fn env_list(vars: &[&str]) -> String {
    vars.iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(" or ")
}

#[async_trait]
impl ProviderDefinition for IntuneProvider {
    type Client = GraphClient;

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(env) = self.resolve(config, setting("environment")) {
            if cloud(&env.value).is_none() {
                let names: Vec<String> = CLOUDS.iter().map(|c| format!("{:?}", c.name)).collect();
                diags.error_at(
                    AttributePath::attr("environment"),
                    "Unknown environment",
                    format!(
                        "{:?} (from {}) is not a cloud; use one of {}.",
                        env.value,
                        env.source,
                        names.join(", ")
                    ),
                );
            }
        }
        for name in ["graph_endpoint", "authority_host"] {
            if let Some(r) = self.resolve(config, setting(name)) {
                if let Err(e) = graph::check_root_url(name, &r.value) {
                    diags.error_at(
                        AttributePath::attr(name),
                        format!("Invalid {name}"),
                        format!("{e} (from {}).", r.source),
                    );
                }
            }
        }
    }

    async fn configure(
        &self,
        config: &Value,
        terraform_version: &str,
        diags: &mut Diagnostics,
    ) -> Option<GraphClient> {
        if !config.is_wholly_known() {
            // Values known only after apply: configuration waits for them.
            return None;
        }
        let cloud = match self.resolve(config, setting("environment")) {
            Some(r) => cloud(&r.value)?,
            None => &CLOUDS[0],
        };
        let get = |name| self.resolve(config, setting(name));
        let (tenant, client_id, secret) =
            (get("tenant_id"), get("client_id"), get("client_secret"));
        let (Some(tenant), Some(client_id), Some(secret)) = (tenant, client_id, secret) else {
            let missing: Vec<String> = ["tenant_id", "client_id", "client_secret"]
                .into_iter()
                .filter(|n| get(n).is_none())
                .map(|n| format!("{n} ({})", env_list(setting(n).env)))
                .collect();
            diags.error(
                "Missing credentials",
                format!(
                    "The intune provider signs in to Entra ID with a client secret and needs tenant_id, client_id \
                     and client_secret, set in the provider block or through ARM_TENANT_ID, ARM_CLIENT_ID and \
                     ARM_CLIENT_SECRET. Not set: {}.",
                    missing.join(", ")
                ),
            );
            return None;
        };
        let graph_endpoint = get("graph_endpoint")
            .map(|r| r.value)
            .unwrap_or_else(|| cloud.graph_endpoint.to_string());
        let authority_host = get("authority_host")
            .map(|r| r.value)
            .unwrap_or_else(|| cloud.authority_host.to_string());
        let config = GraphConfig {
            graph_endpoint,
            authority_host,
            tenant_id: tenant.value,
            credential: Credential::ClientSecret {
                client_id: client_id.value,
                client_secret: Secret::new(secret.value),
            },
            user_agent: user_agent(terraform_version),
            retry: RetryPolicy::default(),
            write_pacing: WritePacing::default(),
        };
        match GraphClient::new(config) {
            Ok(client) => Some(client),
            Err(e) => {
                diags.error("Invalid provider configuration", e.to_string());
                None
            }
        }
    }

    fn stop(&self, client: &GraphClient) {
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
    async fn missing_credentials_give_one_diagnostic_naming_attributes_and_variables() {
        let p = provider(&[("ARM_TENANT_ID", "contoso.onmicrosoft.com")]);
        let mut diags = Diagnostics::new();
        assert!(
            p.configure(&config(&[]), "1.11.4", &mut diags)
                .await
                .is_none()
        );
        let all: Vec<_> = diags.iter().collect();
        assert_eq!(all.len(), 1);
        let detail = &all[0].detail;
        assert!(detail.contains("client_id (`ARM_CLIENT_ID`)"), "{detail}");
        assert!(
            detail.contains("client_secret (`ARM_CLIENT_SECRET`)"),
            "{detail}"
        );
        assert!(!detail.contains("tenant_id (`"), "{detail}");
    }

    #[tokio::test]
    async fn attribute_wins_over_environment_and_secret_never_leaks() {
        let p = provider(&[
            ("ARM_CLIENT_SECRET", "env-secret-value"),
            ("INTUNE_GRAPH_ENDPOINT", "http://example.com"),
        ]);
        let c = config(&[
            ("tenant_id", "t"),
            ("client_id", "c"),
            ("graph_endpoint", "http://127.0.0.1:9"),
        ]);
        let mut diags = Diagnostics::new();
        p.validate(&c, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        assert!(
            p.configure(&c, "1.0.3", &mut diags).await.is_some(),
            "{diags:?}"
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
