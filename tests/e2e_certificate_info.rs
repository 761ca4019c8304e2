//! End-to-end test of `provider::intune::certificate_info` with the real
//! terraform on PATH (1.11.4) against the fresh build: an output calling it
//! on the example root certificate, read back with `terraform output -json`,
//! and a bad argument refused with the parameter named.

mod support;

use serde_json::{Value, json};
use support::{Workspace, copy_tree, example, terraforms};

/// The example root's facts as `openssl x509` reports them (not this
/// provider's parser).
fn expected_root() -> Value {
    json!({
        "thumbprint": "C6356EBFA6724036515138CFDD1E2A65B960670E",
        "sha256": "848D626F30F20BA3BD603096E6816016829A43873540D30EF526D1B399B90EB7",
        "subject": "C=US, O=Contoso Ltd, CN=Contoso Root CA",
        "issuer": "C=US, O=Contoso Ltd, CN=Contoso Root CA",
        "not_before": "2026-11-27T10:50:00Z",
        "not_after": "2046-11-22T10:50:00Z",
        "is_ca": true,
    })
}

const OUTPUTS: &str = r#"
output "pem" {
  value = provider::intune::certificate_info(file("root.cer"))
}

output "base64" {
  value = provider::intune::certificate_info(filebase64("root.cer"))
}

output "with_bom" {
  value = provider::intune::certificate_info(file("root-bom.cer"))
}
"#;

const BAD: &str = r#"
output "bad" {
  value = provider::intune::certificate_info("not a certificate")
}
"#;

/// Terraform 1.8 and later call provider functions.
fn calls_functions(version: &str) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (1, 8)
}

#[test]
fn certificate_info_in_outputs() {
    // Provider functions need terraform 1.8 or later: 1.0.3 cannot call
    // them (it ignores the functions the provider announces, which the
    // other e2e tests show), so only the newer terraform runs this test.
    let modern: Vec<_> = terraforms()
        .into_iter()
        .filter(|tf| calls_functions(&tf.version))
        .collect();
    assert!(
        !modern.is_empty(),
        "no terraform >= 1.8 on PATH; this test never skips"
    );
    for tf in &modern {
        let ws = Workspace::new(tf);
        let pem = std::fs::read_to_string(support::example("certs/contoso-root-ca.cer")).unwrap();
        ws.write("root.cer", &pem);
        ws.write("root-bom.cer", format!("\u{feff}{pem}"));
        ws.config(OUTPUTS);
        ws.init();
        ws.apply();
        let run = ws.tf(&["output", "-json", "-no-color"]);
        run.expect_code(0);
        let outputs: Value = serde_json::from_str(&run.stdout).expect("output -json");
        for name in ["pem", "base64", "with_bom"] {
            assert_eq!(
                outputs[name]["value"],
                expected_root(),
                "output {name} (terraform v{}): {}",
                tf.version,
                run.stdout
            );
        }

        ws.config(BAD);
        let refused = ws.tf(&["apply", "-no-color", "-input=false", "-auto-approve"]);
        refused.expect_code(1);
        refused
            .expect_output(r#"Invalid value for "text" parameter"#)
            .expect_output("expected one X.509 certificate as PEM text");

        // The docs' example (a precondition on `is_ca`, the expiry in a
        // profile's name) applies, plans clean and destroys.
        copy_tree(&example("certs"), &ws.work().join("certs"));
        let dir = ws.work().join("functions/certificate_info");
        copy_tree(&example("functions/certificate_info"), &dir);
        std::fs::copy(example("provider/provider.tf"), dir.join("provider.tf")).unwrap();
        let run = |args: &[&str], code| ws.tf_in(&dir, args).expect_code(code).stdout.clone();
        run(&["init", "-no-color", "-input=false"], 0);
        run(&["apply", "-no-color", "-input=false", "-auto-approve"], 0);
        run(
            &["plan", "-no-color", "-input=false", "-detailed-exitcode"],
            0,
        );
        let thumbprint = run(&["output", "-raw", "root_thumbprint"], 0);
        assert_eq!(thumbprint, expected_root()["thumbprint"]);
        run(
            &["destroy", "-no-color", "-input=false", "-auto-approve"],
            0,
        );
    }
}
