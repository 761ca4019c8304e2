//! go-plugin's housekeeping services that run next to tfplugin5: the
//! controller (terraform asks us to exit), stdio forwarding (kept open and
//! silent: the provider logs to stderr itself) and the standard gRPC health
//! service. Also the shutdown signal that ties them to the server loop.
//!
//! Nothing here touches provider state; a Shutdown only asks the server
//! loop to stop.

use std::pin::Pin;
use std::sync::Arc;

use futures_util::Stream;
use tokio::sync::watch;
use tonic::{Request, Response, Status};

use crate::protocol::goplugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use crate::protocol::goplugin::grpc_stdio_server::{GrpcStdio, GrpcStdioServer};
use crate::protocol::goplugin::{Empty, StdioData};

/// Name under which go-plugin registers its health status.
pub(crate) const HEALTH_SERVICE_NAME: &str = "plugin";

/// A one-way latch: once triggered, every waiter wakes and stays woken.
/// Cheap to clone; all clones share the latch.
#[derive(Debug, Clone)]
pub(crate) struct ShutdownSignal {
    tx: Arc<watch::Sender<bool>>,
}

impl ShutdownSignal {
    pub(crate) fn new() -> Self {
        Self {
            tx: Arc::new(watch::Sender::new(false)),
        }
    }

    pub(crate) fn trigger(&self) {
        self.tx.send_replace(true);
    }

    #[cfg(test)]
    pub(crate) fn is_triggered(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once [`trigger`](Self::trigger) has been called.
    pub(crate) async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        // The sender lives in `self`, so the channel cannot close under us.
        let _ = rx.wait_for(|triggered| *triggered).await;
    }
}

/// `plugin.GRPCController`: terraform calls Shutdown when it is done with
/// this process (after each command phase).
#[derive(Debug)]
pub(crate) struct Controller {
    shutdown: ShutdownSignal,
    /// False in debug mode: the person who started the provider ends it with
    /// Ctrl-C, and one terraform run must not end the session.
    obey: bool,
}

impl Controller {
    pub(crate) fn server(shutdown: ShutdownSignal, obey: bool) -> GrpcControllerServer<Self> {
        GrpcControllerServer::new(Self { shutdown, obey })
    }
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        if self.obey {
            tracing::debug!("terraform asked the provider to shut down");
            self.shutdown.trigger();
        } else {
            tracing::info!("ignoring Shutdown in debug mode; stop the provider with Ctrl-C");
        }
        Ok(Response::new(Empty {}))
    }
}

/// `plugin.GRPCStdio`: terraform opens one stream and copies whatever
/// arrives to its log. We never send anything; the stream ends when the
/// server shuts down, so graceful shutdown is not held up by it.
#[derive(Debug)]
pub(crate) struct Stdio {
    shutdown: ShutdownSignal,
}

impl Stdio {
    pub(crate) fn server(shutdown: ShutdownSignal) -> GrpcStdioServer<Self> {
        GrpcStdioServer::new(Self { shutdown })
    }
}

type StdioStream = Pin<Box<dyn Stream<Item = Result<StdioData, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    type StreamStdioStream = StdioStream;

    async fn stream_stdio(&self, _request: Request<()>) -> Result<Response<StdioStream>, Status> {
        let shutdown = self.shutdown.clone();
        let silent = futures_util::stream::unfold(Some(shutdown), |state| async move {
            if let Some(shutdown) = state {
                shutdown.wait().await;
            }
            None::<(Result<StdioData, Status>, Option<ShutdownSignal>)>
        });
        Ok(Response::new(Box::pin(silent)))
    }
}

/// The gRPC health service with `plugin` reported as SERVING.
pub(crate) async fn health_service()
-> tonic_health::pb::health_server::HealthServer<impl tonic_health::pb::health_server::Health> {
    let (reporter, service) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(HEALTH_SERVICE_NAME, tonic_health::ServingStatus::Serving)
        .await;
    service
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt as _;
    use std::time::Duration;

    #[tokio::test]
    async fn shutdown_signal_latches() {
        let signal = ShutdownSignal::new();
        assert!(!signal.is_triggered());
        let waiter = tokio::spawn({
            let signal = signal.clone();
            async move { signal.wait().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        signal.trigger();
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .unwrap()
            .unwrap();
        // Later waiters return at once.
        tokio::time::timeout(Duration::from_secs(1), signal.wait())
            .await
            .unwrap();
        assert!(signal.is_triggered());
    }

    #[tokio::test]
    async fn controller_shutdown_triggers_only_when_obeying() {
        for obey in [true, false] {
            let signal = ShutdownSignal::new();
            let controller = Controller {
                shutdown: signal.clone(),
                obey,
            };
            controller.shutdown(Request::new(Empty {})).await.unwrap();
            assert_eq!(signal.is_triggered(), obey);
        }
    }

    #[tokio::test]
    async fn stdio_stream_is_silent_until_shutdown_then_ends() {
        let signal = ShutdownSignal::new();
        let stdio = Stdio {
            shutdown: signal.clone(),
        };
        let mut stream = stdio
            .stream_stdio(Request::new(()))
            .await
            .unwrap()
            .into_inner();
        let early = tokio::time::timeout(Duration::from_millis(50), stream.next()).await;
        assert!(early.is_err(), "stream yielded before shutdown: {early:?}");
        signal.trigger();
        let end = tokio::time::timeout(Duration::from_secs(1), stream.next())
            .await
            .unwrap();
        assert!(end.is_none(), "stream yielded {end:?} instead of ending");
    }
}
