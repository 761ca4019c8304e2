//! go-plugin's launch contract as seen from the plugin side: read what
//! terraform put in the environment (magic cookie, protocol versions, port
//! range, client certificate), bind the loopback listener, and format the one
//! line terraform reads from our stdout (or, in debug mode, the
//! `TF_REATTACH_PROVIDERS` line a person pastes into their shell).
//!
//! This module only parses and formats; it writes nothing to stdout itself
//! (that is `serve`'s single, deliberate write) and knows nothing about TLS
//! beyond the certificate bytes it is handed.

use std::net::{Ipv4Addr, SocketAddr};
use std::ops::RangeInclusive;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use tokio::net::TcpListener;

use crate::protocol::ProtocolError;

/// Environment variable terraform sets to prove it launched us.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The value terraform puts in [`MAGIC_COOKIE_KEY`] (the same for every
/// terraform provider since 0.12).
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// Comma-separated plugin protocol versions terraform can speak.
pub const PROTOCOL_VERSIONS_KEY: &str = "PLUGIN_PROTOCOL_VERSIONS";
/// Lowest TCP port terraform wants us to listen on.
pub const MIN_PORT_KEY: &str = "PLUGIN_MIN_PORT";
/// Highest TCP port terraform wants us to listen on.
pub const MAX_PORT_KEY: &str = "PLUGIN_MAX_PORT";
/// PEM client certificate for AutoMTLS; absent when terraform runs without
/// plugin TLS (`TF_DISABLE_PLUGIN_TLS`).
pub const CLIENT_CERT_KEY: &str = "PLUGIN_CLIENT_CERT";

/// go-plugin's own handshake format version (the first field of the line).
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The only terraform plugin protocol version this provider speaks.
pub const PLUGIN_PROTOCOL_VERSION: u32 = 5;

/// What a person sees when they run the binary by hand.
pub const NOT_A_PLUGIN_MESSAGE: &str = "\
terraform-provider-intune is a Terraform provider plugin and is not meant to be run by hand.
Terraform starts it by itself when a configuration uses the intune provider:
run `terraform init` and then `terraform plan` or `terraform apply` in that configuration instead.
To debug the provider, start it with the --debug flag and follow the instructions it prints.";

/// The launch-related environment variables, read once so that the parsing
/// below can be tested without touching the process environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchEnv {
    /// `TF_PLUGIN_MAGIC_COOKIE`.
    pub magic_cookie: Option<String>,
    /// `PLUGIN_PROTOCOL_VERSIONS`.
    pub protocol_versions: Option<String>,
    /// `PLUGIN_MIN_PORT`.
    pub min_port: Option<String>,
    /// `PLUGIN_MAX_PORT`.
    pub max_port: Option<String>,
    /// `PLUGIN_CLIENT_CERT`, `None` when unset or empty (go-plugin treats an
    /// empty value as "no TLS").
    pub client_cert: Option<String>,
}

impl LaunchEnv {
    /// Reads the variables from this process's environment. Values that are
    /// not valid UTF-8 count as absent.
    pub fn from_process() -> Self {
        let var = |key: &str| std::env::var(key).ok();
        Self {
            magic_cookie: var(MAGIC_COOKIE_KEY),
            protocol_versions: var(PROTOCOL_VERSIONS_KEY),
            min_port: var(MIN_PORT_KEY),
            max_port: var(MAX_PORT_KEY),
            client_cert: var(CLIENT_CERT_KEY).filter(|pem| !pem.trim().is_empty()),
        }
    }
}

/// Checks that terraform launched us. Call it before anything that takes
/// time, so that a person running the binary by hand gets the explanation
/// at once.
pub fn check_magic_cookie(value: Option<&str>) -> Result<(), ProtocolError> {
    match value {
        Some(v) if v == MAGIC_COOKIE_VALUE => Ok(()),
        _ => Err(ProtocolError::NotLaunchedByTerraform),
    }
}

/// Picks the plugin protocol version to answer with. An absent or empty
/// variable means an old client that assumes the version; we assume 5.
/// Entries that are not numbers are skipped, since only the presence of 5
/// matters.
pub fn negotiate_protocol_version(offered: Option<&str>) -> Result<u32, ProtocolError> {
    let Some(offered) = offered.filter(|v| !v.trim().is_empty()) else {
        return Ok(PLUGIN_PROTOCOL_VERSION);
    };
    let speaks_ours = offered
        .split(',')
        .filter_map(|v| v.trim().parse::<u32>().ok())
        .any(|v| v == PLUGIN_PROTOCOL_VERSION);
    if speaks_ours {
        Ok(PLUGIN_PROTOCOL_VERSION)
    } else {
        Err(ProtocolError::UnsupportedProtocolVersions {
            offered: offered.to_owned(),
        })
    }
}

