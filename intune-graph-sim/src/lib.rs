//! A local stand-in for Microsoft Graph beta (Intune certificate profiles
//! under `/beta/deviceManagement/deviceConfigurations`) and Entra ID's
//! client-credentials token endpoint: the provider's test double and the demo
//! backend.
//!
//! It judges requests only by the Graph schema data
//! (`data/graph-schema.json`, embedded) and shares no code with the
//! provider's Graph client or resources, so a client bug cannot hide in the
//! fake. It is strict on purpose: whatever Graph would reject, it rejects,
//! with a Graph-shaped error that names the property and the problem.
//!
//! # Endpoints
//!
//! * `POST /{tenant}/oauth2/v2.0/token` — form `grant_type=client_credentials`,
//!   `client_id`, `scope` (`{resource}/.default` for Graph's resource id in
//!   any cloud, `https://graph.microsoft.com`, `https://graph.microsoft.us`,
//!   `https://dod-graph.microsoft.us` or
//!   `https://microsoftgraph.chinacloudapi.cn`, or for Graph's app id
//!   `00000003-0000-0000-c000-000000000000`; never the simulator's own URL,
//!   which is where requests go, not what a token is for) and either
//!   `client_secret` or `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
//!   with `client_assertion`. An assertion whose `iss` is the client id must
//!   be signed (RS256/PS256) by one of [`SimConfig::client_certificates`]
//!   named by `x5t#S256` or `x5t`, have the token URL as `aud`, `sub` = the
//!   client id, `nbf` ≤ now < `exp` and a `jti` not used before; any other
//!   assertion is a federated token, verified with its issuer's key from
//!   [`SimConfig::oidc_issuers`] and matched against
//!   [`SimConfig::federated_credentials`]. Errors carry Entra's shape and
//!   AADSTS codes (90002 unknown tenant, 700016 unknown client, 7000215 bad
//!   secret, 7000218 no credential, 1002012 bad scope, 500011 unknown
//!   resource, 70003 unsupported grant, 900144 missing or conflicting field
//!   or a form body that does not decode (a broken `%` escape, not UTF-8),
//!   50027 malformed assertion, 700021 `sub` not the client, 700023 wrong
//!   audience, 700024 outside `nbf`..`exp`, 700027 unknown key or bad
//!   signature, 700029 replayed `jti` (the simulator's own number), 50013
//!   federated signature, 700211/700212/700213 no federated credential for
//!   the issuer/audience/subject).
//! * `GET /metadata/identity/oauth2/token` (IMDS style: `Metadata: true`,
//!   `api-version=2018-02-01`, `resource`, optional `client_id`) and
//!   `GET /msi/token` (App Service style: `X-IDENTITY-HEADER`,
//!   `api-version=2019-08-01`) — only with [`SimConfig::managed_identity`];
//!   `resource` must be Graph's, as for `scope` above; the tokens they issue
//!   are valid for Graph.
//! * `GET /github-actions/idtoken?api-version=2.0&audience=…` (bearer: the
//!   request token) → `{"value": jwt}`, and `POST
//!   /azure-devops/oidctoken?api-version=7.1&serviceConnectionId=…` (bearer:
//!   the access token; a wrong one gets Azure DevOps' 203 sign-in page) →
//!   `{"oidcToken": jwt}` — only with [`SimConfig::github_actions`] /
//!   [`SimConfig::azure_devops`].
//! * `/beta/deviceManagement/deviceConfigurations` — `GET` (paged by
//!   [`SimConfig::page_size`]; `$filter`, `$top`, `$select`,
//!   `$expand=assignments`, `$skiptoken` from `@odata.nextLink`), `POST`.
//! * `.../deviceConfigurations/{id}` or `('{id}')` — `GET` (`$select`,
//!   `$expand=assignments`), `PATCH` (204), `DELETE` (204).
//! * `.../{id}/assign` — `POST {"assignments":[...]}` replaces the set, 200.
//! * `.../{id}/assignments` (paged) and `.../{id}/assignments/{assignmentId}` — `GET`.
//! * `.../{id}/microsoft.graph.{type}` — `GET` through a type cast (404 when
//!   the object is not of that type).
//! * `.../{id}/microsoft.graph.{type}/rootCertificate` — `GET` the linked root;
//!   `.../rootCertificate/$ref` — `GET`, `PUT {"@odata.id": url}` (204),
//!   `DELETE` (204).
//! * `/v1.0/...` — 400 after the token check (the profile types are beta-only).
//! * Admin (no auth, not recorded, no faults): `GET /_simulator/objects`
//!   (JSON array as `GET` returns them), `GET /_simulator/requests` (array of
//!   [`RecordedRequest`]), `POST /_simulator/faults` with
//!   `{"kind":"throttle"|"serverError"|"readAfterWrite404"|"dropConnection"|"loseResponse"|"failAfterHandling"|"emptyAnswer"|"slowResponse"|"tokenError"|"nextLinkNotFound",
//!   "count":N, "retryAfterSecs":S?, "status":503?, "method":"GET"?}` (204),
//!   `POST /_simulator/reset` (204; clears objects, faults, requests and the
//!   write count; issued tokens stay valid).
//!
//! Every response carries `request-id`, `client-request-id` (echoed or new)
//! and `Date`. Graph errors are `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
//!
//! # Validation (POST and PATCH)
//!
//! * POST needs `@odata.type` (with or without `#`) naming a concrete type of
//!   this collection (the Windows 10X types live in `resourceAccessProfiles`
//!   and are refused). PATCH may omit it; if sent it must be the object's type.
//! * Unknown properties, read-only ones (`id`, `createdDateTime`,
//!   `lastModifiedDateTime`, `version`, `supportsScopeTags`), navigation
//!   properties written inline and annotations other than `@odata.type` and
//!   `rootCertificate@odata.bind` (even `@odata.context`) are rejected.
//! * Values must have the Edm type's JSON form: strings; integers within
//!   Int32; booleans; padded standard base64 (re-encoded canonically);
//!   RFC 3339 date-times; `8-4-4-4-12` GUIDs; enum member names
//!   (case-sensitive); flags enums as comma-separated names (spaces after
//!   commas allowed, no empty or repeated parts), stored in declaration order
//!   with a zero member (`none`) dropped when other members are set.
//!   Collections must be arrays (never `null`); `null` elements only where the
//!   element type is nullable. Complex values are checked recursively; their
//!   optional `@odata.type` may name a derived type; omitted members read back
//!   as null/`[]`/`false`, or the enum's zero member for a non-nullable enum.
//! * POST requires every non-nullable, single-valued primitive or enum
//!   property except Booleans and the read-only ones. Range rules live in
//!   `validate/rules.rs` (`renewalThresholdPercentage` 1–99,
//!   `certificateValidityPeriodValue` ≥ 1, `trustedRootCertificate` non-empty).
//! * The server sets `id` (lower-case v4 GUID), `createdDateTime` and
//!   `lastModifiedDateTime` (UTC, seven fractional digits), `version` 1,
//!   `supportsScopeTags` true, `roleScopeTagIds` `["0"]` when omitted (an
//!   explicit `[]` is kept); every other omitted property is null or `[]`.
//! * A PATCH that changes nothing (empty body, `{}`, or only current values;
//!   flags compared as sets; a bind to the current root) is 400
//!   "Invalid patch, at least 1 property must be changed". A PATCH that
//!   changes something answers 204 and bumps `version` and
//!   `lastModifiedDateTime`. Complex values are replaced, not merged.
//!
//! # Choices where Graph's behaviour is unknown
//!
//! * `rootCertificate@odata.bind` (POST or PATCH) and `PUT .../$ref` accept an
//!   absolute URL to any host or a relative one, with an optional `/beta`,
//!   ending in `deviceManagement/deviceConfigurations('{id}')` or `/{id}`.
//!   The target must exist and be exactly the navigation's target type (400
//!   naming both types otherwise). `PUT`/`DELETE $ref` bump `version` too.
//! * `$expand=rootCertificate` answers 400; read the link through the cast path.
//! * Deleting a root that a profile links to is allowed; the link dangles and
//!   reads as 404.
//! * `assign` bumps neither `version` nor `lastModifiedDateTime`. Assignment
//!   ids are `{profileId}_{groupId}` (group and exclusion targets),
//!   `{profileId}_{collectionId}`, or Intune's fixed ids for all devices
//!   (`adadadad-…`) and all licensed users (`acacacac-…`). `intent` defaults to
//!   `apply`; `id`, `source`, `sourceId` are read-only. A target may appear
//!   once; a filter id needs type `include`/`exclude` and vice versa
//!   (an empty or all-zero id is refused, never sent by a careful client);
//!   a target without a filter reads back with filter type `none` and the
//!   filter id [`SimConfig::no_filter_echo`] picks (null, `""` or all-zero);
//!   exclusion targets take no filter; the legacy
//!   `deviceConfigurationGroupAssignments` parameter is refused.
//!   `POST .../assignments` (per-assignment create) is not served (405).
//! * `$filter` supports only `isof('microsoft.graph.T')` (T or derived) and
//!   `displayName eq '...'` terms joined by `or`; anything else is 400. The
//!   name comparison ignores case (an exact match is the client's job). Other
//!   `$` options not listed above are 400; non-`$` parameters are ignored.
//!   `$top` limits the whole result; pages still follow `page_size`. `$select`
//!   on lists accepts `deviceConfiguration`'s properties only.
//! * Ids and segment names match case-insensitively; type names in casts do not.
//! * Request bodies must be `Content-Type: application/json` (415 otherwise).
//!
//! # Eventual consistency (on by default)
//!
//! A new object created over HTTP answers 404 to its first GETs (item, cast,
//! root link, assignments; from any client) and is left out of its first
//! listings, as Graph's replicas lag behind a create ([`Consistency`]).
//! Objects inserted through the admin API are visible at once.
//!
//! # Faults
//!
//! [`Simulator::inject`] arms a [`Fault`] for the next `count` matching
//! requests ([`Simulator::inject_on`] restricts it to one HTTP method). Graph
//! faults (throttle, server error, drop, lost, failed-after-handling, empty
//! or slow response) apply after
//! the bearer check and before the handler, in the order they were armed; `TokenError` applies to
//! the token endpoint only. `NextLinkNotFound` makes the next request with a
//! `$skiptoken` (a page reached through `@odata.nextLink`) answer 404
//! `ResourceNotFound`. A dropped request is recorded with status 0. With
//! [`SimConfig::enforce_write_limit`] (the default), the 101st write within
//! 20 s answers 429 with `Retry-After`.

