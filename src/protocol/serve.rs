//! The plugin server's life: check the launch environment, bind loopback,
//! set up AutoMTLS, announce ourselves with the handshake line, serve the
//! tfplugin5 provider plus go-plugin's services, and exit cleanly when
//! terraform says so or goes away.
//!
//! The handshake (or debug reattach) line is the only thing this crate ever
//! writes to stdout. Provider behaviour lives behind the `Provider` trait
//! passed in; nothing here knows what the provider manages.

use std::io::Write as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::transport::Server;
use tonic::transport::server::{Connected, TcpConnectInfo};

use crate::protocol::ProtocolError;
use crate::protocol::handshake::{self, LaunchEnv};
use crate::protocol::plugin_services::{self, Controller, ShutdownSignal, Stdio};
use crate::protocol::tfplugin5::provider_server::{Provider, ProviderServer};
use crate::protocol::tls;

/// Largest gRPC message accepted or sent. Schemas and states of many
/// profiles can reach several MiB; this leaves ample room.
const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;
/// How long a client may take to complete the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// After a shutdown request, how long open connections may take to close
/// before we exit anyway. Terraform kills the process 2 s after Shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);
/// How often we check whether terraform (our parent) is still there.
const PARENT_POLL: Duration = Duration::from_secs(1);

/// How to run the plugin server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// Run for a debugger instead of for terraform (`--debug`): no magic
    /// cookie needed, plaintext, a `TF_REATTACH_PROVIDERS` line for a person
    /// to paste, and the server runs until Ctrl-C.
    pub debug: bool,
    /// The provider's registry address, used as the key of the reattach
    /// line in debug mode, e.g. `registry.terraform.io/intune-tf/intune`.
    pub provider_address: String,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            debug: false,
            provider_address: "registry.terraform.io/intune-tf/intune".to_owned(),
        }
    }
}

/// Serves `provider` over the terraform plugin protocol 5 until terraform
/// is done with it (or, with `debug`, until Ctrl-C).
///
/// Launched by terraform, the server stops on `GRPCController.Shutdown`, on
/// SIGTERM, or when the parent process goes away; SIGINT is ignored, as
/// go-plugin servers do (terraform forwards interrupts as the Stop RPC).
/// In debug mode it stops on SIGINT or SIGTERM only.
///
/// Returns `Ok(())` after a clean shutdown; the caller should then exit 0.
/// [`ProtocolError::NotLaunchedByTerraform`] means a person ran the binary
/// by hand: print the error (it explains what to do) and exit 1.
pub async fn serve<P: Provider>(provider: P, options: ServeOptions) -> Result<(), ProtocolError> {
    let env = LaunchEnv::from_process();
    if options.debug {
        serve_debug(provider, &options, &env).await
    } else {
        serve_for_terraform(provider, &env).await
    }
}

async fn serve_for_terraform<P: Provider>(
    provider: P,
    env: &LaunchEnv,
) -> Result<(), ProtocolError> {
    handshake::check_magic_cookie(env.magic_cookie.as_deref())?;
    let version = handshake::negotiate_protocol_version(env.protocol_versions.as_deref())?;
    let range = handshake::port_range(env.min_port.as_deref(), env.max_port.as_deref())?;
    let server_tls = env
        .client_cert
        .as_deref()
        .map(tls::server_tls)
        .transpose()?;
    let listener = handshake::bind_listener(range).await?;
    let addr = listener.local_addr().map_err(ProtocolError::Listen)?;

    let shutdown = ShutdownSignal::new();
    // Ctrl-C in terraform's terminal reaches us too; terraform itself
    // decides what to do and tells us through the Stop RPC.
    spawn_signal_handler(SignalKind::interrupt(), None)?;
    spawn_signal_handler(SignalKind::terminate(), Some(shutdown.clone()))?;
    spawn_parent_watch(shutdown.clone());

    let acceptor = server_tls
        .as_ref()
        .map(|t| TlsAcceptor::from(t.config.clone()));
    let incoming = accept_connections(listener, acceptor);
    let line = handshake::handshake_line(
        version,
        addr,
        server_tls.as_ref().map(|t| t.certificate.as_ref()),
    );
    tracing::debug!(%addr, tls = server_tls.is_some(), "plugin server listening");
    write_stdout(&[&line])?;
    run(provider, incoming, shutdown, true).await
}

async fn serve_debug<P: Provider>(
    provider: P,
    options: &ServeOptions,
    env: &LaunchEnv,
) -> Result<(), ProtocolError> {
    let range = handshake::port_range(env.min_port.as_deref(), env.max_port.as_deref())?;
    let listener = handshake::bind_listener(range).await?;
    let addr = listener.local_addr().map_err(ProtocolError::Listen)?;

    let shutdown = ShutdownSignal::new();
    spawn_signal_handler(SignalKind::interrupt(), Some(shutdown.clone()))?;
    spawn_signal_handler(SignalKind::terminate(), Some(shutdown.clone()))?;

    let incoming = accept_connections(listener, None);
    let reattach = handshake::reattach_line(&options.provider_address, std::process::id(), addr);
    write_stdout(&[
        "Provider started in debug mode. To make Terraform use this process instead of",
        "launching its own, set this variable in the shell where you run terraform:",
        "",
        &format!("\t{reattach}"),
        "",
        "Press Ctrl-C to stop the provider.",
    ])?;
    run(provider, incoming, shutdown, false).await
}

