//! End-to-end tests of `intune_trusted_certificate` with the real terraform
//! binaries (1.0.3 and the one on PATH) against the Graph simulator.

mod support;

use base64::Engine as _;
use serde_json::json;
use support::{Terraform, Workspace, terraforms};

const PLATFORMS: [(&str, &str); 9] = [
    (
        "android_device_administrator",
        "androidTrustedRootCertificate",
    ),
    (
        "android_work_profile",
        "androidWorkProfileTrustedRootCertificate",
    ),
    ("android_for_work", "androidForWorkTrustedRootCertificate"),
    (
        "android_device_owner",
        "androidDeviceOwnerTrustedRootCertificate",
    ),
    ("aosp", "aospDeviceOwnerTrustedRootCertificate"),
    ("ios", "iosTrustedRootCertificate"),
    ("macos", "macOSTrustedRootCertificate"),
    ("windows", "windows81TrustedRootCertificate"),
    ("windows_phone_81", "windowsPhone81TrustedRootCertificate"),
];

fn root_pem() -> String {
    std::fs::read_to_string(support::example("certs/contoso-root-ca.cer")).unwrap()
}

fn root_der() -> Vec<u8> {
    let body: String = root_pem()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// Nine platforms from one map; `cert` is the expression for the certificate.
fn nine_platforms(cert: &str, ios_name: &str) -> String {
    format!(
        r#"
locals {{
  platforms = ["android_device_administrator", "android_work_profile", "android_for_work",
               "android_device_owner", "aosp", "ios", "macos", "windows", "windows_phone_81"]
}}

resource "intune_trusted_certificate" "root" {{
  for_each                 = toset(local.platforms)
  platform                 = each.key
  display_name             = each.key == "ios" ? "{ios_name}" : "Contoso Root CA (${{each.key}})"
  trusted_root_certificate = {cert}
  cert_file_name           = "contoso-root-ca.cer"
  destination_store        = each.key == "windows" ? "computerCertStoreRoot" : null
  deployment_channel       = each.key == "macos" ? "deviceChannel" : null
}}
"#
    )
}

fn id_of(ws: &Workspace, address: &str) -> String {
    ws.state_attr(address, "id")
        .unwrap_or_else(|| panic!("{address} has no id in state"))
}

fn lifecycle(tf: &Terraform) {
    let ws = Workspace::new(tf);
    ws.write("root.cer", root_pem());
    ws.write("root.der", root_der());
    ws.config(&nine_platforms(
        r#"file("root.cer")"#,
        "Contoso Root CA (ios)",
    ));
    ws.init();
    ws.apply();

    // One object per platform, of the right Graph type.
    let objects = ws.sim.objects();
    assert_eq!(objects.len(), 9, "{objects:#?}");
    for (platform, graph_type) in PLATFORMS {
        let id = id_of(
            &ws,
            &format!("intune_trusted_certificate.root[\"{platform}\"]"),
        );
        let obj = ws.sim.object(&id).unwrap();
        assert_eq!(
            obj["@odata.type"],
            format!("#microsoft.graph.{graph_type}"),
            "{platform}"
        );
        assert_eq!(obj["certFileName"], "contoso-root-ca.cer");
    }
    let windows = id_of(&ws, "intune_trusted_certificate.root[\"windows\"]");
    assert_eq!(
        ws.sim.object(&windows).unwrap()["destinationStore"],
        "computerCertStoreRoot"
    );
    let thumbprint: String =
        ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &root_der())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
    let addr = "intune_trusted_certificate.root[\"ios\"]";
    assert_eq!(
        ws.state_attr(addr, "thumbprint").as_deref(),
        Some(thumbprint.as_str())
    );
    assert!(
        ws.state_attr(addr, "subject")
            .unwrap()
            .contains("CN=Contoso Root CA")
    );
    assert_eq!(
        ws.state_attr(addr, "not_after").as_deref(),
        Some("2046-11-22T10:50:00Z")
    );

    // A plan right after apply is empty.
    ws.expect_no_changes();

    // The same certificate, re-encoded as base64 of DER, is not a change.
    ws.config(&nine_platforms(
        r#"filebase64("root.der")"#,
        "Contoso Root CA (ios)",
    ));
    ws.expect_no_changes();

    // In-place update: exactly one PATCH, to the changed profile only.
    let ios = id_of(&ws, addr);
    ws.sim.clear_requests();
    ws.config(&nine_platforms(
        r#"filebase64("root.der")"#,
        "Contoso Root (iPhone and iPad)",
    ));
    ws.apply();
    let writes: Vec<_> = ws
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.is_graph_write())
        .collect();
    assert_eq!(writes.len(), 1, "{writes:#?}");
    assert_eq!(writes[0].method, "PATCH");
    assert!(writes[0].path.ends_with(&ios), "{}", writes[0].path);
    let patched = writes[0].body.clone().unwrap();
    assert_eq!(patched["displayName"], "Contoso Root (iPhone and iPad)");
    assert!(
        patched.get("trustedRootCertificate").is_none(),
        "unchanged properties are not sent: {patched}"
    );
    assert_eq!(ws.sim.object(&ios).unwrap()["version"], 2);
    ws.expect_no_changes();

    // Drift: a change made in the portal shows up and is reverted.
    ws.sim
        .patch_object(&ios, json!({"displayName": "Renamed in the portal"}))
        .unwrap();
    ws.plan()
        .expect_code(2)
        .expect_output("Renamed in the portal");
    ws.apply();
    assert_eq!(
        ws.sim.object(&ios).unwrap()["displayName"],
        "Contoso Root (iPhone and iPad)"
    );

    // Deleted outside terraform: removed from state, planned for creation.
    let macos = id_of(&ws, "intune_trusted_certificate.root[\"macos\"]");
    assert!(ws.sim.delete_object(&macos));
    ws.plan().expect_code(2).expect_output("will be created");
    ws.apply();
    assert_eq!(ws.sim.objects().len(), 9);
    ws.expect_no_changes();

    // Import: forget one profile, import it by id, and nothing changes.
    ws.tf(&[
        "state",
        "rm",
        "-no-color",
        "intune_trusted_certificate.root[\"windows\"]",
    ])
    .expect_code(0);
    ws.tf(&[
        "import",
        "-no-color",
        "-input=false",
        "intune_trusted_certificate.root[\"windows\"]",
        &windows,
    ])
    .expect_code(0);
    ws.expect_no_changes();

    // Changing the platform replaces the profile.
    ws.write(
        "moving.tf",
        r#"resource "intune_trusted_certificate" "moving" {
  platform                 = "ios"
  display_name             = "Moving"
  trusted_root_certificate = file("root.cer")
}
"#,
    );
    ws.apply();
    let before = id_of(&ws, "intune_trusted_certificate.moving");
    ws.write(
        "moving.tf",
        std::fs::read_to_string(ws.work().join("moving.tf"))
            .unwrap()
            .replace("\"ios\"", "\"macos\""),
    );
    ws.plan().expect_code(2).expect_output("must be replaced");
    ws.apply();
    let after = id_of(&ws, "intune_trusted_certificate.moving");
    assert_ne!(before, after);
    assert!(ws.sim.object(&before).is_none());
    assert_eq!(
        ws.sim.object(&after).unwrap()["@odata.type"],
        "#microsoft.graph.macOSTrustedRootCertificate"
    );

    ws.destroy();
    assert!(
        ws.sim.objects().is_empty(),
        "destroy leaves the simulator empty"
    );
}

