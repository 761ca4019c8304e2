//! Registry-layout documentation pages generated from the schema the
//! provider serves, so the argument lists cannot drift from the code. The
//! `docs` test compares these pages with `docs/` (and rewrites them with
//! `UPDATE_DOCS=1`).

use std::fmt::Write as _;

use super::platform::{self, ProfileKind};
use crate::framework::timeouts::format_duration;
use crate::framework::{Attribute, Block, Mode, Nesting, Operation, Schema, Timeouts};

/// Hand-written parts of a resource page.
pub struct ResourcePage<'a> {
    pub kind: ProfileKind,
    pub schema: &'a Schema,
    /// `examples/resources/<type>/resource.tf`.
    pub example: &'a str,
    /// `examples/resources/<type>/import.sh`.
    pub import: &'a str,
    /// Extra prose after the description (behaviour notes).
    pub notes: &'a str,
    pub timeouts: Timeouts,
}

pub fn resource_page(page: &ResourcePage<'_>) -> String {
    let kind = page.kind;
    let mut platforms = String::from(
        "## Platforms\n\n`platform` selects the Graph type:\n\n| `platform` | Graph type (`@odata.type`) |\n|---|---|\n",
    );
    for row in platform::PROFILE_TYPES.iter().filter(|r| r.kind == kind) {
        let _ = writeln!(
            platforms,
            "| `{}` | `#microsoft.graph.{}` |",
            row.platform.keyword(),
            row.graph_type
        );
    }
    page_text(&Page {
        type_name: &kind.resource_type(),
        is_data_source: false,
        schema: page.schema,
        notes: page.notes,
        extra_section: &platforms,
        example: page.example,
        object_fields: &[],
        timeouts: Some(page.timeouts),
        import: Some(page.import),
    })
}

/// Any registry page: a resource's or a data source's. Sections come in
/// the registry's order: description (with notes and any extra section),
/// example, schema (arguments, then attributes), timeouts, import.
pub struct Page<'a> {
    pub type_name: &'a str,
    pub is_data_source: bool,
    pub schema: &'a Schema,
    /// Behaviour notes after the description (Markdown).
    pub notes: &'a str,
    /// A section of its own before the example (Markdown, may be empty).
    pub extra_section: &'a str,
    /// `examples/<resources|data-sources>/<type>/<resource|data-source>.tf`.
    pub example: &'a str,
    /// Descriptions of the attributes of objects inside list or set
    /// attributes (such as `profiles`), which the schema cannot carry.
    pub object_fields: &'a [(&'a str, &'a str)],
    /// Defaults of the `timeouts` block; data sources have none.
    pub timeouts: Option<Timeouts>,
    /// `import.sh`; `None` for data sources.
    pub import: Option<&'a str>,
}

