//! Conversions between the framework's types and the generated protocol
//! messages: schemas, diagnostics, attribute paths and dynamic values.

use super::tfplugin5 as pb;
use crate::framework::{
    Block, Diagnostic, Diagnostics, Function, FunctionError, Mode, NestedBlock, Nesting, Schema,
    Severity,
};
use crate::value::{self, AttributePath, PathStep, Type, Value};

pub fn schema(s: &Schema) -> pb::Schema {
    pb::Schema {
        version: s.version,
        block: Some(block(&s.block, s.version)),
    }
}

fn block(b: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: b
            .attributes
            .iter()
            .map(|a| pb::schema::Attribute {
                name: a.name.clone(),
                r#type: a.ty.to_json_bytes(),
                description: a.description.clone(),
                required: a.mode == Mode::Required,
                optional: matches!(a.mode, Mode::Optional | Mode::OptionalComputed),
                computed: a.mode.is_computed(),
                sensitive: a.sensitive,
                description_kind: pb::StringKind::Markdown as i32,
                deprecated: false,
                write_only: false,
            })
            .collect(),
        block_types: b.blocks.iter().map(nested_block).collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: false,
    }
}

/// A function's signature as `GetSchema` and `GetFunctions` announce it:
/// types as cty JSON bytes, like attribute types; nothing null or unknown
/// is allowed, so terraform only calls with known values.
pub fn function(f: &dyn Function) -> pb::Function {
    pb::Function {
        parameters: f
            .parameters()
            .iter()
            .map(|p| pb::function::Parameter {
                name: p.name.to_string(),
                r#type: p.ty.to_json_bytes(),
                allow_null_value: false,
                allow_unknown_values: false,
                description: p.description.to_string(),
                description_kind: pb::StringKind::Markdown as i32,
            })
            .collect(),
        variadic_parameter: None,
        r#return: Some(pb::function::Return {
            r#type: f.return_type().to_json_bytes(),
        }),
        summary: f.summary().to_string(),
        description: f.description().to_string(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecation_message: String::new(),
    }
}

pub fn function_error(e: FunctionError) -> pb::FunctionError {
    pb::FunctionError {
        text: e.message,
        function_argument: e.argument.and_then(|i| i64::try_from(i).ok()),
    }
}

fn nested_block(nb: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    let nesting = match nb.nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::List => NestingMode::List,
        Nesting::Set => NestingMode::Set,
    };
    pb::schema::NestedBlock {
        type_name: nb.name.clone(),
        block: Some(block(&nb.block, 0)),
        nesting: nesting as i32,
        min_items: nb.min_items,
        max_items: nb.max_items,
    }
}

pub fn diagnostics(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags.into_iter().map(diagnostic).collect()
}

pub fn diagnostic(d: Diagnostic) -> pb::Diagnostic {
    let severity = match d.severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    };
    pb::Diagnostic {
        severity: severity as i32,
        summary: d.summary,
        detail: d.detail,
        attribute: d.path.as_ref().map(path),
    }
}

pub fn path(p: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: p
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attribute(n) => Selector::AttributeName(n.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

/// Decodes a dynamic value; an absent or empty message is null.
pub fn decode(dv: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, Diagnostic> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    if !dv.msgpack.is_empty() {
        return value::msgpack::decode(&dv.msgpack, ty).map_err(Diagnostic::from);
    }
    if !dv.json.is_empty() {
        return value::json::decode(&dv.json, ty).map_err(Diagnostic::from);
    }
    Ok(Value::Null)
}

/// Encodes a value as msgpack, the encoding terraform expects back.
pub fn encode(v: &Value, ty: &Type) -> Result<pb::DynamicValue, Diagnostic> {
    let msgpack = value::msgpack::encode(v, ty).map_err(|e| {
        Diagnostic::error(
            "Provider produced a value it cannot encode",
            format!("{e}. This is a bug in the provider; please report it."),
        )
    })?;
    Ok(pb::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
}
