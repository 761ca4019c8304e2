//! When and how long to wait before repeating a request: the retry policy,
//! `Retry-After` parsing, exponential backoff with full jitter, and
//! [`Retrier`], which keeps one logical call within its deadline.
//!
//! This module decides timing only; which errors are worth repeating is
//! decided by the caller from `GraphError`. The one exception is a refused
//! connection, which every caller would repeat (nothing was sent) but which
//! gets a budget of its own here, so that the token requests and the Graph
//! calls share it. It never sleeps past a deadline.

use std::time::{Duration, SystemTime};

use time::OffsetDateTime;
use time::macros::format_description;
use tokio::time::Instant;

use super::GraphError;
use super::stop::Stop;

/// Timing of retries. [`Default`] holds the production values; tests shrink
/// them so retried calls finish in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// First backoff step when the server gave no `Retry-After`; the cap
    /// doubles with each retry of the same call.
    pub base_delay: Duration,
    /// Largest backoff step.
    pub max_delay: Duration,
    /// Longest wait between reads that got a 404 right after our own write
    /// (Graph's replication delay). The first waits are shorter (see
    /// [`not_found_wait`]): most new objects show within a second.
    pub not_found_delay: Duration,
    /// How many times such a 404 is retried before it is returned.
    pub max_not_found_retries: u32,
    /// Time limit of one attempt (connect, send, whole response).
    pub attempt_timeout: Duration,
    /// Time limit for opening a connection. A connection that does not open
    /// in time is a `Connect` failure, which is known not to have reached
    /// the server (so even a create is retried), rather than an attempt
    /// timeout, which leaves that unknown.
    pub connect_timeout: Duration,
    /// How often a call is repeated after the host refused the connection
    /// (nothing listens there: a wrong port, a service not started). Such a
    /// failure seldom clears up within a call, so it ends the call soon
    /// rather than at its deadline; other transient failures are retried
    /// until the deadline.
    pub max_refused_retries: u32,
    /// Refused connections are retried (with the usual backoff) only while
    /// the retry starts within this long of the first refusal of the call.
    pub refused_window: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            not_found_delay: Duration::from_secs(2),
            max_not_found_retries: 30,
            attempt_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_refused_retries: 3,
            refused_window: Duration::from_secs(5),
        }
    }
}

/// How long to wait before the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// The next step of exponential backoff.
    Backoff,
    /// What the server asked for (`Retry-After`), but no less than the next
    /// backoff step: a `Retry-After: 0` or a date in the past must not make
    /// a tight loop.
    AtLeast(Duration),
    /// Exactly this long (the 404 delay, or zero for the one retry with a
    /// new token).
    Exactly(Duration),
}

impl Wait {
    /// The wait after a retryable failure: the server's `Retry-After` when
    /// it gave one, else backoff.
    pub(crate) fn after(retry_after: Option<Duration>) -> Wait {
        retry_after.map_or(Wait::Backoff, Wait::AtLeast)
    }
}

/// The server's `Retry-After` value: delay-seconds or an HTTP date
/// (RFC 9110 §10.2.3). A date in the past means "now"; anything else that
/// does not parse is ignored (`None`).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let at = parse_http_date(value)?;
    let now = OffsetDateTime::from(now);
    Some(Duration::try_from(at - now).unwrap_or(Duration::ZERO))
}