mod admin;
mod auth;
mod clock;
mod conn;
mod errors;
mod faults;
mod identity;
mod jwt;
mod odata;
mod ops;
mod replication;
mod routes;
mod schema;
mod store;
mod validate;

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

pub use faults::Fault;
pub use replication::Consistency;

/// How a simulator instance behaves. `Default` gives the tenant
/// `00000000-0000-0000-0000-0000000000aa`, client
/// `00000000-0000-0000-0000-0000000000bb`, secret `simulator-secret`, and
/// Graph's behaviour: pages of 3, Intune's write limit, replication lag for
/// new objects ([`Consistency::default`]); one-hour tokens, any free port; no
/// certificate, federated credential or managed identity is trusted, and
/// the ID-token endpoints are off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// Items per page of collection GETs (tests use small ones, e.g. 2).
    pub page_size: usize,
    /// `expires_in` of issued tokens; requests with an older token get 401.
    pub token_lifetime: Duration,
    /// 0 = any free port. The simulator always binds 127.0.0.1.
    pub port: u16,
    /// Enforce Intune's 100 writes per 20 s (429 with `Retry-After` beyond).
    /// On by default, as in Intune.
    pub enforce_write_limit: bool,
    /// Graph's replication lag for new objects (404s, missing from lists).
    /// On by default; [`Consistency::IMMEDIATE`] turns it off.
    pub consistency: Consistency,
    /// How assignment targets without a filter echo the filter id.
    pub no_filter_echo: NoFilterEcho,
    /// How `GET …/rootCertificate` answers when a profile has no link:
    /// 404 (what the simulator does by default) or OData's 204 No Content.
    /// Which one Graph uses is not documented; clients must take both.
    pub unset_navigation_no_content: bool,
    /// Certificates (DER) registered on the application: client assertions
    /// signed with their keys are accepted.
    pub client_certificates: Vec<Vec<u8>>,
    /// OIDC issuers whose signing keys the simulator holds: it verifies
    /// federated tokens they sign, and its ID-token endpoints sign with them.
    pub oidc_issuers: Vec<OidcIssuer>,
    /// Federated identity credentials on the application: the
    /// issuer/subject/audience triples whose tokens it may exchange.
    pub federated_credentials: Vec<FederatedCredential>,
    /// Serve a GitHub Actions-style ID-token endpoint
    /// ([`Simulator::github_actions_url`]).
    pub github_actions: Option<IdTokenEndpoint>,
    /// Serve an Azure DevOps-style OIDC endpoint
    /// ([`Simulator::azure_devops_url`]) for one service connection.
    pub azure_devops: Option<AzureDevOpsEndpoint>,
    /// Serve managed identity endpoints in the IMDS style
    /// ([`Simulator::imds_url`]) and the App Service style
    /// ([`Simulator::app_service_url`]).
    pub managed_identity: Option<ManagedIdentities>,
}

