//! `@odata.bind` and `$ref`: which navigation a body may bind (only
//! `rootCertificate`, on types that declare it), the device-configuration
//! id in a bind URL, and the check of the bound object's type.

use serde_json::Value;
use url::Url;

use super::error::{Result, ValidationError};
use crate::odata;
use crate::schema::EntityType;

/// The only navigation property a body may bind, and its bind annotation.
pub const ROOT_CERTIFICATE: &str = "rootCertificate";
const ROOT_BIND: &str = "rootCertificate@odata.bind";

/// Reads `{navigation}@odata.bind` of a profile body of type `entity`;
/// returns the bound id.
pub(super) fn check_bind(entity: &EntityType, navigation: &str, value: &Value) -> Result<String> {
    if navigation != ROOT_CERTIFICATE || entity.navigation(ROOT_CERTIFICATE).is_none() {
        return Err(ValidationError::BindNotSupported {
            navigation: navigation.to_owned(),
            type_name: entity.name.clone(),
        });
    }
    parse_bind_value(ROOT_BIND, value)
}

/// Checks that a bound root exists (`target_type` is its type, `None` when
/// missing) and is exactly the navigation's target type of `owner`.
pub fn check_root_target(owner: &EntityType, id: &str, target_type: Option<&str>) -> Result<()> {
    let Some(expected) = owner
        .navigation(ROOT_CERTIFICATE)
        .map(|n| n.target.as_str())
    else {
        return Err(ValidationError::BindNotSupported {
            navigation: ROOT_CERTIFICATE.into(),
            type_name: owner.name.clone(),
        });
    };
    match target_type {
        None => Err(ValidationError::BindTargetMissing(id.to_owned())),
        Some(actual) if actual == expected => Ok(()),
        Some(actual) => Err(ValidationError::BindTargetWrongType {
            owner: owner.name.clone(),
            expected: expected.to_owned(),
            id: id.to_owned(),
            actual: actual.to_owned(),
        }),
    }
}

/// Reads a bind annotation's value (`annotation` names it in errors).
pub fn parse_bind_value(annotation: &str, value: &Value) -> Result<String> {
    let malformed = || ValidationError::BindMalformed {
        annotation: annotation.to_owned(),
        value: match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
    };
    let url = value.as_str().ok_or_else(malformed)?;
    device_configuration_id_from_url(url).ok_or_else(malformed)
}

/// The id in a URL addressing one device configuration:
/// `[scheme://host][/beta]/deviceManagement/deviceConfigurations('{id}')` or
/// `.../deviceConfigurations/{id}`, absolute (`http` or `https`, any host)
/// or relative, without a query or fragment. Segment names are
/// case-insensitive. `url` reads it as a browser would; a relative URL is
/// resolved against a placeholder origin, since only its path matters.
pub fn device_configuration_id_from_url(text: &str) -> Option<String> {
    let base = Url::parse("http://relative.invalid/").ok()?;
    let url = Url::options().base_url(Some(&base)).parse(text).ok()?;
    if !matches!(url.scheme(), "http" | "https")
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return None;
    }
    let mut segments: Vec<&str> = url.path_segments()?.collect();
    if segments
        .first()
        .is_some_and(|s| s.eq_ignore_ascii_case("beta"))
    {
        segments.remove(0);
    }
    match segments.as_slice() {
        [dm, collection] if dm.eq_ignore_ascii_case("deviceManagement") => {
            match odata::key_segment(collection)? {
                (name, Some(key)) if name.eq_ignore_ascii_case("deviceConfigurations") => Some(key),
                _ => None,
            }
        }
        [dm, collection, id] if dm.eq_ignore_ascii_case("deviceManagement") => {
            let id = odata::decode_segment(id)?;
            (collection.eq_ignore_ascii_case("deviceConfigurations") && !id.is_empty())
                .then_some(id)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{
        Acceptance, Rejection, assert_accepted, assert_rejected, macos_scep, schema, windows_root,
    };
    use super::*;
    use serde_json::json;

    #[test]
    fn binds_in_bodies() {
        let cases: Vec<Rejection> = vec![
            (
                "bind without navigation",
                windows_root(),
                |m| {
                    m.insert(
                        "rootCertificate@odata.bind".into(),
                        json!("deviceManagement/deviceConfigurations('a')"),
                    );
                },
                "BadRequest",
                "no navigation property 'rootCertificate'",
            ),
            (
                "bind malformed",
                macos_scep(),
                |m| {
                    m.insert(
                        "rootCertificate@odata.bind".into(),
                        json!("https://graph.microsoft.com/beta/users('x')"),
                    );
                },
                "BadRequest",
                "must be the URL of a device configuration",
            ),
            (
                "bind other navigation",
                macos_scep(),
                |m| {
                    m.insert("assignments@odata.bind".into(), json!([]));
                },
                "BadRequest",
                "no navigation property 'assignments' that can be bound",
            ),
        ];
        assert_rejected(cases);
        let cases: Vec<Acceptance> = vec![(
            "bind absolute",
            |m| {
                m.insert("rootCertificate@odata.bind".into(), json!("https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('abc')"));
            },
            "displayName",
            json!("scep"),
        )];
        assert_accepted(cases);
    }

    #[test]
    fn bind_urls() {
        let cases = [
            (
                "https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('a-1')",
                Some("a-1"),
            ),
            (
                "http://127.0.0.1:9/beta/deviceManagement/deviceConfigurations/a-1",
                Some("a-1"),
            ),
            (
                "/beta/devicemanagement/DeviceConfigurations('a-1')",
                Some("a-1"),
            ),
            ("deviceManagement/deviceConfigurations(a-1)", Some("a-1")),
            (
                "https://graph.microsoft.com/v1.0/deviceManagement/deviceConfigurations('a-1')",
                None,
            ),
            (
                "https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations",
                None,
            ),
            (
                "https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('a')/x",
                None,
            ),
            (
                "https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('')",
                None,
            ),
            (
                "ftp://h/beta/deviceManagement/deviceConfigurations('a')",
                None,
            ),
            (
                "https://h/beta/deviceManagement/deviceConfigurations('a')?x=1",
                None,
            ),
            (
                "https://h/beta/deviceManagement/deviceConfigurations('a')#x",
                None,
            ),
            (
                "HTTPS://h/beta/deviceManagement/deviceConfigurations/a%2D1",
                Some("a-1"),
            ),
            (
                "https://h/beta/deviceManagement/deviceConfigurations/a%zz",
                None,
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(
                device_configuration_id_from_url(url).as_deref(),
                expected,
                "{url}"
            );
        }
    }

    #[test]
    fn root_targets() {
        let scep = schema()
            .entity("macOSScepCertificateProfile")
            .expect("type");
        let pkcs = schema()
            .entity("windows10PkcsCertificateProfile")
            .expect("type");
        assert!(check_root_target(scep, "r", Some("macOSTrustedRootCertificate")).is_ok());
        let cases = [
            (
                scep,
                Some("iosTrustedRootCertificate"),
                "must reference a 'microsoft.graph.macOSTrustedRootCertificate', but 'r' is a 'microsoft.graph.iosTrustedRootCertificate'",
            ),
            (scep, None, "no device configuration with that id"),
            (
                pkcs,
                Some("windows81TrustedRootCertificate"),
                "no navigation property 'rootCertificate'",
            ),
        ];
        for (owner, actual, fragment) in cases {
            let err = check_root_target(owner, "r", actual).expect_err("rejected");
            assert!(err.to_string().contains(fragment), "{err}");
        }
    }
}