/// An HTTP date in its one current form (IMF-fixdate, RFC 9110 §5.6.7),
/// `Tue, 01 Apr 2025 10:00:30 GMT`, as `Retry-After` and `Date` carry it.
pub(crate) fn parse_http_date(value: &str) -> Option<OffsetDateTime> {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(value.trim(), format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

/// Microsoft's `x-ms-retry-after-ms` header, in milliseconds.
pub(crate) fn parse_retry_after_ms(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_millis)
}

/// The upper bound of the `retry`-th backoff step (1-based):
/// `min(max_delay, base_delay * 2^(retry-1))`.
pub(crate) fn backoff_cap(policy: &RetryPolicy, retry: u32) -> Duration {
    let factor = 1u32
        .checked_shl(retry.saturating_sub(1))
        .unwrap_or(u32::MAX);
    policy
        .base_delay
        .checked_mul(factor)
        .unwrap_or(policy.max_delay)
        .min(policy.max_delay)
}

/// Full jitter: uniformly random in `[0, backoff_cap]`, so many clients
/// throttled together do not come back together.
pub(crate) fn backoff(policy: &RetryPolicy, retry: u32) -> Duration {
    let cap = u64::try_from(backoff_cap(policy, retry).as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(fastrand::u64(0..=cap))
}

/// The first wait after a 404 that may be Graph's replication delay.
const FIRST_NOT_FOUND_WAIT: Duration = Duration::from_millis(250);

/// The wait before the `retry`-th repetition (1-based) of a read that got a
/// 404 right after our own write: 250 ms, doubling, up to
/// `policy.not_found_delay`. A replica that lags a fraction of a second
/// costs that much, not a full step; one that lags longer is still waited
/// out for `max_not_found_retries` steps.
pub(crate) fn not_found_wait(policy: &RetryPolicy, retry: u32) -> Duration {
    let factor = 1u32
        .checked_shl(retry.saturating_sub(1))
        .unwrap_or(u32::MAX);
    FIRST_NOT_FOUND_WAIT
        .checked_mul(factor)
        .unwrap_or(policy.not_found_delay)
        .min(policy.not_found_delay)
}

/// Whether waiting `wait` from `now` still ends by `deadline`.
pub(crate) fn wait_fits(now: Instant, wait: Duration, deadline: Instant) -> bool {
    now < deadline && now.checked_add(wait).is_some_and(|end| end <= deadline)
}

/// The retry state of one logical call (one `get`, one token request, one
/// page of a list): counts attempts, remembers the last error and turns a
/// wait that would cross the deadline into `GraphError::Timeout`. A refused
/// connection is given up on after the policy's few retries, with that
/// error itself.
pub(crate) struct Retrier<'a> {
    policy: &'a RetryPolicy,
    stop: &'a Stop,
    deadline: Instant,
    operation: String,
    attempts: u32,
    backoffs: u32,
    last: Option<GraphError>,
    /// Refused connections so far, and when the first one came back.
    refused: u32,
    first_refused: Option<Instant>,
}

impl<'a> Retrier<'a> {
    pub(crate) fn new(
        policy: &'a RetryPolicy,
        stop: &'a Stop,
        deadline: Instant,
        operation: String,
    ) -> Self {
        Retrier {
            policy,
            stop,
            deadline,
            operation,
            attempts: 0,
            backoffs: 0,
            last: None,
            refused: 0,
            first_refused: None,
        }
    }

    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Counts a new attempt and returns its number (1-based). Fails when
    /// stopped or when no time is left.
    pub(crate) fn start_attempt(&mut self) -> Result<u32, GraphError> {
        self.stop.check()?;
        if Instant::now() >= self.deadline {
            return Err(self.give_up());
        }
        self.attempts += 1;
        Ok(self.attempts)
    }

    /// The time limit of the attempt about to start: the policy's, cut to
    /// what is left before the deadline.
    pub(crate) fn attempt_timeout(&self) -> Duration {
        self.policy
            .attempt_timeout
            .min(self.deadline.saturating_duration_since(Instant::now()))
    }

    /// Waits before repeating after `error`; `Timeout` (carrying `error`)
    /// if the wait would cross the deadline, `Cancelled` if stopped. After a
    /// refused connection beyond the policy's refused budget: `error`
    /// itself, saying how many attempts were made.
    pub(crate) async fn pause(&mut self, error: GraphError, wait: Wait) -> Result<(), GraphError> {
        let now = Instant::now();
        let refused_since = if error.is_connection_refused() {
            self.refused += 1;
            let first = *self.first_refused.get_or_insert(now);
            if self.refused > self.policy.max_refused_retries {
                return Err(error.after_attempts(self.attempts));
            }
            Some(first)
        } else {
            None
        };
        let delay = match wait {
            Wait::Exactly(delay) => delay,
            Wait::Backoff => {
                self.backoffs += 1;
                backoff(self.policy, self.backoffs)
            }
            Wait::AtLeast(asked) => {
                self.backoffs += 1;
                asked.max(backoff(self.policy, self.backoffs))
            }
        };
        if let Some(first) = refused_since {
            let window_end = first.checked_add(self.policy.refused_window);
            if !window_end.is_some_and(|end| wait_fits(now, delay, end)) {
                return Err(error.after_attempts(self.attempts));
            }
        }
        tracing::debug!(
            operation = %self.operation,
            attempt = self.attempts,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            error = %error,
            "retrying Graph call"
        );
        self.last = Some(error);
        if !wait_fits(Instant::now(), delay, self.deadline) {
            return Err(self.give_up());
        }
        self.stop.sleep(delay).await
    }

    /// Waits until `at` (a write slot); `Timeout` if `at` is past the
    /// deadline.
    pub(crate) async fn wait_until(&mut self, at: Instant) -> Result<(), GraphError> {
        if at > self.deadline {
            return Err(self.give_up());
        }
        self.stop.sleep_until(at).await
    }

    /// The `Timeout` error for this call, carrying the last error seen.
    pub(crate) fn give_up(&mut self) -> GraphError {
        GraphError::Timeout {
            operation: self.operation.clone(),
            attempts: self.attempts,
            last: self.last.take().map(Box::new),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_waits_start_short_and_grow_to_the_step() {
        let policy = RetryPolicy::default();
        let waits: Vec<u64> = (1..=6)
            .map(|n| u64::try_from(not_found_wait(&policy, n).as_millis()).unwrap())
            .collect();
        assert_eq!(waits, [250, 500, 1000, 2000, 2000, 2000]);
        assert_eq!(not_found_wait(&policy, 40), policy.not_found_delay);
        let fast = RetryPolicy {
            not_found_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        };
        assert_eq!(not_found_wait(&fast, 1), Duration::from_millis(50));
    }

    fn at(text: &str) -> SystemTime {
        let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        time::PrimitiveDateTime::parse(text, format)
            .unwrap()
            .assume_utc()
            .into()
    }

    #[test]
    fn retry_after_values() {
        let now = at("2025-04-01 10:00:00");
        let cases = [
            ("0", Some(Duration::ZERO)),
            ("7", Some(Duration::from_secs(7))),
            (" 120 ", Some(Duration::from_secs(120))),
            (
                "Tue, 01 Apr 2025 10:00:30 GMT",
                Some(Duration::from_secs(30)),
            ),
            ("Tue, 01 Apr 2025 09:59:00 GMT", Some(Duration::ZERO)),
            (
                "Wed, 02 Apr 2025 10:00:00 GMT",
                Some(Duration::from_secs(86_400)),
            ),
            ("", None),
            ("-5", None),
            ("1.5", None),
            ("soon", None),
            ("99999999999999999999999", None),
            ("Tue, 01 Apr 2025 10:00:30 PST", None),
            ("2025-04-01T10:00:30Z", None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_retry_after(value, now), expected, "{value:?}");
        }
    }

    #[test]
    fn retry_after_ms_values() {
        assert_eq!(
            parse_retry_after_ms("1500"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_retry_after_ms("x"), None);
    }

    #[test]
    fn backoff_caps_double_up_to_the_maximum() {
        let policy = RetryPolicy::default();
        let cases = [
            (1, 1),
            (2, 2),
            (3, 4),
            (4, 8),
            (6, 32),
            (7, 60),
            (20, 60),
            (40, 60),
            (u32::MAX, 60),
        ];
        for (retry, seconds) in cases {
            assert_eq!(
                backoff_cap(&policy, retry),
                Duration::from_secs(seconds),
                "retry {retry}"
            );
        }
    }

    #[test]
    fn backoff_is_jittered_within_its_cap() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
            ..RetryPolicy::default()
        };
        for retry in 1..6 {
            let cap = backoff_cap(&policy, retry);
            let samples: Vec<Duration> = (0..200).map(|_| backoff(&policy, retry)).collect();
            assert!(samples.iter().all(|delay| *delay <= cap), "retry {retry}");
            // Full jitter spreads over the whole range, not just near the cap.
            assert!(
                samples.iter().any(|delay| *delay < cap / 2),
                "retry {retry}"
            );
            assert!(
                samples.iter().any(|delay| *delay > cap / 2),
                "retry {retry}"
            );
        }
    }

    #[test]
    fn waits_fit_only_before_the_deadline() {
        let now = Instant::now();
        let second = Duration::from_secs(1);
        let cases = [
            (Duration::ZERO, now + second, true),
            (second, now + second, true),
            (second * 2, now + second, false),
            (Duration::ZERO, now, false),
            (Duration::ZERO, now - Duration::from_millis(1), false),
            (Duration::MAX, now + second, false),
        ];
        for (wait, deadline, fits) in cases {
            assert_eq!(wait_fits(now, wait, deadline), fits, "{wait:?}");
        }
    }

    #[tokio::test]
    async fn retrier_times_out_with_the_last_error_instead_of_oversleeping() {
        let policy = RetryPolicy::default();
        let stop = Stop::new();
        let mut retrier = Retrier::new(
            &policy,
            &stop,
            Instant::now() + Duration::from_millis(200),
            "GET /x".into(),
        );
        assert_eq!(retrier.start_attempt().ok(), Some(1));
        let started = Instant::now();
        let error = retrier
            .pause(
                GraphError::config("first failure"),
                Wait::Exactly(Duration::from_secs(30)),
            )
            .await
            .expect_err("a 30 s wait must not fit a 200 ms deadline");
        assert!(started.elapsed() < Duration::from_millis(100), "it slept");
        let GraphError::Timeout {
            operation,
            attempts,
            last,
        } = error
        else {
            panic!("not a timeout: {error:?}");
        };
        assert_eq!(operation, "GET /x");
        assert_eq!(attempts, 1);
        assert!(matches!(last.as_deref(), Some(GraphError::Config { .. })));
    }

    #[tokio::test]
    async fn retrier_sleeps_when_the_wait_fits() {
        let policy = RetryPolicy::default();
        let stop = Stop::new();
        let mut retrier = Retrier::new(
            &policy,
            &stop,
            Instant::now() + Duration::from_secs(5),
            "GET /x".into(),
        );
        retrier.start_attempt().unwrap();
        let started = Instant::now();
        retrier
            .pause(
                GraphError::config("x"),
                Wait::Exactly(Duration::from_millis(50)),
            )
            .await
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert_eq!(retrier.start_attempt().ok(), Some(2));
    }

    #[tokio::test]
    async fn retrier_refuses_to_start_after_the_deadline_or_stop() {
        let policy = RetryPolicy::default();
        let stop = Stop::new();
        let mut late = Retrier::new(&policy, &stop, Instant::now(), "PATCH /x".into());
        assert!(matches!(
            late.start_attempt(),
            Err(GraphError::Timeout {
                attempts: 0,
                last: None,
                ..
            })
        ));
        let mut stopped = Retrier::new(
            &policy,
            &stop,
            Instant::now() + Duration::from_secs(5),
            "GET /x".into(),
        );
        stop.trigger();
        assert!(matches!(
            stopped.start_attempt(),
            Err(GraphError::Cancelled)
        ));
    }

    fn refused() -> GraphError {
        GraphError::Transport {
            kind: super::super::TransportKind::Connect,
            message: super::super::error::TransportMessage::refused(
                "cannot connect to 127.0.0.1:9: Connection refused",
            ),
        }
    }

    #[tokio::test]
    async fn refused_connections_get_a_few_retries_only() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            ..RetryPolicy::default()
        };
        let stop = Stop::new();
        let mut retrier = Retrier::new(
            &policy,
            &stop,
            Instant::now() + Duration::from_secs(60),
            "GET /x".into(),
        );
        // Other failures between refusals do not count against the budget.
        retrier.start_attempt().unwrap();
        retrier
            .pause(GraphError::config("other"), Wait::Backoff)
            .await
            .unwrap();
        for _ in 0..policy.max_refused_retries {
            retrier.start_attempt().unwrap();
            retrier.pause(refused(), Wait::Backoff).await.unwrap();
        }
        let attempts = retrier.start_attempt().unwrap();
        let error = retrier
            .pause(refused(), Wait::Backoff)
            .await
            .expect_err("the fourth refusal ends the call");
        assert!(error.is_connection_refused(), "{error:?}");
        assert!(
            error
                .to_string()
                .ends_with(&format!("; gave up after {attempts} attempt(s)")),
            "{error}"
        );
    }

    #[tokio::test]
    async fn refused_connections_are_retried_only_within_the_window() {
        // Backoff steps of 400 ms against a 300 ms window: the first retry
        // fits only when its jittered wait is short, and none starts after
        // the window.
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(400),
            max_delay: Duration::from_millis(400),
            refused_window: Duration::from_millis(300),
            max_refused_retries: 100,
            ..RetryPolicy::default()
        };
        let stop = Stop::new();
        let mut retrier = Retrier::new(
            &policy,
            &stop,
            Instant::now() + Duration::from_secs(60),
            "GET /x".into(),
        );
        let started = Instant::now();
        let error = loop {
            retrier.start_attempt().unwrap();
            if let Err(error) = retrier.pause(refused(), Wait::Backoff).await {
                break error;
            }
        };
        // (A margin for the timer and a busy machine.)
        assert!(started.elapsed() < Duration::from_millis(380));
        assert!(
            matches!(error, GraphError::Transport { .. }),
            "the refusal itself, not a Timeout: {error:?}"
        );
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date(" Tue, 01 Apr 2025 10:00:30 GMT"),
            Some(time::macros::datetime!(2025-04-01 10:00:30 UTC))
        );
        assert_eq!(parse_http_date("Tue, 01 Apr 2025 10:00:30 +0000"), None);
        assert_eq!(parse_http_date(""), None);
    }

    #[test]
    fn attempt_timeout_is_cut_to_the_deadline() {
        let policy = RetryPolicy::default();
        let stop = Stop::new();
        let retrier = Retrier::new(
            &policy,
            &stop,
            Instant::now() + Duration::from_secs(5),
            "GET /x".into(),
        );
        assert!(retrier.attempt_timeout() <= Duration::from_secs(5));
        let retrier = Retrier::new(
            &policy,
            &stop,
            Instant::now() + Duration::from_secs(3600),
            "GET /x".into(),
        );
        assert_eq!(retrier.attempt_timeout(), Duration::from_secs(60));
    }
}
