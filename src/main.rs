//! terraform-provider-intune: the binary terraform launches.
//!
//! Wiring only: logging, then the plugin server.

use std::process::ExitCode;
use std::time::Duration;

use intune::protocol::{ProtocolError, ServeOptions};

fn main() -> ExitCode {
    init_tracing();
    let options = ServeOptions {
        debug: std::env::args().skip(1).any(|a| a == "--debug"),
        ..ServeOptions::default()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(intune::protocol::serve(placeholder::EmptyProvider, options));
    // Do not wait for stray background tasks once the server is done.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ ProtocolError::NotLaunchedByTerraform) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Minimal stderr logging at the level of `TF_LOG_PROVIDER` (else `TF_LOG`);
/// silent by default. TEMPORARY: the lead replaces this with the
/// terraform-shaped subscriber.
fn init_tracing() {
    let level = std::env::var("TF_LOG_PROVIDER")
        .or_else(|_| std::env::var("TF_LOG"))
        .unwrap_or_default();
    let filter = match level.to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => tracing::Level::TRACE,
        "DEBUG" => tracing::Level::DEBUG,
        "INFO" => tracing::Level::INFO,
        "WARN" => tracing::Level::WARN,
        "ERROR" => tracing::Level::ERROR,
        _ => return,
    };
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    // Our own events only: h2/hyper/rustls at TRACE drown terraform's log.
    let targets = tracing_subscriber::filter::Targets::new()
        .with_target("intune", filter)
        .with_target("terraform_provider_intune", filter);
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .without_time(),
        )
        .with(targets)
        .init();
}

/// TEMPORARY placeholder so the launch contract can be exercised with real
/// terraform before the framework lands: an empty provider schema, and
/// config/validate RPCs that accept everything. Everything else answers
/// UNIMPLEMENTED through the generated default stubs. The lead replaces
/// this module with the real tfplugin5 service.
mod placeholder {
    use intune::protocol::tfplugin5::{
        self, Schema, configure, get_provider_schema, prepare_provider_config,
        provider_server::Provider, stop,
    };
    use tonic::{Request, Response, Status};

    pub struct EmptyProvider;

    #[tonic::async_trait]
    impl Provider for EmptyProvider {
        async fn get_schema(
            &self,
            _request: Request<get_provider_schema::Request>,
        ) -> Result<Response<get_provider_schema::Response>, Status> {
            Ok(Response::new(get_provider_schema::Response {
                provider: Some(Schema {
                    version: 0,
                    block: Some(tfplugin5::schema::Block::default()),
                }),
                ..Default::default()
            }))
        }

        async fn prepare_provider_config(
            &self,
            request: Request<prepare_provider_config::Request>,
        ) -> Result<Response<prepare_provider_config::Response>, Status> {
            Ok(Response::new(prepare_provider_config::Response {
                prepared_config: request.into_inner().config,
                diagnostics: Vec::new(),
            }))
        }

        async fn configure(
            &self,
            _request: Request<configure::Request>,
        ) -> Result<Response<configure::Response>, Status> {
            Ok(Response::new(configure::Response::default()))
        }

        async fn stop(
            &self,
            _request: Request<stop::Request>,
        ) -> Result<Response<stop::Response>, Status> {
            Ok(Response::new(stop::Response::default()))
        }
    }
}
