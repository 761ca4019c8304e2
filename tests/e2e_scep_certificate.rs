//! End-to-end tests of `intune_scep_certificate` with real terraform: a
//! Wi-Fi SCEP profile on every platform, each linked to its platform's
//! trusted root; updates, link changes, drift, import, bad input, destroy.

mod support;

use serde_json::json;
use support::{Terraform, Workspace, terraforms};

const PLATFORMS: [(&str, &str); 9] = [
    (
        "android_device_administrator",
        "androidScepCertificateProfile",
    ),
    (
        "android_work_profile",
        "androidWorkProfileScepCertificateProfile",
    ),
    ("android_for_work", "androidForWorkScepCertificateProfile"),
    (
        "android_device_owner",
        "androidDeviceOwnerScepCertificateProfile",
    ),
    ("aosp", "aospDeviceOwnerScepCertificateProfile"),
    ("ios", "iosScepCertificateProfile"),
    ("macos", "macOSScepCertificateProfile"),
    ("windows", "windows81SCEPCertificateProfile"),
    ("windows_phone_81", "windowsPhone81SCEPCertificateProfile"),
];

/// Roots and SCEP profiles for all nine platforms. `renewal` and `root`
/// (`"root"` or `"second_root"`) vary between steps.
fn config(renewal: u32, root: &str) -> String {
    format!(
        r#"
locals {{
  platforms = ["android_device_administrator", "android_work_profile", "android_for_work",
               "android_device_owner", "aosp", "ios", "macos", "windows", "windows_phone_81"]
  windows   = ["windows", "windows_phone_81"]
}}

resource "intune_trusted_certificate" "root" {{
  for_each                 = toset(local.platforms)
  platform                 = each.key
  display_name             = "Contoso Root CA (${{each.key}})"
  trusted_root_certificate = file("root.cer")
  destination_store        = each.key == "windows" ? "computerCertStoreRoot" : null
}}

resource "intune_trusted_certificate" "second_root" {{
  for_each                 = toset(local.platforms)
  platform                 = each.key
  display_name             = "Contoso Root CA 2 (${{each.key}})"
  trusted_root_certificate = file("issuing.cer")
  destination_store        = each.key == "windows" ? "computerCertStoreIntermediate" : null
}}

resource "intune_scep_certificate" "wifi" {{
  for_each            = toset(local.platforms)
  platform            = each.key
  display_name        = "Wi-Fi (${{each.key}})"
  root_certificate_id = intune_trusted_certificate.{root}[each.key].id
  scep_server_urls    = ["https://ndes1.contoso.com/certsrv/mscep/mscep.dll", "https://ndes2.contoso.com/certsrv/mscep/mscep.dll"]

  certificate_validity_period_scale = "years"
  certificate_validity_period_value = 1
  renewal_threshold_percentage      = {renewal}
  key_size                          = "size2048"
  key_usage                         = ["keyEncipherment", "digitalSignature"]
  hash_algorithm                    = each.key == "ios" ? null : ["sha2"]
  key_storage_provider              = contains(local.windows, each.key) ? "useTpmKspOtherwiseUseSoftwareKsp" : null
  subject_name_format               = "commonName"
  subject_alternative_name_type     = ["userPrincipalName", "emailAddress"]

  extended_key_usages {{
    name              = "Client Authentication"
    object_identifier = "1.3.6.1.5.5.7.3.2"
  }}

  dynamic "custom_subject_alternative_names" {{
    for_each = contains(["android_device_administrator", "windows_phone_81"], each.key) ? [] : ["upn"]
    content {{
      san_type = "userPrincipalName"
      name     = "{{{{UserPrincipalName}}}}"
    }}
  }}
}}
"#
    )
}

fn setup(tf: &Terraform) -> Workspace {
    let ws = Workspace::new(tf);
    ws.write(
        "root.cer",
        std::fs::read(support::example("certs/contoso-root-ca.cer")).unwrap(),
    );
    ws.write(
        "issuing.cer",
        std::fs::read(support::example("certs/contoso-issuing-ca.cer")).unwrap(),
    );
    ws
}

fn id(ws: &Workspace, address: &str) -> String {
    ws.state_attr(address, "id")
        .unwrap_or_else(|| panic!("{address} not in state"))
}

