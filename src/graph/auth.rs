//! Access tokens for Graph: the credential types, the [`TokenSource`] trait
//! each sign-in method implements, the choice of flow for a credential, and
//! the cache that shares one token (and one refresh at a time) between all
//! concurrent calls.
//!
//! Tokens and secrets live only in [`Secret`], whose `Debug`/`Display`
//! print `<redacted>`; nothing here logs either. The flows themselves live in
//! their own modules (`entra.rs` with `certificate.rs` and `federated.rs`,
//! `managed_identity.rs`, `azure_cli.rs`).

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use tokio::sync::Mutex;
use tokio::time::Instant;

use reqwest::Url;

use super::GraphError;
use super::azure_cli::AzureCliFlow;
use super::certificate::ClientCertificate;
use super::endpoint;
use super::entra::{EntraFlow, Proof};
use super::federated::FederatedToken;
use super::http::Http;
use super::managed_identity::{ManagedIdentityEndpoint, ManagedIdentityFlow};
use super::retry::RetryPolicy;
use super::stop::Stop;

/// A credential or token. Printing it (`{:?}`, `{}`) shows `<redacted>`;
/// only the code that sends it calls [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret text, for the one place that puts it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How the client signs in to Entra ID. The provider configuration picks
/// one: the first method whose settings are complete, in the order client
/// certificate, client secret, OIDC, managed identity, Azure CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// OAuth2 client credentials with an application secret.
    ClientSecret {
        client_id: String,
        client_secret: Secret,
    },
    /// A certificate registered on the application: every token request
    /// carries a new assertion signed with its key.
    ClientCertificate {
        client_id: String,
        certificate: ClientCertificate,
    },
    /// Workload identity federation: a token from an issuer the application
    /// trusts (GitHub Actions, Azure DevOps, HCP Terraform, Kubernetes) is
    /// exchanged as the client assertion.
    Federated {
        client_id: String,
        token: FederatedToken,
    },
    /// The managed identity of the Azure resource the provider runs on;
    /// `client_id` selects a user-assigned identity.
    ManagedIdentity {
        client_id: Option<String>,
        endpoint: ManagedIdentityEndpoint,
    },
    /// The account signed in to the Azure CLI. `program` is the `az`
    /// executable; the tenant is `GraphConfig::tenant_id` when not empty.
    AzureCli { program: PathBuf },
}

impl Credential {
    /// The sign-in method in words, for messages.
    pub fn method(&self) -> &'static str {
        match self {
            Credential::ClientSecret { .. } => "client secret",
            Credential::ClientCertificate { .. } => "client certificate",
            Credential::Federated { .. } => "OIDC (workload identity federation)",
            Credential::ManagedIdentity { .. } => "managed identity",
            Credential::AzureCli { .. } => "Azure CLI",
        }
    }
}

/// The flow that turns `credential` into Graph tokens for `graph_resource`
/// (`GraphConfig::graph_resource`, never the URL requests go to). The
/// Entra ID flows need the tenant's token endpoint and ask for the scope
/// `{graph_resource}/.default`; managed identity and the CLI ask for the
/// resource itself.
pub(crate) fn token_source(
    credential: Credential,
    tenant_id: &str,
    authority: &Url,
    graph_resource: &str,
    user_agent: &str,
) -> Result<Box<dyn TokenSource>, GraphError> {
    let graph_resource = endpoint::parse_root("graph_resource", graph_resource)?;
    let client_id_set = |client_id: &str| {
        if client_id.trim().is_empty() {
            Err(GraphError::config("client_id is empty"))
        } else {
            Ok(())
        }
    };
    let entra = |client_id: String, proof: Proof| -> Result<Box<dyn TokenSource>, GraphError> {
        client_id_set(&client_id)?;
        Ok(Box::new(EntraFlow {
            token_url: endpoint::token_url(authority, tenant_id)?,
            client_id,
            scope: endpoint::scope(&graph_resource),
            proof,
        }))
    };
    let resource = graph_resource.as_str().trim_end_matches('/').to_string();
    match credential {
        Credential::ClientSecret {
            client_id,
            client_secret,
        } => {
            if client_secret.is_empty() {
                return Err(GraphError::config("client_secret is empty"));
            }
            entra(client_id, Proof::Secret(client_secret))
        }
        Credential::ClientCertificate {
            client_id,
            certificate,
        } => entra(client_id, Proof::Certificate(certificate)),
        Credential::Federated { client_id, token } => {
            token.check()?;
            entra(client_id, Proof::Federated(token))
        }
        Credential::ManagedIdentity {
            client_id,
            endpoint,
        } => Ok(Box::new(ManagedIdentityFlow::new(
            endpoint, client_id, resource, user_agent,
        )?)),
        Credential::AzureCli { program } => {
            let tenant = Some(tenant_id.trim())
                .filter(|tenant| !tenant.is_empty())
                .map(|tenant| {
                    // The token URL's shape rule, and no leading `-`: nothing
                    // may pass for an option on the command line.
                    if tenant.starts_with('-') {
                        return Err(GraphError::config(format!(
                            "tenant_id {tenant:?} must be a GUID or a domain name"
                        )));
                    }
                    endpoint::token_url(authority, tenant).map(|_| tenant.to_string())
                })
                .transpose()?;
            Ok(Box::new(AzureCliFlow {
                program,
                tenant,
                resource,
            }))
        }
    }
}

