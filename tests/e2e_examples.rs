//! Every example under `examples/resources/` is applied with real
//! terraform against the simulator, planned clean and destroyed, so the
//! examples in the docs cannot rot.

mod support;

use support::{Workspace, copy_tree, example, terraforms};

#[test]
fn every_example_applies_plans_clean_and_destroys() {
    let mut names: Vec<String> = std::fs::read_dir(example("resources"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for tf in terraforms() {
        let ws = Workspace::new(&tf);
        copy_tree(&example("certs"), &ws.work().join("certs"));
        for name in &names {
            let dir = ws.work().join("resources").join(name);
            copy_tree(&example(&format!("resources/{name}")), &dir);
            std::fs::copy(example("provider/provider.tf"), dir.join("provider.tf")).unwrap();
            ws.tf_in(&dir, &["init", "-no-color", "-input=false"])
                .expect_code(0);
            ws.tf_in(
                &dir,
                &["apply", "-no-color", "-input=false", "-auto-approve"],
            )
            .expect_code(0);
            assert!(!ws.sim.objects().is_empty(), "{name} created nothing");
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
            assert!(ws.sim.objects().is_empty(), "{name} left objects behind");
        }
    }
}
