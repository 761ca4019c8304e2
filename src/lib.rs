//! terraform-provider-intune: Microsoft Intune certificate profiles as code.
//!
//! Layers, each using only those below it (see ARCHITECTURE.md):
//! `protocol` (gRPC, handshake, TLS) → `framework` (schemas, validate, plan,
//! apply) → `value` (cty values and codecs); `resources` (the Intune
//! resources) → `framework`, `graph` (the Microsoft Graph client).
//! The Graph test double is a crate of its own (`intune-graph-sim`), which
//! this library never depends on.

pub mod framework;
pub mod graph;
pub mod logging;
pub mod protocol;
pub mod resources;
pub mod value;