/// The longest a token is taken to live, whatever its answer says: Entra
/// ID's tokens live about an hour (managed identity's up to a day), and a
/// bogus figure must neither overflow the clock nor keep a token forever.
pub(crate) const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// A token's lifetime from its answer's `expires_in` (seconds from now),
/// else its `expires_on` (Unix seconds); each a number or a numeric string.
/// An expiry in the past gives zero; anything longer than
/// [`MAX_TOKEN_LIFETIME`] is cut to it. `None` when neither is usable. The
/// one parser of token expiries for every sign-in flow.
pub(crate) fn token_lifetime(
    expires_in: Option<&Value>,
    expires_on: Option<&Value>,
    now: SystemTime,
) -> Option<Duration> {
    let seconds = |value: Option<&Value>| match value? {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse::<u64>().ok(),
        _ => None,
    };
    let lifetime = match seconds(expires_in) {
        Some(lifetime) => Duration::from_secs(lifetime),
        None => {
            let now = now.duration_since(UNIX_EPOCH).unwrap_or_default();
            Duration::from_secs(seconds(expires_on)?).saturating_sub(now)
        }
    };
    Some(lifetime.min(MAX_TOKEN_LIFETIME))
}

/// A bearer token, when to replace it and when it stops working.
#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub value: Secret,
    /// After this the cache fetches a new token: `min(5 min, lifetime/2)`
    /// before expiry, so short-lived test tokens are still reused.
    pub refresh_at: Instant,
    /// Graph refuses the token from then on; until then it is still worth
    /// sending when a refresh fails.
    pub expires_at: Instant,
}

impl AccessToken {
    /// `lifetime` is cut to [`MAX_TOKEN_LIFETIME`].
    pub(crate) fn new(value: Secret, lifetime: Duration, obtained: Instant) -> Self {
        let lifetime = lifetime.min(MAX_TOKEN_LIFETIME);
        let margin = (lifetime / 2).min(Duration::from_secs(300));
        AccessToken {
            value,
            refresh_at: obtained.checked_add(lifetime - margin).unwrap_or(obtained),
            expires_at: obtained.checked_add(lifetime).unwrap_or(obtained),
        }
    }
}

/// The longest an early refresh (one while the cached token still works)
/// may take before the caller is given the cached token: callers should
/// not stall on a slow Entra ID while they hold a usable token.
const EARLY_REFRESH_BUDGET: Duration = Duration::from_secs(10);

/// After a failed early refresh, the cached token is used without asking
/// again for this long (or half its remaining life, when that is shorter).
const EARLY_REFRESH_PAUSE: Duration = Duration::from_secs(30);

/// What a token source needs to make (and retry) its requests.
pub(crate) struct FetchContext<'a> {
    pub http: &'a Http,
    pub policy: &'a RetryPolicy,
    pub stop: &'a Stop,
}

/// One way of obtaining a Graph access token. Implementations retry
/// transient failures themselves, within `deadline`.
#[async_trait::async_trait]
pub(crate) trait TokenSource: Send + Sync + fmt::Debug {
    async fn fetch(
        &self,
        context: &FetchContext<'_>,
        deadline: Instant,
    ) -> Result<AccessToken, GraphError>;
}

