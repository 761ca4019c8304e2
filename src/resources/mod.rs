//! The Intune resources and data sources, built on the framework and the
//! Graph client.

pub mod model;
