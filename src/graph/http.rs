//! One HTTP attempt, and the reqwest client it runs on: rustls with the ring
//! provider and the webpki root store (no OS trust store, no native-tls, so
//! behaviour is the same on every machine), no redirects, and proxies from
//! `HTTPS_PROXY`/`NO_PROXY` unless the endpoints are loopback.
//!
//! This module sends exactly what it is given once; retries, auth and
//! logging policy live in the callers.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{Method, RequestBuilder, Url};

use super::GraphError;
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

/// The HTTP client shared by the Graph calls and the token requests.
#[derive(Debug)]
pub(crate) struct Http {
    client: reqwest::Client,
    user_agent: HeaderValue,
}

impl Http {
    /// `direct` turns proxies off: used when an endpoint is loopback (the
    /// simulator), which must never be sent through a proxy.
    pub(crate) fn new(user_agent: &str, direct: bool) -> Result<Self, GraphError> {
        let user_agent = HeaderValue::from_str(user_agent).map_err(|_| {
            GraphError::config(format!(
                "user agent {user_agent:?} is not a valid header value"
            ))
        })?;
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60));
        if direct {
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|error| GraphError::config(format!("building the HTTP client: {error}")))?;
        Ok(Http { client, user_agent })
    }

    /// For endpoints on this machine (managed identity): never proxied,
    /// and a connection that does not open within `connect_timeout` fails
    /// (retryably) rather than waiting for the whole attempt.
    pub(crate) fn local(user_agent: &str, connect_timeout: Duration) -> Result<Self, GraphError> {
        let header = HeaderValue::from_str(user_agent).map_err(|_| {
            GraphError::config(format!(
                "user agent {user_agent:?} is not a valid header value"
            ))
        })?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(connect_timeout)
            .build()
            .map_err(|error| GraphError::config(format!("building the HTTP client: {error}")))?;
        Ok(Http {
            client,
            user_agent: header,
        })
    }

    /// A request with the headers every call carries (`User-Agent`,
    /// `Accept`).
    pub(crate) fn request(&self, method: Method, url: Url) -> RequestBuilder {
        self.client
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
            let response = request.send().await.map_err(|e| transport_error(&e))?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.bytes().await.map_err(|e| transport_error(&e))?;
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
                message: format!("no complete response within {} ms", timeout.as_millis()),
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
        assert!(Http::new("terraform-provider-intune/test", false).is_ok());
        assert!(Http::new("terraform-provider-intune/test", true).is_ok());
        assert!(matches!(
            Http::new("bad\nagent", true),
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
        let http = Http::new("test", true).unwrap();
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
        let http = Http::new("test", true).unwrap();
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
        let http = Http::new("test", true).unwrap();
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
}
