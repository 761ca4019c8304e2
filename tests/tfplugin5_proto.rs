//! `proto/tfplugin5.proto` must stay the protocol Terraform speaks: the
//! structure of hashicorp/terraform's `docs/plugin-protocol/tfplugin5.proto`
//! at tag v1.14.0. An RPC added or dropped here (as once happened with
//! state-store RPCs that only protocol 6 has) would make the provider serve
//! a different service than the one Terraform calls, so both the RPC list
//! and a fingerprint of every name and field number are pinned.
//!
//! To move to a newer tag, point `TFPLUGIN5_UPSTREAM` at upstream's file of
//! that tag: the test then compares the two token by token and prints the
//! first difference, and the new pins can be taken from its output.

const PROTO: &str = include_str!("../proto/tfplugin5.proto");

/// `service Provider` of tfplugin5 at v1.14.0 (protocol 5.10), in
/// upstream's order, as `Name(Request) returns (Response)`.
const PROVIDER_RPCS: &[&str] = &[
    "GetMetadata(GetMetadata.Request) returns (GetMetadata.Response)",
    "GetSchema(GetProviderSchema.Request) returns (GetProviderSchema.Response)",
    "PrepareProviderConfig(PrepareProviderConfig.Request) returns (PrepareProviderConfig.Response)",
    "ValidateResourceTypeConfig(ValidateResourceTypeConfig.Request) returns (ValidateResourceTypeConfig.Response)",
    "ValidateDataSourceConfig(ValidateDataSourceConfig.Request) returns (ValidateDataSourceConfig.Response)",
    "UpgradeResourceState(UpgradeResourceState.Request) returns (UpgradeResourceState.Response)",
    "GetResourceIdentitySchemas(GetResourceIdentitySchemas.Request) returns (GetResourceIdentitySchemas.Response)",
    "UpgradeResourceIdentity(UpgradeResourceIdentity.Request) returns (UpgradeResourceIdentity.Response)",
    "Configure(Configure.Request) returns (Configure.Response)",
    "ReadResource(ReadResource.Request) returns (ReadResource.Response)",
    "PlanResourceChange(PlanResourceChange.Request) returns (PlanResourceChange.Response)",
    "ApplyResourceChange(ApplyResourceChange.Request) returns (ApplyResourceChange.Response)",
    "ImportResourceState(ImportResourceState.Request) returns (ImportResourceState.Response)",
    "MoveResourceState(MoveResourceState.Request) returns (MoveResourceState.Response)",
    "ReadDataSource(ReadDataSource.Request) returns (ReadDataSource.Response)",
    "GenerateResourceConfig(GenerateResourceConfig.Request) returns (GenerateResourceConfig.Response)",
    "ValidateEphemeralResourceConfig(ValidateEphemeralResourceConfig.Request) returns (ValidateEphemeralResourceConfig.Response)",
    "OpenEphemeralResource(OpenEphemeralResource.Request) returns (OpenEphemeralResource.Response)",
    "RenewEphemeralResource(RenewEphemeralResource.Request) returns (RenewEphemeralResource.Response)",
    "CloseEphemeralResource(CloseEphemeralResource.Request) returns (CloseEphemeralResource.Response)",
    "ListResource(ListResource.Request) returns (stream ListResource.Event)",
    "ValidateListResourceConfig(ValidateListResourceConfig.Request) returns (ValidateListResourceConfig.Response)",
    "GetFunctions(GetFunctions.Request) returns (GetFunctions.Response)",
    "CallFunction(CallFunction.Request) returns (CallFunction.Response)",
    "PlanAction(PlanAction.Request) returns (PlanAction.Response)",
    "InvokeAction(InvokeAction.Request) returns (stream InvokeAction.Event)",
    "ValidateActionConfig(ValidateActionConfig.Request) returns (ValidateActionConfig.Response)",
    "Stop(Stop.Request) returns (Stop.Response)",
];

/// `service Provisioner`, which shares the package (not served here).
const PROVISIONER_RPCS: &[&str] = &[
    "GetSchema(GetProvisionerSchema.Request) returns (GetProvisionerSchema.Response)",
    "ValidateProvisionerConfig(ValidateProvisionerConfig.Request) returns (ValidateProvisionerConfig.Response)",
    "ProvisionResource(ProvisionResource.Request) returns (stream ProvisionResource.Response)",
    "Stop(Stop.Request) returns (Stop.Response)",
];