#[test]
fn trusted_certificate_lifecycle_on_every_platform() {
    for tf in terraforms() {
        lifecycle(&tf);
    }
}

/// Bad input fails at plan, on the attribute, before any Graph write.
fn bad_input(tf: &Terraform) {
    let ws = Workspace::new(tf);
    ws.write("root.cer", root_pem());
    ws.config("");
    ws.init();
    let cases = [
        (
            r#"platform = "ios"
  trusted_root_certificate = "this is not a certificate""#,
            &["Invalid certificate", "trusted_root_certificate"][..],
        ),
        (
            r#"platform = "ios"
  trusted_root_certificate = file("root.cer")
  destination_store = "computerCertStoreRoot""#,
            &[
                "destination_store is not available on platform \"ios\"",
                "\"windows\"",
            ][..],
        ),
        (
            r#"platform = "windows"
  trusted_root_certificate = file("root.cer")
  destination_store = "computerCertStoreRot""#,
            &[
                "Invalid value for destination_store",
                "Did you mean \"computerCertStoreRoot\"?",
            ][..],
        ),
        (
            r#"platform = "windows"
  trusted_root_certificate = file("root.cer")"#,
            &["Missing destination_store for platform \"windows\""][..],
        ),
        (
            r#"platform = "iphone"
  trusted_root_certificate = file("root.cer")"#,
            &["Invalid platform", "\"ios\""][..],
        ),
        (
            r#"platform = "ios"
  trusted_root_certificate = file("root.cer")
  timeouts {
    create = "ten minutes"
  }"#,
            &["Invalid duration for create"][..],
        ),
    ];
    let cases: Vec<(String, Vec<&str>)> = cases
        .iter()
        .map(|(body, expected)| {
            (
                format!("resource \"intune_trusted_certificate\" \"bad\" {{\n  display_name = \"Bad\"\n  {body}\n}}\n"),
                expected.to_vec(),
            )
        })
        .collect();
    ws.expect_refused_at_plan(&cases);
    assert_eq!(ws.sim.write_count(), 0);
}

