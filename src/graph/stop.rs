//! The Stop switch: terraform's Stop RPC must end in-flight Graph waits and
//! retries promptly. Every wait in the client goes through [`Stop`], so a
//! stopped client answers `GraphError::Cancelled` instead of sleeping on.
//!
//! Stopping is permanent for the client: terraform ends the plugin after
//! Stop. This module knows nothing about HTTP.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::GraphError;

/// Shared by every clone of one client.
#[derive(Clone, Debug)]
pub(crate) struct Stop {
    flag: Arc<watch::Sender<bool>>,
}

impl Stop {
    pub(crate) fn new() -> Self {
        Stop {
            flag: Arc::new(watch::channel(false).0),
        }
    }

    /// Ends every current and future wait with `Cancelled`.
    pub(crate) fn trigger(&self) {
        self.flag.send_replace(true);
    }

    pub(crate) fn is_stopped(&self) -> bool {
        *self.flag.borrow()
    }

    /// `Err(Cancelled)` once stopped, so `?` ends the caller.
    pub(crate) fn check(&self) -> Result<(), GraphError> {
        if self.is_stopped() {
            Err(GraphError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Resolves when the client is stopped.
    async fn stopped(&self) {
        let mut receiver = self.flag.subscribe();
        // The sender lives in `self`, so waiting cannot fail for lack of one.
        let _ = receiver.wait_for(|stopped| *stopped).await;
    }

    /// Runs `work` unless the client is stopped first.
    pub(crate) async fn run<F: Future>(&self, work: F) -> Result<F::Output, GraphError> {
        tokio::select! {
            biased;
            () = self.stopped() => Err(GraphError::Cancelled),
            output = work => Ok(output),
        }
    }

    pub(crate) async fn sleep(&self, duration: Duration) -> Result<(), GraphError> {
        self.run(tokio::time::sleep(duration)).await
    }

    pub(crate) async fn sleep_until(&self, at: Instant) -> Result<(), GraphError> {
        self.run(tokio::time::sleep_until(at)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn trigger_ends_a_running_sleep() {
        let stop = Stop::new();
        assert!(stop.check().is_ok());
        let sleeper = {
            let stop = stop.clone();
            tokio::spawn(async move { stop.sleep(Duration::from_secs(3600)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        stop.trigger();
        let outcome = tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .expect("sleep did not end after stop")
            .expect("task panicked");
        assert!(matches!(outcome, Err(GraphError::Cancelled)));
        assert!(matches!(stop.check(), Err(GraphError::Cancelled)));
        // Stopping is permanent: new waits end at once.
        assert!(matches!(
            stop.sleep(Duration::from_secs(3600)).await,
            Err(GraphError::Cancelled)
        ));
    }

    #[tokio::test]
    async fn work_finishing_first_is_returned() {
        let stop = Stop::new();
        assert_eq!(stop.run(async { 7 }).await.ok(), Some(7));
    }
}
