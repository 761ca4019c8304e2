//! The URLs the client talks to: validation of the configured roots (https,
//! or http for loopback only), the versioned Graph base, the token URL, and
//! the same-origin rule for `@odata.nextLink`.
//!
//! Pure functions over `reqwest::Url`; no requests are made here.

use std::net::IpAddr;

use reqwest::Url;

use super::{API_VERSION, GraphError};

/// Whether `url`'s host is this machine (127.0.0.0/8, ::1, `localhost`):
/// only such hosts may be reached over plain http, and they bypass proxies.
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// What a URL setting accepts besides https with a host and no user
/// name, password or fragment.
struct Rules {
    /// Hosts that may be reached over plain http.
    http_ok: fn(&Url) -> bool,
    /// Those hosts, in words, for the error.
    http_hosts: &'static str,
    /// Whether a query string is kept (GitHub's ID-token URL carries one).
    query: bool,
}

/// Parses a configured root URL (`graph_endpoint`, `authority_host`):
/// absolute, https (http for loopback hosts), no credentials, query or
/// fragment. The trailing `/` is dropped so paths join cleanly.
pub(crate) fn parse_root(setting: &str, value: &str) -> Result<Url, GraphError> {
    let rules = Rules {
        http_ok: is_loopback,
        http_hosts: "loopback hosts (127.0.0.1, ::1, localhost)",
        query: false,
    };
    let mut url = parse_with(setting, value, &rules)?;
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&path);
    Ok(url)
}

/// Parses the URL of a service the sign-in talks to besides Entra ID (the
/// GitHub Actions or Azure DevOps ID-token endpoint): https, or http for
/// loopback hosts; a query string is kept (GitHub's URL carries one).
pub(crate) fn parse_service_url(setting: &str, value: &str) -> Result<Url, GraphError> {
    let rules = Rules {
        http_ok: is_loopback,
        http_hosts: "loopback hosts (127.0.0.1, ::1, localhost)",
        query: true,
    };
    parse_with(setting, value, &rules)
}

/// Parses a managed identity endpoint (`msi_endpoint`, `IDENTITY_ENDPOINT`):
/// these are plain http on the machine itself (loopback) or at the
/// link-local Instance Metadata Service address; anything else must be
/// https.
pub(crate) fn parse_managed_identity_url(setting: &str, value: &str) -> Result<Url, GraphError> {
    let rules = Rules {
        http_ok: |url| is_loopback(url) || is_link_local(url),
        http_hosts: "this machine's own addresses (loopback, or link-local as the metadata service's \
                     169.254.169.254)",
        query: true,
    };
    parse_with(setting, value, &rules)
}

/// Whether `url`'s host is an IPv4 link-local address (169.254.0.0/16),
/// where Azure's Instance Metadata Service answers.
fn is_link_local(url: &Url) -> bool {
    url.host_str()
        .and_then(|host| host.parse::<std::net::Ipv4Addr>().ok())
        .is_some_and(|ip| ip.is_link_local())
}