/// An OIDC issuer the simulator plays (GitHub Actions, Azure DevOps, HCP
/// Terraform, a Kubernetes cluster): its `iss` and its RSA key (PKCS#8 DER).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcIssuer {
    pub issuer: String,
    pub signing_key_pkcs8: Vec<u8>,
}

/// One federated identity credential of the application, as in the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedCredential {
    pub issuer: String,
    pub subject: String,
    /// Normally `api://AzureADTokenExchange`.
    pub audience: String,
}

/// A GitHub Actions-style ID-token endpoint: `GET` with
/// `Authorization: Bearer {request_token}` and `audience=…` answers
/// `{"value": jwt}` for `subject`, signed by `issuer` (one of
/// [`SimConfig::oidc_issuers`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTokenEndpoint {
    pub issuer: String,
    pub subject: String,
    pub request_token: String,
}

/// An Azure DevOps-style OIDC endpoint: `POST
/// ?api-version=7.1&serviceConnectionId={service_connection_id}` with
/// `Authorization: Bearer {access_token}` answers `{"oidcToken": jwt}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureDevOpsEndpoint {
    pub issuer: String,
    pub subject: String,
    pub access_token: String,
    pub service_connection_id: String,
}

/// The managed identities of the "machine" the simulator plays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedIdentities {
    /// Whether a request without `client_id` gets a token.
    pub system_assigned: bool,
    /// Client ids of user-assigned identities.
    pub user_assigned: Vec<String>,
    /// The `IDENTITY_HEADER` value the App Service-style endpoint requires.
    pub identity_header: String,
}