/// The ports terraform allows, or `None` to let the OS pick any free one.
/// When only one bound is set the other is open-ended (1024 or 65535).
pub fn port_range(
    min: Option<&str>,
    max: Option<&str>,
) -> Result<Option<RangeInclusive<u16>>, ProtocolError> {
    let parse = |key: &str, value: Option<&str>| -> Result<Option<u16>, ProtocolError> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse::<u16>().map(Some).map_err(|_| {
                ProtocolError::InvalidPortRange(format!("{key}={v:?} is not a port number"))
            }),
        }
    };
    let (min, max) = match (parse(MIN_PORT_KEY, min)?, parse(MAX_PORT_KEY, max)?) {
        (None, None) => return Ok(None),
        (min, max) => (min.unwrap_or(1024), max.unwrap_or(u16::MAX)),
    };
    if min == 0 || min > max {
        return Err(ProtocolError::InvalidPortRange(format!(
            "{MIN_PORT_KEY}={min} and {MAX_PORT_KEY}={max} do not form a range of usable ports"
        )));
    }
    Ok(Some(min..=max))
}

/// Binds a listener on 127.0.0.1: on a free port inside `range`, or on any
/// free port when `range` is `None`. The search starts at a random port of
/// the range so that providers launched side by side rarely race for the
/// same one.
pub async fn bind_listener(
    range: Option<RangeInclusive<u16>>,
) -> Result<TcpListener, ProtocolError> {
    let Some(range) = range else {
        return TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(ProtocolError::Listen);
    };
    let (min, max) = (*range.start(), *range.end());
    let span = u32::from(max - min) + 1;
    let start = fastrand::u32(0..span);
    for step in 0..span {
        let offset = (start + step) % span;
        // offset < span <= 65536 - min, so the sum fits a u16.
        let Ok(port) = u16::try_from(u32::from(min) + offset) else {
            continue;
        };
        match TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
            Ok(listener) => return Ok(listener),
            Err(e) if is_port_taken(&e) => continue,
            Err(e) => return Err(ProtocolError::Listen(e)),
        }
    }
    Err(ProtocolError::NoFreePort { min, max })
}

fn is_port_taken(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::AddrInUse | std::io::ErrorKind::PermissionDenied
    )
}

/// The line terraform waits for on our stdout:
/// `1|5|tcp|127.0.0.1:PORT|grpc|CERT`, CERT being the server certificate's
/// DER in unpadded standard base64, or empty when TLS is off.
pub fn handshake_line(
    protocol_version: u32,
    addr: SocketAddr,
    server_cert_der: Option<&[u8]>,
) -> String {
    let cert = server_cert_der.map_or_else(String::new, |der| STANDARD_NO_PAD.encode(der));
    format!("{CORE_PROTOCOL_VERSION}|{protocol_version}|tcp|{addr}|grpc|{cert}")
}