#[test]
fn invalid_configuration_fails_at_plan_without_writes() {
    for tf in terraforms() {
        bad_input(&tf);
    }
}

fn import_errors(tf: &Terraform) {
    let ws = Workspace::new(tf);
    ws.write("root.cer", root_pem());
    ws.config(
        r#"resource "intune_trusted_certificate" "imported" {
  platform                 = "ios"
  display_name             = "Imported"
  trusted_root_certificate = file("root.cer")
}
"#,
    );
    ws.init();
    let scep = ws
        .sim
        .insert_object(json!({
            "@odata.type": "#microsoft.graph.iosScepCertificateProfile",
            "displayName": "Wi-Fi (iOS)",
            "certificateValidityPeriodScale": "years",
            "certificateValidityPeriodValue": 1,
            "renewalThresholdPercentage": 20,
            "subjectNameFormat": "commonName",
            "keySize": "size2048",
            "keyUsage": "digitalSignature",
            "extendedKeyUsages": [],
            "scepServerUrls": ["https://ndes.contoso.com/certsrv/mscep/mscep.dll"]
        }))
        .expect("simulator accepts the SCEP profile");
    ws.tf(&[
        "import",
        "-no-color",
        "-input=false",
        "intune_trusted_certificate.imported",
        &scep,
    ])
    .expect_code(1)
    .expect_output("is a SCEP certificate profile for platform \"ios\" (iosScepCertificateProfile)")
    .expect_output("intune_scep_certificate");
    ws.tf(&[
        "import",
        "-no-color",
        "-input=false",
        "intune_trusted_certificate.imported",
        "4b1b9a4e-5b6f-4c1d-9a51-000000000000",
    ])
    .expect_code(1)
    .expect_output("non-existent");
    assert_eq!(ws.sim.write_count(), 0, "a failed import writes nothing");
    assert!(
        !ws.work().join("terraform.tfstate").exists()
            || ws.tf(&["state", "list"]).stdout.trim().is_empty()
    );
}

#[test]
fn import_of_another_kind_names_what_it_is() {
    for tf in terraforms() {
        import_errors(&tf);
    }
}

