//! End-to-end tests of `intune_pkcs_imported_certificate` with real
//! terraform: an S/MIME encryption profile on every platform keyword (both
//! Android work-profile keywords included), the
//! shared Android work-profile type, the device-administrator root link,
//! update, import, bad input, destroy.

mod support;

use support::{Terraform, Workspace, terraforms};

fn config(purpose: &str, work_keyword: &str, root_of_work: &str) -> String {
    format!(
        r#"
locals {{
  platforms = ["android_device_administrator", "{work_keyword}", "android_device_owner", "ios", "macos", "windows", "windows_phone_81"]
}}

resource "intune_trusted_certificate" "root" {{
  for_each                 = toset(["android_device_administrator", "android_device_owner", "android_work_profile"])
  platform                 = each.key
  display_name             = "Contoso Root CA (${{each.key}})"
  trusted_root_certificate = file("root.cer")
}}

resource "intune_pkcs_imported_certificate" "smime" {{
  for_each         = toset(local.platforms)
  platform         = each.key
  display_name     = "S/MIME encryption (${{each.value == "{work_keyword}" ? "work" : each.key}})"
  intended_purpose = "{purpose}"

  root_certificate_id = (
    each.key == "{work_keyword}" ? intune_trusted_certificate.root["{root_of_work}"].id :
    each.key == "android_device_owner" ? intune_trusted_certificate.root["android_device_owner"].id : null
  )

  certificate_validity_period_scale = each.key == "ios" ? null : "years"
  certificate_validity_period_value = each.key == "ios" ? null : 1
  renewal_threshold_percentage      = each.key == "ios" ? null : 20
  subject_name_format               = each.key == "ios" ? null : "commonNameAsEmail"
  subject_alternative_name_type     = contains(["android_device_administrator", "{work_keyword}"], each.key) ? ["emailAddress"] : null
  key_storage_provider              = contains(["windows", "windows_phone_81"], each.key) ? "useSoftwareKsp" : null
}}
"#
    )
}

fn lifecycle(tf: &Terraform) {
    let ws = Workspace::new(tf);
    ws.write(
        "root.cer",
        std::fs::read(support::example("certs/contoso-root-ca.cer")).unwrap(),
    );
    ws.config(&config(
        "smimeEncryption",
        "android_work_profile",
        "android_device_administrator",
    ));
    ws.init();
    ws.apply();
    let profiles: Vec<_> = ws
        .sim
        .objects()
        .into_iter()
        .filter(|o| o["intendedPurpose"] == "smimeEncryption")
        .collect();
    assert_eq!(profiles.len(), 7);
    let work = ws
        .state_attr(
            "intune_pkcs_imported_certificate.smime[\"android_work_profile\"]",
            "id",
        )
        .unwrap();
    assert_eq!(
        ws.sim.object(&work).unwrap()["@odata.type"],
        "#microsoft.graph.androidForWorkImportedPFXCertificateProfile"
    );
    let admin_root = ws
        .state_attr(
            "intune_trusted_certificate.root[\"android_device_administrator\"]",
            "id",
        )
        .unwrap();
    assert_eq!(
        ws.sim.root_link(&work),
        Some(admin_root),
        "the work-profile type links the device administrator root"
    );
    ws.expect_no_changes();

    // Both Android work-profile keywords name one Graph type: no change.
    ws.config(&config(
        "smimeEncryption",
        "android_for_work",
        "android_device_administrator",
    ));
    ws.tf(&[
        "state",
        "mv",
        "-no-color",
        "intune_pkcs_imported_certificate.smime[\"android_work_profile\"]",
        "intune_pkcs_imported_certificate.smime[\"android_for_work\"]",
    ])
    .expect_code(0);
    ws.expect_no_changes();
    ws.config(&config(
        "smimeEncryption",
        "android_work_profile",
        "android_device_administrator",
    ));
    ws.tf(&[
        "state",
        "mv",
        "-no-color",
        "intune_pkcs_imported_certificate.smime[\"android_for_work\"]",
        "intune_pkcs_imported_certificate.smime[\"android_work_profile\"]",
    ])
    .expect_code(0);
    ws.expect_no_changes();

    // In-place update of every profile.
    ws.config(&config(
        "smimeSigning",
        "android_work_profile",
        "android_device_administrator",
    ));
    ws.apply();
    ws.expect_no_changes();

    // Import records android_work_profile for the shared type.
    ws.tf(&[
        "state",
        "rm",
        "-no-color",
        "intune_pkcs_imported_certificate.smime[\"android_work_profile\"]",
    ])
    .expect_code(0);
    ws.tf(&[
        "import",
        "-no-color",
        "-input=false",
        "intune_pkcs_imported_certificate.smime[\"android_work_profile\"]",
        &work,
    ])
    .expect_code(0);
    assert_eq!(
        ws.state_attr(
            "intune_pkcs_imported_certificate.smime[\"android_work_profile\"]",
            "platform"
        )
        .as_deref(),
        Some("android_work_profile")
    );
    ws.expect_no_changes();

    // The work-profile type needs the device administrator root, not the work-profile one.
    let writes = ws.sim.write_count();
    ws.config(&config(
        "smimeSigning",
        "android_work_profile",
        "android_work_profile",
    ));
    ws.tf(&["plan", "-no-color", "-input=false"])
        .expect_code(0)
        .expect_output("Warning: Wrong root certificate")
        .expect_output(
            "platform = \"android_device_administrator\" (androidTrustedRootCertificate)",
        );
    ws.tf(&["apply", "-no-color", "-input=false", "-auto-approve"])
        .expect_code(1)
        .expect_output("Error: Wrong root certificate");
    ws.config(
        &config(
            "smimeSigning",
            "android_work_profile",
            "android_device_administrator",
        )
        .replace("\"smimeSigning\"", "\"smime\""),
    );
    ws.tf(&["plan", "-no-color", "-input=false"])
        .expect_code(1)
        .expect_output("Invalid value for intended_purpose");
    assert_eq!(ws.sim.write_count(), writes);

    ws.config(&config(
        "smimeSigning",
        "android_work_profile",
        "android_device_administrator",
    ));
    ws.destroy();
    assert!(ws.sim.objects().is_empty());
}

#[test]
fn imported_pkcs_lifecycle_on_every_platform() {
    for tf in terraforms() {
        lifecycle(&tf);
    }
}