/// The current token, shared by all clones of a client. The lock is held
/// while refreshing, so concurrent callers wait for that one refresh
/// instead of each asking Entra ID; each waits no longer than its own
/// deadline, and those that waited for a refresh that failed for good get
/// its error rather than asking again.
///
/// A refresh is due a few minutes before the token expires. When that
/// early refresh fails (Entra ID down, the network, a slow answer past
/// [`EARLY_REFRESH_BUDGET`]) the token still works, so callers get it and
/// the refresh is tried again later ([`EARLY_REFRESH_PAUSE`]); only once
/// the token has expired does a failed refresh fail the call.
#[derive(Debug)]
pub(crate) struct TokenCache {
    source: Box<dyn TokenSource>,
    current: Mutex<Slot>,
}

#[derive(Debug, Default)]
struct Slot {
    token: Option<AccessToken>,
    /// The last refresh that failed with a final answer, and when.
    failure: Option<(Instant, GraphError)>,
}

impl Slot {
    /// Makes `fresh` the current token, forgetting any failure; its value.
    fn keep(&mut self, fresh: AccessToken) -> Secret {
        let value = fresh.value.clone();
        *self = Slot {
            token: Some(fresh),
            failure: None,
        };
        value
    }
}

impl TokenCache {
    pub(crate) fn new(source: Box<dyn TokenSource>) -> Self {
        TokenCache {
            source,
            current: Mutex::new(Slot::default()),
        }
    }

    /// A token valid for a while yet: the cached one, or a new one.
    pub(crate) async fn token(
        &self,
        context: &FetchContext<'_>,
        deadline: Instant,
    ) -> Result<Secret, GraphError> {
        let asked = Instant::now();
        let mut slot =
            match tokio::time::timeout_at(deadline, context.stop.run(self.current.lock())).await {
                Ok(slot) => slot?,
                Err(_) => {
                    return Err(GraphError::Timeout {
                        operation: "waiting for another call's token request".into(),
                        attempts: 0,
                        last: None,
                    });
                }
            };
        if let Some(token) = slot.token.as_ref()
            && Instant::now() < token.refresh_at
        {
            return Ok(token.value.clone());
        }
        if let Some(cached) = slot
            .token
            .clone()
            .filter(|token| Instant::now() < token.expires_at)
        {
            match self
                .refresh_early(&mut slot, cached, context, deadline)
                .await
            {
                Some(outcome) => return outcome,
                // The token expired while we asked; the caller may still
                // have time for a refresh of its own.
                None => return self.refresh(&mut slot, context, deadline).await,
            }
        }
        if let Some((failed_at, error)) = &slot.failure
            && *failed_at >= asked
        {
            // The refresh this caller waited for failed for good; asking
            // again at once would get the same answer.
            return Err(error.clone());
        }
        self.refresh(&mut slot, context, deadline).await
    }

    /// Fetches a new token for a caller that has none it could use, within
    /// the caller's deadline, and records a final failure for the callers
    /// waiting behind it.
    async fn refresh(
        &self,
        slot: &mut Slot,
        context: &FetchContext<'_>,
        deadline: Instant,
    ) -> Result<Secret, GraphError> {
        match self.source.fetch(context, deadline).await {
            Ok(fresh) => Ok(slot.keep(fresh)),
            Err(error) => {
                // Running out of this caller's time, or Stop, says nothing
                // about what another caller would get.
                if !matches!(error, GraphError::Timeout { .. } | GraphError::Cancelled) {
                    slot.failure = Some((Instant::now(), error.clone()));
                }
                Err(error)
            }
        }
    }

