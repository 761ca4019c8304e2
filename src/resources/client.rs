//! [`IntuneClient`]: what every resource hook is handed once the provider
//! is configured: the signed-in Graph client and the provider-level
//! settings that shape how resources use it (how long to look for a create
//! whose answer was lost, say). The Graph layer knows nothing of these
//! settings; resources read them here.

use std::ops::Deref;
use std::time::Duration;

use crate::graph::GraphClient;

/// Provider settings the resources act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceSettings {
    /// How long a create whose answer was lost keeps looking for the
    /// object in Graph (its own budget, not what is left of the create's
    /// timeout): Graph's lists can lag behind a create by seconds.
    pub create_recovery: Duration,
    /// A trusted certificate expiring within this many days is warned
    /// about at plan; 0 turns the warning off.
    pub certificate_expiry_warning_days: u32,
}

/// Default of `create_recovery_timeout`.
pub const DEFAULT_CREATE_RECOVERY: Duration = Duration::from_secs(120);

/// Default of `certificate_expiry_warning_days`, also used when a plan runs
/// before the provider is configured.
pub const DEFAULT_CERTIFICATE_EXPIRY_WARNING_DAYS: u32 = 30;

impl Default for ResourceSettings {
    fn default() -> Self {
        ResourceSettings {
            create_recovery: DEFAULT_CREATE_RECOVERY,
            certificate_expiry_warning_days: DEFAULT_CERTIFICATE_EXPIRY_WARNING_DAYS,
        }
    }
}

/// The Graph client with the provider's settings.
///
/// It dereferences to [`GraphClient`], so hooks call Graph as
/// `ctx.client.get(…)` and pass `ctx.client` wherever a `&GraphClient` is
/// taken; the settings are one field away.
#[derive(Debug, Clone)]
pub struct IntuneClient {
    graph: GraphClient,
    pub settings: ResourceSettings,
}

impl IntuneClient {
    pub fn new(graph: GraphClient, settings: ResourceSettings) -> Self {
        IntuneClient { graph, settings }
    }

    pub fn graph(&self) -> &GraphClient {
        &self.graph
    }
}

impl Deref for IntuneClient {
    type Target = GraphClient;

    fn deref(&self) -> &GraphClient {
        &self.graph
    }
}
