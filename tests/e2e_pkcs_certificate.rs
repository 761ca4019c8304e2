//! End-to-end tests of `intune_pkcs_certificate` with real terraform: an
//! S/MIME signing profile on every platform (the Android and AOSP ones
//! linked to their root), update, import, bad input, destroy.

mod support;

use support::{Terraform, Workspace, terraforms};

const PLATFORMS: [(&str, &str); 8] = [
    (
        "android_device_administrator",
        "androidPkcsCertificateProfile",
    ),
    (
        "android_work_profile",
        "androidWorkProfilePkcsCertificateProfile",
    ),
    ("android_for_work", "androidForWorkPkcsCertificateProfile"),
    (
        "android_device_owner",
        "androidDeviceOwnerPkcsCertificateProfile",
    ),
    ("aosp", "aospDeviceOwnerPkcsCertificateProfile"),
    ("ios", "iosPkcsCertificateProfile"),
    ("macos", "macOSPkcsCertificateProfile"),
    ("windows", "windows10PkcsCertificateProfile"),
];

fn config(template: &str) -> String {
    format!(
        r#"
locals {{
  platforms = ["android_device_administrator", "android_work_profile", "android_for_work",
               "android_device_owner", "aosp", "ios", "macos", "windows"]
  android   = ["android_device_administrator", "android_work_profile", "android_for_work", "android_device_owner", "aosp"]
  owner     = ["android_device_owner", "aosp"]
}}

resource "intune_trusted_certificate" "root" {{
  for_each                 = toset(local.android)
  platform                 = each.key
  display_name             = "Contoso Root CA (${{each.key}})"
  trusted_root_certificate = file("root.cer")
}}

resource "intune_pkcs_certificate" "smime" {{
  for_each     = toset(local.platforms)
  platform     = each.key
  display_name = "S/MIME signing (${{each.key}})"

  certification_authority      = "ca01.contoso.com"
  certification_authority_name = "Contoso Issuing CA 1"
  certificate_template_name    = "{template}"
  certification_authority_type = contains(local.owner, each.key) ? "microsoft" : null
  root_certificate_id          = contains(local.android, each.key) ? intune_trusted_certificate.root[each.key].id : null

  certificate_validity_period_scale = "years"
  certificate_validity_period_value = 2
  renewal_threshold_percentage      = 10
  subject_name_format               = "commonNameAsEmail"
  subject_name_format_string        = contains(local.owner, each.key) ? "CN={{{{UserName}}}}" : null
  subject_alternative_name_type     = ["emailAddress"]
  certificate_store                 = contains(local.owner, each.key) ? "user" : null
  key_storage_provider              = each.key == "windows" ? "useSoftwareKsp" : null

  dynamic "extended_key_usages" {{
    for_each = contains(["ios", "macos"], each.key) ? [] : ["email"]
    content {{
      name              = "Secure Email"
      object_identifier = "1.3.6.1.5.5.7.3.4"
    }}
  }}
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
    ws.config(&config("ContosoSMIME"));
    ws.init();
    ws.apply();
    for (platform, graph_type) in PLATFORMS {
        let id = ws
            .state_attr(
                &format!("intune_pkcs_certificate.smime[\"{platform}\"]"),
                "id",
            )
            .unwrap();
        let obj = ws.sim.object(&id).unwrap();
        assert_eq!(obj["@odata.type"], format!("#microsoft.graph.{graph_type}"));
        assert_eq!(obj["certificateTemplateName"], "ContosoSMIME");
        let linked = ws.sim.root_link(&id);
        assert_eq!(
            linked.is_some(),
            platform.starts_with("android") || platform == "aosp",
            "{platform}"
        );
    }
    ws.expect_no_changes();
    ws.config(&config("ContosoSMIMEv2"));
    ws.apply();
    ws.expect_no_changes();
    let windows = ws
        .state_attr("intune_pkcs_certificate.smime[\"windows\"]", "id")
        .unwrap();
    assert_eq!(ws.sim.object(&windows).unwrap()["version"], 2);

    ws.tf(&[
        "state",
        "rm",
        "-no-color",
        "intune_pkcs_certificate.smime[\"aosp\"]",
    ])
    .expect_code(0);
    let aosp = ws
        .sim
        .objects()
        .into_iter()
        .find(|o| o["@odata.type"] == "#microsoft.graph.aospDeviceOwnerPkcsCertificateProfile")
        .unwrap();
    ws.tf(&[
        "import",
        "-no-color",
        "-input=false",
        "intune_pkcs_certificate.smime[\"aosp\"]",
        aosp["id"].as_str().unwrap(),
    ])
    .expect_code(0);
    ws.expect_no_changes();

    // Bad input fails at plan without writes.
    let writes = ws.sim.write_count();
    let bad = [
        (config("T").replace("certification_authority_type = contains(local.owner, each.key) ? \"microsoft\" : null", ""), "Missing certification_authority_type for platform \"aosp\""),
        (config("T").replace("contains(local.android, each.key) ? intune_trusted_certificate.root[each.key].id : null", "intune_trusted_certificate.root[\"aosp\"].id"), "root_certificate_id is not available on platform \"ios\""),
        (config("T").replace("renewal_threshold_percentage      = 10", "renewal_threshold_percentage      = 0"), "between 1 and 99"),
        (config("T").replace("\"commonNameAsEmail\"", "\"commonNameAsEmial\""), "Did you mean \"commonNameAsEmail\"?"),
    ];
    for (hcl, needle) in bad {
        ws.config(&hcl);
        ws.tf(&["plan", "-no-color", "-input=false"])
            .expect_code(1)
            .expect_output(needle);
    }
    assert_eq!(ws.sim.write_count(), writes);
    ws.config(&config("ContosoSMIMEv2"));
    ws.destroy();
    assert!(ws.sim.objects().is_empty());
}

#[test]
fn pkcs_lifecycle_on_every_platform() {
    for tf in terraforms() {
        lifecycle(&tf);
    }
}
