//! One HTTP attempt, and the reqwest clients it runs on: rustls with the ring
//! provider and the webpki root store (no OS trust store, no native-tls, so
//! behaviour is the same on every machine), no redirects, and proxies from
//! `HTTPS_PROXY`/`NO_PROXY` for every host except loopback ones (the
//! simulator), which are always reached directly.
//!
//! This module sends exactly what it is given once; retries, auth and
//! logging policy live in the callers.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{Method, RequestBuilder, Url};

use super::GraphError;
use super::endpoint::is_loopback;
use super::error::{TransportKind, transport_error};
use super::retry::{parse_retry_after, parse_retry_after_ms};

/// A complete response, body read.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// A response header as text, if present and printable.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// How long the server asked us to wait: `Retry-After` (seconds or an
    /// HTTP date), else Microsoft's `x-ms-retry-after-ms`.
    pub(crate) fn retry_after(&self, now: SystemTime) -> Option<Duration> {
        self.header("retry-after")
            .and_then(|value| parse_retry_after(value, now))
            .or_else(|| {
                self.header("x-ms-retry-after-ms")
                    .and_then(parse_retry_after_ms)
            })
    }
}

/// Which requests may go through a proxy.
#[derive(Debug, Clone)]
pub(crate) enum Proxies {
    /// None: endpoints on the machine itself (managed identity), which a
    /// proxy could not reach.
    Never,
    /// The proxies the environment names (`HTTPS_PROXY`, `HTTP_PROXY`,
    /// `ALL_PROXY`, `NO_PROXY`, as reqwest reads them), for every host
    /// except loopback ones.
    FromEnvironment,
    /// This proxy for every host except loopback ones.
    #[cfg(test)]
    Fixed(Url),
}

/// The HTTP client shared by the Graph calls and the token requests.
#[derive(Debug)]
pub(crate) struct Http {
    /// For loopback hosts, and for every host with [`Proxies::Never`].
    direct: reqwest::Client,
    /// For other hosts, when proxies are allowed.
    proxied: Option<reqwest::Client>,
    user_agent: HeaderValue,
    /// For the message of a connection that did not open in time.
    connect_timeout: Option<Duration>,
}

impl Http {
    /// `connect_timeout` makes a connection that does not open in time fail
    /// (retryably, as `Connect`: nothing was sent, so even a create may be
    /// repeated) rather than wait for the whole attempt, which would leave
    /// unknown whether the request arrived.
    pub(crate) fn new(
        user_agent: &str,
        proxies: Proxies,
        connect_timeout: Option<Duration>,
    ) -> Result<Self, GraphError> {
        let user_agent = HeaderValue::from_str(user_agent).map_err(|_| {
            GraphError::config(format!(
                "user agent {user_agent:?} is not a valid header value"
            ))
        })?;
        let build = |proxy: Option<reqwest::Proxy>, from_environment: bool| {
            let mut builder = reqwest::Client::builder()
                .tls_backend_preconfigured(tls_config()?)
                .redirect(reqwest::redirect::Policy::none())
                .pool_idle_timeout(Duration::from_secs(60));
            if let Some(timeout) = connect_timeout {
                builder = builder.connect_timeout(timeout);
            }
            builder = match proxy {
                Some(proxy) => builder.no_proxy().proxy(proxy),
                None if from_environment => builder,
                None => builder.no_proxy(),
            };
            builder
                .build()
                .map_err(|error| GraphError::config(format!("building the HTTP client: {error}")))
        };
        let proxied = match proxies {
            Proxies::Never => None,
            Proxies::FromEnvironment => Some(build(None, true)?),
            #[cfg(test)]
            Proxies::Fixed(url) => Some(build(
                Some(reqwest::Proxy::all(url).map_err(|error| {
                    GraphError::config(format!("the proxy URL is unusable: {error}"))
                })?),
                false,
            )?),
        };
        Ok(Http {
            direct: build(None, false)?,
            proxied,
            user_agent,
            connect_timeout,
        })
    }

    /// A request with the headers every call carries (`User-Agent`,
    /// `Accept`).
    /// Loopback hosts are always reached directly.
    pub(crate) fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let client = match &self.proxied {
            Some(proxied) if !is_loopback(&url) => proxied,
            _ => &self.direct,
        };
        client
            .request(method, url)
            .header(USER_AGENT, self.user_agent.clone())
            .header(ACCEPT, "application/json")
    }

    /// Sends once and reads the whole body, within `timeout`.
    pub(crate) async fn send(
        &self,
        request: RequestBuilder,
        timeout: Duration,
    ) -> Result<Reply, GraphError> {
        let attempt = async {
            let failed = |error| transport_error(error, self.connect_timeout);
            let response = request.send().await.map_err(failed)?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.bytes().await.map_err(failed)?;
            Ok(Reply {
                status,
                headers,
                body: body.to_vec(),
            })
        };
        match tokio::time::timeout(timeout, attempt).await {
            Ok(reply) => reply,
            Err(_) => Err(GraphError::Transport {
                kind: TransportKind::TimedOut,
                message: format!("no complete response within {} ms", timeout.as_millis()).into(),
            }),
        }
    }
}

