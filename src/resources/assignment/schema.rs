//! The schema of `intune_certificate_profile_assignment` and the text of
//! its documentation page: `profile_id` and one block per [`TargetKind`],
//! each block's attributes following what that kind of target takes.

use super::target::TargetKind;
use crate::framework::{Attribute, Block, Mode, NestedBlock, PlanRule, Schema, Validator};
use crate::value::Type;

pub(super) const DESCRIPTION: &str = "Assigns a certificate profile (trusted certificate, SCEP, PKCS or \
    imported PKCS, any platform) to groups of users or devices. The resource owns the profile's \
    whole assignment set: assignments made outside Terraform show as drift and are removed by the \
    next apply.";

pub(super) const NOTES: &str = "\
Graph's `assign` action replaces a profile's whole assignment set, so each profile has at most one \
`intune_certificate_profile_assignment`: apply sends the configured set in one `POST .../assign` \
(none when nothing changed), destroy assigns the empty set, and refresh reads \
`GET .../assignments`, showing assignments added or removed outside Terraform as drift. Blocks are \
sets: their order is never a change.

An assignment filter needs both `filter_id` and `filter_type`. Graph reports \"no filter\" as a \
null, empty or all-zero filter id with type `none`; all of these read as no filter. Exclusions take \
no filter (Graph refuses one).

Checked at plan time, before anything is written: group and filter ids are GUIDs, a group is not \
both included and excluded, no group appears twice, `filter_id` and `filter_type` come together, \
and the profile exists and is a certificate profile (when its id is known at plan time; otherwise \
the check runs at apply, before the `assign`).

A SCEP or PKCS profile only works on devices that also trust its root: assign the platform's \
`intune_trusted_certificate` to the same groups.

If the profile is deleted outside Terraform, this resource leaves the state on the next refresh. \
Graph targets this resource cannot express (Configuration Manager collections) are reported as a \
warning and removed by the next apply that changes the set.";

pub(super) fn kind_block(kind: TargetKind) -> Block {
    let mut block = Block::new().description(kind.description());
    if kind.has_group() {
        block = block.attribute(
            Attribute::new("group_id", Type::String, Mode::Required)
                .description("Object id (GUID) of the Entra ID group.")
                .validator(Validator::Guid),
        );
    }
    if kind.has_filter() {
        block = block
            .attribute(
                Attribute::new("filter_id", Type::String, Mode::Optional)
                    .description(
                        "Id (GUID) of an Intune assignment filter. Requires `filter_type`.",
                    )
                    .validator(Validator::Guid),
            )
            .attribute(
                Attribute::new("filter_type", Type::String, Mode::Optional)
                    .description(
                        "`include`: only devices matching the filter receive the profile; \
                         `exclude`: matching devices do not. Requires `filter_id`.",
                    )
                    .validator(Validator::one_of(&["include", "exclude"])),
            );
    }
    block
}

pub(super) fn build_schema() -> Schema {
    let mut block = Block::new()
        .description(DESCRIPTION)
        .attribute(
            Attribute::new("id", Type::String, Mode::Computed)
                .description("The profile's id: an assignment set has no id of its own."),
        )
        .attribute(
            Attribute::new("profile_id", Type::String, Mode::Required)
                .description(
                    "Id of the certificate profile to assign, of any kind and platform \
                     (`intune_trusted_certificate.x.id`, or a data source's `id`). Changing it \
                     replaces the resource.",
                )
                .validator(Validator::Guid)
                .plan_rule(PlanRule::RequiresReplace),
        );
    for kind in TargetKind::ALL {
        block = block.block(NestedBlock::new(
            kind.block(),
            kind.nesting(),
            kind_block(kind),
        ));
    }
    Schema::new(block)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_follows_the_target_table() {
        let schema = build_schema();
        for kind in TargetKind::ALL {
            let nb = schema.block.find_block(kind.block()).expect("block");
            assert_eq!(nb.nesting, kind.nesting());
            assert_eq!(
                nb.block.find_attribute("group_id").is_some(),
                kind.has_group()
            );
            assert_eq!(
                nb.block.find_attribute("filter_id").is_some(),
                kind.has_filter()
            );
            assert_eq!(TargetKind::from_graph_type(kind.graph_type()), Some(kind));
        }
        let profile = schema
            .block
            .find_attribute("profile_id")
            .expect("profile_id");
        assert_eq!(profile.plan_rule, PlanRule::RequiresReplace);
    }
}
