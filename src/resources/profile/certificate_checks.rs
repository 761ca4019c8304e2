//! Plan-time checks of a trusted certificate's dates and CA flag, and the
//! provider-local `allow_expired` attribute that lets an expired one be
//! written on purpose. A plan that writes an expired (or not yet valid)
//! certificate fails; one that leaves the certificate already in Intune
//! alone only warns, so a root expiring after it was applied never blocks
//! a plan or a destroy. The rules are pure (the time is an argument), so
//! they are tested here without Graph.

use time::OffsetDateTime;

use crate::framework::{Attribute, Diagnostic, Diagnostics, Mode};
use crate::resources::certificate::CertificateFacts;
use crate::value::{AttributePath, Type, Value};

/// The attribute that allows writing an expired or not yet valid
/// certificate. It is not a Graph property: it is never sent, and state
/// keeps the configured value (null after an import).
pub const ALLOW_EXPIRED: &str = "allow_expired";

/// The schema attribute of [`ALLOW_EXPIRED`].
pub fn allow_expired_attribute() -> Attribute {
    Attribute::new(ALLOW_EXPIRED, Type::Bool, Mode::Optional).description(
        "Set to `true` to write a certificate that has expired or is not yet valid (to deploy one on \
         purpose, for a clean-up, say); without it such a certificate fails the plan that would write it. \
         Provider-only: not sent to Graph.",
    )
}

/// Whether `allow_expired` lets an out-of-date certificate be written. An
/// unknown value (known only at apply) is given the benefit of the doubt:
/// a warning, not an error.
pub fn allows_expired(planned: &Value) -> bool {
    let value = planned.get(ALLOW_EXPIRED);
    value.is_unknown() || value.as_bool() == Some(true)
}

/// What a plan does with the certificate.
#[derive(Debug, Clone, Copy)]
pub struct Situation {
    /// The plan writes this certificate: a create, a replace, or a
    /// certificate other than the one in the prior state.
    pub writes: bool,
    pub allow_expired: bool,
    /// `certificate_expiry_warning_days`; 0 turns the warning off.
    pub warning_days: u32,
    pub now: OffsetDateTime,
}

