//! Graph's eventual consistency and lost answers, end to end with the real
//! terraform binaries (1.0.3 and the one on PATH). The simulator lags by
//! default: a new object answers 404 to its first GETs and is missing from
//! its first listings. Through that, the provider must never lose, duplicate
//! or block a profile:
//!
//! * a root, its SCEP profile and the profile's assignment apply in one go;
//! * a plan right after an apply plans nothing, also for profiles nothing
//!   else reads (the new objects are read back before the apply returns, so
//!   no refresh takes the lag for a deletion);
//! * a create whose answer was lost (dropped connection, 504 after Graph
//!   made the object) is adopted exactly once, and a same-named profile made
//!   elsewhere a minute earlier never is.

mod support;

use std::time::Duration;

use intune_graph_sim::Fault;
use support::{Terraform, Workspace, terraforms};

fn root_pem() -> String {
    std::fs::read_to_string(support::example("certs/contoso-root-ca.cer")).unwrap()
}

const GROUP: &str = "5d1a3c44-7a5b-4b52-9a2e-2a1f8c6f0d11";

/// A root, a SCEP profile linked to it and the profile's assignment, on
/// `platforms`: each step needs the object the one before just created.
fn chain(platforms: &[&str]) -> String {
    let list = platforms
        .iter()
        .map(|p| format!("{p:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"
locals {{
  platforms = [{list}]
}}

resource "intune_trusted_certificate" "root" {{
  for_each                 = toset(local.platforms)
  platform                 = each.key
  display_name             = "Contoso Root CA (${{each.key}})"
  trusted_root_certificate = file("root.cer")
}}

resource "intune_scep_certificate" "wifi" {{
  for_each                          = toset(local.platforms)
  platform                          = each.key
  display_name                      = "Wi-Fi (${{each.key}})"
  root_certificate_id               = intune_trusted_certificate.root[each.key].id
  scep_server_urls                  = ["https://ndes.contoso.com/certsrv/mscep/mscep.dll"]
  certificate_validity_period_scale = "years"
  certificate_validity_period_value = 1
  renewal_threshold_percentage      = 20
  key_size                          = "size2048"
  key_usage                         = ["digitalSignature", "keyEncipherment"]
  subject_name_format               = "commonName"
}}

resource "intune_certificate_profile_assignment" "wifi" {{
  for_each   = toset(local.platforms)
  profile_id = intune_scep_certificate.wifi[each.key].id
  include_group {{
    group_id = "{GROUP}"
  }}
}}
"#
    )
}

fn graph_creates(ws: &Workspace) -> usize {
    ws.sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/deviceConfigurations"))
        .count()
}

/// Under the default lag the whole chain applies once, creates each profile
/// exactly once, and the plan right after it is empty.
fn chain_applies_through_the_lag(tf: &Terraform) {
    let ws = Workspace::new(tf);
    ws.write("root.cer", root_pem());
    ws.config(&chain(&["ios", "macos"]));
    ws.init();
    ws.apply();
    assert_eq!(ws.sim.objects().len(), 4, "two roots, two SCEP profiles");
    assert_eq!(graph_creates(&ws), 4, "no create repeated");
    let answered_404 = ws
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.status == 404)
        .count();
    assert!(
        answered_404 >= 8,
        "every new profile was unseen for its first reads ({answered_404} 404s)"
    );
    for object in ws.sim.objects() {
        if object["@odata.type"] == "#microsoft.graph.iosScepCertificateProfile" {
            let id = object["id"].as_str().unwrap();
            assert_eq!(ws.sim.assignments(id).map(|a| a.len()), Some(1));
        }
    }
    // Planned at once: the refresh reads objects a few requests old.
    ws.expect_no_changes();
    ws.destroy();
    assert!(ws.sim.objects().is_empty());
}

#[test]
fn a_chain_applies_once_and_plans_clean_under_the_replication_lag() {
    for tf in terraforms() {
        chain_applies_through_the_lag(&tf);
    }
}

