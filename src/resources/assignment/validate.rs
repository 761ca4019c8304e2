//! Checks of an assignment configuration that need no Graph call: filters
//! come as pairs and are not the all-zero "no filter" id, and each group is
//! included or excluded once. Every problem is reported, at its block's
//! path.

use super::target::{TargetKind, ZERO_GUID, elements};
use crate::framework::Diagnostics;
use crate::value::{AttributePath, Value};

/// How one block is named in messages: `include_group for group "…"`.
fn label(kind: TargetKind, element: &Value) -> String {
    match element.get("group_id").as_str() {
        Some(g) => format!("{} for group {g:?}", kind.block()),
        None => kind.block().to_string(),
    }
}

/// Cross-attribute checks: filters come as pairs, groups appear once.
pub(super) fn check(config: &Value, diags: &mut Diagnostics) {
    let mut groups: Vec<(String, TargetKind)> = Vec::new();
    for kind in TargetKind::ALL {
        let path = AttributePath::attr(kind.block());
        for element in elements(config, kind) {
            let what = label(kind, element);
            if kind.has_filter() {
                let (id, mode) = (element.get("filter_id"), element.get("filter_type"));
                if id.as_str() == Some(ZERO_GUID) {
                    diags.error_at(
                        path.attribute("filter_id"),
                        "Invalid filter_id",
                        format!(
                            "{what}: the all-zero GUID is how Graph says \"no filter\". To assign \
                             without a filter, remove filter_id and filter_type."
                        ),
                    );
                }
                if id.is_known_non_null() && mode.is_null() {
                    diags.error_at(
                        path.attribute("filter_type"),
                        "Missing filter_type",
                        format!(
                            "{what} sets filter_id, so it needs filter_type = \"include\" (only \
                             devices matching the filter receive the profile) or \"exclude\" \
                             (matching devices do not)."
                        ),
                    );
                }
                if mode.is_known_non_null() && id.is_null() {
                    diags.error_at(
                        path.attribute("filter_id"),
                        "Missing filter_id",
                        format!(
                            "{what} sets filter_type but no filter_id. Set filter_id to the \
                             assignment filter's id, or remove filter_type."
                        ),
                    );
                }
            }
            let Some(group) = element.get("group_id").as_str() else {
                continue;
            };
            let group = group.to_lowercase();
            match groups.iter().find(|(g, _)| *g == group) {
                Some((_, earlier)) if *earlier != kind => diags.error_at(
                    path.attribute("group_id"),
                    "Group both included and excluded",
                    format!(
                        "Group {group} is in both include_group and exclude_group. Graph would \
                         exclude it; remove one of the two blocks."
                    ),
                ),
                Some(_) => diags.error_at(
                    path.attribute("group_id"),
                    "Duplicate group",
                    format!(
                        "Group {group} appears in more than one {} block (group ids are compared \
                         without regard to case). Graph accepts each group once; merge the blocks.",
                        kind.block()
                    ),
                ),
                None => groups.push((group, kind)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_values::{FILTER, GROUP, OTHER, block, config, s};
    use super::*;

    #[test]
    fn validation_cases() {
        use TargetKind::*;
        let inc = |pairs: &[(&str, Value)]| block(IncludeGroup, pairs);
        let exc = |g: &str| block(ExcludeGroup, &[("group_id", s(g))]);
        let cases: Vec<(&str, Value, &[&str])> = vec![
            (
                "complete and valid",
                config(&[
                    (
                        "include_group",
                        Value::Set(vec![
                            inc(&[
                                ("group_id", s(GROUP)),
                                ("filter_id", s(FILTER)),
                                ("filter_type", s("include")),
                            ]),
                            inc(&[("group_id", s(OTHER))]),
                        ]),
                    ),
                    ("all_devices", block(AllDevices, &[])),
                    (
                        "all_licensed_users",
                        block(
                            AllLicensedUsers,
                            &[("filter_id", s(FILTER)), ("filter_type", s("exclude"))],
                        ),
                    ),
                ]),
                &[],
            ),
            (
                "filter id without type",
                config(&[(
                    "include_group",
                    Value::Set(vec![inc(&[
                        ("group_id", s(GROUP)),
                        ("filter_id", s(FILTER)),
                    ])]),
                )]),
                &["Missing filter_type"],
            ),
            (
                "filter type without id",
                config(&[(
                    "all_devices",
                    block(AllDevices, &[("filter_type", s("include"))]),
                )]),
                &["Missing filter_id"],
            ),
            (
                "all-zero filter",
                config(&[(
                    "all_licensed_users",
                    block(
                        AllLicensedUsers,
                        &[("filter_id", s(ZERO_GUID)), ("filter_type", s("include"))],
                    ),
                )]),
                &["Invalid filter_id"],
            ),
            (
                "included and excluded",
                config(&[
                    (
                        "include_group",
                        Value::Set(vec![inc(&[("group_id", s(GROUP))])]),
                    ),
                    (
                        "exclude_group",
                        Value::Set(vec![exc(&GROUP.to_uppercase())]),
                    ),
                ]),
                &["Group both included and excluded"],
            ),
            (
                "same group twice with different filters",
                config(&[(
                    "include_group",
                    Value::Set(vec![
                        inc(&[("group_id", s(GROUP))]),
                        inc(&[
                            ("group_id", s(GROUP)),
                            ("filter_id", s(FILTER)),
                            ("filter_type", s("exclude")),
                        ]),
                    ]),
                )]),
                &["Duplicate group"],
            ),
            (
                "unknown values wait for apply",
                config(&[(
                    "include_group",
                    Value::Set(vec![inc(&[
                        ("group_id", Value::Unknown),
                        ("filter_id", Value::Unknown),
                    ])]),
                )]),
                &[],
            ),
        ];
        for (name, cfg, expected) in cases {
            let mut diags = Diagnostics::new();
            check(&cfg, &mut diags);
            let summaries: Vec<&str> = diags.iter().map(|d| d.summary.as_str()).collect();
            assert_eq!(summaries, expected, "{name}: {diags:?}");
            assert!(
                diags.iter().all(|d| d.path.is_some()),
                "{name}: every error has a path"
            );
        }
    }
}