/// The secret and the bearer token never reach terraform's logs.
fn no_secrets_in_logs(tf: &Terraform) {
    let mut ws = Workspace::new(tf);
    ws.set_env("TF_LOG", "trace");
    ws.write("root.cer", root_pem());
    ws.config(
        r#"resource "intune_trusted_certificate" "logged" {
  platform                 = "android_device_owner"
  display_name             = "Logged"
  trusted_root_certificate = file("root.cer")
}
"#,
    );
    ws.init();
    let run = ws.apply();
    let output = run.output();
    assert!(
        output.contains("created profile"),
        "trace logs carry the provider's lines"
    );
    let secret = ws.sim.config().client_secret.clone();
    assert!(
        !output.contains(&secret),
        "the client secret leaked into the logs"
    );
    assert!(
        !output.contains("Bearer "),
        "a bearer token leaked into the logs"
    );
    ws.destroy();
}

#[test]
fn secrets_never_reach_the_logs() {
    for tf in terraforms() {
        no_secrets_in_logs(&tf);
    }
}

/// Without credentials, plan fails with one diagnostic that says why each
/// sign-in method did not apply, before any request.
fn missing_credentials(tf: &Terraform) {
    let mut ws = Workspace::new(tf);
    ws.set_env("ARM_CLIENT_ID", "");
    ws.set_env("ARM_CLIENT_SECRET", "");
    ws.write("root.cer", root_pem());
    ws.config(
        r#"resource "intune_trusted_certificate" "x" {
  platform                 = "ios"
  display_name             = "X"
  trusted_root_certificate = file("root.cer")
}
"#,
    );
    ws.init();
    let run = ws.plan();
    run.expect_code(1)
        .expect_output("No credentials for Entra ID")
        .expect_output("client secret: client_secret is not set (nor ARM_CLIENT_SECRET)")
        .expect_output("managed identity: use_msi is not set");
    let output = run.output();
    assert_eq!(
        output.matches("No credentials for Entra ID").count(),
        1,
        "{output}"
    );
    assert!(
        ws.sim.requests().is_empty(),
        "nothing is sent without credentials"
    );
}

#[test]
fn missing_credentials_are_named_in_one_diagnostic() {
    for tf in terraforms() {
        missing_credentials(&tf);
    }
}

/// Certificate checks with real terraform: an expired certificate fails the
/// plan that would write it, with the way out; `allow_expired` lets it
/// through with a warning; a certificate that is not a CA is a warning.
fn certificate_checks(tf: &Terraform) {
    let ws = Workspace::new(tf);
    ws.write("expired.cer", support::dated_pem(-400, -10, true));
    ws.write("leaf.cer", support::dated_pem(-1, 365, false));
    let resource = |file: &str, extra: &str| {
        format!(
            "resource \"intune_trusted_certificate\" \"old\" {{\n  platform                 = \"ios\"\n  \
             display_name             = \"Old root\"\n  trusted_root_certificate = file(\"{file}\")\n  {extra}\n}}\n"
        )
    };
    ws.config(&resource("expired.cer", ""));
    ws.init();
    ws.expect_refused_at_plan(&[(
        resource("expired.cer", ""),
        vec![
            "Error: Certificate has expired",
            "trusted_root_certificate",
            "allow_expired = true",
        ],
    )]);
    ws.config(&resource("expired.cer", "allow_expired = true"));
    ws.apply()
        .expect_output("Warning: Certificate has expired")
        .expect_output("remove allow_expired once a current certificate");
    ws.expect_no_changes();
    ws.config(&resource("leaf.cer", ""));
    ws.tf(&["plan", "-no-color", "-input=false"])
        .expect_code(0)
        .expect_output("Warning: Certificate is not a CA certificate");
    ws.config(&resource("expired.cer", "allow_expired = true"));
    ws.destroy();
    assert!(ws.sim.objects().is_empty());
}

#[test]
fn expired_and_non_ca_certificates_are_caught_at_plan() {
    for tf in terraforms() {
        certificate_checks(&tf);
    }
}