/// Adds the diagnostics `facts` deserve in `situation`; `attribute` is the
/// certificate attribute they point at.
pub fn check(
    facts: &CertificateFacts,
    situation: &Situation,
    attribute: &str,
    diags: &mut Diagnostics,
) {
    let at_cert = || AttributePath::attr(attribute);
    let out_of_date = if facts.expired {
        Some((
            "Certificate has expired",
            format!(
                "expired on {}: devices do not trust it, nor anything it signs",
                facts.not_after
            ),
        ))
    } else if facts.not_yet_valid {
        Some((
            "Certificate is not yet valid",
            format!(
                "is valid only from {}: until then devices do not trust it, nor anything it signs",
                facts.not_before
            ),
        ))
    } else {
        None
    };
    if let Some((summary, why)) = out_of_date {
        let diagnostic = match (situation.writes, situation.allow_expired) {
            (true, false) => Diagnostic::error(
                summary,
                format!(
                    "This certificate {why}. Give a current certificate in {attribute}, or set {ALLOW_EXPIRED} \
                     = true if writing this one to Intune is deliberate (a clean-up, say)."
                ),
            )
            .at(at_cert()),
            (true, true) => Diagnostic::warning(
                summary,
                format!(
                    "This certificate {why}. It is written to Intune anyway because {ALLOW_EXPIRED} = true; \
                     remove {ALLOW_EXPIRED} once a current certificate is in {attribute}."
                ),
            )
            .at(AttributePath::attr(ALLOW_EXPIRED)),
            (false, _) => Diagnostic::warning(
                summary,
                format!(
                    "The certificate already in Intune {why}. Renew the CA certificate and give the new one in \
                     {attribute} (or remove this resource if the CA is retired)."
                ),
            )
            .at(at_cert()),
        };
        diags.push(diagnostic);
    } else if situation.warning_days > 0 {
        let left = facts.expires_at - situation.now;
        if left <= time::Duration::days(situation.warning_days.into()) {
            // Whole days, rounded up: "in 0 days" would read as already expired.
            let days = (left.whole_seconds() + 86_399) / 86_400;
            diags.push(
                Diagnostic::warning(
                    "Certificate expires soon",
                    format!(
                        "This certificate expires on {} (in {days} day{}), within the provider's \
                         certificate_expiry_warning_days ({}). Renew the CA certificate and give the new one in \
                         {attribute} before then, or devices stop trusting it and what it signs. Set \
                         certificate_expiry_warning_days = 0 to turn this warning off.",
                        facts.not_after,
                        if days == 1 { "" } else { "s" },
                        situation.warning_days
                    ),
                )
                .at(at_cert()),
            );
        }
    }
    if !facts.is_ca {
        diags.push(
            Diagnostic::warning(
                "Certificate is not a CA certificate",
                format!(
                    "Its basicConstraints extension is absent or says CA:FALSE, so devices will not treat it \
                     as a trusted root, and certificates it issued will not chain to it. Give the root or \
                     intermediate CA certificate in {attribute} instead (subject {}).",
                    facts.subject
                ),
            )
            .at(at_cert()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Severity;
    use crate::resources::certificate::{parse, tests::test_pem};

    const CERT: &str = "trusted_root_certificate";

    fn facts(is_ca: bool, from_days: i64, to_days: i64) -> CertificateFacts {
        let now = OffsetDateTime::now_utc();
        let flag = if is_ca {
            rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained)
        } else {
            rcgen::IsCa::ExplicitNoCa
        };
        let days = time::Duration::days;
        parse(&test_pem(
            "Checked CA",
            flag,
            now + days(from_days),
            now + days(to_days),
        ))
        .unwrap()
    }

    /// (severity is error, summary, path) of each diagnostic.
    fn run(
        facts: &CertificateFacts,
        writes: bool,
        allow: bool,
        days: u32,
    ) -> Vec<(bool, String, String)> {
        let mut diags = Diagnostics::new();
        let situation = Situation {
            writes,
            allow_expired: allow,
            warning_days: days,
            now: OffsetDateTime::now_utc(),
        };
        check(facts, &situation, CERT, &mut diags);
        diags
            .iter()
            .map(|d| {
                assert!(!d.detail.is_empty());
                let path = d.path.clone().unwrap_or_else(AttributePath::root);
                (
                    d.severity == Severity::Error,
                    d.summary.clone(),
                    path.to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn out_of_date_certificates_fail_only_the_plans_that_write_them() {
        let expired = facts(true, -100, -1);
        let early = facts(true, 2, 100);
        for (f, summary) in [
            (&expired, "Certificate has expired"),
            (&early, "Certificate is not yet valid"),
        ] {
            // (writes, allow_expired, error, path)
            let cases = [
                (true, false, true, CERT),
                (true, true, false, ALLOW_EXPIRED),
                (false, false, false, CERT),
                (false, true, false, CERT),
            ];
            for (writes, allow, error, path) in cases {
                let got = run(f, writes, allow, 30);
                assert_eq!(
                    got,
                    vec![(error, summary.to_string(), path.to_string())],
                    "writes {writes}, allow {allow}"
                );
            }
        }
    }

    #[test]
    fn expiry_within_the_setting_warns_and_zero_turns_it_off() {
        let soon = facts(true, -100, 10);
        let warned = vec![(
            false,
            "Certificate expires soon".to_string(),
            CERT.to_string(),
        )];
        assert_eq!(run(&soon, true, false, 30), warned);
        assert_eq!(run(&soon, false, false, 11), warned);
        assert_eq!(run(&soon, true, false, 9), vec![]);
        assert_eq!(run(&soon, true, false, 0), vec![]);
        assert_eq!(run(&facts(true, -100, 365), true, false, 30), vec![]);
    }

    #[test]
    fn a_certificate_that_is_not_a_ca_warns() {
        let leaf = facts(false, -1, 365);
        assert_eq!(
            run(&leaf, true, false, 30),
            vec![(
                false,
                "Certificate is not a CA certificate".to_string(),
                CERT.to_string()
            )]
        );
    }

    #[test]
    fn an_unknown_allow_expired_does_not_fail_the_plan() {
        let mut planned = Value::Object(Default::default());
        assert!(!allows_expired(&planned));
        planned.set(ALLOW_EXPIRED, Value::Bool(false));
        assert!(!allows_expired(&planned));
        planned.set(ALLOW_EXPIRED, Value::Bool(true));
        assert!(allows_expired(&planned));
        planned.set(ALLOW_EXPIRED, Value::Unknown);
        assert!(allows_expired(&planned));
    }
}
