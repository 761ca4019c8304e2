//! The one table mapping (resource kind, `platform`) to a Graph type.
//! Validation, import, the "platforms this kind supports" messages and the
//! docs' platform tables all come from here.

use super::model::{self, GraphProfileType};

/// The device platforms a profile can target: the values of every profile
/// resource's `platform` attribute ([`Platform::keyword`]), each mapped to
/// its Graph types by [`PROFILE_TYPES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    AndroidDeviceAdministrator,
    AndroidWorkProfile,
    AndroidForWork,
    AndroidDeviceOwner,
    Aosp,
    Ios,
    Macos,
    Windows,
    WindowsPhone81,
}

impl Platform {
    pub const ALL: [Platform; 9] = [
        Platform::AndroidDeviceAdministrator,
        Platform::AndroidWorkProfile,
        Platform::AndroidForWork,
        Platform::AndroidDeviceOwner,
        Platform::Aosp,
        Platform::Ios,
        Platform::Macos,
        Platform::Windows,
        Platform::WindowsPhone81,
    ];

    /// The value users write in `platform = "…"`.
    pub fn keyword(self) -> &'static str {
        match self {
            Platform::AndroidDeviceAdministrator => "android_device_administrator",
            Platform::AndroidWorkProfile => "android_work_profile",
            Platform::AndroidForWork => "android_for_work",
            Platform::AndroidDeviceOwner => "android_device_owner",
            Platform::Aosp => "aosp",
            Platform::Ios => "ios",
            Platform::Macos => "macos",
            Platform::Windows => "windows",
            Platform::WindowsPhone81 => "windows_phone_81",
        }
    }

    /// How people name the platform, for messages and docs.
    pub fn label(self) -> &'static str {
        match self {
            Platform::AndroidDeviceAdministrator => "Android device administrator",
            Platform::AndroidWorkProfile => "Android Enterprise work profile",
            Platform::AndroidForWork => "Android for Work (legacy work profile)",
            Platform::AndroidDeviceOwner => {
                "Android Enterprise fully managed, dedicated and corporate-owned work profile"
            }
            Platform::Aosp => "Android (AOSP)",
            Platform::Ios => "iOS/iPadOS",
            Platform::Macos => "macOS",
            Platform::Windows => "Windows 8.1 and Windows 10/11",
            Platform::WindowsPhone81 => "Windows Phone 8.1",
        }
    }

    pub fn from_keyword(s: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.keyword() == s)
    }
}

/// The four certificate-profile resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProfileKind {
    TrustedCertificate,
    ScepCertificate,
    PkcsCertificate,
    PkcsImportedCertificate,
}

impl ProfileKind {
    pub const ALL: [ProfileKind; 4] = [
        ProfileKind::TrustedCertificate,
        ProfileKind::ScepCertificate,
        ProfileKind::PkcsCertificate,
        ProfileKind::PkcsImportedCertificate,
    ];

    /// The resource name without its prefix, also the data sources' `kind`.
    pub fn keyword(self) -> &'static str {
        match self {
            ProfileKind::TrustedCertificate => "trusted_certificate",
            ProfileKind::ScepCertificate => "scep_certificate",
            ProfileKind::PkcsCertificate => "pkcs_certificate",
            ProfileKind::PkcsImportedCertificate => "pkcs_imported_certificate",
        }
    }

    pub fn resource_type(self) -> String {
        format!("intune_{}", self.keyword())
    }

    pub fn label(self) -> &'static str {
        match self {
            ProfileKind::TrustedCertificate => "trusted certificate",
            ProfileKind::ScepCertificate => "SCEP certificate",
            ProfileKind::PkcsCertificate => "PKCS certificate",
            ProfileKind::PkcsImportedCertificate => "PKCS imported certificate",
        }
    }

    pub fn from_keyword(s: &str) -> Option<ProfileKind> {
        ProfileKind::ALL.into_iter().find(|k| k.keyword() == s)
    }
}

/// One (kind, platform) → Graph type row.
#[derive(Debug, Clone, Copy)]
pub struct ProfileType {
    pub kind: ProfileKind,
    pub platform: Platform,
    pub graph_type: &'static str,
}

const fn row(kind: ProfileKind, platform: Platform, graph_type: &'static str) -> ProfileType {
    ProfileType {
        kind,
        platform,
        graph_type,
    }
}

use Platform::*;
use ProfileKind::*;