fn lifecycle(tf: &Terraform) {
    let ws = setup(tf);
    ws.config(&config(20, "root"));
    ws.init();
    ws.apply();
    for (platform, graph_type) in PLATFORMS {
        let scep = id(
            &ws,
            &format!("intune_scep_certificate.wifi[\"{platform}\"]"),
        );
        let root = id(
            &ws,
            &format!("intune_trusted_certificate.root[\"{platform}\"]"),
        );
        let obj = ws.sim.object(&scep).unwrap();
        assert_eq!(obj["@odata.type"], format!("#microsoft.graph.{graph_type}"));
        assert_eq!(
            ws.sim.root_link(&scep).as_deref(),
            Some(root.as_str()),
            "{platform} links its own root"
        );
        assert_eq!(
            obj["scepServerUrls"][0],
            "https://ndes1.contoso.com/certsrv/mscep/mscep.dll"
        );
        assert_eq!(obj["keyUsage"], "keyEncipherment,digitalSignature");
    }
    ws.expect_no_changes();

    // In-place update: one PATCH per profile, only the changed property.
    ws.sim.clear_requests();
    ws.config(&config(25, "root"));
    ws.apply();
    let writes: Vec<_> = ws
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.is_graph_write())
        .collect();
    assert_eq!(writes.len(), 9, "{writes:#?}");
    for w in &writes {
        assert_eq!(w.method, "PATCH");
        let body = w.body.as_ref().unwrap();
        assert_eq!(body["renewalThresholdPercentage"], 25);
        assert_eq!(
            body.as_object().unwrap().len(),
            2,
            "only the change and @odata.type: {body}"
        );
    }
    ws.expect_no_changes();

    // Re-linking to another root of the same platform is an in-place change.
    ws.config(&config(25, "second_root"));
    ws.plan()
        .expect_code(2)
        .expect_output("~ root_certificate_id");
    ws.apply();
    let ios = id(&ws, "intune_scep_certificate.wifi[\"ios\"]");
    let second = id(&ws, "intune_trusted_certificate.second_root[\"ios\"]");
    assert_eq!(ws.sim.root_link(&ios).as_deref(), Some(second.as_str()));
    ws.expect_no_changes();

    // A link changed in the portal shows as drift and is restored.
    let first = id(&ws, "intune_trusted_certificate.root[\"ios\"]");
    ws.sim
        .patch_object(&ios, json!({"rootCertificate@odata.bind": format!("https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('{first}')")}))
        .unwrap();
    ws.plan().expect_code(2).expect_output(&first);
    ws.apply();
    assert_eq!(ws.sim.root_link(&ios).as_deref(), Some(second.as_str()));

    // Import reads the link back through Graph's navigation.
    ws.tf(&[
        "state",
        "rm",
        "-no-color",
        "intune_scep_certificate.wifi[\"macos\"]",
    ])
    .expect_code(0);
    let macos = ws
        .sim
        .objects()
        .into_iter()
        .find(|o| o["@odata.type"] == "#microsoft.graph.macOSScepCertificateProfile")
        .unwrap();
    let macos = macos["id"].as_str().unwrap().to_string();
    ws.tf(&[
        "import",
        "-no-color",
        "-input=false",
        "intune_scep_certificate.wifi[\"macos\"]",
        &macos,
    ])
    .expect_code(0);
    ws.expect_no_changes();

    ws.destroy();
    assert!(ws.sim.objects().is_empty());
}

#[test]
fn scep_lifecycle_on_every_platform() {
    for tf in terraforms() {
        lifecycle(&tf);
    }
}