pub fn page_text(page: &Page<'_>) -> String {
    let name = page.type_name;
    let label = if page.is_data_source {
        "Data Source"
    } else {
        "Resource"
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "---\npage_title: \"{name} {label} - intune\"\nsubcategory: \"\"\ndescription: |-\n  {}\n---\n",
        first_line(&page.schema.block.description)
    );
    let _ = writeln!(
        out,
        "# {name} ({label})\n\n{}\n",
        page.schema.block.description
    );
    if !page.notes.is_empty() {
        let _ = writeln!(out, "{}\n", page.notes.trim());
    }
    if !page.extra_section.is_empty() {
        let _ = writeln!(out, "{}", page.extra_section);
    }
    let _ = writeln!(
        out,
        "## Example Usage\n\n```terraform\n{}\n```\n",
        page.example.trim_end()
    );
    write_schema(&mut out, &page.schema.block);
    write_object_attributes(&mut out, &page.schema.block, page.object_fields);
    if let Some(timeouts) = page.timeouts {
        let defaults: Vec<String> = [
            Operation::Create,
            Operation::Read,
            Operation::Update,
            Operation::Delete,
        ]
        .into_iter()
        .map(|op| format!("`{}` {}", op.name(), format_duration(timeouts.get(op))))
        .collect();
        let _ = writeln!(
            out,
            "## Timeouts\n\nThe `timeouts` block bounds each operation, retries on throttling and Graph's \
             replication delay included. Defaults: {}.\n",
            defaults.join(", ")
        );
    }
    if let Some(import) = page.import {
        let _ = writeln!(
            out,
            "## Import\n\nImport is supported using the following syntax:\n\n```shell\n{}\n```",
            import.trim_end()
        );
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Nested sections for attributes holding objects (lists or sets of them).
fn write_object_attributes(out: &mut String, block: &Block, fields: &[(&str, &str)]) {
    use crate::value::Type;
    for a in &block.attributes {
        let (Type::List(element) | Type::Set(element)) = &a.ty else {
            continue;
        };
        let Type::Object(attrs) = element.as_ref() else {
            continue;
        };
        let _ = writeln!(
            out,
            "<a id=\"nestedatt--{}\"></a>\n### Nested Schema for `{}`\n\nRead-Only:\n",
            a.name, a.name
        );
        // In the documented order, then any the table does not name.
        let mut names: Vec<&str> = fields
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| attrs.contains_key(*n))
            .collect();
        names.extend(
            attrs
                .keys()
                .map(String::as_str)
                .filter(|k| !fields.iter().any(|(n, _)| n == k)),
        );
        for n in names {
            let description = fields
                .iter()
                .find(|(f, _)| *f == n)
                .map(|(_, d)| *d)
                .unwrap_or_default();
            let ty = attrs.get(n).map(type_text).unwrap_or_default();
            let _ = writeln!(out, "- `{n}` ({ty}) {description}");
        }
        out.push('\n');
    }
}

fn first_line(s: &str) -> &str {
    s.split(". ").next().unwrap_or(s).trim_end_matches('.')
}

fn write_schema(out: &mut String, block: &Block) {
    let _ = writeln!(out, "## Schema\n");
    type Pick = fn(&Attribute) -> bool;
    let groups: [(&str, Pick); 3] = [
        ("Required", |a| a.mode == Mode::Required),
        ("Optional", |a| {
            matches!(a.mode, Mode::Optional | Mode::OptionalComputed)
        }),
        ("Read-Only", |a| a.mode == Mode::Computed),
    ];
    for (title, pick) in groups {
        let attrs: Vec<&Attribute> = block.attributes.iter().filter(|a| pick(a)).collect();
        let blocks: Vec<_> = if title == "Optional" {
            block.blocks.iter().collect()
        } else {
            Vec::new()
        };
        if attrs.is_empty() && blocks.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {title}\n");
        for a in attrs {
            let _ = writeln!(
                out,
                "- `{}` ({}{}) {}",
                a.name,
                type_name(a),
                if a.sensitive { ", Sensitive" } else { "" },
                a.description
            );
        }
        for b in blocks {
            let shape = match b.nesting {
                Nesting::Single => "Block, at most one",
                Nesting::List => "Block List",
                Nesting::Set => "Block Set",
            };
            let _ = writeln!(
                out,
                "- `{}` ({shape}) {} (see [below for nested schema](#nestedblock--{}))",
                b.name, b.block.description, b.name
            );
        }
        out.push('\n');
    }
    for b in &block.blocks {
        let _ = writeln!(
            out,
            "<a id=\"nestedblock--{}\"></a>\n### Nested Schema for `{}`\n",
            b.name, b.name
        );
        for a in &b.block.attributes {
            let req = match a.mode {
                Mode::Required => "Required",
                Mode::Computed => "Read-Only",
                _ => "Optional",
            };
            let _ = writeln!(
                out,
                "- `{}` ({req}, {}) {}",
                a.name,
                type_name(a),
                a.description
            );
        }
        out.push('\n');
    }
}

fn type_name(a: &Attribute) -> String {
    type_text(&a.ty)
}

fn type_text(t: &crate::value::Type) -> String {
    use crate::value::Type;
    match t {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(e) => format!("List of {}", type_text(e)),
        Type::Set(e) => format!("Set of {}", type_text(e)),
        Type::Map(e) => format!("Map of {}", type_text(e)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}
