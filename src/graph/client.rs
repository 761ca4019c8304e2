//! [`GraphClient`]: the request loop. One logical call (a GET, a POST, one
//! page of a list) gets a fresh `client-request-id` and is attempted until
//! it succeeds, fails for good, or its deadline or the Stop switch ends it
//! (Stop ends waits and reads at once, and lets a write already sent finish).
//!
//! Per attempt: a write slot (writes only), a token, one HTTP exchange, a
//! debug log line, and the reply's `Date` for the estimate of Graph's clock.
//! Between attempts: `Retry-After` or backoff for throttling and transient
//! failures (a refused connection only a few times), the short delay for a
//! 404 right after our own write, an immediate retry with a new token after
//! a 401.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Url};
use serde_json::Value;
use tokio::time::Instant;

use super::auth::{FetchContext, Secret, TokenCache, token_source};
use super::clock::GraphClock;
use super::endpoint;
use super::error::{ResponseMeta, api_error};
use super::http::{Http, Proxies, Reply};
use super::pacing::Pacer;
use super::redact::{redact_body, redact_json};
use super::retry::{Retrier, RetryPolicy, Wait, not_found_wait};
use super::stop::Stop;
use super::{CallOptions, GraphConfig, GraphError, TransportKind};

/// A Microsoft Graph client for one tenant and credential. Cheap to clone;
/// clones share the token, the write window and the Stop switch.
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

struct Inner {
    /// `{graph_endpoint}/{API_VERSION}`.
    base: Url,
    http: Http,
    auth: TokenCache,
    retry: RetryPolicy,
    pacer: Pacer,
    stop: Stop,
    /// Graph's clock, from the `Date` of Graph's replies.
    clock: GraphClock,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("base", &self.inner.base.as_str())
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    /// Checks the configuration (https, or http for loopback hosts only; a
    /// tenant id that is a GUID or domain; a non-empty credential) and
    /// builds the client. No request is made until the first call.
    pub fn new(config: GraphConfig) -> Result<GraphClient, GraphError> {
        let graph_root = endpoint::parse_root("graph_endpoint", &config.graph_endpoint)?;
        let authority = endpoint::parse_root("authority_host", &config.authority_host)?;
        let base = endpoint::graph_base(&graph_root)?;
        let source = token_source(
            config.credential,
            &config.tenant_id,
            &authority,
            &config.graph_resource,
            &config.user_agent,
        )?;
        let pacer = Pacer::new(config.write_pacing)
            .ok_or_else(|| GraphError::config("write pacing must allow at least one write"))?;
        let http = Http::new(
            &config.user_agent,
            Proxies::FromEnvironment,
            Some(config.retry.connect_timeout),
        )?;
        Ok(GraphClient {
            inner: Arc::new(Inner {
                base,
                http,
                auth: TokenCache::new(source),
                retry: config.retry,
                pacer,
                stop: Stop::new(),
                clock: GraphClock::default(),
            }),
        })
    }

    /// Obtains a token now instead of at the first call, so that a
    /// credential problem is reported once, when the provider is
    /// configured, rather than by every resource.
    pub async fn sign_in(&self, deadline: Instant) -> Result<(), GraphError> {
        let inner = &*self.inner;
        let context = FetchContext {
            http: &inner.http,
            policy: &inner.retry,
            stop: &inner.stop,
        };
        inner.auth.token(&context, deadline).await.map(|_| ())
    }

    /// Reads one object.
    pub async fn get(&self, path: &str, opts: &CallOptions) -> Result<Value, GraphError> {
        let operation = format!("GET {}", endpoint::log_path(&self.resolve(path)?));
        self.get_optional(path, opts)
            .await?
            .ok_or_else(|| GraphError::invalid_response(&operation, "the response has no body"))
    }

    /// A GET whose answer may be empty: a single-valued navigation with
    /// nothing behind it is answered 204 No Content by OData services.
    /// `None` for an empty success.
    pub async fn get_optional(
        &self,
        path: &str,
        opts: &CallOptions,
    ) -> Result<Option<Value>, GraphError> {
        let url = self.resolve(path)?;
        let operation = format!("GET {}", endpoint::log_path(&url));
        let reply = self.call(Method::GET, url, None, opts).await?;
        json_body(&reply, &operation)
    }

