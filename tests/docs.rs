//! The documentation pages under `docs/resources/` and `docs/data-sources/`
//! are generated from the schema the binary serves; this test fails when
//! they drift. Run with `UPDATE_DOCS=1` to rewrite them. The pages under
//! `docs/functions/` are written by hand and checked against the served
//! signatures.

use std::path::Path;

use intune::framework::Resource;
use intune::resources::assignment::AssignmentResource;
use intune::resources::data_sources::PROFILE_FIELDS;
use intune::resources::docs::{Page, ResourcePage, page_text, resource_page};
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
fn assignment_page_matches_the_served_schema() {
    let provider = intune::resources::provider(IntuneProvider::default());
    let resource = AssignmentResource::new();
    let type_name = resource.type_name();
    let example = read(&format!("examples/resources/{type_name}/resource.tf"));
    let import = read(&format!("examples/resources/{type_name}/import.sh"));
    let page = page_text(&Page {
        type_name,
        is_data_source: false,
        schema: provider.resource_schema(type_name).expect("registered"),
        notes: resource.notes(),
        extra_section: "",
        example: &example,
        object_fields: &[],
        timeouts: Some(resource.timeouts()),
        import: Some(&import),
    });
    check("docs/resources/certificate_profile_assignment.md", &page);
}

#[test]
fn data_source_pages_match_the_served_schema() {
    let provider = intune::resources::provider(IntuneProvider::default());
    let mut seen = 0;
    for (type_name, schema) in provider.data_source_schemas() {
        let example = read(&format!("examples/data-sources/{type_name}/data-source.tf"));
        let page = page_text(&Page {
            type_name,
            is_data_source: true,
            schema,
            notes: "",
            extra_section: "",
            example: &example,
            object_fields: PROFILE_FIELDS,
            timeouts: None,
            import: None,
        });
        let short = type_name.trim_start_matches("intune_");
        check(&format!("docs/data-sources/{short}.md"), &page);
        seen += 1;
    }
    assert_eq!(seen, 2, "both data sources have pages");
}

#[test]
fn every_resource_has_a_page() {
    let provider = intune::resources::provider(IntuneProvider::default());
    for (type_name, _) in provider.resource_schemas() {
        let short = type_name.trim_start_matches("intune_");
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("docs/resources/{short}.md"))
                .is_file(),
            "{type_name} has no page under docs/resources/"
        );
    }
}

#[test]
fn index_introduces_every_resource_and_data_source() {
    let provider = intune::resources::provider(IntuneProvider::default());
    let index = read("docs/index.md");
    let names = provider
        .resource_schemas()
        .chain(provider.data_source_schemas())
        .map(|(name, _)| name);
    for name in names {
        assert!(
            index.contains(&format!("`{name}`")),
            "docs/index.md does not mention `{name}`"
        );
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

/// The cty type as the docs write it: `String`, `Bool`, `Number`.
fn type_word(ty: &intune::value::Type) -> &'static str {
    use intune::value::Type;
    match ty {
        Type::String => "String",
        Type::Bool => "Bool",
        Type::Number => "Number",
        other => panic!("no docs word for {other:?}"),
    }
}

/// Each provider function has a page under `docs/functions/` that shows its
/// example file, names every parameter with its type and description and
/// every attribute of the object it returns, and `docs/index.md` names it.
#[test]
fn function_pages_match_the_served_signatures() {
    use intune::resources::functions::RESULT_FIELDS;
    let provider = intune::resources::provider(IntuneProvider::default());
    let index = read("docs/index.md");
    let mut seen = 0;
    for (name, function) in provider.functions() {
        let page = read(&format!("docs/functions/{name}.md"));
        let example = read(&format!("examples/functions/{name}/function.tf"));
        assert!(
            page.contains(&format!("```terraform\n{example}```")),
            "docs/functions/{name}.md does not show examples/functions/{name}/function.tf"
        );
        assert!(
            page.contains(&format!("# function: {name}\n")),
            "{name}: title"
        );
        assert!(page.contains(function.description()), "{name}: description");
        for (i, p) in function.parameters().iter().enumerate() {
            let line = format!(
                "{}. `{}` ({}) {}",
                i + 1,
                p.name,
                type_word(&p.ty),
                p.description
            );
            assert!(page.contains(&line), "{name}: no argument line `{line}`");
        }
        let intune::value::Type::Object(fields) = function.return_type() else {
            panic!("{name} returns an object");
        };
        for (field, ty) in &fields {
            let prefix = format!("- `{field}` ({}) ", type_word(ty));
            assert!(
                page.contains(&prefix),
                "{name}: return attribute {field} undocumented"
            );
        }
        assert!(
            index.contains(&format!("`provider::intune::{name}`")),
            "docs/index.md does not mention `provider::intune::{name}`"
        );
        seen += 1;
    }
    assert_eq!(seen, 1, "certificate_info is the one function");
    let page = read("docs/functions/certificate_info.md");
    for (field, ty, description) in RESULT_FIELDS {
        let line = format!("- `{field}` ({}) {description}", type_word(&ty));
        assert!(page.contains(&line), "certificate_info: no line `{line}`");
    }
}
