//! The Intune resources and data sources, built on the framework and the
//! Graph client. Kinds are data (`trusted_certificate.rs`); the generic
//! profile resource (`profile/`) does the work. Assignments of any
//! profile (`assignment/`) and the data sources
//! (`data_sources/`) find profiles through `lookup.rs`. Provider functions
//! are in `functions.rs`.

pub mod assignment;
pub mod certificate;
pub mod client;
pub mod data_sources;
pub mod docs;
mod errors;
pub mod fields;
pub mod functions;
pub mod issued_fields;
pub mod lookup;
pub mod model;
pub mod pkcs_certificate;
pub mod pkcs_imported_certificate;
pub mod platform;
pub mod profile;
pub mod provider_config;
pub mod scep_certificate;
pub mod trusted_certificate;

use std::sync::Arc;

use crate::framework::Provider;
use provider_config::IntuneProvider;

/// Call options for one Graph call of a lifecycle hook: no retry or wait
/// may go past the operation's deadline (from its `timeouts`).
pub(crate) fn call_options(
    ctx: &crate::framework::Context<'_, client::IntuneClient>,
) -> crate::graph::CallOptions {
    crate::graph::CallOptions::until(tokio::time::Instant::from_std(ctx.deadline))
}

/// Every certificate-profile kind the provider serves, one resource each.
pub static PROFILE_KINDS: &[&profile::ProfileKindSpec] = &[
    &trusted_certificate::SPEC,
    &scep_certificate::SPEC,
    &pkcs_certificate::SPEC,
    &pkcs_imported_certificate::SPEC,
];

/// The provider with every resource, data source and function registered: what the
/// binary serves and what the docs are generated from.
pub fn provider(definition: IntuneProvider) -> Provider<IntuneProvider> {
    PROFILE_KINDS
        .iter()
        .fold(Provider::new(definition), |p, spec| {
            p.with_resource(Arc::new(profile::ProfileResource::new(spec)))
        })
        .with_resource(Arc::new(assignment::AssignmentResource::new()))
        .with_data_source(Arc::new(data_sources::CertificateProfileDataSource::new()))
        .with_data_source(Arc::new(data_sources::CertificateProfilesDataSource::new()))
        .with_function(Arc::new(functions::CertificateInfo))
}
