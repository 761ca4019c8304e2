//! Where a `/beta` request goes: the path's segments parsed into a
//! [`Target`] by hand, because Graph's URL forms (key segments, type casts,
//! `$ref`, case-insensitive names) do not fit a path router. A path the
//! simulator does not serve is Graph's "Resource not found for the segment"
//! error.

use crate::errors::GraphError;
use crate::odata;
use crate::validate;

/// Where a `/beta` request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    Collection,
    Item(String),
    /// `.../{id}/microsoft.graph.{type}`
    Cast(String, String),
    Assign(String),
    Assignments(String),
    Assignment(String, String),
    /// `.../{id}/microsoft.graph.{type}/rootCertificate`
    Root(String, String),
    /// `.../{id}/microsoft.graph.{type}/rootCertificate/$ref`
    RootRef(String, String),
}

impl Target {
    /// The object a request addresses, if it addresses one.
    pub(super) fn object_id(&self) -> Option<&str> {
        match self {
            Target::Collection => None,
            Target::Item(id)
            | Target::Cast(id, _)
            | Target::Assign(id)
            | Target::Assignments(id)
            | Target::Assignment(id, _)
            | Target::Root(id, _)
            | Target::RootRef(id, _) => Some(id),
        }
    }
}

fn segment_missing(segment: &str) -> GraphError {
    GraphError::bad_request(format!("Resource not found for the segment '{segment}'."))
}

/// Parses the segments after `/beta`.
pub(super) fn parse_target(segments: &[&str]) -> Result<Target, GraphError> {
    let is = |segment: &str, name: &str| segment.eq_ignore_ascii_case(name);
    let Some((first, rest)) = segments.split_first() else {
        return Err(GraphError::bad_request(
            "The simulator serves /beta/deviceManagement/deviceConfigurations.",
        ));
    };
    if !is(first, "deviceManagement") {
        return Err(segment_missing(first));
    }
    let Some((collection, rest)) = rest.split_first() else {
        return Err(GraphError::bad_request(
            "The simulator serves only /beta/deviceManagement/deviceConfigurations, not deviceManagement itself.",
        ));
    };
    let (name, key) = odata::key_segment(collection).ok_or_else(|| segment_missing(collection))?;
    if !is(&name, "deviceConfigurations") {
        return Err(segment_missing(&name));
    }
    let (id, rest) = match (key, rest) {
        (Some(key), rest) => (key, rest),
        (None, []) => return Ok(Target::Collection),
        (None, [id, rest @ ..]) => (
            odata::decode_segment(id).ok_or_else(|| segment_missing(id))?,
            rest,
        ),
    };
    let cast = |segment: &str| {
        odata::decode_segment(segment)
            .filter(|s| s.starts_with("microsoft.graph."))
            .map(|s| s.trim_start_matches("microsoft.graph.").to_owned())
    };
    match rest {
        [] => Ok(Target::Item(id)),
        [action] if is(action, "assign") || is(action, "microsoft.graph.assign") => {
            Ok(Target::Assign(id))
        }
        [segment] => match odata::key_segment(segment) {
            Some((name, None)) if is(&name, "assignments") => Ok(Target::Assignments(id)),
            Some((name, Some(key))) if is(&name, "assignments") => Ok(Target::Assignment(id, key)),
            _ => cast(segment)
                .map(|t| Target::Cast(id, t))
                .ok_or_else(|| nav_or_missing(segment)),
        },
        [segment, assignment] if is(segment, "assignments") => Ok(Target::Assignment(
            id,
            odata::decode_segment(assignment).ok_or_else(|| segment_missing(assignment))?,
        )),
        [type_cast, nav] if is(nav, validate::ROOT_CERTIFICATE) => cast(type_cast)
            .map(|t| Target::Root(id, t))
            .ok_or_else(|| segment_missing(type_cast)),
        [type_cast, nav, reference]
            if is(nav, validate::ROOT_CERTIFICATE) && *reference == "$ref" =>
        {
            cast(type_cast)
                .map(|t| Target::RootRef(id, t))
                .ok_or_else(|| segment_missing(type_cast))
        }
        [segment, ..] => Err(nav_or_missing(segment)),
    }
}

fn nav_or_missing(segment: &str) -> GraphError {
    if segment.eq_ignore_ascii_case(validate::ROOT_CERTIFICATE) {
        GraphError::bad_request(
            "Could not find a property named 'rootCertificate' on type 'microsoft.graph.deviceConfiguration'; it is declared on derived types, so address it with a type cast: .../deviceConfigurations/{id}/microsoft.graph.{type}/rootCertificate.",
        )
    } else {
        segment_missing(segment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let id = || "abc".to_owned();
        let cases: Vec<(&str, Result<Target, &str>)> = vec![
            (
                "deviceManagement/deviceConfigurations",
                Ok(Target::Collection),
            ),
            (
                "DeviceManagement/deviceconfigurations",
                Ok(Target::Collection),
            ),
            (
                "deviceManagement/deviceConfigurations/abc",
                Ok(Target::Item(id())),
            ),
            (
                "deviceManagement/deviceConfigurations('abc')",
                Ok(Target::Item(id())),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/assign",
                Ok(Target::Assign(id())),
            ),
            (
                "deviceManagement/deviceConfigurations('abc')/microsoft.graph.assign",
                Ok(Target::Assign(id())),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/assignments",
                Ok(Target::Assignments(id())),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/assignments/x",
                Ok(Target::Assignment(id(), "x".into())),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/assignments('x')",
                Ok(Target::Assignment(id(), "x".into())),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/microsoft.graph.t",
                Ok(Target::Cast(id(), "t".into())),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/microsoft.graph.t/rootCertificate",
                Ok(Target::Root(id(), "t".into())),
            ),
            (
                "deviceManagement/deviceConfigurations('abc')/microsoft.graph.t/rootCertificate/$ref",
                Ok(Target::RootRef(id(), "t".into())),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/rootCertificate",
                Err("address it with a type cast"),
            ),
            (
                "deviceManagement/resourceAccessProfiles",
                Err("segment 'resourceAccessProfiles'"),
            ),
            ("deviceManagement", Err("not deviceManagement itself")),
            ("users", Err("segment 'users'")),
            (
                "deviceManagement/deviceConfigurations/abc/deviceStatuses",
                Err("segment 'deviceStatuses'"),
            ),
            (
                "deviceManagement/deviceConfigurations/abc/x/rootCertificate",
                Err("segment 'x'"),
            ),
        ];
        for (path, expected) in cases {
            let segments: Vec<&str> = path.split('/').collect();
            match (parse_target(&segments), expected) {
                (Ok(target), Ok(expected)) => assert_eq!(target, expected, "{path}"),
                (Err(error), Err(fragment)) => assert!(
                    error.message.contains(fragment),
                    "{path}: {}",
                    error.message
                ),
                (got, want) => panic!("{path}: got {got:?}, want {want:?}"),
            }
        }
    }
}
