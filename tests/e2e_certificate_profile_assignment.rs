//! End-to-end tests of `intune_certificate_profile_assignment` and the data
//! sources `intune_certificate_profile` / `intune_certificate_profiles` with
//! the real terraform binaries (1.0.3 and the one on PATH) against the Graph
//! simulator: a pipeline-shaped configuration that assigns roots it creates
//! and SCEP/PKCS profiles made "in the portal", drift, reordering, import,
//! a profile deleted outside, destroy, and bad input refused at plan.

mod support;

use intune_graph_sim::{NoFilterEcho, SimConfig, Simulator};
use serde_json::{Value as Json, json};
use support::{Terraform, Workspace, terraforms};

const ALL_STAFF: &str = "0a1b2c3d-0000-4000-8000-000000000001";
const ENGINEERING: &str = "0a1b2c3d-0000-4000-8000-000000000002";
const KIOSKS: &str = "0a1b2c3d-0000-4000-8000-000000000003";
const CONTRACTORS: &str = "0a1b2c3d-0000-4000-8000-000000000004";
const ADDED_IN_PORTAL: &str = "0a1b2c3d-0000-4000-8000-0000000000ff";
const CORPORATE: &str = "0f0f0f0f-0000-4000-8000-000000000001";

fn root_pem() -> String {
    std::fs::read_to_string(support::example("certs/contoso-root-ca.cer")).unwrap()
}

/// SCEP, PKCS and a non-certificate device configuration, as an admin made
/// them in the portal; returns display name → id.
fn seed_portal(sim: &Simulator) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/portal-profiles.json"
    ))
    .unwrap();
    serde_json::from_str::<Vec<Json>>(&text)
        .unwrap()
        .into_iter()
        .map(|body| {
            let name = body["displayName"].as_str().unwrap().to_string();
            (name, sim.insert_object(body).unwrap())
        })
        .collect()
}

fn id_named(portal: &[(String, String)], name: &str) -> String {
    portal
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, id)| id.clone())
        .unwrap_or_else(|| panic!("{name} was not seeded"))
}

/// The pipeline: roots per platform created here, assigned to all devices
/// but kiosks; every SCEP profile in the tenant (found with the list data
/// source) to staff, engineering on corporate devices only, never
/// contractors; the portal's VPN profile (found by name) to all licensed
/// users on corporate devices. `swap` reverses the order of blocks.
fn pipeline(swap: bool) -> String {
    let (first, second) = (
        "  include_group {\n    group_id    = local.groups.engineering\n    filter_id   = local.filters.corporate\n    filter_type = \"include\"\n  }\n"
            .to_string(),
        "  include_group {\n    group_id = local.groups.all_staff\n  }\n".to_string(),
    );
    let includes = if swap {
        format!("{second}{first}")
    } else {
        format!("{first}{second}")
    };
    let exclude = "  exclude_group {\n    group_id = local.groups.contractors\n  }\n";
    let scep_blocks = if swap {
        format!("{exclude}{includes}")
    } else {
        format!("{includes}{exclude}")
    };
    format!(
        r#"
locals {{
  platforms = ["ios", "macos", "windows"]
  groups = {{
    all_staff   = "{ALL_STAFF}"
    engineering = "{ENGINEERING}"
    kiosks      = "{KIOSKS}"
    contractors = "{CONTRACTORS}"
  }}
  filters = {{
    corporate = "{CORPORATE}"
  }}
}}

resource "intune_trusted_certificate" "root" {{
  for_each                 = toset(local.platforms)
  platform                 = each.key
  display_name             = "Contoso Root CA (${{each.key}})"
  trusted_root_certificate = file("root.cer")
  destination_store        = each.key == "windows" ? "computerCertStoreRoot" : null
}}

resource "intune_certificate_profile_assignment" "root" {{
  for_each   = intune_trusted_certificate.root
  profile_id = each.value.id

  all_devices {{}}
  exclude_group {{
    group_id = local.groups.kiosks
  }}
}}

data "intune_certificate_profiles" "scep" {{
  kind = "scep_certificate"
}}

resource "intune_certificate_profile_assignment" "scep" {{
  for_each   = {{ for p in data.intune_certificate_profiles.scep.profiles : p.platform => p.id }}
  profile_id = each.value

{scep_blocks}}}

data "intune_certificate_profile" "vpn" {{
  display_name = "VPN (Windows)"
}}

resource "intune_certificate_profile_assignment" "vpn" {{
  profile_id = data.intune_certificate_profile.vpn.id

  all_licensed_users {{
    filter_id   = local.filters.corporate
    filter_type = "include"
  }}
}}

output "vpn" {{
  value = "${{data.intune_certificate_profile.vpn.kind}} on ${{data.intune_certificate_profile.vpn.platform}}"
}}

output "scep_platforms" {{
  value = sort([for p in data.intune_certificate_profiles.scep.profiles : p.platform])
}}
"#
    )
}

