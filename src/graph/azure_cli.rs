//! The Azure CLI as a credential: `az account get-access-token --resource
//! {graph} [--tenant {tenant}] --output json` run as a child process, for
//! people who ran `az login` (and pipelines that use `azure/login` or the
//! AzureCLI task).
//!
//! The CLI's output holds the token, so it is never logged; its error text
//! (stderr) goes into the error message, trimmed, because that is where the
//! CLI says what to do ("Please run 'az login'").

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use tokio::time::Instant;

use super::GraphError;
use super::auth::{AccessToken, FetchContext, Secret, TokenSource, token_lifetime};
use super::error::one_line;

/// How long a token is assumed to live when the CLI reports its expiry only
/// as local time (CLI versions before 2.54): the CLI never hands out a token
/// with less than five minutes left.
const ASSUMED_LIFETIME: Duration = Duration::from_secs(300);

/// Longest wait for one `az` run.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Tokens from the Azure CLI.
#[derive(Debug)]
pub(crate) struct AzureCliFlow {
    /// The `az` executable, found on PATH by the caller.
    pub program: PathBuf,
    /// `--tenant`; the CLI's default tenant when `None`.
    pub tenant: Option<String>,
    /// The cloud's Graph resource id, the `--resource` the token is for.
    pub resource: String,
}

impl AzureCliFlow {
    fn error(message: String) -> GraphError {
        GraphError::Credential {
            method: "Azure CLI".into(),
            message,
            status: None,
        }
    }

    fn arguments(&self) -> Vec<String> {
        let mut arguments: Vec<String> = [
            "account",
            "get-access-token",
            "--output",
            "json",
            "--resource",
            &self.resource,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        if let Some(tenant) = &self.tenant {
            arguments.extend(["--tenant".to_string(), tenant.clone()]);
        }
        arguments
    }
}

#[async_trait::async_trait]
impl TokenSource for AzureCliFlow {
    async fn fetch(
        &self,
        context: &FetchContext<'_>,
        deadline: Instant,
    ) -> Result<AccessToken, GraphError> {
        let timeout = RUN_TIMEOUT.min(deadline.saturating_duration_since(Instant::now()));
        let started = Instant::now();
        let mut command = tokio::process::Command::new(&self.program);
        command
            .args(self.arguments())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let run = tokio::time::timeout(timeout, command.output());
        let output = match context.stop.run(run).await? {
            Ok(Ok(output)) => output,
            Ok(Err(error)) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(Self::error(format!(
                    "`az` was not found at {}; install the Azure CLI and run `az login`, or configure another \
                     sign-in method",
                    self.program.display()
                )));
            }
            Ok(Err(error)) => {
                return Err(Self::error(format!(
                    "running {} failed: {error}",
                    self.program.display()
                )));
            }
            Err(_) => {
                return Err(Self::error(format!(
                    "`az account get-access-token` did not finish within {} s",
                    timeout.as_secs()
                )));
            }
        };
        tracing::debug!(
            program = %self.program.display(),
            status = output.status.code().unwrap_or(-1),
            duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "az account get-access-token"
        );
        if !output.status.success() {
            return Err(Self::error(describe_failure(
                output.status.code(),
                &String::from_utf8_lossy(&output.stderr),
                self.tenant.as_deref(),
            )));
        }
        parse_output(&output.stdout, started, SystemTime::now()).map_err(Self::error)
    }
}

/// The CLI's complaint, with what to do about it.
fn describe_failure(code: Option<i32>, stderr: &str, tenant: Option<&str>) -> String {
    let said = one_line(stderr, 600);
    let status = code.map_or("a signal".to_string(), |code| format!("exit status {code}"));
    if stderr.contains("az login") {
        let login = match tenant {
            Some(tenant) => format!("az login --tenant {tenant}"),
            None => "az login".to_string(),
        };
        format!("the Azure CLI is not logged in ({status}: {said}); run `{login}`")
    } else {
        format!("`az account get-access-token` failed ({status}): {said}")
    }
}

