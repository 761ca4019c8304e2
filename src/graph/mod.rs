//! The Microsoft Graph client: sign-in, HTTP, retries with `Retry-After`,
//! paging, write pacing, Graph's clock and `GraphError`.
//!
//! Plain HTTP and `serde_json::Value` bodies: this layer knows nothing of
//! Terraform, resources or the simulator, and must not import them. The
//! resources layer builds paths and bodies; this layer delivers them and
//! says precisely what went wrong.

mod auth;
mod azure_cli;
mod certificate;
mod client;
mod clock;
mod endpoint;
mod entra;
mod error;
mod federated;
mod http;
mod managed_identity;
mod pacing;
mod redact;
mod retry;
mod stop;
mod token_http;

use std::time::Duration;

use tokio::time::Instant;

pub use auth::{Credential, Secret};
pub use certificate::{CertificateError, ClientCertificate};
pub use client::GraphClient;
pub use error::{GraphError, TransportKind, TransportMessage};
pub use federated::{FederatedToken, TOKEN_EXCHANGE_AUDIENCE};
pub use managed_identity::{IMDS_TOKEN_URL, ManagedIdentityEndpoint};
pub use pacing::WritePacing;
pub use retry::RetryPolicy;

/// The Graph API version every path is relative to. The certificate profile
/// types exist only in beta: v1.0 has no concrete trusted-root, SCEP, PKCS
/// or imported-PFX profile type (the `v1.0` note in
/// `data/graph-schema.json`). This is the one place it is named.
pub const API_VERSION: &str = "beta";

/// Everything [`GraphClient::new`] needs. The provider builds it from its
/// configuration; tests point the endpoints at the simulator.
#[derive(Debug, Clone)]
pub struct GraphConfig {
    /// Graph root without the version: `https://graph.microsoft.com`, or
    /// `http://127.0.0.1:8443` (http only for loopback hosts). Only where
    /// requests go: tokens are asked for [`GraphConfig::graph_resource`].
    pub graph_endpoint: String,
    /// The resource tokens are requested for, their audience: the cloud's
    /// Graph resource id (`https://graph.microsoft.com`,
    /// `https://graph.microsoft.us`, ...). It stays the cloud's when
    /// `graph_endpoint` points at a proxy or a simulator, since a token is
    /// issued for Graph, not for the URL it is sent to. The scope of the
    /// Entra ID flows is `{graph_resource}/.default`; managed identity and
    /// the Azure CLI ask for it as `resource`.
    pub graph_resource: String,
    /// Entra ID login root: `https://login.microsoftonline.com`.
    pub authority_host: String,
    /// The tenant's GUID or domain name. Required for the Entra ID
    /// credentials (secret, certificate, federated); may be empty for a
    /// managed identity, and for the Azure CLI (which then uses its default
    /// tenant).
    pub tenant_id: String,
    pub credential: Credential,
    /// Sent as `User-Agent` on every request, token requests included.
    pub user_agent: String,
    pub retry: RetryPolicy,
    pub write_pacing: WritePacing,
}

/// Per-call settings: how long the call may take in total (all retries and
/// waits included) and which extra failures it may retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallOptions {
    /// No wait or retry goes past this; the call then fails with
    /// `GraphError::Timeout`. Usually from the resource's `timeouts`.
    pub deadline: Instant,
    /// Retry 404 (with [`RetryPolicy::not_found_delay`]): only for the read
    /// right after this provider's own create or update, when Graph may not
    /// show the object yet. On refresh or import a 404 means "gone".
    pub retry_not_found: bool,
    /// The POST may safely be repeated (Graph's `assign` action replaces
    /// the whole set). Only then is a POST retried after a failure that may
    /// have happened after Graph received it (connection broken mid-call,
    /// attempt timeout, 504), which for a create could make a duplicate.
    pub post_is_idempotent: bool,
}

impl CallOptions {
    /// A call that may take up to `budget` from now.
    pub fn within(budget: Duration) -> Self {
        let now = Instant::now();
        // A huge budget means "no practical limit"; a year keeps it finite.
        let deadline = now
            .checked_add(budget)
            .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600));
        CallOptions::until(deadline)
    }

    /// A call that must end by `deadline`.
    pub fn until(deadline: Instant) -> Self {
        CallOptions {
            deadline,
            retry_not_found: false,
            post_is_idempotent: false,
        }
    }

    /// Marks the read right after our own create/update: 404 is retried.
    pub fn read_after_write(mut self) -> Self {
        self.retry_not_found = true;
        self
    }

    /// Marks a POST that may be repeated without harm (an action, not a
    /// create).
    pub fn idempotent_post(mut self) -> Self {
        self.post_is_idempotent = true;
        self
    }
}

/// Checks a configured root URL (`graph_endpoint`, `authority_host`) the way
/// [`GraphClient::new`] will, so configuration mistakes can be reported at
/// validation time, on the attribute.
pub fn check_root_url(setting: &str, value: &str) -> Result<(), GraphError> {
    endpoint::parse_root(setting, value).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_options_constructors() {
        let before = Instant::now();
        let options = CallOptions::within(Duration::from_secs(30));
        assert!(options.deadline >= before + Duration::from_secs(30));
        assert!(options.deadline <= Instant::now() + Duration::from_secs(30));
        assert!(!options.retry_not_found && !options.post_is_idempotent);
        assert!(options.read_after_write().retry_not_found);
        assert!(options.idempotent_post().post_is_idempotent);
        // An unbounded budget does not overflow.
        assert!(CallOptions::within(Duration::MAX).deadline > Instant::now());
    }
}