    /// Reads a whole collection, following `@odata.nextLink` page by page
    /// and concatenating the `value` arrays. Each page is its own call with
    /// its own retries; all share `opts.deadline`. A link back to a page
    /// already read is an error, not a loop until the deadline.
    ///
    /// A 404 on the first page is Graph's answer for the collection (its
    /// owner is gone: [`GraphError::is_not_found`]). A 404 on a later page
    /// is [`GraphError::PageNotFound`] instead, and is not retried as a
    /// read-after-write 404: the collection was there a moment ago.
    pub async fn list(&self, path: &str, opts: &CallOptions) -> Result<Vec<Value>, GraphError> {
        let first = self.resolve(path)?;
        let list_operation = format!("GET {}", endpoint::log_path(&first));
        let mut url = first;
        let mut items = Vec::new();
        let mut fetched = std::collections::HashSet::new();
        let later_page_opts = CallOptions {
            retry_not_found: false,
            ..*opts
        };
        let mut page_number = 0usize;
        loop {
            page_number += 1;
            fetched.insert(url.clone());
            let operation = format!("GET {}", endpoint::log_path(&url));
            let reply = match page_number {
                1 => self.call(Method::GET, url.clone(), None, opts).await?,
                _ => self
                    .call(Method::GET, url.clone(), None, &later_page_opts)
                    .await
                    .map_err(|error| match error {
                        error if error.is_not_found() => GraphError::PageNotFound {
                            operation: list_operation.clone(),
                            page: page_number,
                            error: Box::new(error),
                        },
                        error => error,
                    })?,
            };
            let page = json_body(&reply, &operation)?;
            let Some(Value::Object(mut page)) = page else {
                return Err(GraphError::invalid_response(
                    &operation,
                    "a collection page must be a JSON object",
                ));
            };
            match page.remove("value") {
                Some(Value::Array(values)) => items.extend(values),
                _ => {
                    return Err(GraphError::invalid_response(
                        &operation,
                        "a collection page has no \"value\" array",
                    ));
                }
            }
            match page.remove("@odata.nextLink") {
                None | Some(Value::Null) => return Ok(items),
                Some(Value::String(link)) => {
                    let next = endpoint::check_next_link(&self.inner.base, &link)
                        .map_err(|message| GraphError::invalid_response(&operation, message))?;
                    if fetched.contains(&next) {
                        return Err(GraphError::invalid_response(
                            &operation,
                            "@odata.nextLink points back to a page already read",
                        ));
                    }
                    url = next;
                }
                Some(_) => {
                    return Err(GraphError::invalid_response(
                        &operation,
                        "@odata.nextLink is not a string",
                    ));
                }
            }
        }
    }

    /// Creates an object or runs an action. `None` when Graph answers 204.
    pub async fn post(
        &self,
        path: &str,
        body: &Value,
        opts: &CallOptions,
    ) -> Result<Option<Value>, GraphError> {
        self.write(Method::POST, path, body, opts).await
    }

    /// Updates an object. `None` when Graph answers 204 (the usual case).
    pub async fn patch(
        &self,
        path: &str,
        body: &Value,
        opts: &CallOptions,
    ) -> Result<Option<Value>, GraphError> {
        self.write(Method::PATCH, path, body, opts).await
    }

    /// Replaces an object or a reference.
    pub async fn put(
        &self,
        path: &str,
        body: &Value,
        opts: &CallOptions,
    ) -> Result<Option<Value>, GraphError> {
        self.write(Method::PUT, path, body, opts).await
    }

    /// Deletes an object. A 404 is returned as an error; the caller decides
    /// whether "already gone" is success.
    pub async fn delete(&self, path: &str, opts: &CallOptions) -> Result<(), GraphError> {
        let url = self.resolve(path)?;
        self.call(Method::DELETE, url, None, opts).await?;
        Ok(())
    }

    /// Waits `duration`, or less if terraform's Stop comes first
    /// (`Cancelled`): for callers that poll Graph between calls.
    pub async fn pause(&self, duration: Duration) -> Result<(), GraphError> {
        self.inner.stop.sleep(duration).await
    }

    /// `local`, an instant on this machine's clock (e.g. `SystemTime::now()`
    /// taken just before a create was sent), on Graph's clock: what to
    /// compare with Graph's `createdDateTime` and other timestamps. The
    /// estimate comes from the `Date` header of Graph's replies (not the
    /// token endpoint's) and is never later than Graph's true time at that
    /// instant, only up to about a second and a round trip earlier; so
    /// anything Graph did after `local` carries a timestamp at or after
    /// the returned one. `None` until a Graph reply with a `Date` has been
    /// received.
    pub fn graph_time(&self, local: SystemTime) -> Option<time::OffsetDateTime> {
        self.inner.clock.graph_time(local)
    }

