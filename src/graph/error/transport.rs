//! Classifies a request that got no HTTP response (refused, DNS, TLS,
//! broken connection, attempt timeout) as a [`TransportKind`], which decides
//! whether a retry is safe, and words it without the URL's path or query.

use std::time::Duration;

use super::{GraphError, TransportKind, TransportMessage};

/// Turns a failed attempt from reqwest into `GraphError::Transport`,
/// classifying it for the retry decision. A connection that could not be
/// opened in time is `Connect` (the request never left), not `TimedOut`.
/// The URL is dropped from the message: its query string can carry filter
/// values, skip tokens or sign-in parameters, and the message reaches logs
/// and diagnostics. A connect failure names the host and port instead
/// ("cannot connect to 127.0.0.1:9: Connection refused (os error 111)"),
/// and `connect_timeout` is the limit the client had set, for the message
/// of a connection that did not open in time.
pub(crate) fn transport_error(
    error: reqwest::Error,
    connect_timeout: Option<Duration>,
) -> GraphError {
    let authority = error.url().and_then(authority);
    let error = error.without_url();
    let kind = if error.is_builder() {
        TransportKind::Other
    } else if chain_has_tls_error(&error) {
        TransportKind::Tls
    } else if error.is_connect() {
        TransportKind::Connect
    } else if error.is_timeout() {
        TransportKind::TimedOut
    } else {
        TransportKind::Interrupted
    };
    let message = match (kind, authority) {
        (TransportKind::Connect, Some(authority)) => {
            // The connect timeout shows as reqwest's own timeout error or
            // as an `io::Error` of kind `TimedOut`, whichever timer fires.
            let root = root_io_error(&error);
            let cause = match connect_timeout {
                Some(limit) if error.is_timeout() => {
                    format!("no connection within {} ms", limit.as_millis())
                }
                _ => root_cause(&error),
            };
            let text = format!("cannot connect to {authority}: {cause}");
            if root.is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused) {
                TransportMessage::refused(text)
            } else {
                TransportMessage::from(text)
            }
        }
        _ => TransportMessage::from(error_chain(&error)),
    };
    GraphError::Transport { kind, message }
}

/// `host:port` of a URL (the scheme's port when none is given), for
/// messages that must not carry the path or query.
fn authority(url: &reqwest::Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// The innermost `io::Error` of a chain, where the operating system's
/// reason (refused, timed out) is.
fn root_io_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut found = None;
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            found = Some(io);
        }
        current = error.source();
    }
    found
}

/// The text of the last error in a chain ("Connection refused (os error
/// 111)"), without the wrappers' "error sending request: client error".
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

/// "outer: cause: root cause", so the user sees e.g. "Connection refused".
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

/// rustls errors travel inside (possibly nested) `io::Error`s, whose
/// `source()` skips the wrapped error, so step into each `io::Error`'s
/// payload instead.
fn chain_has_tls_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<rustls::Error>() {
            return true;
        }
        current = match error.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => error.source(),
        };
    }
    false
}