/// `{"accessToken": "...", "expires_on": 1714568400, "expiresOn": "2024-05-01
/// 13:00:00.000000", "tokenType": "Bearer", ...}`. `expires_on` (Unix
/// seconds) exists since CLI 2.54; older versions give only `expiresOn` in
/// local time, which is not used.
fn parse_output(stdout: &[u8], requested: Instant, now: SystemTime) -> Result<AccessToken, String> {
    let body: Value = serde_json::from_slice(stdout)
        .map_err(|_| "`az account get-access-token` did not print JSON".to_string())?;
    let token = body
        .get("accessToken")
        .and_then(Value::as_str)
        .filter(|token| !token.is_empty())
        .ok_or("`az account get-access-token` printed no accessToken")?;
    let lifetime = token_lifetime(None, body.get("expires_on"), now).unwrap_or(ASSUMED_LIFETIME);
    Ok(AccessToken::new(Secret::new(token), lifetime, requested))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn arguments_name_the_resource_and_tenant() {
        let mut flow = AzureCliFlow {
            program: PathBuf::from("az"),
            tenant: Some("contoso.onmicrosoft.com".into()),
            resource: "https://graph.microsoft.us".into(),
        };
        assert_eq!(
            flow.arguments().join(" "),
            "account get-access-token --output json --resource https://graph.microsoft.us --tenant contoso.onmicrosoft.com"
        );
        flow.tenant = None;
        assert!(!flow.arguments().contains(&"--tenant".to_string()));
    }

    #[test]
    fn outputs() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let requested = Instant::now();
        let cases = [
            (
                r#"{"accessToken":"t","expiresOn":"2023-11-14 23:13:20.000000","expires_on":1700003600,"tokenType":"Bearer"}"#,
                Some(3600),
            ),
            (
                r#"{"accessToken":"t","expires_on":"1700000600"}"#,
                Some(600),
            ),
            (
                r#"{"accessToken":"t","expiresOn":"2023-11-14 23:13:20.000000"}"#,
                Some(300),
            ),
            (r#"{"accessToken":"","expires_on":1700003600}"#, None),
            (r#"{"expires_on":1700003600}"#, None),
            ("WARNING: something\n", None),
        ];
        for (stdout, lifetime) in cases {
            let got = parse_output(stdout.as_bytes(), requested, now);
            match lifetime {
                Some(seconds) => {
                    let token = got.unwrap();
                    let expected =
                        AccessToken::new(Secret::new("t"), Duration::from_secs(seconds), requested);
                    assert_eq!(token.refresh_at, expected.refresh_at, "{stdout}");
                    assert_eq!(token.value.expose(), "t");
                }
                None => assert!(got.is_err(), "{stdout}"),
            }
        }
    }

    #[test]
    fn failures_say_what_to_do() {
        let text = describe_failure(
            Some(1),
            "ERROR: Please run 'az login' to setup account.\n",
            Some("contoso"),
        );
        assert_eq!(
            text,
            "the Azure CLI is not logged in (exit status 1: ERROR: Please run 'az login' to setup account.); \
             run `az login --tenant contoso`"
        );
        let text = describe_failure(Some(2), "ERROR: AADSTS50076: MFA required\n\n", None);
        assert_eq!(
            text,
            "`az account get-access-token` failed (exit status 2): ERROR: AADSTS50076: MFA required"
        );
        assert!(describe_failure(None, "", None).contains("a signal"));
        let long = "x".repeat(2000);
        assert!(describe_failure(Some(1), &long, None).chars().count() < 700);
    }

    #[tokio::test]
    async fn a_missing_program_is_named() {
        let flow = AzureCliFlow {
            program: PathBuf::from("/nonexistent/bin/az"),
            tenant: None,
            resource: "https://graph.microsoft.com".into(),
        };
        let http = super::super::http::Http::new("test", super::super::http::Proxies::Never, None)
            .unwrap();
        let policy = super::super::RetryPolicy::default();
        let stop = super::super::stop::Stop::new();
        let context = FetchContext {
            http: &http,
            policy: &policy,
            stop: &stop,
        };
        let error = flow
            .fetch(&context, Instant::now() + Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "Azure CLI: `az` was not found at /nonexistent/bin/az; install the Azure CLI and run `az login`, or \
             configure another sign-in method"
        );
    }
}