/// Writes `lines` to stdout and flushes, so terraform (or the person) sees
/// them at once.
fn write_stdout(lines: &[&str]) -> Result<(), ProtocolError> {
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}").map_err(ProtocolError::Stdout)?;
    }
    out.flush().map_err(ProtocolError::Stdout)
}

/// Serves all services on `incoming` until `shutdown` fires, then gives
/// open connections [`SHUTDOWN_GRACE`] to finish.
async fn run<P: Provider>(
    provider: P,
    incoming: UnboundedReceiverStream<Connection>,
    shutdown: ShutdownSignal,
    obey_controller: bool,
) -> Result<(), ProtocolError> {
    let provider = ProviderServer::new(provider)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let router = Server::builder()
        .add_service(provider)
        .add_service(plugin_services::health_service().await)
        .add_service(Controller::server(shutdown.clone(), obey_controller))
        .add_service(Stdio::server(shutdown.clone()));

    let stop = shutdown.clone();
    let serving = router
        .serve_with_incoming_shutdown(incoming.map(Ok::<_, std::io::Error>), async move {
            stop.wait().await
        });
    let grace_over = async {
        shutdown.wait().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = serving => result?,
        () = grace_over => tracing::debug!("connections still open after the shutdown grace period; exiting anyway"),
    }
    tracing::debug!("plugin server stopped");
    Ok(())
}

/// Handles `kind` for the rest of the process's life: triggers `shutdown`
/// when given one, otherwise only notes the signal (which also stops it
/// from killing the process).
fn spawn_signal_handler(
    kind: SignalKind,
    shutdown: Option<ShutdownSignal>,
) -> Result<(), ProtocolError> {
    let mut stream = signal(kind).map_err(ProtocolError::Signal)?;
    tokio::spawn(async move {
        while stream.recv().await.is_some() {
            match &shutdown {
                Some(shutdown) => {
                    tracing::debug!(
                        signal = kind.as_raw_value(),
                        "signal received; shutting down"
                    );
                    shutdown.trigger();
                }
                None => tracing::debug!(
                    signal = kind.as_raw_value(),
                    "ignoring signal; terraform interrupts providers through the Stop RPC"
                ),
            }
        }
    });
    Ok(())
}

/// Shuts down when our parent process changes, i.e. terraform died without
/// saying goodbye and we were re-parented.
fn spawn_parent_watch(shutdown: ShutdownSignal) {
    let parent = std::os::unix::process::parent_id();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PARENT_POLL);
        loop {
            tick.tick().await;
            if std::os::unix::process::parent_id() != parent {
                tracing::warn!(
                    parent,
                    "terraform (parent process) went away; shutting down"
                );
                shutdown.trigger();
                return;
            }
        }
    });
}

/// Accepts TCP connections (and completes their TLS handshakes, each in its
/// own task) in the background; the returned stream yields only connections
/// ready for HTTP/2. A failed handshake is logged and dropped, never fatal.
/// The background task ends once the stream is dropped.
fn accept_connections(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
) -> UnboundedReceiverStream<Connection> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                () = tx.closed() => return,
                accepted = listener.accept() => accepted,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Usually out of file descriptors: back off, keep going.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!(error = %e, %peer, "could not set TCP_NODELAY");
            }
            match &tls {
                None => {
                    if tx.send(Connection::Plain(stream)).is_err() {
                        return;
                    }
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                            .await
                        {
                            Ok(Ok(tls)) => {
                                let session = tls.get_ref().1;
                                tracing::debug!(
                                    %peer,
                                    version = session.protocol_version().map(|v| format!("{v:?}")).unwrap_or_default(),
                                    cipher = session
                                        .negotiated_cipher_suite()
                                        .map(|s| format!("{:?}", s.suite()))
                                        .unwrap_or_default(),
                                    "TLS connection established with the pinned client certificate"
                                );
                                let _ = tx.send(Connection::Tls(Box::new(tls)));
                            }
                            Ok(Err(e)) => {
                                tracing::warn!(error = %e, %peer, "TLS handshake failed; connection dropped");
                            }
                            Err(_) => {
                                tracing::warn!(%peer, "TLS handshake timed out; connection dropped");
                            }
                        }
                    });
                }
            }
        }
    });
    UnboundedReceiverStream::new(rx)
}

/// One accepted connection, plaintext or TLS, in the shape tonic serves.
enum Connection {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Connected for Connection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        match self {
            Connection::Plain(s) => s.connect_info(),
            Connection::Tls(s) => s.get_ref().0.connect_info(),
        }
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Connection::Plain(s) => s.is_write_vectored(),
            Connection::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_flush(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
