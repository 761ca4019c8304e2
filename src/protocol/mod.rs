//! The Terraform plugin protocol, version 5: go-plugin's launch contract
//! (handshake line, AutoMTLS, health, controller, stdio) and the tfplugin5
//! gRPC service. Each RPC handler is a thin adapter that decodes, calls the
//! framework and encodes; nothing here knows about Graph or Intune.

/// Code generated from `proto/`; private to this layer except for the
/// protocol tests, which drive the provider as terraform does.
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod tfplugin5 {
    tonic::include_proto!("tfplugin5");
}

/// go-plugin's own services (package `plugin`).
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod goplugin {
    tonic::include_proto!("plugin");
}

mod convert;
mod error;
pub mod handshake;
mod plugin_services;
mod serve;
mod service;
pub mod tls;

pub use error::ProtocolError;
pub use serve::{ServeOptions, serve};
pub use service::ProviderService;
