//! Graph failures as diagnostics: what was being done to which object, what
//! Graph said, and the ids Microsoft support asks for.

use super::fields::Field;
use crate::framework::{Diagnostic, Diagnostics};
use crate::graph::GraphError;
use crate::value::AttributePath;

/// Adds an error for a failed Graph call. `doing` reads like "creating
/// iosTrustedRootCertificate \"Contoso Root\""; when Graph's message names a
/// property of `fields`, the diagnostic points at that attribute.
pub fn graph_failure(
    diags: &mut Diagnostics,
    summary: &str,
    doing: &str,
    err: &GraphError,
    fields: &[&Field],
) {
    // The error's own text carries Graph's request-id and client-request-id.
    let detail = format!("{}: {err}", capitalise_first(doing));
    let mut d = Diagnostic::error(summary, detail);
    if let GraphError::Api { message, .. } = err {
        if let Some(f) = fields.iter().find(|f| names_property(message, f.graph)) {
            d = d.at(AttributePath::attr(f.name));
        }
    }
    diags.push(d);
}

/// True when `message` mentions `property` as a word of its own.
fn names_property(message: &str, property: &str) -> bool {
    message.match_indices(property).any(|(i, _)| {
        let before = message[..i].chars().next_back();
        let after = message[i + property.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

fn capitalise_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_names_match_whole_words_only() {
        assert!(names_property(
            "Invalid value for 'destinationStore'.",
            "destinationStore"
        ));
        assert!(names_property(
            "destinationStore is required",
            "destinationStore"
        ));
        assert!(!names_property("certFileNames is wrong", "certFileName"));
        assert!(!names_property("xdisplayName", "displayName"));
    }
}
