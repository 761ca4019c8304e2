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
    let name = kind.resource_type();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "---\npage_title: \"{name} Resource - intune\"\nsubcategory: \"\"\ndescription: |-\n  {}\n---\n",
        first_line(&page.schema.block.description)
    );
    let _ = writeln!(
        out,
        "# {name} (Resource)\n\n{}\n",
        page.schema.block.description
    );
    if !page.notes.is_empty() {
        let _ = writeln!(out, "{}\n", page.notes.trim());
    }
    let _ = writeln!(
        out,
        "## Platforms\n\n`platform` selects the Graph type:\n\n| `platform` | Graph type (`@odata.type`) |\n|---|---|"
    );
    for row in platform::PROFILE_TYPES.iter().filter(|r| r.kind == kind) {
        let _ = writeln!(
            out,
            "| `{}` | `#microsoft.graph.{}` |",
            row.platform.keyword(),
            row.graph_type
        );
    }
    let _ = writeln!(
        out,
        "\n## Example Usage\n\n```terraform\n{}\n```\n",
        page.example.trim_end()
    );
    write_schema(&mut out, &page.schema.block);
    let defaults: Vec<String> = [
        Operation::Create,
        Operation::Read,
        Operation::Update,
        Operation::Delete,
    ]
    .into_iter()
    .map(|op| format!("`{}` {}", op.name(), format_duration(page.timeouts.get(op))))
    .collect();
    let _ = writeln!(
        out,
        "## Timeouts\n\nThe `timeouts` block bounds each operation, retries on throttling and Graph's \
         replication delay included. Defaults: {}.\n",
        defaults.join(", ")
    );
    let _ = writeln!(
        out,
        "## Import\n\nImport is supported using the following syntax:\n\n```shell\n{}\n```",
        page.import.trim_end()
    );
    out
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
    use crate::value::Type;
    fn name(t: &Type) -> String {
        match t {
            Type::String => "String".into(),
            Type::Number => "Number".into(),
            Type::Bool => "Boolean".into(),
            Type::Dynamic => "Dynamic".into(),
            Type::List(e) => format!("List of {}", name(e)),
            Type::Set(e) => format!("Set of {}", name(e)),
            Type::Map(e) => format!("Map of {}", name(e)),
            Type::Object(_) => "Object".into(),
            Type::Tuple(_) => "Tuple".into(),
        }
    }
    name(&a.ty)
}