/// Every supported pair. Windows 10X types (resource access profiles, not
/// device configurations) and `windows10PFXImportCertificateProfile` are
/// out of scope. Where two platforms share a Graph type, the first row is
/// the one import reports.
pub static PROFILE_TYPES: &[ProfileType] = &[
    row(
        TrustedCertificate,
        AndroidDeviceAdministrator,
        "androidTrustedRootCertificate",
    ),
    row(
        TrustedCertificate,
        AndroidWorkProfile,
        "androidWorkProfileTrustedRootCertificate",
    ),
    row(
        TrustedCertificate,
        AndroidForWork,
        "androidForWorkTrustedRootCertificate",
    ),
    row(
        TrustedCertificate,
        AndroidDeviceOwner,
        "androidDeviceOwnerTrustedRootCertificate",
    ),
    row(
        TrustedCertificate,
        Aosp,
        "aospDeviceOwnerTrustedRootCertificate",
    ),
    row(TrustedCertificate, Ios, "iosTrustedRootCertificate"),
    row(TrustedCertificate, Macos, "macOSTrustedRootCertificate"),
    row(
        TrustedCertificate,
        Windows,
        "windows81TrustedRootCertificate",
    ),
    row(
        TrustedCertificate,
        WindowsPhone81,
        "windowsPhone81TrustedRootCertificate",
    ),
    row(
        ScepCertificate,
        AndroidDeviceAdministrator,
        "androidScepCertificateProfile",
    ),
    row(
        ScepCertificate,
        AndroidWorkProfile,
        "androidWorkProfileScepCertificateProfile",
    ),
    row(
        ScepCertificate,
        AndroidForWork,
        "androidForWorkScepCertificateProfile",
    ),
    row(
        ScepCertificate,
        AndroidDeviceOwner,
        "androidDeviceOwnerScepCertificateProfile",
    ),
    row(
        ScepCertificate,
        Aosp,
        "aospDeviceOwnerScepCertificateProfile",
    ),
    row(ScepCertificate, Ios, "iosScepCertificateProfile"),
    row(ScepCertificate, Macos, "macOSScepCertificateProfile"),
    row(ScepCertificate, Windows, "windows81SCEPCertificateProfile"),
    row(
        ScepCertificate,
        WindowsPhone81,
        "windowsPhone81SCEPCertificateProfile",
    ),
    row(
        PkcsCertificate,
        AndroidDeviceAdministrator,
        "androidPkcsCertificateProfile",
    ),
    row(
        PkcsCertificate,
        AndroidWorkProfile,
        "androidWorkProfilePkcsCertificateProfile",
    ),
    row(
        PkcsCertificate,
        AndroidForWork,
        "androidForWorkPkcsCertificateProfile",
    ),
    row(
        PkcsCertificate,
        AndroidDeviceOwner,
        "androidDeviceOwnerPkcsCertificateProfile",
    ),
    row(
        PkcsCertificate,
        Aosp,
        "aospDeviceOwnerPkcsCertificateProfile",
    ),
    row(PkcsCertificate, Ios, "iosPkcsCertificateProfile"),
    row(PkcsCertificate, Macos, "macOSPkcsCertificateProfile"),
    row(PkcsCertificate, Windows, "windows10PkcsCertificateProfile"),
    row(
        PkcsImportedCertificate,
        AndroidDeviceAdministrator,
        "androidImportedPFXCertificateProfile",
    ),
    row(
        PkcsImportedCertificate,
        AndroidWorkProfile,
        "androidForWorkImportedPFXCertificateProfile",
    ),
    row(
        PkcsImportedCertificate,
        AndroidForWork,
        "androidForWorkImportedPFXCertificateProfile",
    ),
    row(
        PkcsImportedCertificate,
        AndroidDeviceOwner,
        "androidDeviceOwnerImportedPFXCertificateProfile",
    ),
    row(
        PkcsImportedCertificate,
        Ios,
        "iosImportedPFXCertificateProfile",
    ),
    row(
        PkcsImportedCertificate,
        Macos,
        "macOSImportedPFXCertificateProfile",
    ),
    row(
        PkcsImportedCertificate,
        Windows,
        "windows10ImportedPFXCertificateProfile",
    ),
    row(
        PkcsImportedCertificate,
        WindowsPhone81,
        "windowsPhone81ImportedPFXCertificateProfile",
    ),
];

/// The Graph type for a pair, if the kind exists on that platform.
pub fn graph_type(kind: ProfileKind, platform: Platform) -> Option<&'static GraphProfileType> {
    PROFILE_TYPES
        .iter()
        .find(|r| r.kind == kind && r.platform == platform)
        .and_then(|r| model::profile_type(r.graph_type))
}

/// The platforms a kind exists on, in table order.
pub fn platforms(kind: ProfileKind) -> Vec<Platform> {
    PROFILE_TYPES
        .iter()
        .filter(|r| r.kind == kind)
        .map(|r| r.platform)
        .collect()
}

/// What a Graph type is: the first row naming it.
pub fn identify(graph_type: &str) -> Option<&'static ProfileType> {
    PROFILE_TYPES.iter().find(|r| r.graph_type == graph_type)
}

/// A Graph `@odata.type` value without its `#microsoft.graph.` prefix.
pub fn bare_type_name(odata_type: &str) -> &str {
    odata_type
        .trim_start_matches('#')
        .trim_start_matches("microsoft.graph.")
}

/// Human list of keywords: `"ios", "macos" and "windows"`.
pub fn keyword_list(platforms: &[Platform]) -> String {
    let quoted: Vec<String> = platforms
        .iter()
        .map(|p| format!("{:?}", p.keyword()))
        .collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_names_a_graph_type_of_its_kind() {
        for r in PROFILE_TYPES {
            let t = model::profile_type(r.graph_type)
                .unwrap_or_else(|| panic!("{} missing", r.graph_type));
            let want = match r.kind {
                TrustedCertificate => "trustedRoot",
                ScepCertificate => "scep",
                PkcsCertificate => "pkcs",
                PkcsImportedCertificate => "importedPfx",
            };
            assert_eq!(t.kind, want, "{}", r.graph_type);
        }
    }

    #[test]
    fn trusted_exists_on_all_nine_platforms() {
        assert_eq!(platforms(TrustedCertificate), Platform::ALL.to_vec());
        assert_eq!(platforms(PkcsCertificate).len(), 8);
    }

    #[test]
    fn keywords_round_trip_and_shared_types_report_the_first_row() {
        for p in Platform::ALL {
            assert_eq!(Platform::from_keyword(p.keyword()), Some(p));
        }
        let shared = identify("androidForWorkImportedPFXCertificateProfile").unwrap();
        assert_eq!(shared.platform, AndroidWorkProfile);
        assert_eq!(
            bare_type_name("#microsoft.graph.iosTrustedRootCertificate"),
            "iosTrustedRootCertificate"
        );
        assert_eq!(
            keyword_list(&[Ios, Macos, Windows]),
            "\"ios\", \"macos\" and \"windows\""
        );
    }
}