/// The forms in which Graph has been seen to report "no assignment filter"
/// in `deviceAndAppManagementAssignmentFilterId` (with filter type `none`):
/// clients must treat all three alike. Tests pick one to prove they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoFilterEcho {
    #[default]
    Null,
    /// `""`
    Empty,
    /// `"00000000-0000-0000-0000-000000000000"`
    ZeroGuid,
}

impl NoFilterEcho {
    /// The JSON value stored for a target without a filter.
    fn value(self) -> Value {
        match self {
            NoFilterEcho::Null => Value::Null,
            NoFilterEcho::Empty => Value::String(String::new()),
            NoFilterEcho::ZeroGuid => Value::String("00000000-0000-0000-0000-000000000000".into()),
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            tenant_id: "00000000-0000-0000-0000-0000000000aa".into(),
            client_id: "00000000-0000-0000-0000-0000000000bb".into(),
            client_secret: "simulator-secret".into(),
            page_size: 3,
            token_lifetime: Duration::from_secs(3600),
            port: 0,
            enforce_write_limit: true,
            consistency: Consistency::default(),
            no_filter_echo: NoFilterEcho::Null,
            unset_navigation_no_content: false,
            client_certificates: Vec::new(),
            oidc_issuers: Vec::new(),
            federated_credentials: Vec::new(),
            github_actions: None,
            azure_devops: None,
            managed_identity: None,
        }
    }
}

