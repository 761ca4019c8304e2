//! Every example under `examples/resources/` and `examples/data-sources/`
//! is applied with real terraform against the simulator, planned clean and
//! destroyed, so the examples in the docs cannot rot. Data-source examples
//! look up profiles an admin made in the portal: the simulator is seeded
//! with `tests/fixtures/portal-profiles.json` first, and those profiles
//! must survive every destroy with no assignments left.

mod support;

use serde_json::Value as Json;
use support::{Workspace, copy_tree, example, terraforms};

fn dirs(kind: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(example(kind))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn portal_profiles() -> Vec<Json> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/portal-profiles.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_example_applies_plans_clean_and_destroys() {
    let examples: Vec<(&str, String)> = ["resources", "data-sources"]
        .into_iter()
        .flat_map(|kind| dirs(kind).into_iter().map(move |name| (kind, name)))
        .collect();
    assert!(examples.iter().any(|(k, _)| *k == "resources"));
    assert!(examples.iter().any(|(k, _)| *k == "data-sources"));
    for tf in terraforms() {
        let ws = Workspace::new(&tf);
        let seeded: Vec<String> = portal_profiles()
            .into_iter()
            .map(|body| ws.sim.insert_object(body).unwrap())
            .collect();
        copy_tree(&example("certs"), &ws.work().join("certs"));
        for (kind, name) in &examples {
            let dir = ws.work().join(kind).join(name);
            copy_tree(&example(&format!("{kind}/{name}")), &dir);
            std::fs::copy(example("provider/provider.tf"), dir.join("provider.tf")).unwrap();
            ws.tf_in(&dir, &["init", "-no-color", "-input=false"])
                .expect_code(0);
            let writes = ws.sim.write_count();
            ws.tf_in(
                &dir,
                &["apply", "-no-color", "-input=false", "-auto-approve"],
            )
            .expect_code(0);
            assert!(ws.sim.write_count() > writes, "{kind}/{name} wrote nothing");
            ws.tf_in(
                &dir,
                &["plan", "-no-color", "-input=false", "-detailed-exitcode"],
            )
            .expect_code(0);
            ws.tf_in(
                &dir,
                &["destroy", "-no-color", "-input=false", "-auto-approve"],
            )
            .expect_code(0);
            let left: Vec<String> = ws
                .sim
                .objects()
                .iter()
                .filter_map(|o| o["id"].as_str().map(str::to_owned))
                .collect();
            assert_eq!(left, seeded, "{kind}/{name} left objects behind");
            for id in &seeded {
                assert_eq!(
                    ws.sim.assignments(id),
                    Some(Vec::new()),
                    "{kind}/{name} left assignments on {id}"
                );
            }
        }
    }
}

/// The `terraform` blocks of each guide under `docs/guides/`, together,
/// form a configuration that applies, plans clean and destroys: the guides'
/// code cannot rot either.
#[test]
fn every_guide_applies_plans_clean_and_destroys() {
    let guides = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/guides");
    let mut pages: Vec<_> = std::fs::read_dir(&guides)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    assert!(!pages.is_empty());
    for tf in terraforms() {
        for page in &pages {
            let text = std::fs::read_to_string(page).unwrap();
            let code: Vec<&str> = text
                .split("```terraform\n")
                .skip(1)
                .filter_map(|block| block.split("\n```").next())
                .collect();
            assert!(!code.is_empty(), "{} has no terraform code", page.display());
            let ws = Workspace::new(&tf);
            std::fs::copy(
                example("certs/contoso-root-ca.cer"),
                ws.work().join("contoso-root-ca.cer"),
            )
            .unwrap();
            ws.config(&code.join("\n\n"));
            ws.init();
            ws.apply();
            assert!(
                !ws.sim.objects().is_empty(),
                "{} created nothing",
                page.display()
            );
            ws.expect_no_changes();
            ws.destroy();
            assert!(
                ws.sim.objects().is_empty(),
                "{} left objects behind",
                page.display()
            );
        }
    }
}