/// The shell line a person pastes to point terraform at a provider started
/// with `--debug` (terraform then dials it without TLS and never stops it).
pub fn reattach_line(provider_address: &str, pid: u32, addr: SocketAddr) -> String {
    // serde_json quotes and escapes the two strings; the rest is fixed.
    let quote = |s: &str| serde_json::Value::from(s).to_string();
    format!(
        "TF_REATTACH_PROVIDERS='{{{}:{{\"Protocol\":\"grpc\",\"ProtocolVersion\":{PLUGIN_PROTOCOL_VERSION},\"Pid\":{pid},\"Test\":true,\"Addr\":{{\"Network\":\"tcp\",\"String\":{}}}}}}}'",
        quote(provider_address),
        quote(&addr.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_cookie_must_match_exactly() {
        let cases: &[(Option<&str>, bool)] = &[
            (Some(MAGIC_COOKIE_VALUE), true),
            (None, false),
            (Some(""), false),
            (Some("d602bf8f"), false),
            (Some(&"x".repeat(64)), false),
        ];
        for (value, ok) in cases {
            assert_eq!(check_magic_cookie(*value).is_ok(), *ok, "{value:?}");
        }
    }

    #[test]
    fn not_launched_error_displays_the_friendly_message() {
        let text = ProtocolError::NotLaunchedByTerraform.to_string();
        assert!(text.contains("terraform init"), "{text}");
        assert!(text.contains("--debug"), "{text}");
    }

    #[test]
    fn protocol_version_negotiation() {
        let cases: &[(Option<&str>, Option<u32>)] = &[
            (None, Some(5)),
            (Some(""), Some(5)),
            (Some("5"), Some(5)),
            (Some("5,6"), Some(5)),
            (Some("6,5"), Some(5)),
            (Some(" 6 , 5 "), Some(5)),
            (Some("x,5"), Some(5)),
            (Some("6"), None),
            (Some("4,6"), None),
            (Some("55"), None),
            (Some("abc"), None),
        ];
        for (offered, want) in cases {
            let got = negotiate_protocol_version(*offered);
            match want {
                Some(v) => assert_eq!(got.ok(), Some(*v), "{offered:?}"),
                None => assert!(
                    matches!(got, Err(ProtocolError::UnsupportedProtocolVersions { .. })),
                    "{offered:?}: {got:?}"
                ),
            }
        }
    }

    #[test]
    fn port_range_parsing() {
        type Case = (
            Option<&'static str>,
            Option<&'static str>,
            Option<Option<(u16, u16)>>,
        );
        let cases: &[Case] = &[
            (None, None, Some(None)),
            (Some(""), Some(" "), Some(None)),
            (Some("10000"), Some("25000"), Some(Some((10000, 25000)))),
            (Some("20000"), Some("20000"), Some(Some((20000, 20000)))),
            (Some("30000"), None, Some(Some((30000, 65535)))),
            (None, Some("3000"), Some(Some((1024, 3000)))),
            (Some("25000"), Some("10000"), None),
            (Some("0"), Some("10"), None),
            (Some("-1"), Some("10"), None),
            (Some("10"), Some("70000"), None),
            (Some("ten"), None, None),
        ];
        for (min, max, want) in cases {
            let got = port_range(*min, *max);
            match want {
                Some(want) => {
                    let got = got.unwrap_or_else(|e| panic!("{min:?}..{max:?}: {e}"));
                    assert_eq!(
                        got.map(|r| (*r.start(), *r.end())),
                        *want,
                        "{min:?}..{max:?}"
                    );
                }
                None => assert!(
                    matches!(got, Err(ProtocolError::InvalidPortRange(_))),
                    "{min:?}..{max:?}: {got:?}"
                ),
            }
        }
    }

    #[test]
    fn handshake_line_format() {
        let addr: SocketAddr = "127.0.0.1:12345".parse().unwrap();
        let cases: &[(Option<&[u8]>, &str)] = &[
            (None, "1|5|tcp|127.0.0.1:12345|grpc|"),
            // One and two bytes would need padding ("AQ==", "AQI="): none is written.
            (Some(&[1]), "1|5|tcp|127.0.0.1:12345|grpc|AQ"),
            (Some(&[1, 2]), "1|5|tcp|127.0.0.1:12345|grpc|AQI"),
            (Some(&[1, 2, 3]), "1|5|tcp|127.0.0.1:12345|grpc|AQID"),
            // Standard alphabet (+ and /), not the URL-safe one.
            (Some(&[0xfb, 0xff]), "1|5|tcp|127.0.0.1:12345|grpc|+/8"),
        ];
        for (cert, want) in cases {
            assert_eq!(handshake_line(5, addr, *cert), *want);
        }
    }

    #[test]
    fn reattach_line_is_shell_quoted_json() {
        let addr: SocketAddr = "127.0.0.1:4321".parse().unwrap();
        let line = reattach_line("registry.terraform.io/intune-tf/intune", 77, addr);
        let json = line
            .strip_prefix("TF_REATTACH_PROVIDERS='")
            .and_then(|rest| rest.strip_suffix('\''))
            .unwrap_or_else(|| panic!("not a quoted assignment: {line}"));
        let parsed: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({
                "registry.terraform.io/intune-tf/intune": {
                    "Protocol": "grpc",
                    "ProtocolVersion": 5,
                    "Pid": 77,
                    "Test": true,
                    "Addr": {"Network": "tcp", "String": "127.0.0.1:4321"}
                }
            })
        );
    }

    #[tokio::test]
    async fn binds_inside_the_requested_range() {
        // Occupy one port and offer a range of exactly that port plus one
        // more: the listener must land on the free one.
        let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = taken.local_addr().unwrap().port();
        let Some(next) = port.checked_add(1) else {
            return;
        };
        for _ in 0..10 {
            match bind_listener(Some(port..=next)).await {
                Ok(listener) => {
                    let addr = listener.local_addr().unwrap();
                    assert_eq!(addr.ip(), Ipv4Addr::LOCALHOST);
                    assert_eq!(addr.port(), next);
                }
                // Someone else holds `next` too.
                Err(ProtocolError::NoFreePort { min, max }) => assert_eq!((min, max), (port, next)),
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[tokio::test]
    async fn reports_a_full_range() {
        let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = taken.local_addr().unwrap().port();
        let got = bind_listener(Some(port..=port)).await;
        assert!(
            matches!(got, Err(ProtocolError::NoFreePort { min, max }) if min == port && max == port),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn binds_any_loopback_port_without_a_range() {
        let listener = bind_listener(None).await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert_eq!(addr.ip(), Ipv4Addr::LOCALHOST);
        assert_ne!(addr.port(), 0);
    }
}