/// Bad input fails at plan, on the attribute, with no Graph write; a
/// wrong root warns at plan and fails at apply before any write; and a
/// failed apply never blocks `terraform destroy`.
fn bad_input(tf: &Terraform) {
    let ws = setup(tf);
    let roots = r#"
resource "intune_trusted_certificate" "ios" {
  platform                 = "ios"
  display_name             = "Root (ios)"
  trusted_root_certificate = file("root.cer")
}
resource "intune_trusted_certificate" "macos" {
  platform                 = "macos"
  display_name             = "Root (macos)"
  trusted_root_certificate = file("root.cer")
}
"#;
    ws.config(roots);
    ws.init();
    ws.apply();
    let macos_root = id(&ws, "intune_trusted_certificate.macos");
    let writes_before = ws.sim.write_count();
    let base = |extra: &str, root: &str| {
        format!(
            r#"{roots}
resource "intune_scep_certificate" "bad" {{
  platform                          = "ios"
  display_name                      = "Bad"
  root_certificate_id               = {root}
  scep_server_urls                  = ["https://ndes.contoso.com/certsrv/mscep/mscep.dll"]
  certificate_validity_period_scale = "years"
  certificate_validity_period_value = 1
  key_size                          = "size2048"
  key_usage                         = ["digitalSignature"]
  subject_name_format               = "commonName"
  {extra}
}}
"#
        )
    };
    let ios_root = "intune_trusted_certificate.ios.id";
    let cases: Vec<(String, Vec<&str>)> = vec![
        (base("renewal_threshold_percentage = 100", ios_root), vec!["Value out of range for renewal_threshold_percentage", "between 1 and 99"]),
        (base("renewal_threshold_percentage = 20\n  key_size = \"size2049\"", ios_root).replace("  key_size                          = \"size2048\"\n", ""), vec!["Invalid value for key_size", "Did you mean \"size2048\"?"]),
        (base("renewal_threshold_percentage = 20\n  hash_algorithm = [\"sha2\"]", ios_root), vec!["hash_algorithm is not available on platform \"ios\""]),
        (base("renewal_threshold_percentage = 20\n  key_storage_provider = \"useSoftwareKsp\"", ios_root), vec!["key_storage_provider is not available on platform \"ios\"", "\"windows\""]),
        (base("renewal_threshold_percentage = 20\n  subject_name_format = \"commonNameAsAadDeviceId\"", ios_root).replace("  subject_name_format               = \"commonName\"\n", ""), vec!["Invalid value for subject_name_format"]),
        (base("renewal_threshold_percentage = 20\n  subject_alternative_name_type = [\"none\", \"emailAddress\"]", ios_root), vec!["\"none\" cannot be combined"]),
        (base("renewal_threshold_percentage = 20", "\"not-a-guid\""), vec!["Invalid GUID for root_certificate_id"]),
    ];
    ws.expect_refused_at_plan(&cases);
    assert_eq!(ws.sim.write_count(), writes_before);

    // A root of another platform is read from Graph: at plan that is a
    // warning (an error would also block `terraform destroy`, which plans
    // first); the apply refuses before writing anything.
    ws.config(&base(
        "renewal_threshold_percentage = 20",
        &format!("{macos_root:?}"),
    ));
    let plan = ws.tf(&["plan", "-no-color", "-input=false"]);
    plan.expect_code(0)
        .expect_output("Warning: Wrong root certificate")
        .expect_output(
            "is a trusted certificate profile for platform \"macos\" (macOSTrustedRootCertificate)",
        )
        .expect_output("platform = \"ios\"")
        .expect_output("checks again before it writes anything");
    ws.tf(&["apply", "-no-color", "-input=false", "-auto-approve"])
        .expect_code(1)
        .expect_output("Error: Wrong root certificate")
        .expect_output("Nothing was changed in Intune");
    assert_eq!(
        ws.sim.write_count(),
        writes_before,
        "the apply stopped before any write"
    );

    // A root created in the same apply is checked before the first write:
    // an Android root for an iOS profile fails without creating the profile.
    let late = format!(
        r#"{roots}
resource "intune_trusted_certificate" "android" {{
  platform                 = "android_device_owner"
  display_name             = "Root (android)"
  trusted_root_certificate = file("root.cer")
}}
resource "intune_scep_certificate" "late" {{
  platform                          = "ios"
  display_name                      = "Late"
  root_certificate_id               = intune_trusted_certificate.android.id
  scep_server_urls                  = ["https://ndes.contoso.com/certsrv/mscep/mscep.dll"]
  certificate_validity_period_scale = "years"
  certificate_validity_period_value = 1
  renewal_threshold_percentage      = 20
  key_size                          = "size2048"
  key_usage                         = ["digitalSignature"]
  subject_name_format               = "commonName"
}}
"#
    );
    ws.config(&late);
    let run = ws.tf(&["apply", "-no-color", "-input=false", "-auto-approve"]);
    run.expect_code(1)
        .expect_output("Wrong root certificate")
        .expect_output("androidDeviceOwnerTrustedRootCertificate");
    assert!(
        ws.sim
            .objects()
            .iter()
            .all(|o| o["@odata.type"] != "#microsoft.graph.iosScepCertificateProfile"),
        "the SCEP profile was not created"
    );
    // `terraform destroy` with the same configuration: its pre-destroy plan
    // checks the never-created SCEP profile's root again, which must not
    // block the destroy of the roots that were created.
    let destroyed = ws.tf(&["destroy", "-no-color", "-input=false", "-auto-approve"]);
    destroyed.expect_code(0);
    assert!(ws.sim.objects().is_empty(), "{:?}", ws.sim.objects());
}

#[test]
fn scep_bad_input_fails_before_any_write() {
    for tf in terraforms() {
        bad_input(&tf);
    }
}