fn assign_posts(sim: &Simulator) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/assign"))
        .count()
}

/// The groups `id` is assigned to (include and exclude), sorted.
fn groups_of(sim: &Simulator, id: &str) -> Vec<String> {
    let mut groups: Vec<String> = sim
        .assignments(id)
        .unwrap_or_default()
        .iter()
        .map(|a| {
            let t = &a["target"];
            let kind = t["@odata.type"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("#microsoft.graph.");
            match t["groupId"].as_str() {
                Some(g) => format!("{kind}:{g}"),
                None => kind.to_string(),
            }
        })
        .collect();
    groups.sort();
    groups
}

/// Adds a group to `id`'s assignments as an admin would in the portal.
fn add_in_portal(sim: &Simulator, id: &str, group: &str) {
    let mut list: Vec<Json> = sim
        .assignments(id)
        .unwrap()
        .into_iter()
        .map(|a| {
            let mut target = a["target"].clone();
            if target["deviceAndAppManagementAssignmentFilterType"] == "none" {
                let t = target.as_object_mut().unwrap();
                t.remove("deviceAndAppManagementAssignmentFilterId");
                t.remove("deviceAndAppManagementAssignmentFilterType");
            }
            json!({ "target": target })
        })
        .collect();
    list.push(json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}}));
    sim.set_assignments(id, Json::Array(list)).unwrap();
}