/// The checks every URL setting shares. Errors of a parsed URL name the
/// setting and at most its origin: a query string or credentials are never
/// echoed.
fn parse_with(setting: &str, value: &str, rules: &Rules) -> Result<Url, GraphError> {
    let url = Url::parse(value.trim()).map_err(|error| {
        GraphError::config(format!("{setting} {value:?} is not a URL: {error}"))
    })?;
    match url.scheme() {
        "https" => {}
        "http" if (rules.http_ok)(&url) => {}
        "http" => {
            return Err(GraphError::config(format!(
                "{setting} {:?} must use https; http is accepted only for {}",
                url.origin().ascii_serialization(),
                rules.http_hosts
            )));
        }
        other => {
            return Err(GraphError::config(format!(
                "{setting} has scheme {other:?}; use https"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(GraphError::config(format!("{setting} has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(GraphError::config(format!(
            "{setting} must not contain user name or password"
        )));
    }
    if url.fragment().is_some() || (!rules.query && url.query().is_some()) {
        return Err(GraphError::config(if rules.query {
            format!("{setting} must not contain a fragment")
        } else {
            format!("{setting} must not contain a query or fragment")
        }));
    }
    Ok(url)
}

/// `{graph_endpoint}/{API_VERSION}`, refusing an endpoint that already
/// names a version (the provider appends it).
pub(crate) fn graph_base(endpoint: &Url) -> Result<Url, GraphError> {
    let last = endpoint.path().rsplit('/').next().unwrap_or_default();
    if last.eq_ignore_ascii_case("beta") || last.eq_ignore_ascii_case("v1.0") {
        return Err(GraphError::config(format!(
            "graph_endpoint {:?} must not include the API version; the provider appends /{API_VERSION}",
            endpoint.as_str()
        )));
    }
    let mut base = endpoint.clone();
    let path = format!("{}/{API_VERSION}", endpoint.path().trim_end_matches('/'));
    base.set_path(&path);
    Ok(base)
}

/// `{resource}/.default`, the client-credentials scope for all of a
/// resource's application permissions (Graph's: `graph_resource`).
pub(crate) fn scope(resource: &Url) -> String {
    format!("{}/.default", resource.as_str().trim_end_matches('/'))
}

/// `{authority_host}/{tenant_id}/oauth2/v2.0/token`. The tenant (a GUID or
/// a domain) must be non-empty labels of letters, digits and `-` joined by
/// `.`, so it cannot alter the path.
pub(crate) fn token_url(authority: &Url, tenant_id: &str) -> Result<Url, GraphError> {
    let valid = tenant_id.split('.').all(|label| {
        !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if !valid {
        return Err(GraphError::config(format!(
            "tenant_id {tenant_id:?} must be a GUID or a domain name"
        )));
    }
    let mut url = authority.clone();
    let path = format!(
        "{}/{tenant_id}/oauth2/v2.0/token",
        authority.path().trim_end_matches('/')
    );
    url.set_path(&path);
    Ok(url)
}

/// The text form of `{base}{path}`. `path` is relative to the versioned
/// base and normally starts with `/`; a missing `/` is supplied.
pub(crate) fn join(base: &Url, path: &str) -> String {
    let base = base.as_str().trim_end_matches('/');
    if path.starts_with('/') {
        format!("{base}{path}")
    } else {
        format!("{base}/{path}")
    }
}

/// The request URL for a call's `path`, which must start with `/` and stay
/// under the base (no scheme, no `..` segments).
pub(crate) fn resolve(base: &Url, path: &str) -> Result<Url, GraphError> {
    if !path.starts_with('/') || path.starts_with("//") {
        return Err(GraphError::config(format!(
            "Graph path {path:?} must start with a single '/'"
        )));
    }
    let route = path.split(['?', '#']).next().unwrap_or_default();
    if route
        .split('/')
        .any(|segment| segment == ".." || segment == ".")
    {
        return Err(GraphError::config(format!(
            "Graph path {path:?} must not contain '.' or '..' segments"
        )));
    }
    Url::parse(&join(base, path))
        .map_err(|error| GraphError::config(format!("Graph path {path:?} is not valid: {error}")))
}

/// A `@odata.nextLink` is used as-is, but only on the Graph origin: a link
/// elsewhere would carry our token to another host.
pub(crate) fn check_next_link(base: &Url, link: &str) -> Result<Url, String> {
    let url = Url::parse(link).map_err(|error| format!("@odata.nextLink is not a URL: {error}"))?;
    if url.origin() != base.origin() {
        return Err(format!(
            "@odata.nextLink points to {}, not to the Graph endpoint {}",
            url.origin().ascii_serialization(),
            base.origin().ascii_serialization()
        ));
    }
    Ok(url)
}

/// The path of a URL for logs and error texts, without the query string
/// (which may hold skip tokens and filter values).
pub(crate) fn log_path(url: &Url) -> &str {
    url.path()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_urls() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            (
                "https://graph.microsoft.com",
                Ok("https://graph.microsoft.com/"),
            ),
            (
                "https://graph.microsoft.com/",
                Ok("https://graph.microsoft.com/"),
            ),
            (
                "https://proxy.example/graph/",
                Ok("https://proxy.example/graph"),
            ),
            ("http://127.0.0.1:8443", Ok("http://127.0.0.1:8443/")),
            ("http://127.8.9.10:1", Ok("http://127.8.9.10:1/")),
            ("http://[::1]:8443", Ok("http://[::1]:8443/")),
            ("http://localhost:8443", Ok("http://localhost:8443/")),
            ("http://LOCALHOST", Ok("http://localhost/")),
            ("http://graph.microsoft.com", Err("must use https")),
            ("http://10.0.0.1:8443", Err("must use https")),
            ("http://[::2]", Err("must use https")),
            ("http://localhost.example.com", Err("must use https")),
            ("http://128.0.0.1", Err("must use https")),
            ("ftp://127.0.0.1", Err("use https")),
            ("graph.microsoft.com", Err("is not a URL")),
            ("", Err("is not a URL")),
            (
                "https://user:pw@graph.microsoft.com",
                Err("user name or password"),
            ),
            ("https://graph.microsoft.com/?x=1", Err("query or fragment")),
        ];
        for (input, expected) in cases {
            let got = parse_root("graph_endpoint", input);
            match (expected, got) {
                (Ok(url), Ok(got)) => assert_eq!(got.as_str(), *url, "{input}"),
                (Err(text), Err(error)) => {
                    assert!(error.to_string().contains(text), "{input}: {error}")
                }
                (expected, got) => panic!("{input}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn service_and_managed_identity_urls() {
        let service = [
            (
                "https://pipelines.actions.example/idtoken?api-version=2.0",
                true,
            ),
            ("http://127.0.0.1:9/github/idtoken?api-version=2.0", true),
            (
                "http://169.254.169.254/metadata/identity/oauth2/token",
                false,
            ),
            ("http://actions.example/idtoken", false),
            ("https://user:pw@actions.example/", false),
            ("https://actions.example/#x", false),
            ("ftp://127.0.0.1/", false),
        ];
        for (url, ok) in service {
            let result = parse_service_url("oidc_request_url", url);
            assert_eq!(result.is_ok(), ok, "{url}: {result:?}");
            if let Err(error) = result {
                assert!(!error.to_string().contains("pw@"), "{error}");
            }
        }
        let msi = [
            (
                "http://169.254.169.254/metadata/identity/oauth2/token",
                true,
            ),
            ("http://localhost:42356/msi/token", true),
            ("http://127.0.0.1:41741/MSI/token/", true),
            ("https://identity.example/token", true),
            ("http://10.0.0.4/metadata/identity/oauth2/token", false),
            ("http://169.255.0.1/token", false),
        ];
        for (url, ok) in msi {
            let result = parse_managed_identity_url("msi_endpoint", url);
            assert_eq!(result.is_ok(), ok, "{url}: {result:?}");
        }
        let kept =
            parse_service_url("oidc_request_url", "https://a.example/t?api-version=2.0").unwrap();
        assert_eq!(kept.query(), Some("api-version=2.0"));
    }

    #[test]
    fn password_in_url_is_not_echoed() {
        let error = parse_root("graph_endpoint", "https://user:hunter2@graph.example").unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }

    #[test]
    fn base_scope_and_token_urls() {
        let root = parse_root("graph_endpoint", "https://graph.microsoft.com/").unwrap();
        assert_eq!(
            graph_base(&root).unwrap().as_str(),
            "https://graph.microsoft.com/beta"
        );
        assert_eq!(scope(&root), "https://graph.microsoft.com/.default");
        let sim = parse_root("graph_endpoint", "http://127.0.0.1:8443").unwrap();
        assert_eq!(
            graph_base(&sim).unwrap().as_str(),
            "http://127.0.0.1:8443/beta"
        );
        let usgov = parse_root("graph_resource", "https://graph.microsoft.us/").unwrap();
        assert_eq!(scope(&usgov), "https://graph.microsoft.us/.default");
        for versioned in [
            "https://graph.microsoft.com/beta",
            "https://graph.microsoft.com/v1.0/",
        ] {
            let root = parse_root("graph_endpoint", versioned).unwrap();
            assert!(graph_base(&root).is_err(), "{versioned}");
        }

        let authority = parse_root("authority_host", "https://login.microsoftonline.com").unwrap();
        assert_eq!(
            token_url(&authority, "contoso.onmicrosoft.com")
                .unwrap()
                .as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert!(token_url(&authority, "00000000-0000-0000-0000-000000000001").is_ok());
        for bad in [
            "",
            "a/b",
            "..",
            ".",
            "a..b",
            ".a",
            "x?y",
            "tenant id",
            "%2e",
        ] {
            assert!(token_url(&authority, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn call_paths() {
        let base = parse_root("graph_endpoint", "http://127.0.0.1:8443").unwrap();
        let base = graph_base(&base).unwrap();
        let ok = [
            (
                "/deviceManagement/deviceConfigurations",
                "http://127.0.0.1:8443/beta/deviceManagement/deviceConfigurations",
            ),
            (
                "/deviceManagement/deviceConfigurations?$top=2&$filter=displayName eq 'a'",
                "http://127.0.0.1:8443/beta/deviceManagement/deviceConfigurations?$top=2&$filter=displayName%20eq%20%27a%27",
            ),
        ];
        for (path, expected) in ok {
            assert_eq!(resolve(&base, path).unwrap().as_str(), expected, "{path}");
        }
        for bad in [
            "deviceManagement",
            "//evil.example/x",
            "/a/../b",
            "/a/./b",
            "",
        ] {
            assert!(resolve(&base, bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            join(&base, "/deviceManagement/deviceConfigurations/1"),
            "http://127.0.0.1:8443/beta/deviceManagement/deviceConfigurations/1"
        );
        assert_eq!(join(&base, "x"), "http://127.0.0.1:8443/beta/x");
    }

    #[test]
    fn next_links_must_stay_on_the_graph_origin() {
        let base = graph_base(&parse_root("e", "https://graph.microsoft.com").unwrap()).unwrap();
        let cases = [
            ("https://graph.microsoft.com/beta/x?$skiptoken=abc", true),
            ("https://graph.microsoft.com:443/beta/x", true),
            ("https://evil.example/beta/x", false),
            ("http://graph.microsoft.com/beta/x", false),
            ("https://graph.microsoft.com:8443/beta/x", false),
            ("/beta/x", false),
        ];
        for (link, ok) in cases {
            assert_eq!(check_next_link(&base, link).is_ok(), ok, "{link}");
        }
    }

    #[test]
    fn loopback_hosts() {
        let cases = [
            ("http://127.0.0.1", true),
            ("http://127.255.255.254", true),
            ("http://[::1]", true),
            ("http://localhost", true),
            ("http://[::ffff:127.0.0.1]", false),
            ("http://0.0.0.0", false),
            ("http://10.1.1.1", false),
            ("https://graph.microsoft.com", false),
        ];
        for (url, loopback) in cases {
            assert_eq!(is_loopback(&Url::parse(url).unwrap()), loopback, "{url}");
        }
    }
}
