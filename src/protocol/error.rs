//! Why the plugin server could not start or keep serving. These are launch
//! failures (bad environment, no port, TLS setup, transport), never the
//! provider's own errors, which travel to terraform as diagnostics instead.

use crate::protocol::handshake::NOT_A_PLUGIN_MESSAGE;

/// Everything that stops [`serve`](crate::protocol::serve) from launching or
/// running the plugin server.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// `TF_PLUGIN_MAGIC_COOKIE` is missing or wrong: a person ran the binary
    /// by hand instead of terraform launching it. The message is meant for
    /// that person; `main` prints it and exits with status 1.
    #[error("{NOT_A_PLUGIN_MESSAGE}")]
    NotLaunchedByTerraform,

    /// `PLUGIN_PROTOCOL_VERSIONS` lists versions, but not 5, the only one
    /// this provider speaks (the terraform binary is too new or too old).
    #[error(
        "terraform offered plugin protocol versions {offered:?}, but this provider only speaks version 5"
    )]
    UnsupportedProtocolVersions {
        /// The raw value of `PLUGIN_PROTOCOL_VERSIONS`.
        offered: String,
    },

    /// `PLUGIN_MIN_PORT` or `PLUGIN_MAX_PORT` is not a port number, or the
    /// range is empty.
    #[error("invalid plugin port range: {0}")]
    InvalidPortRange(String),

    /// Every port in the range `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT` is taken.
    #[error("no free port on 127.0.0.1 between {min} and {max}")]
    NoFreePort {
        /// Lowest port tried.
        min: u16,
        /// Highest port tried.
        max: u16,
    },

    /// Binding or inspecting the loopback listener failed for a reason other
    /// than the port being taken.
    #[error("listening on 127.0.0.1: {0}")]
    Listen(#[source] std::io::Error),

    /// `PLUGIN_CLIENT_CERT` is set but holds no parsable PEM certificate.
    #[error("PLUGIN_CLIENT_CERT holds no usable certificate: {0}")]
    InvalidClientCertificate(String),

    /// Generating the one-off server certificate for AutoMTLS failed.
    #[error("generating the TLS server certificate: {0}")]
    ServerCertificate(#[from] rcgen::Error),

    /// rustls refused the TLS configuration built for AutoMTLS.
    #[error("configuring TLS: {0}")]
    TlsConfig(#[from] rustls::Error),

    /// Installing the SIGINT/SIGTERM handlers failed.
    #[error("installing signal handlers: {0}")]
    Signal(#[source] std::io::Error),

    /// Writing the handshake (or debug reattach) line to stdout failed, so
    /// terraform can never find the server.
    #[error("writing the handshake line to stdout: {0}")]
    Stdout(#[source] std::io::Error),

    /// The gRPC server stopped with a transport error.
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}