fn lifecycle(tf: &Terraform) {
    let ws = Workspace::with_simulator(
        tf,
        SimConfig {
            page_size: 2,
            no_filter_echo: NoFilterEcho::ZeroGuid,
            ..SimConfig::default()
        },
    );
    let portal = seed_portal(&ws.sim);
    ws.write("root.cer", root_pem());
    ws.config(&pipeline(false));
    ws.init();
    let run = ws.apply();
    run.expect_output("vpn = \"pkcs_certificate on windows\"");

    // Three roots, three SCEP profiles and the VPN profile: one assign each.
    assert_eq!(assign_posts(&ws.sim), 7);
    let scep_ios = id_named(&portal, "Wi-Fi (iOS)");
    let expected_scep = vec![
        format!("exclusionGroupAssignmentTarget:{CONTRACTORS}"),
        format!("groupAssignmentTarget:{ALL_STAFF}"),
        format!("groupAssignmentTarget:{ENGINEERING}"),
    ];
    for name in ["Wi-Fi (iOS)", "Wi-Fi (macOS)", "Wi-Fi (Windows)"] {
        assert_eq!(
            groups_of(&ws.sim, &id_named(&portal, name)),
            expected_scep,
            "{name}"
        );
    }
    let engineering = ws
        .sim
        .assignments(&scep_ios)
        .unwrap()
        .into_iter()
        .find(|a| a["target"]["groupId"] == ENGINEERING)
        .unwrap();
    assert_eq!(
        engineering["target"]["deviceAndAppManagementAssignmentFilterId"],
        CORPORATE
    );
    let vpn = id_named(&portal, "VPN (Windows)");
    assert_eq!(
        groups_of(&ws.sim, &vpn),
        vec!["allLicensedUsersAssignmentTarget"]
    );
    let root_macos = ws
        .state_attr("intune_trusted_certificate.root[\"macos\"]", "id")
        .unwrap();
    assert_eq!(
        groups_of(&ws.sim, &root_macos),
        vec![
            "allDevicesAssignmentTarget".to_string(),
            format!("exclusionGroupAssignmentTarget:{KIOSKS}")
        ]
    );
    assert!(
        groups_of(&ws.sim, &id_named(&portal, "Legacy PFX import (Windows)")).is_empty(),
        "the list data source never returns other device configurations"
    );

    // Plan right after apply is empty, also with the blocks reordered.
    ws.expect_no_changes();
    ws.config(&pipeline(true));
    ws.expect_no_changes();

    // An assignment added in the portal shows in plan; apply removes it
    // with one assign.
    add_in_portal(&ws.sim, &scep_ios, ADDED_IN_PORTAL);
    ws.plan()
        .expect_code(2)
        .expect_output(ADDED_IN_PORTAL)
        .expect_output("1 to change");
    ws.sim.clear_requests();
    ws.apply();
    assert_eq!(assign_posts(&ws.sim), 1);
    assert_eq!(groups_of(&ws.sim, &scep_ios), expected_scep);
    ws.expect_no_changes();

    // Assignments removed in the portal come back.
    ws.sim.set_assignments(&vpn, json!([])).unwrap();
    ws.plan().expect_code(2).expect_output("all_licensed_users");
    ws.apply();
    assert_eq!(
        groups_of(&ws.sim, &vpn),
        vec!["allLicensedUsersAssignmentTarget"]
    );

    // Import by the profile's id.
    let address = "intune_certificate_profile_assignment.scep[\"ios\"]";
    ws.tf(&["state", "rm", "-no-color", address]).expect_code(0);
    let writes = ws.sim.write_count();
    ws.tf(&["import", "-no-color", "-input=false", address, &scep_ios])
        .expect_code(0);
    assert_eq!(ws.sim.write_count(), writes, "import writes nothing");
    ws.expect_no_changes();

    // A profile deleted outside: its assignments leave state quietly, and
    // both are planned anew.
    assert!(ws.sim.delete_object(&root_macos));
    ws.plan()
        .expect_code(2)
        .expect_output("intune_certificate_profile_assignment.root[\"macos\"] will be created");
    ws.apply();
    let new_root = ws
        .state_attr("intune_trusted_certificate.root[\"macos\"]", "id")
        .unwrap();
    assert_eq!(groups_of(&ws.sim, &new_root).len(), 2);
    ws.expect_no_changes();

    // Assignments are never read through $expand.
    for r in ws.sim.requests() {
        assert!(r.query_param("$expand").is_none(), "{r:?}");
    }

    // Destroy clears every assignment; the portal's profiles stay.
    ws.destroy();
    for (name, id) in &portal {
        assert!(ws.sim.object(id).is_some(), "{name} was deleted");
        assert!(groups_of(&ws.sim, id).is_empty(), "{name} kept assignments");
    }
    assert_eq!(ws.sim.objects().len(), portal.len(), "the roots are gone");
}

#[test]
fn pipeline_assigns_plans_clean_survives_drift_imports_and_destroys() {
    for tf in terraforms() {
        lifecycle(&tf);
    }
}

