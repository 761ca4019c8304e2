//! The Intune resources and data sources, built on the framework and the
//! Graph client. Kinds are data (`trusted_certificate.rs`); the generic
//! profile resource (`profile.rs`) does the work.

pub mod certificate;
mod errors;
pub mod fields;
pub mod model;
pub mod platform;
pub mod profile;
pub mod provider_config;
pub mod trusted_certificate;