    /// The absolute URL of `path`, e.g. for `@odata.bind` values.
    pub fn url(&self, path: &str) -> String {
        endpoint::join(&self.inner.base, path)
    }

    /// Terraform's Stop RPC: every current and future wait, read and new
    /// attempt of this client (and its clones) ends promptly with
    /// `Cancelled`. A write already on the wire is let finish, within its
    /// attempt timeout, so its outcome (a created object's id) is known.
    pub fn stop(&self) {
        self.inner.stop.trigger();
    }

    fn resolve(&self, path: &str) -> Result<Url, GraphError> {
        endpoint::resolve(&self.inner.base, path)
    }

    async fn write(
        &self,
        method: Method,
        path: &str,
        body: &Value,
        opts: &CallOptions,
    ) -> Result<Option<Value>, GraphError> {
        let url = self.resolve(path)?;
        let operation = format!("{method} {}", endpoint::log_path(&url));
        let reply = self.call(method, url, Some(body), opts).await?;
        json_body(&reply, &operation)
    }

    /// The request loop of one logical call; returns the 2xx reply.
    async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        opts: &CallOptions,
    ) -> Result<Reply, GraphError> {
        let inner = &*self.inner;
        let path = endpoint::log_path(&url).to_string();
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let mut retrier = Retrier::new(
            &inner.retry,
            &inner.stop,
            opts.deadline,
            format!("{method} {path}"),
        );
        let context = FetchContext {
            http: &inner.http,
            policy: &inner.retry,
            stop: &inner.stop,
        };
        let body = match body {
            Some(body) => {
                tracing::trace!(method = %method, path = %path, body = %redact_json(body), "Graph request body");
                Some(serde_json::to_vec(body).map_err(|error| {
                    GraphError::config(format!("the request body cannot be serialised: {error}"))
                })?)
            }
            None => None,
        };
        let is_write = method != Method::GET;
        let mut token_refreshed = false;
        let mut not_found_retries = 0u32;
        let mut connect_failed = false;

        loop {
            // After a connection failed to open, a write attempt with less
            // time left than the connect timeout would likely end in an
            // attempt timeout, which leaves unknown whether the write
            // arrived (a create would then be searched for): end the call
            // with the connect failure instead.
            if is_write
                && connect_failed
                && retrier.deadline().saturating_duration_since(Instant::now())
                    < inner.retry.connect_timeout
            {
                return Err(retrier.give_up());
            }
            let attempt = retrier.start_attempt()?;
            let slot = if is_write {
                Some(loop {
                    match inner.pacer.try_acquire(Instant::now()) {
                        Ok(taken) => break taken,
                        Err(free_at) => {
                            tracing::debug!(method = %method, path = %path, "waiting for a write slot");
                            retrier.wait_until(free_at).await?;
                        }
                    }
                })
            } else {
                None
            };
            let token = inner.auth.token(&context, retrier.deadline()).await?;

            let mut request = inner
                .http
                .request(method.clone(), url.clone())
                .header(AUTHORIZATION, bearer(&token)?)
                .header("client-request-id", &client_request_id);
            if let Some(body) = &body {
                request = request
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let started = Instant::now();
            let send = inner.http.send(request, retrier.attempt_timeout());
            // A write already sent is let finish (within its attempt
            // timeout): cut off by Stop, it would leave unknown whether
            // Graph carried it out, and a create's id would be lost. Stop
            // ends the waits before and after it. Reads end at once.
            let outcome = if is_write {
                send.await
            } else {
                inner.stop.run(send).await?
            };
            let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            if let Some(slot) = slot {
                // Graph counted the write no later than now.
                inner.pacer.settle(slot, Instant::now());
            }
            connect_failed = matches!(
                outcome,
                Err(GraphError::Transport {
                    kind: TransportKind::Connect,
                    ..
                })
            );

            let (error, wait) = match outcome {
                Ok(reply) => {
                    inner
                        .clock
                        .observe(reply.header("date"), SystemTime::now(), Instant::now());
                    tracing::debug!(
                        method = %method,
                        path = %path,
                        status = reply.status,
                        request_id = reply.header("request-id").unwrap_or_default(),
                        client_request_id = %client_request_id,
                        attempt,
                        duration_ms,
                        "Graph call"
                    );
                    if !reply.body.is_empty() {
                        tracing::trace!(method = %method, path = %path, body = %redact_body(&reply.body), "Graph response body");
                    }
                    if reply.is_success() {
                        return Ok(reply);
                    }
                    let error = api_error(
                        ResponseMeta {
                            status: reply.status,
                            request_id: reply.header("request-id"),
                            date: reply.header("date"),
                            client_request_id: &client_request_id,
                        },
                        &reply.body,
                    );
                    let server_wait = Wait::after(reply.retry_after(SystemTime::now()));
                    match reply.status {
                        401 if !token_refreshed => {
                            // The token may have been revoked or expired
                            // early: one new token, one more try.
                            token_refreshed = true;
                            inner.auth.reject(&token, &inner.stop).await?;
                            (error, Wait::Exactly(Duration::ZERO))
                        }
                        404 if opts.retry_not_found
                            && not_found_retries < inner.retry.max_not_found_retries =>
                        {
                            not_found_retries += 1;
                            let wait = not_found_wait(&inner.retry, not_found_retries);
                            (error, Wait::Exactly(wait))
                        }
                        504 if method == Method::POST && !opts.post_is_idempotent => {
                            return Err(error);
                        }
                        _ if error.is_retryable() => (error, server_wait),
                        _ => return Err(error),
                    }
                }
                Err(error) => {
                    tracing::debug!(
                        method = %method,
                        path = %path,
                        client_request_id = %client_request_id,
                        attempt,
                        duration_ms,
                        error = %error,
                        "Graph call failed"
                    );
                    if !error.is_retryable()
                        || (method == Method::POST
                            && !opts.post_is_idempotent
                            && error.may_have_been_processed())
                    {
                        return Err(error);
                    }
                    (error, Wait::Backoff)
                }
            };
            retrier.pause(error, wait).await?;
        }
    }
}