/// Bad input fails at plan, naming the attribute, before any Graph write.
fn bad_input(tf: &Terraform) {
    let ws = Workspace::new(tf);
    let portal = seed_portal(&ws.sim);
    for t in ["iosTrustedRootCertificate", "macOSTrustedRootCertificate"] {
        let b64: String = root_pem()
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        ws.sim
            .insert_object(json!({"@odata.type": format!("#microsoft.graph.{t}"), "displayName": "Contoso Root", "trustedRootCertificate": b64}))
            .unwrap();
    }
    let scep = id_named(&portal, "Wi-Fi (iOS)");
    let pfx = id_named(&portal, "Legacy PFX import (Windows)");
    ws.config("");
    ws.init();
    let resource = |profile: &str, body: &str| {
        format!(
            "resource \"intune_certificate_profile_assignment\" \"bad\" {{\n  profile_id = \"{profile}\"\n{body}\n}}\n"
        )
    };
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            resource(&scep, "  include_group {\n    group_id = \"engineering\"\n  }"),
            vec!["Invalid GUID for group_id", "\"engineering\""],
        ),
        (
            resource(
                &scep,
                &format!("  include_group {{\n    group_id  = \"{ENGINEERING}\"\n    filter_id = \"{CORPORATE}\"\n  }}"),
            ),
            vec!["Missing filter_type", ENGINEERING],
        ),
        (
            resource(&scep, "  all_devices {\n    filter_type = \"include\"\n  }"),
            vec!["Missing filter_id", "all_devices sets filter_type"],
        ),
        (
            resource(
                &scep,
                &format!("  include_group {{\n    group_id = \"{KIOSKS}\"\n  }}\n  exclude_group {{\n    group_id = \"{}\"\n  }}", KIOSKS.to_uppercase()),
            ),
            vec!["Group both included and excluded", KIOSKS],
        ),
        (
            resource(
                &scep,
                &format!("  include_group {{\n    group_id = \"{KIOSKS}\"\n  }}\n  include_group {{\n    group_id    = \"{KIOSKS}\"\n    filter_id   = \"{CORPORATE}\"\n    filter_type = \"exclude\"\n  }}"),
            ),
            vec!["Duplicate group"],
        ),
        (
            resource(
                &scep,
                &format!("  exclude_group {{\n    group_id  = \"{KIOSKS}\"\n    filter_id = \"{CORPORATE}\"\n  }}"),
            ),
            vec!["Unsupported argument", "filter_id"],
        ),
        (
            resource(
                &scep,
                &format!("  all_licensed_users {{\n    filter_id   = \"{CORPORATE}\"\n    filter_type = \"only\"\n  }}"),
            ),
            vec!["Invalid value for filter_type", "\"include\", \"exclude\""],
        ),
        (
            resource(&scep, "  all_devices {}\n  all_devices {}"),
            vec!["all_devices"],
        ),
        (
            resource("not-a-profile-id", "  all_devices {}"),
            vec!["Invalid GUID for profile_id"],
        ),
        (
            "data \"intune_certificate_profile\" \"root\" {\n  display_name = \"Contoso Root\"\n}\n".to_string(),
            vec!["Several certificate profiles match", "platform \"ios\"", "platform \"macos\""],
        ),
        (
            "data \"intune_certificate_profile\" \"wifi\" {\n  display_name = \"Wi-Fi (Android)\"\n}\n".to_string(),
            vec!["Certificate profile not found", "Wi-Fi (Android)"],
        ),
        (
            "data \"intune_certificate_profiles\" \"none\" {\n  kind     = \"pkcs_certificate\"\n  platform = \"windows_phone_81\"\n}\n".to_string(),
            vec!["No PKCS certificate profiles on platform \"windows_phone_81\""],
        ),
    ];
    ws.expect_refused_at_plan(&cases);
    // Profiles are other objects in Graph: a problem with one is a warning
    // at plan (so it never blocks `terraform destroy`) and an error at
    // apply, before anything is assigned.
    let warned = [
        (
            resource(&pfx, "  all_devices {}"),
            vec![
                "Warning: Not a certificate profile",
                "windows10PFXImportCertificateProfile",
            ],
        ),
        (
            resource("4b1b9a4e-5b6f-4c1d-9a51-000000000000", "  all_devices {}"),
            vec![
                "Warning: Certificate profile not found",
                "checks again before it assigns",
            ],
        ),
    ];
    for (config, expected) in warned {
        ws.config(&config);
        let run = ws.tf(&["plan", "-no-color", "-input=false"]);
        run.expect_code(0);
        for needle in expected {
            run.expect_output(needle);
        }
    }
    ws.config(&resource(&pfx, "  all_devices {}"));
    ws.tf(&["apply", "-no-color", "-input=false", "-auto-approve"])
        .expect_code(1)
        .expect_output("Error: Not a certificate profile");
    assert_eq!(
        ws.sim.write_count(),
        0,
        "no write may reach Graph for invalid input"
    );
}