/// Token count and FNV-1a fingerprint of [`structure`] for upstream's file
/// at v1.14.0 (`TFPLUGIN5_UPSTREAM` prints both for another file).
const UPSTREAM_TOKENS: usize = 2267;
const UPSTREAM_FINGERPRINT: u64 = 0x72a0_a49e_7888_9978;

/// The file without comments and without the `go_package` option (a Go
/// import path, the one upstream line that is not protocol): every name,
/// keyword, number and punctuation mark, in order.
fn structure(proto: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for line in proto.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut chars = code.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
            } else if c == '"' {
                let mut s = String::from(chars.next().unwrap());
                for c in chars.by_ref() {
                    s.push(c);
                    if c == '"' {
                        break;
                    }
                }
                tokens.push(s);
            } else if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                        s.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(s);
            } else {
                tokens.push(chars.next().unwrap().to_string());
            }
        }
    }
    // `option go_package = "…" ;`
    while let Some(at) = tokens
        .windows(2)
        .position(|w| w[0] == "option" && w[1] == "go_package")
    {
        tokens.drain(at..at + 5);
    }
    tokens
}

fn fingerprint(tokens: &[String]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in tokens.join(" ").bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The RPCs of `service NAME { … }`, as `Name(Request) returns (Response)`.
fn rpcs(tokens: &[String], service: &str) -> Vec<String> {
    let start = tokens
        .windows(2)
        .position(|w| w[0] == "service" && w[1] == service)
        .unwrap_or_else(|| panic!("no service {service}"));
    let mut out = Vec::new();
    let mut i = start + 3; // past `service NAME {`
    while tokens[i] != "}" {
        assert_eq!(tokens[i], "rpc", "only rpcs in service {service}");
        let end = i + tokens[i..].iter().position(|t| t == ";").unwrap();
        let sig = &tokens[i + 1..end];
        let mut text = String::new();
        for (n, t) in sig.iter().enumerate() {
            // `Name(Request) returns (Response)`: a space between tokens
            // except around the parentheses' contents and after the name.
            let glue = n == 0 || t == ")" || sig[n - 1] == "(" || (n == 1 && t == "(");
            if !glue {
                text.push(' ');
            }
            text.push_str(t);
        }
        out.push(text);
        i = end + 1;
    }
    out
}

#[test]
fn the_provider_service_has_exactly_the_rpcs_of_v1_14_0() {
    let tokens = structure(PROTO);
    assert_eq!(rpcs(&tokens, "Provider"), PROVIDER_RPCS);
    assert_eq!(rpcs(&tokens, "Provisioner"), PROVISIONER_RPCS);
}

#[test]
fn every_name_and_field_number_is_upstreams() {
    let ours = structure(PROTO);
    if let Ok(path) = std::env::var("TFPLUGIN5_UPSTREAM") {
        let upstream = structure(&std::fs::read_to_string(&path).expect("TFPLUGIN5_UPSTREAM"));
        println!(
            "{path}: {} tokens, fingerprint {:#018x}",
            upstream.len(),
            fingerprint(&upstream)
        );
        if let Some(at) = ours.iter().zip(&upstream).position(|(a, b)| a != b) {
            panic!(
                "first difference at token {at}: ours `{}`, upstream `{}`",
                ours[at..]
                    .iter()
                    .take(12)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" "),
                upstream[at..]
                    .iter()
                    .take(12)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        assert_eq!(
            ours.len(),
            upstream.len(),
            "one file is a prefix of the other"
        );
    }
    assert_eq!(
        (ours.len(), fingerprint(&ours)),
        (UPSTREAM_TOKENS, UPSTREAM_FINGERPRINT),
        "proto/tfplugin5.proto no longer has the structure of upstream's v1.14.0 file"
    );
}

#[test]
fn comments_and_the_go_package_option_do_not_count() {
    let plain = "syntax = \"proto3\";\nmessage A { string b = 1; }\n";
    let noisy = "// ours\nsyntax = \"proto3\";\noption go_package = \"x/y\";\n\
                 message A { // a comment\n  string b = 1; // more\n}\n";
    assert_eq!(structure(plain), structure(noisy));
    let renumbered = "syntax = \"proto3\";\nmessage A { string b = 2; }\n";
    assert_ne!(
        fingerprint(&structure(plain)),
        fingerprint(&structure(renumbered))
    );
}
