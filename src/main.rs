//! terraform-provider-intune: the binary terraform launches.
//!
//! Wiring only: logging, the provider with its resources, the plugin server.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use intune::protocol::{ProtocolError, ProviderService, ServeOptions};
use intune::resources::provider_config::IntuneProvider;

fn main() -> ExitCode {
    if std::env::args()
        .skip(1)
        .any(|a| a == "--version" || a == "-v")
    {
        // Asked by a person (or a release check), never by terraform.
        println!(
            "terraform-provider-intune {} (plugin protocol 5)",
            env!("CARGO_PKG_VERSION")
        );
        return ExitCode::SUCCESS;
    }
    intune::logging::init();
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
    let provider = Arc::new(intune::resources::provider(IntuneProvider::default()));
    let result = runtime.block_on(intune::protocol::serve(
        ProviderService::new(provider),
        options,
    ));
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