/// Profiles nothing else in the configuration reads: the first GET of each
/// after the apply is the next command's refresh unless the apply itself
/// confirmed them. The plan right after must be empty, not a duplicate.
fn plan_right_after_apply_is_empty(tf: &Terraform) {
    let ws = Workspace::new(tf);
    ws.write("root.cer", root_pem());
    ws.config(
        r#"
resource "intune_trusted_certificate" "root" {
  for_each                 = toset(["ios", "macos", "windows_phone_81", "aosp"])
  platform                 = each.key
  display_name             = "Contoso Root CA (${each.key})"
  trusted_root_certificate = file("root.cer")
}
"#,
    );
    ws.init();
    ws.apply();
    ws.expect_no_changes();
    assert_eq!(ws.sim.objects().len(), 4);
    assert_eq!(graph_creates(&ws), 4);
    ws.destroy();
    assert!(ws.sim.objects().is_empty());
}

#[test]
fn a_plan_right_after_apply_plans_nothing_under_the_lag() {
    for tf in terraforms() {
        plan_right_after_apply_is_empty(&tf);
    }
}

fn profile(name: &str) -> String {
    format!(
        r#"
resource "intune_trusted_certificate" "root" {{
  platform                 = "ios"
  display_name             = "{name}"
  trusted_root_certificate = file("root.cer")
}}
"#
    )
}

/// The create's answer is lost in each way a real network loses it, after
/// Graph made the object; the provider adopts that object exactly once.
fn lost_answers_are_adopted_once(tf: &Terraform) {
    let faults = [
        ("dropped connection", Fault::LoseResponse { count: 1 }),
        (
            "gateway timeout",
            Fault::FailAfterHandling {
                count: 1,
                status: 504,
            },
        ),
    ];
    for (how, fault) in faults {
        let ws = Workspace::new(tf);
        ws.write("root.cer", root_pem());
        ws.config(&profile("Contoso Root CA"));
        ws.init();
        ws.sim.inject_on("POST", fault);
        let run = ws.apply();
        run.expect_output("Recovered iosTrustedRootCertificate");
        let objects = ws.sim.objects();
        assert_eq!(objects.len(), 1, "{how}: one profile, no duplicate");
        assert_eq!(graph_creates(&ws), 1, "{how}: the create was not repeated");
        assert_eq!(
            ws.state_attr("intune_trusted_certificate.root", "id"),
            objects[0]["id"].as_str().map(str::to_string),
            "{how}: the object Graph made is the one in state"
        );
        ws.expect_no_changes();
        ws.destroy();
        assert!(ws.sim.objects().is_empty());
    }
}

#[test]
fn a_create_whose_answer_was_lost_is_adopted_exactly_once() {
    for tf in terraforms() {
        lost_answers_are_adopted_once(&tf);
    }
}

/// A profile with the same name and settings, made in the portal a minute
/// before, is never taken for the lost create's.
fn older_twin_is_not_adopted(tf: &Terraform) {
    use base64::Engine as _;
    let ws = Workspace::new(tf);
    ws.write("root.cer", root_pem());
    ws.config(&profile("Contoso Root CA"));
    ws.init();
    let twin = serde_json::json!({
        "@odata.type": "#microsoft.graph.iosTrustedRootCertificate",
        "displayName": "Contoso Root CA",
        "trustedRootCertificate": base64::engine::general_purpose::STANDARD.encode(root_pem()),
    });
    let minute_ago = time::OffsetDateTime::now_utc() - Duration::from_secs(60);
    let older = ws.sim.insert_object_at(twin, minute_ago).unwrap();
    ws.sim.inject_on("POST", Fault::LoseResponse { count: 1 });
    ws.apply();
    let id = ws
        .state_attr("intune_trusted_certificate.root", "id")
        .expect("tracked");
    assert_ne!(id, older, "the portal's profile was not adopted");
    assert_eq!(ws.sim.objects().len(), 2);
    assert_eq!(graph_creates(&ws), 1);
    ws.expect_no_changes();
    ws.destroy();
    assert_eq!(
        ws.sim.objects().len(),
        1,
        "destroy removed only this configuration's profile"
    );
    assert!(ws.sim.object(&older).is_some());
}

#[test]
fn a_same_named_profile_made_a_minute_earlier_is_never_adopted() {
    for tf in terraforms() {
        older_twin_is_not_adopted(&tf);
    }
}
