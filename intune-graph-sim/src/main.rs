//! `intune-graph-sim`: runs the Graph simulator as a process for demos and
//! scripts. Prints exactly one line, the base URL, to stdout once listening;
//! logs one line per request to stderr; stops on SIGINT/SIGTERM (or when
//! stdin closes, with `--exit-on-stdin-eof`).
//!
//! It only parses arguments and waits; all behaviour lives in
//! `intune_graph_sim`.

use std::io::{Read, Write};
use std::time::Duration;

use anyhow::{Context, bail};
use intune_graph_sim::{Consistency, NoFilterEcho, SimConfig, Simulator};

const USAGE: &str = "\
usage: intune-graph-sim [options]

A local Microsoft Graph beta + Entra ID token endpoint for Intune certificate
profiles. Prints the base URL (use it as graph_endpoint and authority_host).

options:
  --port N                 port on 127.0.0.1 (default 0: any free port)
  --tenant-id ID           tenant the token endpoint accepts
  --client-id ID           client id the token endpoint accepts
  --client-secret SECRET   client secret the token endpoint accepts
  --page-size N            items per page of collection GETs (default 3)
  --token-lifetime-secs N  lifetime of issued tokens (default 3600)
  --no-write-limit         accept more than Intune's 100 writes per 20 s
                           (by default the 101st answers 429)
  --new-object-404s N      GETs of a new object answered 404 before it
                           shows, as Graph's replicas lag (default 2)
  --new-object-list-misses N
                           listings that leave a new object out (default 2)
  --immediate-consistency  new objects show at once (both of the above 0)
  --no-filter-echo FORM    filter id of assignments without a filter:
                           null (default), empty or zero
  --exit-on-stdin-eof      also stop when stdin is closed
  -h, --help               show this help

admin API (no auth): GET /_simulator/objects, GET /_simulator/requests,
POST /_simulator/faults, POST /_simulator/reset";

/// The parsed command line.
#[derive(Debug, PartialEq)]
struct Options {
    config: SimConfig,
    exit_on_stdin_eof: bool,
}

fn main() -> anyhow::Result<()> {
    let Some(options) = parse_args(std::env::args().skip(1))? else {
        println!("{USAGE}");
        return Ok(());
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_max_level(tracing::Level::INFO)
        .init();
    let simulator = Simulator::spawn(options.config).context("starting the simulator")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", simulator.base_url()).context("writing the base URL")?;
    stdout.flush().context("writing the base URL")?;
    drop(stdout);
    wait_for_exit(options.exit_on_stdin_eof)?;
    drop(simulator);
    Ok(())
}

/// `None` when help was asked for.
fn parse_args(args: impl IntoIterator<Item = String>) -> anyhow::Result<Option<Options>> {
    let mut options = Options {
        config: SimConfig::default(),
        exit_on_stdin_eof: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                (name.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |flag: &str| -> anyhow::Result<String> {
            match inline.clone().or_else(|| args.next()) {
                Some(v) => Ok(v),
                None => bail!("{flag} needs a value\n\n{USAGE}"),
            }
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => options.config.port = number(&name, &value(&name)?)?,
            "--tenant-id" => options.config.tenant_id = value(&name)?,
            "--client-id" => options.config.client_id = value(&name)?,
            "--client-secret" => options.config.client_secret = value(&name)?,
            "--page-size" => {
                options.config.page_size = number(&name, &value(&name)?)?;
                if options.config.page_size == 0 {
                    bail!("--page-size must be at least 1");
                }
            }
            "--token-lifetime-secs" => {
                options.config.token_lifetime = Duration::from_secs(number(&name, &value(&name)?)?);
            }
            "--no-write-limit" => options.config.enforce_write_limit = false,
            "--new-object-404s" => {
                options.config.consistency.reads = number(&name, &value(&name)?)?
            }
            "--new-object-list-misses" => {
                options.config.consistency.lists = number(&name, &value(&name)?)?;
            }
            "--immediate-consistency" => options.config.consistency = Consistency::IMMEDIATE,
            "--no-filter-echo" => {
                options.config.no_filter_echo = match value(&name)?.as_str() {
                    "null" => NoFilterEcho::Null,
                    "empty" => NoFilterEcho::Empty,
                    "zero" => NoFilterEcho::ZeroGuid,
                    other => bail!("--no-filter-echo takes null, empty or zero, got '{other}'"),
                };
            }
            "--exit-on-stdin-eof" => options.exit_on_stdin_eof = true,
            other => bail!("unknown argument '{other}'\n\n{USAGE}"),
        }
    }
    Ok(Some(options))
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> anyhow::Result<T> {
    text.parse()
        .map_err(|_| anyhow::anyhow!("{flag} needs a non-negative number, got '{text}'"))
}

/// Blocks until SIGINT, SIGTERM or (optionally) end of stdin.
fn wait_for_exit(exit_on_stdin_eof: bool) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the signal runtime")?;
    runtime.block_on(async {
        let (eof_tx, eof_rx) = tokio::sync::oneshot::channel::<()>();
        if exit_on_stdin_eof {
            std::thread::spawn(move || {
                let mut sink = [0u8; 1024];
                let mut stdin = std::io::stdin().lock();
                while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
                let _ = eof_tx.send(());
            });
        } else {
            // Keep the sender alive so the receiver never completes.
            std::mem::forget(eof_tx);
        }
        let stdin_closed = async {
            let _ = eof_rx.await;
        };
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .context("listening for SIGTERM")?;
            tokio::select! {
                result = tokio::signal::ctrl_c() => result.context("listening for SIGINT")?,
                _ = term.recv() => {}
                () = stdin_closed => {}
            }
        }
        #[cfg(not(unix))]
        {
            tokio::select! {
                result = tokio::signal::ctrl_c() => result.context("listening for Ctrl-C")?,
                () = stdin_closed => {}
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<Option<Options>> {
        parse_args(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn arguments() {
        let options = parse(&[
            "--port",
            "8443",
            "--tenant-id=t",
            "--client-id",
            "c",
            "--client-secret",
            "s",
            "--page-size",
            "2",
            "--token-lifetime-secs",
            "5",
            "--no-write-limit",
            "--new-object-404s",
            "4",
            "--new-object-list-misses",
            "1",
            "--no-filter-echo",
            "zero",
            "--exit-on-stdin-eof",
        ])
        .expect("valid")
        .expect("not help");
        let expected = SimConfig {
            tenant_id: "t".into(),
            client_id: "c".into(),
            client_secret: "s".into(),
            page_size: 2,
            token_lifetime: Duration::from_secs(5),
            port: 8443,
            enforce_write_limit: false,
            consistency: Consistency { reads: 4, lists: 1 },
            no_filter_echo: NoFilterEcho::ZeroGuid,
            ..SimConfig::default()
        };
        assert_eq!(
            options,
            Options {
                config: expected,
                exit_on_stdin_eof: true
            }
        );
        assert!(parse(&["--help"]).expect("valid").is_none());
        assert_eq!(
            parse(&[]).expect("valid").expect("options").config,
            SimConfig::default()
        );
        assert_eq!(
            parse(&["--immediate-consistency"])
                .expect("valid")
                .expect("options")
                .config
                .consistency,
            Consistency::IMMEDIATE
        );
    }

    #[test]
    fn bad_arguments() {
        let cases: [&[&str]; 6] = [
            &["--no-filter-echo", "zeros"],
            &["--port"],
            &["--port", "x"],
            &["--page-size", "0"],
            &["--verbose"],
            &["--port", "-1"],
        ];
        for args in cases {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }
}
