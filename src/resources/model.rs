//! The Graph schema facts the provider maps: every certificate-profile type
//! with its properties (inherited ones included), the complex types and the
//! enums. Generated at build time from `data/graph-schema.json`
//! (Microsoft's Graph beta metadata), so which platform accepts which
//! property, with which enum members, has one source.

/// The type of a Graph structural property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyType {
    String,
    Int32,
    Boolean,
    /// Standard base64 in JSON.
    Binary,
    DateTimeOffset,
    Guid,
    /// An enum, by name (see [`ENUMS`]).
    Enum(&'static str),
    /// A complex type, by name (see [`COMPLEX_TYPES`]).
    Complex(&'static str),
}

/// One structural property of a Graph type.
#[derive(Debug, Clone, Copy)]
pub struct GraphProperty {
    pub name: &'static str,
    pub ty: PropertyType,
    pub collection: bool,
    /// The CSDL `Nullable` facet; on a collection it applies to elements.
    pub nullable: bool,
    /// The type in the base-type chain that declares it.
    pub declared_on: &'static str,
}

#[derive(Debug)]
pub struct GraphEnum {
    pub name: &'static str,
    /// Flags enums travel as comma-separated member names.
    pub flags: bool,
    pub members: &'static [&'static str],
}

#[derive(Debug)]
pub struct GraphComplexType {
    pub name: &'static str,
    pub abstract_type: bool,
    pub properties: &'static [GraphProperty],
}

/// A concrete certificate-profile type under `/deviceManagement/deviceConfigurations`
/// (or, for the Windows 10X kinds, `resourceAccessProfiles`).
#[derive(Debug)]
pub struct GraphProfileType {
    pub name: &'static str,
    pub odata_type: &'static str,
    /// `trustedRoot`, `scep`, `pkcs` or `importedPfx`.
    pub kind: &'static str,
    /// The trusted-root type its `rootCertificate` link must point at.
    pub root_certificate_target: Option<&'static str>,
    pub properties: &'static [GraphProperty],
}

include!(concat!(env!("OUT_DIR"), "/graph_model.rs"));

/// Looks up a profile type by its Graph name.
pub fn profile_type(name: &str) -> Option<&'static GraphProfileType> {
    PROFILE_TYPES.iter().find(|t| t.name == name)
}

/// Looks up an enum by its Graph name.
pub fn graph_enum(name: &str) -> Option<&'static GraphEnum> {
    ENUMS.iter().find(|e| e.name == name)
}

/// Looks up a complex type by its Graph name.
pub fn complex_type(name: &str) -> Option<&'static GraphComplexType> {
    COMPLEX_TYPES.iter().find(|c| c.name == name)
}

impl GraphProfileType {
    pub fn property(&self, name: &str) -> Option<&'static GraphProperty> {
        self.properties.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_holds_all_profile_types() {
        assert_eq!(PROFILE_TYPES.len(), 36);
        let ios = profile_type("iosTrustedRootCertificate").unwrap();
        assert_eq!(ios.odata_type, "#microsoft.graph.iosTrustedRootCertificate");
        assert_eq!(ios.kind, "trustedRoot");
        let cert = ios.property("trustedRootCertificate").unwrap();
        assert_eq!(cert.ty, PropertyType::Binary);
        assert!(!cert.nullable);
    }

    #[test]
    fn enums_and_complex_types_resolve() {
        for t in PROFILE_TYPES {
            for p in t.properties {
                match p.ty {
                    PropertyType::Enum(e) => assert!(graph_enum(e).is_some(), "{e}"),
                    PropertyType::Complex(c) => assert!(complex_type(c).is_some(), "{c}"),
                    _ => {}
                }
            }
        }
        assert!(graph_enum("keyUsages").unwrap().flags);
    }
}
