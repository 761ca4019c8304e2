//! Terraform's type system (cty) as plain Rust data, and its two wire
//! encodings: msgpack (what terraform sends and expects back) and JSON
//! (stored state handed to `UpgradeResourceState`).
//!
//! This layer knows nothing of schemas' meaning, of Graph or of gRPC: it
//! turns bytes into [`Value`]s of a given [`Type`] and back, and reports
//! malformed input as a [`CodecError`] carrying the path to the culprit. It
//! must never panic on input from the wire.

mod codec_error;
mod conform;
pub mod json;
pub mod msgpack;
mod numbers;
mod path;
#[cfg(test)]
mod test_support;
mod types;
mod values;

pub use codec_error::CodecError;
pub use path::{AttributePath, PathStep};
pub use types::Type;
pub use values::{Number, Value};
