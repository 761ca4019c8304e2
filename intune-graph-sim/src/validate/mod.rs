//! Request-body validation for device configurations and assignments, judged
//! only by the Graph schema data (plus the small tables in `rules.rs` of what
//! Intune enforces beyond the metadata).
//!
//! It is strict on purpose: a fake that accepts what Graph rejects lets client
//! bugs through. It returns normalised values (flags enums in declaration
//! order, complex values with `@odata.type` and every property) and never
//! touches the store; checks that need other objects (does the bound root
//! exist, is it the right type) are done by the caller with
//! [`check_root_target`].
//!
//! One module per job: `error` (the error type), `types` (which entity type
//! a body is), `profile` (a profile body as a whole), `values` (the
//! schema-driven value checker), `rules` (Intune's own limits), `bind`
//! (`@odata.bind` URLs and bound roots), `assignments` (the `assign` body).

mod assignments;
mod bind;
mod error;
mod profile;
mod rules;
#[cfg(test)]
mod test_support;
mod types;
mod values;

pub use assignments::{
    FILTER_ID, FILTER_TYPE, assignment_id_suffix, check_assign_body, check_assignments,
};
pub use bind::{ROOT_CERTIFICATE, check_root_target, parse_bind_value};
pub use error::ValidationError;
pub use profile::{CheckedProfile, Mode, check_profile, parse_object};
pub use types::{check_patch_type, resolve_create_type};