/// rustls with ring and the Mozilla roots from `webpki-roots`; ALPN offers
/// HTTP/2 and HTTP/1.1.
fn tls_config() -> Result<rustls::ClientConfig, GraphError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|error| GraphError::config(format!("configuring TLS: {error}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_with_the_preconfigured_rustls_backend() {
        for proxies in [Proxies::Never, Proxies::FromEnvironment] {
            assert!(Http::new("terraform-provider-intune/test", proxies, None).is_ok());
        }
        assert!(matches!(
            Http::new("bad\nagent", Proxies::Never, None),
            Err(GraphError::Config { .. })
        ));
    }

    #[tokio::test]
    async fn refused_connections_are_retryable_connect_errors() {
        // Bind then drop a listener to get a loopback port nobody listens on.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let http = Http::new("test", Proxies::Never, None).unwrap();
        let url = Url::parse(&format!("http://127.0.0.1:{port}/beta/x")).unwrap();
        let error = http
            .send(http.request(Method::GET, url), Duration::from_secs(5))
            .await
            .err()
            .expect("nothing listens there");
        assert!(
            matches!(
                error,
                GraphError::Transport {
                    kind: TransportKind::Connect,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(error.is_retryable());
        assert!(error.is_connection_refused());
        assert!(!error.may_have_been_processed());
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "cannot connect to 127.0.0.1:{port}: Connection refused"
            )),
            "{text}"
        );
    }

    #[tokio::test]
    async fn tls_failures_are_not_retryable() {
        // A plain-text server answering a TLS client: the handshake fails.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            if let Ok((mut socket, _)) = listener.accept().await {
                let _ = socket
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                    .await;
            }
        });
        let http = Http::new("test", Proxies::Never, None).unwrap();
        let url = Url::parse(&format!("https://127.0.0.1:{port}/beta/x")).unwrap();
        let error = http
            .send(http.request(Method::GET, url), Duration::from_secs(5))
            .await
            .err()
            .expect("not a TLS server");
        assert!(
            matches!(
                error,
                GraphError::Transport {
                    kind: TransportKind::Tls,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(!error.is_retryable());
    }

    #[tokio::test]
    async fn a_silent_server_times_the_attempt_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let held = listener.accept().await;
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(held);
        });
        let http = Http::new("test", Proxies::Never, None).unwrap();
        let url = Url::parse(&format!("http://127.0.0.1:{port}/beta/x")).unwrap();
        let error = http
            .send(http.request(Method::GET, url), Duration::from_millis(100))
            .await
            .err()
            .expect("the server never answers");
        assert!(
            matches!(
                error,
                GraphError::Transport {
                    kind: TransportKind::TimedOut,
                    ..
                }
            ),
            "{error:?}"
        );
        server.abort();
    }
    /// Answers every request with `name` and records the request target.
    async fn answering(name: &'static str) -> (Url, Arc<std::sync::Mutex<Vec<String>>>) {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let record = record.clone();
            async move {
                record.lock().unwrap().push(uri.to_string());
                name
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (url, seen)
    }

    #[tokio::test]
    async fn only_loopback_hosts_bypass_the_proxy() {
        let (proxy, through_proxy) = answering("proxy").await;
        let (server, _) = answering("direct").await;
        let http = Http::new("test", Proxies::Fixed(proxy), None).unwrap();
        let cases = [
            (server.join("/beta/x").unwrap(), "direct"),
            (
                Url::parse("http://graph.example.invalid/beta/x").unwrap(),
                "proxy",
            ),
            (
                Url::parse("http://login.example.invalid/t/oauth2/v2.0/token").unwrap(),
                "proxy",
            ),
        ];
        for (url, expected) in cases {
            let reply = http
                .send(
                    http.request(Method::GET, url.clone()),
                    Duration::from_secs(5),
                )
                .await
                .unwrap_or_else(|error| panic!("{url}: {error}"));
            assert_eq!(String::from_utf8_lossy(&reply.body), expected, "{url}");
        }
        assert_eq!(
            *through_proxy.lock().unwrap(),
            [
                "http://graph.example.invalid/beta/x",
                "http://login.example.invalid/t/oauth2/v2.0/token"
            ]
        );
    }

    #[tokio::test]
    async fn transport_errors_do_not_repeat_the_url() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let http = Http::new("test", Proxies::Never, None).unwrap();
        let url = Url::parse(&format!(
            "http://127.0.0.1:{port}/metadata/identity/oauth2/token?resource=r&client_id=query-value"
        ))
        .unwrap();
        let error = http
            .send(http.request(Method::GET, url), Duration::from_secs(5))
            .await
            .err()
            .expect("nothing listens there");
        let text = error.to_string();
        assert!(!text.contains("query-value"), "{text}");
        assert!(!text.contains("/metadata/identity"), "{text}");
    }

    #[tokio::test]
    async fn a_connection_that_does_not_open_in_time_is_a_connect_error() {
        // A listener whose accept queue is full: the kernel leaves further
        // connection attempts unanswered, so connecting hangs.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(0).unwrap();
        let address = listener.local_addr().unwrap();
        let mut held = Vec::new();
        for _ in 0..8 {
            match tokio::time::timeout(
                Duration::from_millis(200),
                tokio::net::TcpStream::connect(address),
            )
            .await
            {
                Ok(Ok(stream)) => held.push(stream),
                _ => break,
            }
        }
        let http = Http::new("test", Proxies::Never, Some(Duration::from_millis(200))).unwrap();
        let url = Url::parse(&format!("http://{address}/token")).unwrap();
        let error = http
            .send(http.request(Method::GET, url), Duration::from_secs(5))
            .await
            .err()
            .expect("the connection never opens");
        assert!(
            matches!(
                error,
                GraphError::Transport {
                    kind: TransportKind::Connect,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(!error.may_have_been_processed());
        assert!(!error.is_connection_refused());
        assert_eq!(
            error.to_string(),
            format!("cannot connect to {address}: no connection within 200 ms")
        );
        drop(listener);
    }
}