    /// Refreshes while `cached` (the slot's token) still works: within
    /// [`EARLY_REFRESH_BUDGET`], the caller's deadline and half the token's
    /// remaining life. If that fails for any reason but Stop, the caller gets
    /// `cached` and the next attempt waits for [`EARLY_REFRESH_PAUSE`]; no
    /// failure is recorded, since nobody goes without a token. `None` when
    /// `cached` expired in the meantime.
    async fn refresh_early(
        &self,
        slot: &mut Slot,
        cached: AccessToken,
        context: &FetchContext<'_>,
        deadline: Instant,
    ) -> Option<Result<Secret, GraphError>> {
        // Half the token's remaining life at most, so that it is still of
        // use when the refresh gives up.
        let started = Instant::now();
        let life = cached.expires_at.saturating_duration_since(started);
        let budget = deadline.min(started + EARLY_REFRESH_BUDGET.min(life / 2));
        // The sources keep to their deadline and to Stop; this makes sure.
        let fetch = context.stop.run(self.source.fetch(context, budget));
        let outcome = match tokio::time::timeout_at(budget, fetch).await {
            Ok(stopped_or_fetched) => stopped_or_fetched.and_then(|fetched| fetched),
            Err(_) => Err(GraphError::Timeout {
                operation: "refreshing the access token".into(),
                attempts: 0,
                last: None,
            }),
        };
        let error = match outcome {
            Ok(fresh) => return Some(Ok(slot.keep(fresh))),
            Err(GraphError::Cancelled) => return Some(Err(GraphError::Cancelled)),
            Err(error) => error,
        };
        let now = Instant::now();
        let remaining = cached.expires_at.saturating_duration_since(now);
        if remaining.is_zero() {
            return None;
        }
        // Errors hold what Entra ID or the network answered, never a secret
        // (they become diagnostics as they are).
        tracing::warn!(
            error = %error,
            expires_in_secs = remaining.as_secs(),
            "refreshing the access token failed; using the current one until it expires"
        );
        if let Some(token) = slot.token.as_mut() {
            token.refresh_at = now + EARLY_REFRESH_PAUSE.min(remaining / 2);
        }
        Some(Ok(cached.value))
    }

    /// Graph refused `stale` (401): drop it so the next call fetches a new
    /// one. A token some other call already replaced is left alone.
    pub(crate) async fn reject(&self, stale: &Secret, stop: &Stop) -> Result<(), GraphError> {
        let mut slot = stop.run(self.current.lock()).await?;
        if slot
            .token
            .as_ref()
            .is_some_and(|token| token.value == *stale)
        {
            slot.token = None;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{secret}"), "<redacted>");
        let credential = Credential::ClientSecret {
            client_id: "app".into(),
            client_secret: secret.clone(),
        };
        assert!(!format!("{credential:?}").contains("hunter2"));
        assert_eq!(secret.expose(), "hunter2");
    }

    /// Every flow asks for the Graph resource it is handed, whatever URL
    /// the requests then go to (the client never shows this function its
    /// `graph_endpoint`).
    #[test]
    fn every_flow_asks_for_the_graph_resource_it_is_given() {
        let authority = Url::parse("https://login.microsoftonline.us").unwrap();
        let graph = "https://dod-graph.microsoft.us";
        let certificate = ClientCertificate::from_pkcs12(
            include_bytes!("../../tests/fixtures/auth/app-cert.pfx"),
            &Secret::new("fixture-pfx-password"),
        )
        .unwrap();
        let credentials = [
            Credential::ClientSecret {
                client_id: "app".into(),
                client_secret: Secret::new("s"),
            },
            Credential::ClientCertificate {
                client_id: "app".into(),
                certificate,
            },
            Credential::Federated {
                client_id: "app".into(),
                token: FederatedToken::Token(Secret::new("eyJ")),
            },
        ];
        for credential in credentials {
            let source = token_source(credential, "contoso", &authority, graph, "t").unwrap();
            let debug = format!("{source:?}");
            assert!(
                debug.contains("Domain(\"login.microsoftonline.us\")")
                    && debug.contains("path: \"/contoso/oauth2/v2.0/token\""),
                "{debug}"
            );
            assert!(
                debug.contains("scope: \"https://dod-graph.microsoft.us/.default\""),
                "{debug}"
            );
            assert!(!debug.contains("eyJ"), "{debug}");
        }
        for credential in [
            Credential::ManagedIdentity {
                client_id: None,
                endpoint: ManagedIdentityEndpoint::AppService {
                    url: "http://127.0.0.1:9/msi/token".into(),
                    header: Secret::new("header-secret"),
                },
            },
            Credential::AzureCli {
                program: PathBuf::from("/usr/bin/az"),
            },
        ] {
            let source = token_source(credential, "", &authority, graph, "t").unwrap();
            let debug = format!("{source:?}");
            assert!(
                debug.contains("resource: \"https://dod-graph.microsoft.us\""),
                "{debug}"
            );
            assert!(!debug.contains("header-secret"), "{debug}");
        }
        let secret = || Credential::ClientSecret {
            client_id: "app".into(),
            client_secret: Secret::new("s"),
        };
        for bad in ["", "graph.microsoft.com", "http://graph.microsoft.com"] {
            let error = token_source(secret(), "contoso", &authority, bad, "t").unwrap_err();
            assert!(
                error.to_string().contains("graph_resource"),
                "{bad:?}: {error}"
            );
        }
    }

    #[test]
    fn refresh_margin_is_five_minutes_or_half_the_lifetime() {
        let now = Instant::now();
        // (lifetime, refresh after), in milliseconds
        let cases = [
            (3_600_000, 3_300_000),
            (600_000, 300_000),
            (599_000, 299_500),
            (2_000, 1_000),
            (0, 0),
            (u64::MAX, 86_100_000),
        ];
        for (lifetime, refresh_after) in cases {
            let token = AccessToken::new(Secret::new("t"), Duration::from_millis(lifetime), now);
            assert_eq!(
                token.refresh_at - now,
                Duration::from_millis(refresh_after),
                "lifetime {lifetime} ms"
            );
        }
    }

    #[test]
    fn token_lifetimes_from_answers() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let day = MAX_TOKEN_LIFETIME.as_secs();
        let json = |text: &str| serde_json::from_str::<Value>(text).unwrap();
        // (expires_in, expires_on, lifetime in seconds)
        let cases: &[(Option<&str>, Option<&str>, Option<u64>)] = &[
            (Some("3599"), None, Some(3599)),
            (Some("\" 60 \""), None, Some(60)),
            (Some("3599"), Some("1700000010"), Some(3599)),
            (Some("\"soon\""), Some("1700000600"), Some(600)),
            (None, Some("\"1700000060\""), Some(60)),
            (None, Some("1600000000"), Some(0)),
            (Some("18446744073709551615"), None, Some(day)),
            (None, Some("18446744073709551615"), Some(day)),
            (Some("1e300"), None, None),
            (Some("-1"), None, None),
            (Some("1.5"), None, None),
            (None, Some("\"06/20/2019 02:57:58 +00:00\""), None),
            (None, None, None),
        ];
        for (expires_in, expires_on, expected) in cases {
            let (expires_in, expires_on) = (expires_in.map(json), expires_on.map(json));
            assert_eq!(
                token_lifetime(expires_in.as_ref(), expires_on.as_ref(), now),
                expected.map(Duration::from_secs),
                "{expires_in:?} {expires_on:?}"
            );
        }
    }

