//! Walks a configuration against its block schema and runs every
//! attribute's validators, collecting all problems with their paths.

use super::Diagnostics;
use super::schema::{Block, Nesting};
use crate::value::{AttributePath, Value};

pub fn validate_block(block: &Block, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if !value.is_known_non_null() {
        return;
    }
    for attr in &block.attributes {
        let v = value.get(&attr.name);
        let p = path.attribute(&attr.name);
        for validator in &attr.validators {
            validator.check(v, &p, &attr.name, diags);
        }
    }
    for nested in &block.blocks {
        let v = value.get(&nested.name);
        let p = path.attribute(&nested.name);
        match nested.nesting {
            Nesting::Single => validate_block(&nested.block, v, &p, diags),
            Nesting::List | Nesting::Set => {
                let items = v.as_elements().unwrap_or_default();
                if nested.max_items > 0 && items.len() as i64 > nested.max_items {
                    diags.error_at(
                        p.clone(),
                        format!("Too many {} blocks", nested.name),
                        format!(
                            "At most {} {} blocks are allowed.",
                            nested.max_items, nested.name
                        ),
                    );
                }
                for (i, item) in items.iter().enumerate() {
                    // Set elements have no address; point at the block.
                    let item_path = match nested.nesting {
                        Nesting::List => p.index(i as i64),
                        _ => p.clone(),
                    };
                    validate_block(&nested.block, item, &item_path, diags);
                }
            }
        }
    }
}