/// One request as the simulator saw it (admin requests excluded).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// The raw (still percent-encoded) query string.
    pub query: Option<String>,
    /// The status answered; 0 when the connection was dropped by a fault.
    pub status: u16,
    /// JSON bodies parsed; other bodies as a JSON string; token requests as
    /// an object of their form fields with `client_secret` and
    /// `client_assertion` replaced by `[REDACTED]`.
    pub body: Option<Value>,
    pub client_request_id: Option<String>,
    pub user_agent: Option<String>,
}

impl RecordedRequest {
    /// The decoded value of query parameter `name` (e.g. `"$filter"`).
    pub fn query_param(&self, name: &str) -> Option<String> {
        odata::query_pairs(self.query.as_deref())
            .ok()?
            .into_iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// Whether this is a Graph write (POST/PATCH/PUT/DELETE under `/beta`
    /// or `/v1.0`; sign-in endpoints excluded).
    pub fn is_graph_write(&self) -> bool {
        matches!(self.method.as_str(), "POST" | "PATCH" | "PUT" | "DELETE")
            && (self.path.starts_with("/beta/") || self.path.starts_with("/v1.0/"))
    }
}

/// State shared by the server thread and the [`Simulator`] handle.
struct Shared {
    config: SimConfig,
    /// What the token endpoint trusts, prepared from `config` once.
    trust: auth::Trust,
    base_url: String,
    schema: &'static schema::Schema,
    state: Mutex<State>,
}

impl Shared {
    /// The state; a panic while it was held (a bug) does not wedge the rest.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Default)]
struct State {
    store: store::Store,
    replication: replication::Replication,
    tokens: auth::Tokens,
    faults: faults::FaultQueue,
    requests: Vec<RecordedRequest>,
    /// Graph writes that reached validation.
    writes: usize,
    /// Times of recent writes, for the optional write limit.
    write_window: VecDeque<Instant>,
}

impl State {
    fn reset(&mut self) {
        self.store.clear();
        self.replication.clear();
        self.faults.clear();
        self.requests.clear();
        self.writes = 0;
        self.write_window.clear();
    }
}

/// A running simulator. Dropping it stops the server and its thread.
pub struct Simulator {
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Starts on its own thread with its own tokio runtime, so sync tests
    /// (that run terraform as a child process) and async tests can both use
    /// it. Returns once the socket is listening.
    pub fn spawn(config: SimConfig) -> io::Result<Simulator> {
        let schema = schema::Schema::embedded().map_err(io::Error::other)?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", config.port))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let trust = auth::Trust::new(&config).map_err(io::Error::other)?;
        let shared = Arc::new(Shared {
            trust,
            config,
            base_url: format!("http://127.0.0.1:{port}"),
            schema,
            state: Mutex::new(State::default()),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (shutdown, mut stop) = tokio::sync::watch::channel(false);
        let mut stop_grace = stop.clone();
        let app = routes::router(shared.clone())
            .into_make_service_with_connect_info::<conn::Connection>();
        let thread = std::thread::Builder::new()
            .name("intune-graph-sim".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(error) => {
                            tracing::error!(%error, "simulator could not adopt its socket");
                            return;
                        }
                    };
                    let server = axum::serve(conn::SimListener::new(listener), app)
                        .with_graceful_shutdown(async move {
                            let _ = stop.wait_for(|stopped| *stopped).await;
                        });
                    // Open keep-alive connections may hold graceful shutdown
                    // back; give them a moment, then stop regardless.
                    let deadline = async move {
                        let _ = stop_grace.wait_for(|stopped| *stopped).await;
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    };
                    tokio::select! {
                        result = server => {
                            if let Err(error) = result {
                                tracing::error!(%error, "simulator server failed");
                            }
                        }
                        () = deadline => {}
                    }
                });
            })?;
        Ok(Simulator {
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`: both the `graph_endpoint` and the
    /// `authority_host` to configure.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// The GitHub Actions-style ID-token URL, as `ACTIONS_ID_TOKEN_REQUEST_URL`
    /// carries it (with a query string already).
    pub fn github_actions_url(&self) -> String {
        format!(
            "{}/{}?api-version=2.0",
            self.shared.base_url,
            identity::GITHUB_PATH
        )
    }

    /// The Azure DevOps-style OIDC URL, as `SYSTEM_OIDCREQUESTURI` carries it.
    pub fn azure_devops_url(&self) -> String {
        format!("{}/{}", self.shared.base_url, identity::AZURE_DEVOPS_PATH)
    }

    /// The IMDS-style managed identity token URL, for `msi_endpoint`.
    pub fn imds_url(&self) -> String {
        format!("{}/{}", self.shared.base_url, identity::IMDS_PATH)
    }

    /// The App Service-style managed identity URL, for `IDENTITY_ENDPOINT`.
    pub fn app_service_url(&self) -> String {
        format!("{}/{}", self.shared.base_url, identity::APP_SERVICE_PATH)
    }

    /// Issues a Graph access token as if someone had signed in elsewhere
    /// (what `az account get-access-token` hands out): a stand-in for the
    /// Azure CLI in tests.
    pub fn issue_access_token(&self) -> String {
        let lifetime = self.shared.config.token_lifetime;
        let body = self.shared.lock().tokens.issue(lifetime);
        body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Signs a federated token as `issuer` (one of
    /// [`SimConfig::oidc_issuers`]) would, valid from `not_before` to
    /// `expires` (Unix seconds): what HCP Terraform or Kubernetes hands a
    /// workload. `None` for an unknown issuer.
    pub fn federated_token(
        &self,
        issuer: &str,
        subject: &str,
        audience: &str,
        not_before: i64,
        expires: i64,
    ) -> Option<String> {
        identity::mint(
            &self.shared.config,
            issuer,
            subject,
            audience,
            not_before,
            expires,
        )
    }

    /// Arms `fault` for the next matching requests of any method.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push(fault, None);
    }

    /// Arms `fault` only for requests with HTTP `method` (e.g. `"GET"`).
    pub fn inject_on(&self, method: &str, fault: Fault) {
        self.shared.lock().faults.push(fault, Some(method));
    }

    /// Every request so far (admin requests excluded), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// Graph POST/PATCH/PUT/DELETE requests that passed the token check and
    /// faults, i.e. reached validation (rejected ones included). Use it to
    /// assert that an invalid configuration made no write.
    pub fn write_count(&self) -> usize {
        self.shared.lock().writes
    }

    /// Current device configurations as a list GET returns them, oldest first.
    pub fn objects(&self) -> Vec<Value> {
        let state = self.shared.lock();
        state
            .store
            .list()
            .iter()
            .map(|o| o.representation())
            .collect()
    }

    /// One device configuration as a list GET returns it.
    pub fn object(&self, id: &str) -> Option<Value> {
        self.shared.lock().store.get(id).map(|o| o.representation())
    }

    /// The assignments of `id` as `GET .../assignments` returns them.
    pub fn assignments(&self, id: &str) -> Option<Vec<Value>> {
        self.shared
            .lock()
            .store
            .get(id)
            .map(|o| o.assignments.clone())
    }

    /// The id `id`'s `rootCertificate` points at, if any (may dangle).
    pub fn root_link(&self, id: &str) -> Option<String> {
        self.shared
            .lock()
            .store
            .get(id)
            .and_then(|o| o.root.clone())
    }

    /// Creates an object as an admin would in the portal: validated like a
    /// POST (bind included) but not recorded, counted or subject to faults.
    /// Returns the new id, or Graph's error message.
    pub fn insert_object(&self, body: Value) -> Result<String, String> {
        self.insert_object_at(body, time::OffsetDateTime::now_utc())
    }

    /// [`Simulator::insert_object`] with `createdDateTime` (and
    /// `lastModifiedDateTime`) set to `created`: an object made in the
    /// portal a minute ago, or by another process a moment from now.
    pub fn insert_object_at(
        &self,
        body: Value,
        created: time::OffsetDateTime,
    ) -> Result<String, String> {
        let Value::Object(body) = body else {
            return Err(validate::ValidationError::NotAnObject.to_string());
        };
        let mut state = self.shared.lock();
        ops::create(self.shared.schema, &mut state.store, &body, created).map_err(|e| e.to_string())
    }

    /// Changes an object as an admin would: validated like a PATCH (a no-op
    /// patch is an error); bumps `version`.
    pub fn patch_object(&self, id: &str, patch: Value) -> Result<(), String> {
        let Value::Object(mut patch) = patch else {
            return Err(validate::ValidationError::NotAnObject.to_string());
        };
        let mut state = self.shared.lock();
        // The portal always knows the type; tests need not repeat it.
        if let Some(object) = state.store.get(id) {
            let odata = format!("#microsoft.graph.{}", object.type_name);
            patch.entry("@odata.type").or_insert(Value::String(odata));
        }
        ops::update(
            self.shared.schema,
            &mut state.store,
            id,
            &patch,
            time::OffsetDateTime::now_utc(),
        )
        .map_err(|e| e.to_string())
    }

    /// Deletes an object as an admin would; `false` if it did not exist.
    pub fn delete_object(&self, id: &str) -> bool {
        self.shared.lock().store.delete(id)
    }

    /// Replaces an object's assignments as an admin would. `assignments` is
    /// the array `assign` takes (`[{"target":{...}}, ...]`).
    pub fn set_assignments(&self, id: &str, assignments: Value) -> Result<(), String> {
        let mut state = self.shared.lock();
        let echo = self.shared.config.no_filter_echo.value();
        ops::assign(
            self.shared.schema,
            &mut state.store,
            id,
            &assignments,
            &echo,
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    }

    /// Clears objects, faults, recorded requests and the write count (as
    /// `POST /_simulator/reset`); issued tokens stay valid.
    pub fn reset(&self) {
        self.shared.lock().reset();
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.shared.base_url)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(method: &str, path: &str, query: Option<&str>) -> RecordedRequest {
        RecordedRequest {
            method: method.into(),
            path: path.into(),
            query: query.map(str::to_owned),
            status: 200,
            body: None,
            client_request_id: None,
            user_agent: None,
        }
    }

    #[test]
    fn recorded_request_helpers() {
        let request = recorded(
            "GET",
            "/beta/x",
            Some("%24filter=isof(%27microsoft.graph.t%27)&%24top=2"),
        );
        assert_eq!(
            request.query_param("$filter").as_deref(),
            Some("isof('microsoft.graph.t')")
        );
        assert_eq!(request.query_param("$top").as_deref(), Some("2"));
        assert_eq!(request.query_param("$select"), None);
        let cases = [
            ("GET", "/beta/x", false),
            ("POST", "/beta/x", true),
            ("DELETE", "/beta/x", true),
            ("POST", "/t/oauth2/v2.0/token", false),
        ];
        for (method, path, expected) in cases {
            assert_eq!(
                recorded(method, path, None).is_graph_write(),
                expected,
                "{method} {path}"
            );
        }
    }

    #[test]
    fn simulator_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Simulator>();
    }

    #[test]
    fn spawn_and_drop_release_the_port() {
        let simulator = Simulator::spawn(SimConfig::default()).expect("spawned");
        let url = simulator.base_url();
        let port: u16 = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port");
        assert!(url.starts_with("http://127.0.0.1:") && port != 0, "{url}");
        drop(simulator);
        let again = Simulator::spawn(SimConfig {
            port,
            ..SimConfig::default()
        })
        .expect("port is free again");
        assert_eq!(again.base_url(), url);
    }
}