    /// Counts fetches; each fetch takes a little time so concurrent callers
    /// overlap.
    #[derive(Debug, Default)]
    struct Counting {
        fetches: AtomicU32,
    }

    #[async_trait::async_trait]
    impl TokenSource for Arc<Counting> {
        async fn fetch(
            &self,
            _context: &FetchContext<'_>,
            _deadline: Instant,
        ) -> Result<AccessToken, GraphError> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(30)).await;
            Ok(AccessToken::new(
                Secret::new(format!("token-{n}")),
                Duration::from_secs(3600),
                Instant::now(),
            ))
        }
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch_and_reject_forces_a_new_one() {
        let counting = Arc::new(Counting::default());
        let cache = Arc::new(TokenCache::new(Box::new(counting.clone())));
        let http = Http::new("test", super::super::http::Proxies::Never, None).unwrap();
        let policy = RetryPolicy::default();
        let stop = Stop::new();
        let deadline = Instant::now() + Duration::from_secs(5);

        let context = FetchContext {
            http: &http,
            policy: &policy,
            stop: &stop,
        };
        let tokens =
            futures_util::future::join_all((0..8).map(|_| cache.token(&context, deadline))).await;
        assert_eq!(counting.fetches.load(Ordering::SeqCst), 1);
        for token in &tokens {
            assert_eq!(token.as_ref().unwrap().expose(), "token-1");
        }

        // Rejecting an old token that was already replaced changes nothing.
        cache.reject(&Secret::new("token-0"), &stop).await.unwrap();
        assert_eq!(
            cache.token(&context, deadline).await.unwrap().expose(),
            "token-1"
        );
        cache.reject(&Secret::new("token-1"), &stop).await.unwrap();
        assert_eq!(
            cache.token(&context, deadline).await.unwrap().expose(),
            "token-2"
        );
        assert_eq!(counting.fetches.load(Ordering::SeqCst), 2);
    }

    /// A fetch that takes `delay` and then fails with an Entra answer
    /// (`fail`) or returns a token.
    #[derive(Debug)]
    struct Scripted {
        fetches: AtomicU32,
        delay: Duration,
        fail: bool,
    }

    #[async_trait::async_trait]
    impl TokenSource for Arc<Scripted> {
        async fn fetch(
            &self,
            _context: &FetchContext<'_>,
            _deadline: Instant,
        ) -> Result<AccessToken, GraphError> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            if self.fail {
                return Err(GraphError::Auth {
                    status: Some(401),
                    code: "invalid_client".into(),
                    description: "AADSTS7000215: Invalid client secret provided.".into(),
                    trace_id: None,
                    correlation_id: None,
                });
            }
            Ok(AccessToken::new(
                Secret::new("slow-token"),
                Duration::from_secs(3600),
                Instant::now(),
            ))
        }
    }

    #[tokio::test]
    async fn a_waiting_caller_keeps_to_its_own_deadline() {
        let slow = Arc::new(Scripted {
            fetches: AtomicU32::new(0),
            delay: Duration::from_secs(3),
            fail: false,
        });
        let cache = TokenCache::new(Box::new(slow.clone()));
        let http = Http::new("test", super::super::http::Proxies::Never, None).unwrap();
        let policy = RetryPolicy::default();
        let stop = Stop::new();
        let context = FetchContext {
            http: &http,
            policy: &policy,
            stop: &stop,
        };
        let patient = cache.token(&context, Instant::now() + Duration::from_secs(10));
        let hurried = async {
            // Start once the patient caller holds the lock for its fetch.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let started = Instant::now();
            let outcome = cache
                .token(&context, Instant::now() + Duration::from_millis(200))
                .await;
            (outcome, started.elapsed())
        };
        let (patient, (hurried, waited)) = tokio::join!(patient, hurried);
        assert_eq!(patient.unwrap().expose(), "slow-token");
        assert!(
            matches!(hurried, Err(GraphError::Timeout { .. })),
            "{hurried:?}"
        );
        assert!(waited < Duration::from_secs(1), "waited {waited:?}");
        assert_eq!(slow.fetches.load(Ordering::SeqCst), 1);
    }

    /// What one fetch of [`Sequence`] does.
    #[derive(Debug, Clone, Copy)]
    enum Step {
        /// A token named after the fetch, due for refresh at once and
        /// expiring after the given time.
        DueNow(Duration),
        /// A token living an hour.
        Fresh,
        /// Entra ID's "temporarily unavailable" after a short delay.
        Fail,
        /// No answer within the test.
        Hang,
    }

    /// A source that plays `steps` in order, the last one from then on.
    #[derive(Debug)]
    struct Sequence {
        steps: Vec<Step>,
        fetches: AtomicU32,
    }

    impl Sequence {
        fn new(steps: &[Step]) -> Arc<Self> {
            Arc::new(Sequence {
                steps: steps.to_vec(),
                fetches: AtomicU32::new(0),
            })
        }

        fn fetches(&self) -> u32 {
            self.fetches.load(Ordering::SeqCst)
        }
    }

    #[async_trait::async_trait]
    impl TokenSource for Arc<Sequence> {
        async fn fetch(
            &self,
            _context: &FetchContext<'_>,
            _deadline: Instant,
        ) -> Result<AccessToken, GraphError> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
            let index = usize::try_from(n - 1).unwrap().min(self.steps.len() - 1);
            let value = Secret::new(format!("token-{n}"));
            match self.steps[index] {
                Step::DueNow(lifetime) => {
                    let now = Instant::now();
                    Ok(AccessToken {
                        value,
                        refresh_at: now,
                        expires_at: now + lifetime,
                    })
                }
                Step::Fresh => Ok(AccessToken::new(
                    value,
                    Duration::from_secs(3600),
                    Instant::now(),
                )),
                Step::Fail => {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    Err(GraphError::Auth {
                        status: Some(503),
                        code: "temporarily_unavailable".into(),
                        description: "AADSTS50196: The server is temporarily unavailable.".into(),
                        trace_id: None,
                        correlation_id: None,
                    })
                }
                Step::Hang => {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    Err(GraphError::config("a hanging fetch answered"))
                }
            }
        }
    }

    fn harness() -> (Http, RetryPolicy, Stop) {
        let http = Http::new("test", super::super::http::Proxies::Never, None).unwrap();
        (http, RetryPolicy::default(), Stop::new())
    }

    #[tokio::test]
    async fn a_failed_early_refresh_keeps_the_cached_token_until_it_expires() {
        let source = Sequence::new(&[Step::DueNow(Duration::from_millis(1500)), Step::Fail]);
        let cache = TokenCache::new(Box::new(source.clone()));
        let (http, policy, stop) = harness();
        let context = FetchContext {
            http: &http,
            policy: &policy,
            stop: &stop,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        assert_eq!(
            cache.token(&context, deadline).await.unwrap().expose(),
            "token-1"
        );
        // The refresh is due and fails: every caller, also those waiting
        // for that one refresh, gets the token that still works.
        let outcomes =
            futures_util::future::join_all((0..4).map(|_| cache.token(&context, deadline))).await;
        for outcome in outcomes {
            assert_eq!(outcome.unwrap().expose(), "token-1");
        }
        assert_eq!(source.fetches(), 2, "one refresh for all of them");
        // Entra ID is not asked again at once ...
        assert_eq!(
            cache.token(&context, deadline).await.unwrap().expose(),
            "token-1"
        );
        assert_eq!(source.fetches(), 2);
        // ... but after a pause (here half the 1.5 s token's remaining life).
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(
            cache.token(&context, deadline).await.unwrap().expose(),
            "token-1"
        );
        assert_eq!(source.fetches(), 3);
        // Once the token has expired, a failed refresh fails the call.
        tokio::time::sleep(Duration::from_millis(800)).await;
        let error = cache.token(&context, deadline).await.unwrap_err();
        assert_eq!(error.status(), Some(503), "{error:?}");
        assert_eq!(source.fetches(), 4);
    }

    #[tokio::test]
    async fn an_early_refresh_that_succeeds_replaces_the_token() {
        let source = Sequence::new(&[Step::DueNow(Duration::from_secs(60)), Step::Fresh]);
        let cache = TokenCache::new(Box::new(source.clone()));
        let (http, policy, stop) = harness();
        let context = FetchContext {
            http: &http,
            policy: &policy,
            stop: &stop,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        for expected in ["token-1", "token-2", "token-2"] {
            assert_eq!(
                cache.token(&context, deadline).await.unwrap().expose(),
                expected
            );
        }
        assert_eq!(source.fetches(), 2);
    }

    #[tokio::test]
    async fn an_early_refresh_gives_up_by_the_callers_deadline_or_on_stop() {
        let source = Sequence::new(&[Step::DueNow(Duration::from_secs(60)), Step::Hang]);
        let cache = TokenCache::new(Box::new(source.clone()));
        let (http, policy, stop) = harness();
        let context = FetchContext {
            http: &http,
            policy: &policy,
            stop: &stop,
        };
        let soon = || Instant::now() + Duration::from_millis(300);
        assert_eq!(
            cache.token(&context, soon()).await.unwrap().expose(),
            "token-1"
        );
        // A refresh that does not answer: the caller keeps the token it has
        // and is not held past its deadline.
        let started = Instant::now();
        assert_eq!(
            cache.token(&context, soon()).await.unwrap().expose(),
            "token-1"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(source.fetches(), 2);
        // Stop ends the refresh, and the call with it.
        let cache = TokenCache::new(Box::new(Sequence::new(&[
            Step::DueNow(Duration::from_secs(60)),
            Step::Hang,
        ])));
        cache.token(&context, soon()).await.unwrap();
        let stopper = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            stop.trigger();
        };
        let far = Instant::now() + Duration::from_secs(30);
        let (outcome, ()) = tokio::join!(cache.token(&context, far), stopper);
        assert!(matches!(outcome, Err(GraphError::Cancelled)), "{outcome:?}");
    }

    #[tokio::test]
    async fn callers_that_waited_for_a_failed_refresh_share_its_error() {
        let failing = Arc::new(Scripted {
            fetches: AtomicU32::new(0),
            delay: Duration::from_millis(50),
            fail: true,
        });
        let cache = TokenCache::new(Box::new(failing.clone()));
        let http = Http::new("test", super::super::http::Proxies::Never, None).unwrap();
        let policy = RetryPolicy::default();
        let stop = Stop::new();
        let context = FetchContext {
            http: &http,
            policy: &policy,
            stop: &stop,
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        let outcomes =
            futures_util::future::join_all((0..5).map(|_| cache.token(&context, deadline))).await;
        for outcome in &outcomes {
            assert_eq!(outcome.as_ref().unwrap_err().status(), Some(401));
        }
        assert_eq!(failing.fetches.load(Ordering::SeqCst), 1);
        // A later call asks again.
        assert!(cache.token(&context, deadline).await.is_err());
        assert_eq!(failing.fetches.load(Ordering::SeqCst), 2);
    }
}
