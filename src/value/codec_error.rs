//! The one error of the value layer.

use super::AttributePath;

/// Input that does not decode as a value of the expected type, or a value
/// that does not fit the type it is encoded as. Raised for malformed bytes
/// from terraform, stored state from an older schema, and our own bugs; the
/// framework turns it into an error diagnostic at `path`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}{}", if path.is_root() { String::new() } else { format!(" (at {path})") })]
pub struct CodecError {
    pub path: AttributePath,
    pub message: String,
}

impl CodecError {
    pub fn new(path: &AttributePath, message: impl Into<String>) -> Self {
        CodecError {
            path: path.clone(),
            message: message.into(),
        }
    }

    pub fn root(message: impl Into<String>) -> Self {
        CodecError {
            path: AttributePath::root(),
            message: message.into(),
        }
    }
}