#[test]
fn invalid_configuration_fails_at_plan_without_writes() {
    for tf in terraforms() {
        bad_input(&tf);
    }
}

/// The whole chain managed by terraform in one apply: roots, SCEP profiles
/// linked to them, and both assigned (the profiles' ids are known only
/// after apply, so the assignments' checks run at apply).
fn managed_chain(tf: &Terraform) {
    let ws = Workspace::new(tf);
    ws.write("root.cer", root_pem());
    ws.config(&format!(
        r#"
locals {{
  platforms = ["ios", "android_device_owner", "windows"]
}}

resource "intune_trusted_certificate" "root" {{
  for_each                 = toset(local.platforms)
  platform                 = each.key
  display_name             = "Contoso Root CA (${{each.key}})"
  trusted_root_certificate = file("root.cer")
  destination_store        = each.key == "windows" ? "computerCertStoreRoot" : null
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
  hash_algorithm                    = each.key == "ios" ? null : ["sha2"]
  key_storage_provider              = each.key == "windows" ? "useTpmKspOtherwiseUseSoftwareKsp" : null
  subject_name_format               = "commonName"
  subject_alternative_name_type     = ["userPrincipalName"]
}}

# Devices must trust the root wherever they get the SCEP certificate, so
# both go to the same groups.
resource "intune_certificate_profile_assignment" "root" {{
  for_each   = intune_trusted_certificate.root
  profile_id = each.value.id
  include_group {{
    group_id = "{ALL_STAFF}"
  }}
}}

resource "intune_certificate_profile_assignment" "wifi" {{
  for_each   = intune_scep_certificate.wifi
  profile_id = each.value.id
  include_group {{
    group_id    = "{ALL_STAFF}"
    filter_id   = "{CORPORATE}"
    filter_type = "include"
  }}
  exclude_group {{
    group_id = "{CONTRACTORS}"
  }}
}}
"#
    ));
    ws.init();
    ws.apply();
    for p in ["ios", "android_device_owner", "windows"] {
        let scep = ws
            .state_attr(&format!("intune_scep_certificate.wifi[\"{p}\"]"), "id")
            .unwrap();
        let root = ws
            .state_attr(&format!("intune_trusted_certificate.root[\"{p}\"]"), "id")
            .unwrap();
        assert_eq!(ws.sim.root_link(&scep).as_deref(), Some(root.as_str()));
        assert_eq!(
            groups_of(&ws.sim, &scep),
            vec![
                format!("exclusionGroupAssignmentTarget:{CONTRACTORS}"),
                format!("groupAssignmentTarget:{ALL_STAFF}")
            ]
        );
        assert_eq!(
            groups_of(&ws.sim, &root),
            vec![format!("groupAssignmentTarget:{ALL_STAFF}")]
        );
    }
    ws.expect_no_changes();
    ws.destroy();
    assert!(ws.sim.objects().is_empty());
}

#[test]
fn roots_scep_profiles_and_their_assignments_in_one_apply() {
    for tf in terraforms() {
        managed_chain(&tf);
    }
}
