//! The documentation pages under `docs/resources/` are generated from the
//! schema the binary serves; this test fails when they drift. Run with
//! `UPDATE_DOCS=1` to rewrite them.

use std::path::Path;

use intune::framework::Resource;
use intune::resources::docs::{ResourcePage, resource_page};
use intune::resources::profile::ProfileResource;
use intune::resources::provider_config::IntuneProvider;

fn check(path: &str, expected: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&file, expected).unwrap();
        return;
    }
    let actual = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        actual == expected,
        "{path} is out of date with the schema the provider serves; run `UPDATE_DOCS=1 cargo test --test docs` and commit the result"
    );
}

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn resource_pages_match_the_served_schema() {
    let provider = intune::resources::provider(IntuneProvider::default());
    for spec in intune::resources::PROFILE_KINDS {
        let resource = ProfileResource::new(spec);
        let type_name = resource.type_name().to_string();
        let schema = provider.resource_schema(&type_name).expect("registered");
        let example = read(&format!("examples/resources/{type_name}/resource.tf"));
        let import = read(&format!("examples/resources/{type_name}/import.sh"));
        let page = resource_page(&ResourcePage {
            kind: spec.kind,
            schema,
            example: &example,
            import: &import,
            notes: spec.notes,
            timeouts: resource.timeouts(),
        });
        check(&format!("docs/resources/{}.md", spec.kind.keyword()), &page);
    }
}

#[test]
fn provider_page_documents_every_setting() {
    let provider = intune::resources::provider(IntuneProvider::default());
    let index = read("docs/index.md");
    for attr in &provider.provider_schema().block.attributes {
        assert!(
            index.contains(&format!("`{}`", attr.name)),
            "docs/index.md does not document `{}`",
            attr.name
        );
    }
}
