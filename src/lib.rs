//! terraform-provider-intune: Microsoft Intune certificate profiles as code.
//!
//! Layers, each using only those below it (see ARCHITECTURE.md):
//! `protocol` (gRPC, handshake, TLS) → `framework` (schemas, validate, plan,
//! apply) → `value` (cty values and codecs); `resources` (the Intune
//! resources) → `framework`, `graph` (the Microsoft Graph client).
//! `simulator` is the Graph test double; it shares no code with the client.

pub mod framework;
pub mod graph;
pub mod logging;
pub mod protocol;
pub mod resources;
pub mod simulator;
pub mod value;