/// `Authorization: Bearer …`, marked sensitive so it is never printed.
fn bearer(token: &Secret) -> Result<HeaderValue, GraphError> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
        GraphError::InvalidResponse {
            operation: "token request".into(),
            message: "the access token contains characters not allowed in a header".into(),
        }
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// The JSON body of a 2xx reply; `None` for 204 or an empty body.
fn json_body(reply: &Reply, operation: &str) -> Result<Option<Value>, GraphError> {
    if reply.status == 204 || reply.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(&reply.body)
        .map(Some)
        .map_err(|error| {
            GraphError::invalid_response(operation, format!("the body is not JSON: {error}"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Credential, FederatedToken, ManagedIdentityEndpoint, Secret, WritePacing};

    fn config() -> GraphConfig {
        GraphConfig {
            graph_endpoint: "http://127.0.0.1:9".into(),
            graph_resource: "https://graph.microsoft.com".into(),
            authority_host: "http://127.0.0.1:9".into(),
            tenant_id: "contoso.onmicrosoft.com".into(),
            credential: Credential::ClientSecret {
                client_id: "app".into(),
                client_secret: Secret::new("hunter2"),
            },
            user_agent: "terraform-provider-intune/test".into(),
            retry: RetryPolicy::default(),
            write_pacing: WritePacing::default(),
        }
    }

    #[test]
    fn client_is_send_sync_and_clone() {
        fn assert_traits<T: Send + Sync + Clone + 'static>() {}
        assert_traits::<GraphClient>();
    }

    #[test]
    fn new_validates_the_configuration() {
        type Edit = fn(&mut GraphConfig);
        let cases: [(&str, Edit, Option<&str>); 14] = [
            ("valid", |_| {}, None),
            (
                "https graph",
                |c| c.graph_endpoint = "https://graph.microsoft.com".into(),
                None,
            ),
            (
                "remote http graph",
                |c| c.graph_endpoint = "http://graph.microsoft.com".into(),
                Some("must use https"),
            ),
            (
                "remote http authority",
                |c| c.authority_host = "http://login.example".into(),
                Some("must use https"),
            ),
            (
                "versioned graph",
                |c| c.graph_endpoint = "http://127.0.0.1:9/beta".into(),
                Some("API version"),
            ),
            (
                "bad tenant",
                |c| c.tenant_id = "a/b".into(),
                Some("tenant_id"),
            ),
            (
                "empty client id",
                |c| {
                    c.credential = Credential::ClientSecret {
                        client_id: " ".into(),
                        client_secret: Secret::new("s"),
                    }
                },
                Some("client_id"),
            ),
            (
                "empty secret",
                |c| {
                    c.credential = Credential::ClientSecret {
                        client_id: "a".into(),
                        client_secret: Secret::new(""),
                    }
                },
                Some("client_secret"),
            ),
            (
                "managed identity needs no tenant",
                |c| {
                    c.tenant_id = String::new();
                    c.credential = Credential::ManagedIdentity {
                        client_id: None,
                        endpoint: ManagedIdentityEndpoint::Imds {
                            url: "http://127.0.0.1:9/metadata/identity/oauth2/token".into(),
                        },
                    }
                },
                None,
            ),
            (
                "remote http managed identity endpoint",
                |c| {
                    c.credential = Credential::ManagedIdentity {
                        client_id: None,
                        endpoint: ManagedIdentityEndpoint::Imds {
                            url: "http://10.0.0.1/token".into(),
                        },
                    }
                },
                Some("msi_endpoint"),
            ),
            (
                "cli without tenant",
                |c| {
                    c.tenant_id = String::new();
                    c.credential = Credential::AzureCli {
                        program: "/usr/bin/az".into(),
                    }
                },
                None,
            ),
            (
                "cli tenant that looks like an option",
                |c| {
                    c.tenant_id = "--help".into();
                    c.credential = Credential::AzureCli {
                        program: "/usr/bin/az".into(),
                    }
                },
                Some("tenant_id"),
            ),
            (
                "empty federated token",
                |c| {
                    c.credential = Credential::Federated {
                        client_id: "a".into(),
                        token: FederatedToken::Token(Secret::new("")),
                    }
                },
                Some("federated token is empty"),
            ),
            (
                "zero writes",
                |c| {
                    c.write_pacing = WritePacing::SlidingWindow {
                        writes: 0,
                        window: Duration::from_secs(1),
                    }
                },
                Some("write pacing"),
            ),
        ];
        for (name, edit, expected) in cases {
            let mut config = config();
            edit(&mut config);
            match (GraphClient::new(config), expected) {
                (Ok(_), None) => {}
                (Err(error), Some(text)) => {
                    assert!(
                        matches!(error, GraphError::Config { .. }),
                        "{name}: {error:?}"
                    );
                    assert!(error.to_string().contains(text), "{name}: {error}");
                    assert!(!error.to_string().contains("hunter2"), "{name}: {error}");
                }
                (outcome, expected) => panic!("{name}: expected {expected:?}, got {outcome:?}"),
            }
        }
    }

    #[test]
    fn urls_and_paths() {
        let client = GraphClient::new(config()).unwrap();
        assert_eq!(
            client.url("/deviceManagement/deviceConfigurations/abc"),
            "http://127.0.0.1:9/beta/deviceManagement/deviceConfigurations/abc"
        );
        assert!(matches!(
            client.resolve("no-slash"),
            Err(GraphError::Config { .. })
        ));
        assert!(!format!("{client:?}").contains("hunter2"));
    }

    #[test]
    fn bodies() {
        let reply = |status, body: &str| Reply {
            status,
            headers: Default::default(),
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(json_body(&reply(204, ""), "op").unwrap(), None);
        assert_eq!(json_body(&reply(200, " \n"), "op").unwrap(), None);
        assert_eq!(
            json_body(&reply(201, r#"{"id":"1"}"#), "op").unwrap(),
            Some(serde_json::json!({"id": "1"}))
        );
        assert!(matches!(
            json_body(&reply(200, "<html>"), "op"),
            Err(GraphError::InvalidResponse { .. })
        ));
    }

    #[test]
    fn bearer_header_is_sensitive() {
        let value = bearer(&Secret::new("abc")).unwrap();
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("abc"));
        assert!(bearer(&Secret::new("a\nb")).is_err());
    }

    #[tokio::test]
    async fn stopped_client_refuses_calls() {
        let client = GraphClient::new(config()).unwrap();
        client.clone().stop();
        let outcome = client
            .get(
                "/deviceManagement/deviceConfigurations",
                &CallOptions::within(Duration::from_secs(5)),
            )
            .await;
        assert!(matches!(outcome, Err(GraphError::Cancelled)), "{outcome:?}");
    }

    /// A tiny stand-in server for the cases the simulator cannot produce: a
    /// token Graph rejects while it is still fresh, and a next link to
    /// another host.
    mod fake {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU32, Ordering};

        use axum::Router;
        use axum::http::{HeaderMap, StatusCode};
        use axum::routing::{get, post};
        use serde_json::{Value, json};

        #[derive(Default)]
        pub struct Counts {
            pub tokens: AtomicU32,
            pub graph: AtomicU32,
        }

        /// Serves `/{tenant}/oauth2/v2.0/token` (tokens `tok-1`, `tok-2`, …)
        /// and `GET /beta/x`, which rejects the tokens in `rejected`.
        pub async fn serve(rejected: &'static [&'static str]) -> (String, Arc<Counts>) {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let counts = Arc::new(Counts::default());
            let cycle = |next: &str| {
                let page = json!({"value": [1], "@odata.nextLink": format!("{base}/beta/{next}?$skiptoken=x")});
                move || async move { axum::Json::<Value>(page) }
            };
            let token_counts = counts.clone();
            let graph_counts = counts.clone();
            let app = Router::new()
                .route(
                    "/{tenant}/oauth2/v2.0/token",
                    post(move || {
                        let counts = token_counts.clone();
                        async move {
                            let n = counts.tokens.fetch_add(1, Ordering::SeqCst) + 1;
                            axum::Json(json!({
                                "token_type": "Bearer",
                                "expires_in": 3600,
                                "access_token": format!("tok-{n}"),
                            }))
                        }
                    }),
                )
                .route(
                    "/beta/x",
                    get(move |headers: HeaderMap| {
                        let counts = graph_counts.clone();
                        async move {
                            counts.graph.fetch_add(1, Ordering::SeqCst);
                            let auth = headers
                                .get("authorization")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_string();
                            if rejected.iter().any(|t| auth == format!("Bearer {t}")) {
                                let body = json!({"error": {"code": "InvalidAuthenticationToken", "message": "Lifetime validation failed"}});
                                return (StatusCode::UNAUTHORIZED, axum::Json(body));
                            }
                            (StatusCode::OK, axum::Json(json!({"ok": true})))
                        }
                    }),
                )
                .route(
                    "/beta/pages",
                    get(|| async {
                        axum::Json::<Value>(json!({
                            "value": [1],
                            "@odata.nextLink": "http://127.0.0.2:9/beta/pages?$skiptoken=a",
                        }))
                    }),
                )
                // Pages that link to each other: a → b → a.
                .route("/beta/cycle-a", get(cycle("cycle-b")))
                .route("/beta/cycle-b", get(cycle("cycle-a")));
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            (base, counts)
        }
    }

    fn config_at(base: &str) -> GraphConfig {
        GraphConfig {
            graph_endpoint: base.into(),
            authority_host: base.into(),
            ..config()
        }
    }

    #[tokio::test]
    async fn a_401_gets_one_new_token_and_one_retry() {
        use std::sync::atomic::Ordering;
        let (base, counts) = fake::serve(&["tok-1"]).await;
        let client = GraphClient::new(config_at(&base)).unwrap();
        let opts = CallOptions::within(Duration::from_secs(10));
        let body = client
            .get("/x", &opts)
            .await
            .expect("second token accepted");
        assert_eq!(body["ok"], true);
        assert_eq!(counts.tokens.load(Ordering::SeqCst), 2);
        assert_eq!(counts.graph.load(Ordering::SeqCst), 2);

        // A token that keeps being refused is not refreshed in a loop.
        let (base, counts) = fake::serve(&["tok-1", "tok-2", "tok-3"]).await;
        let client = GraphClient::new(config_at(&base)).unwrap();
        let error = client.get("/x", &opts).await.expect_err("always 401");
        assert_eq!(error.status(), Some(401));
        assert_eq!(counts.tokens.load(Ordering::SeqCst), 2);
        assert_eq!(counts.graph.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn next_link_to_another_host_is_refused() {
        let (base, _) = fake::serve(&[]).await;
        let client = GraphClient::new(config_at(&base)).unwrap();
        let error = client
            .list("/pages", &CallOptions::within(Duration::from_secs(10)))
            .await
            .expect_err("foreign next link");
        assert!(
            matches!(error, GraphError::InvalidResponse { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("127.0.0.2"), "{error}");
    }

    #[tokio::test]
    async fn next_links_that_go_round_in_a_circle_are_refused() {
        let (base, _) = fake::serve(&[]).await;
        let client = GraphClient::new(config_at(&base)).unwrap();
        let started = Instant::now();
        let error = client
            .list("/cycle-a", &CallOptions::within(Duration::from_secs(3)))
            .await
            .expect_err("a → b → a");
        assert!(
            matches!(error, GraphError::InvalidResponse { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("already read"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
