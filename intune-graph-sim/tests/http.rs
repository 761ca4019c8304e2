//! Drives the Graph simulator over real HTTP, as the provider's client will:
//! token endpoint, CRUD on every trusted-root type, validation failures,
//! paging, filters, faults, the rootCertificate link and assignments.
//! Helpers are at the bottom.

use std::time::Duration;

use intune_graph_sim::{Consistency, Fault, NoFilterEcho, SimConfig, Simulator};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CERT: &str = "MIIBszCCAVmgAwIBAgIUJ4DfVJ0v"; // valid padded base64, not parsed
const GROUP_A: &str = "11111111-aaaa-4aaa-8aaa-111111111111";
const GROUP_B: &str = "22222222-bbbb-4bbb-8bbb-222222222222";
const FILTER: &str = "33333333-cccc-4ccc-8ccc-333333333333";

/// The nine trusted-root types of the deviceConfigurations collection.
const TRUSTED_TYPES: [&str; 9] = [
    "androidTrustedRootCertificate",
    "androidDeviceOwnerTrustedRootCertificate",
    "androidForWorkTrustedRootCertificate",
    "androidWorkProfileTrustedRootCertificate",
    "aospDeviceOwnerTrustedRootCertificate",
    "iosTrustedRootCertificate",
    "macOSTrustedRootCertificate",
    "windows81TrustedRootCertificate",
    "windowsPhone81TrustedRootCertificate",
];

// ---------------------------------------------------------------- token endpoint

/// Most tests here check one rule of the simulator and count its requests
/// exactly, so they turn off what plays Graph's consistency and paging
/// (new objects unseen for a few reads, pages of 3); the tests of those
/// behaviours turn them on.
fn exact() -> SimConfig {
    SimConfig {
        consistency: Consistency::IMMEDIATE,
        page_size: 100,
        ..SimConfig::default()
    }
}

#[tokio::test]
async fn token_success_shape() {
    let h = Harness::start(exact()).await;
    for scope in [
        "https://graph.microsoft.com/.default",
        "https://graph.microsoft.us/.default",
        "https://dod-graph.microsoft.us/.default",
        "https://microsoftgraph.chinacloudapi.cn/.default",
        "00000003-0000-0000-c000-000000000000/.default",
    ] {
        let (status, body) = h
            .token_request(&token_form(&h.sim, &[("scope", scope)]))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["ext_expires_in"], 3600);
        assert!(
            body["access_token"].as_str().is_some_and(|t| t.len() > 20),
            "{body}"
        );
    }
}

/// The simulator stands in for Graph, but a token is for Graph's resource:
/// its own URL is refused as a scope and as a managed identity resource,
/// as Entra ID would refuse it.
#[tokio::test]
async fn the_simulators_own_url_is_not_a_resource() {
    let h = Harness::start(SimConfig {
        managed_identity: Some(intune_graph_sim::ManagedIdentities {
            system_assigned: true,
            user_assigned: Vec::new(),
            identity_header: "header".into(),
        }),
        ..SimConfig::default()
    })
    .await;
    let own = h.sim.base_url();
    for scope in [format!("{own}/.default"), format!("{own}/beta/.default")] {
        let (status, body) = h
            .token_request(&token_form(&h.sim, &[("scope", &scope)]))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{scope}: {body}");
        assert_eq!(body["error"], "invalid_resource", "{scope}: {body}");
        assert_eq!(body["error_codes"], json!([500011]), "{scope}: {body}");
    }
    for (resource, expected) in [
        (own.as_str(), StatusCode::BAD_REQUEST),
        ("https://graph.microsoft.us", StatusCode::OK),
    ] {
        let response = h
            .http
            .get(format!(
                "{}?api-version=2018-02-01&resource={resource}",
                h.sim.imds_url()
            ))
            .header("Metadata", "true")
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), expected, "{resource}");
    }
}

#[tokio::test]
async fn token_failure_shapes() {
    let h = Harness::start(exact()).await;
    let cases: [(&str, Option<&str>, StatusCode, &str, u64); 5] = [
        (
            "client_secret",
            Some("not-the-secret"),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
        ),
        (
            "client_id",
            Some("99999999-0000-0000-0000-000000000000"),
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
        ),
        (
            "scope",
            Some("https://graph.microsoft.com/User.Read"),
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
        ),
        (
            "grant_type",
            Some("password"),
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
        ),
        (
            "client_secret",
            None,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
        ),
    ];
    for (field, value, status, error, code) in cases {
        let mut form = token_form(&h.sim, &[]);
        form.retain(|(k, _)| k != field);
        if let Some(value) = value {
            form.push((field.to_owned(), value.to_owned()));
        }
        let (got, body) = h.token_request(&form).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(error)),
            "{field}: {body}"
        );
        assert_eq!(body["error_codes"], json!([code]), "{field}");
        let description = body["error_description"].as_str().unwrap_or_default();
        assert!(
            description.starts_with(&format!("AADSTS{code}: ")),
            "{description}"
        );
        assert!(
            !body.to_string().contains("not-the-secret"),
            "secret echoed: {body}"
        );
        for key in ["timestamp", "trace_id", "correlation_id"] {
            assert!(body[key].is_string(), "{key} missing: {body}");
        }
    }
    let url = format!("{}/some-other-tenant/oauth2/v2.0/token", h.sim.base_url());
    let response = h
        .http
        .post(url)
        .form(&token_form(&h.sim, &[]))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error_codes"], json!([90002]));
    let recorded = h.sim.requests();
    assert!(recorded.iter().all(|r| {
        !r.body
            .as_ref()
            .is_some_and(|b| b.to_string().contains("simulator-secret"))
    }));
    assert!(recorded.iter().any(|r| {
        r.body
            .as_ref()
            .is_some_and(|b| b["client_secret"] == "[REDACTED]")
    }));
    assert_eq!(
        h.sim.write_count(),
        0,
        "token requests are not Graph writes"
    );
}

#[tokio::test]
async fn malformed_token_forms_are_refused() {
    let h = Harness::start(exact()).await;
    let config = h.sim.config();
    let url = format!(
        "{}/{}/oauth2/v2.0/token",
        h.sim.base_url(),
        config.tenant_id
    );
    let fields = |secret: &str, scope: &str| {
        format!(
            "grant_type=client_credentials&client_id={}&client_secret={secret}&scope={scope}",
            config.client_id
        )
    };
    let scope = "https%3A%2F%2Fgraph.microsoft.com%2F.default";
    let secret = config.client_secret.as_str();
    let cases: [(Vec<u8>, &str); 3] = [
        (
            fields(&format!("{secret}%zz"), scope).into_bytes(),
            "the value of 'client_secret' has a '%' not followed by two hexadecimal digits",
        ),
        (
            fields(secret, "%C3%28").into_bytes(),
            "the value of 'scope' does not decode to UTF-8 text",
        ),
        (
            [fields(secret, scope).as_bytes(), b"&x=\xff"].concat(),
            "it is not UTF-8 text",
        ),
    ];
    for (body, fragment) in cases {
        let response = h
            .http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{fragment}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"], "invalid_request", "{body}");
        assert_eq!(body["error_codes"], json!([900144]), "{body}");
        let description = body["error_description"].as_str().unwrap_or_default();
        assert!(
            description.starts_with(&format!(
                "AADSTS900144: The request body must be application/x-www-form-urlencoded data, but {fragment}."
            )),
            "{description}"
        );
        assert!(!body.to_string().contains(secret), "secret echoed: {body}");
    }
    assert!(
        h.sim.requests().iter().all(|r| {
            !r.body
                .as_ref()
                .is_some_and(|b| b.to_string().contains(secret))
        }),
        "a malformed form is recorded without its secret"
    );
}

#[tokio::test]
async fn graph_requires_a_valid_token() {
    let config = SimConfig {
        token_lifetime: Duration::from_secs(1),
        ..exact()
    };
    let h = Harness::start(config).await;
    let url = h.graph_url("/deviceManagement/deviceConfigurations");
    let cases = [
        (None, "Access token is empty."),
        (Some("Bearer made-up".to_owned()), "validation failure"),
    ];
    for (auth, fragment) in cases {
        let mut request = h.http.get(&url);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Value = response.json().await.expect("json");
        assert_graph_error(&body, "InvalidAuthenticationToken", fragment);
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = h
        .call(Method::GET, "/deviceManagement/deviceConfigurations", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_graph_error(&body, "InvalidAuthenticationToken", "expired");
    let response = h
        .http
        .post(&url)
        .json(&trusted_body("iosTrustedRootCertificate"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        h.sim.write_count(),
        0,
        "unauthenticated writes do not reach validation"
    );
}

// ---------------------------------------------------------------- CRUD

#[tokio::test]
async fn trusted_roots_round_trip_on_every_platform() {
    let h = Harness::start(exact()).await;
    for ty in TRUSTED_TYPES {
        let (status, created) = h
            .call(Method::POST, COLLECTION, Some(trusted_body(ty)))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{ty}: {created}");
        assert_eq!(created["@odata.type"], format!("#microsoft.graph.{ty}"));
        assert!(created["@odata.context"].as_str().is_some_and(|c| {
            c.ends_with("$metadata#deviceManagement/deviceConfigurations/$entity")
        }));
        assert_eq!(created["version"], 1);
        assert_eq!(created["supportsScopeTags"], true);
        assert_eq!(created["roleScopeTagIds"], json!(["0"]));
        assert_eq!(created["description"], Value::Null);
        assert_eq!(created["trustedRootCertificate"], CERT);
        assert_eq!(created["createdDateTime"], created["lastModifiedDateTime"]);
        assert!(
            is_graph_timestamp(&created["createdDateTime"]),
            "{}",
            created["createdDateTime"]
        );
        let id = created["id"].as_str().expect("id").to_owned();

        let (status, read) = h.call(Method::GET, &item(&id), None).await;
        assert_eq!(
            (status, &read),
            (StatusCode::OK, &created),
            "{ty}: GET equals the POST response"
        );

        let (status, body) = h.call(Method::PATCH, &item(&id), Some(json!({"@odata.type": format!("#microsoft.graph.{ty}"), "displayName": "renamed"}))).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{ty}: {body}");
        let (_, read) = h.call(Method::GET, &item(&id), None).await;
        assert_eq!(read["displayName"], "renamed");
        assert_eq!(read["version"], 2);
        assert_ne!(
            read["lastModifiedDateTime"],
            created["lastModifiedDateTime"]
        );
        assert_eq!(read["createdDateTime"], created["createdDateTime"]);

        let (status, _) = h.call(Method::DELETE, &item(&id), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = h.call(Method::GET, &item(&id), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_graph_error(&body, "ResourceNotFound", &id);
        let (status, _) = h.call(Method::DELETE, &item(&id), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    assert!(h.sim.objects().is_empty());
}

#[tokio::test]
async fn create_rejections() {
    let h = Harness::start(exact()).await;
    type Edit = fn(&mut Value);
    let cases: Vec<(&str, Edit, &str, &str)> = vec![
        (
            "unknown property",
            |b| b["colour"] = json!("red"),
            "BadRequest",
            "'colour' does not exist on type 'microsoft.graph.windows81TrustedRootCertificate'",
        ),
        (
            "read-only id",
            |b| b["id"] = json!("x"),
            "ModelValidationFailure",
            "'id' is read-only",
        ),
        (
            "read-only createdDateTime",
            |b| b["createdDateTime"] = json!("2026-01-01T00:00:00Z"),
            "ModelValidationFailure",
            "'createdDateTime' is read-only",
        ),
        (
            "missing @odata.type",
            |b| remove(b, "@odata.type"),
            "ModelValidationFailure",
            "abstract",
        ),
        (
            "wrong @odata.type",
            |b| b["@odata.type"] = json!("#microsoft.graph.windows10XTrustedRootCertificate"),
            "ModelValidationFailure",
            "resourceAccessProfiles",
        ),
        (
            "unknown @odata.type",
            |b| b["@odata.type"] = json!("#microsoft.graph.unicorn"),
            "BadRequest",
            "could not be resolved",
        ),
        (
            "bad enum",
            |b| b["destinationStore"] = json!("root"),
            "BadRequest",
            "not a member of enum 'microsoft.graph.certificateDestinationStore'",
        ),
        (
            "bad base64",
            |b| b["trustedRootCertificate"] = json!("%%%"),
            "BadRequest",
            "'trustedRootCertificate' is invalid: it is not standard base64",
        ),
        (
            "null non-nullable",
            |b| b["displayName"] = Value::Null,
            "ModelValidationFailure",
            "'displayName' cannot be null",
        ),
        (
            "missing required",
            |b| remove(b, "destinationStore"),
            "ModelValidationFailure",
            "'destinationStore' is required",
        ),
        (
            "wrong JSON type",
            |b| b["roleScopeTagIds"] = json!("0"),
            "BadRequest",
            "'roleScopeTagIds' must be an array",
        ),
    ];
    for (name, edit, code, fragment) in cases {
        let before = h.sim.write_count();
        let mut body = trusted_body("windows81TrustedRootCertificate");
        edit(&mut body);
        let (status, error) = h.call(Method::POST, COLLECTION, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {error}");
        assert_graph_error(&error, code, fragment);
        assert_eq!(
            h.sim.write_count(),
            before + 1,
            "{name}: a rejected write still counts"
        );
    }
    let mut scep = scep_body("macOSScepCertificateProfile", None);
    scep["renewalThresholdPercentage"] = json!(100);
    let (status, error) = h.call(Method::POST, COLLECTION, Some(scep)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_graph_error(
        &error,
        "ModelValidationFailure",
        "'renewalThresholdPercentage' must be between 1 and 99",
    );

    let response = h
        .request(Method::POST, COLLECTION)
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = h
        .request(Method::POST, COLLECTION)
        .body(trusted_body("iosTrustedRootCertificate").to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "a body must be declared as JSON"
    );
    assert!(h.sim.objects().is_empty(), "nothing was created");
}

#[tokio::test]
async fn patch_rules_and_versions() {
    let h = Harness::start(exact()).await;
    let id = h
        .create(scep_body("macOSScepCertificateProfile", None))
        .await;
    let no_op = "Invalid patch, at least 1 property must be changed";
    /// (name, body, status, message fragment, version afterwards)
    type Case = (
        &'static str,
        Option<Value>,
        StatusCode,
        Option<&'static str>,
        i64,
    );
    let cases: Vec<Case> = vec![
        (
            "no type",
            Some(json!({"@odata.type": null, "displayName": "x"})),
            StatusCode::BAD_REQUEST,
            Some("must be a string"),
            1,
        ),
        (
            "same value",
            Some(json!({"displayName": "scep"})),
            StatusCode::BAD_REQUEST,
            Some(no_op),
            1,
        ),
        (
            "empty object",
            Some(json!({})),
            StatusCode::BAD_REQUEST,
            Some(no_op),
            1,
        ),
        (
            "no body",
            None,
            StatusCode::BAD_REQUEST,
            Some("Cannot create an abstract class"),
            1,
        ),
        (
            "flags in another order",
            Some(json!({"keyUsage": "keyEncipherment, digitalSignature"})),
            StatusCode::BAD_REQUEST,
            Some(no_op),
            1,
        ),
        (
            "other type",
            Some(
                json!({"@odata.type": "#microsoft.graph.iosScepCertificateProfile", "displayName": "x"}),
            ),
            StatusCode::BAD_REQUEST,
            Some("cannot change"),
            1,
        ),
        (
            "read-only",
            Some(json!({"version": 7})),
            StatusCode::BAD_REQUEST,
            Some("'version' is read-only"),
            1,
        ),
        (
            "bad value",
            Some(json!({"keySize": "size512"})),
            StatusCode::BAD_REQUEST,
            Some("microsoft.graph.keySize"),
            1,
        ),
        (
            "change",
            Some(json!({"description": "d"})),
            StatusCode::NO_CONTENT,
            None,
            2,
        ),
        (
            "another change",
            Some(json!({"keyUsage": "digitalSignature"})),
            StatusCode::NO_CONTENT,
            None,
            3,
        ),
    ];
    for (name, body, status, fragment, version) in cases {
        // Graph needs the concrete type on every PATCH (it is checked on
        // its own below); the cases test everything else.
        let body = body.map(|mut b| {
            if let Some(o) = b.as_object_mut() {
                o.entry("@odata.type")
                    .or_insert(json!("#microsoft.graph.macOSScepCertificateProfile"));
            }
            b
        });
        let (got, error) = h.call(Method::PATCH, &item(&id), body).await;
        assert_eq!(got, status, "{name}: {error}");
        if let Some(fragment) = fragment {
            assert!(
                error["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(fragment)),
                "{name}: {error}"
            );
        }
        let (_, read) = h.call(Method::GET, &item(&id), None).await;
        assert_eq!(read["version"], version, "{name}");
    }
    let (_, read) = h.call(Method::GET, &item(&id), None).await;
    assert_eq!(read["keyUsage"], "digitalSignature");
    let (status, _) = h
        .call(
            Method::PATCH,
            &item("00000000-0000-0000-0000-000000000001"),
            Some(json!({"displayName": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn flags_come_back_in_declaration_order() {
    let h = Harness::start(exact()).await;
    let mut body = scep_body("windows81SCEPCertificateProfile", None);
    body["keyUsage"] = json!("digitalSignature,keyEncipherment");
    body["hashAlgorithm"] = json!("sha2,sha1");
    let (status, created) = h.call(Method::POST, COLLECTION, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["keyUsage"], "keyEncipherment,digitalSignature");
    assert_eq!(created["hashAlgorithm"], "sha1,sha2");
}

// ---------------------------------------------------------------- lists

#[tokio::test]
async fn paging_follows_next_links() {
    let h = Harness::start(SimConfig {
        page_size: 2,
        ..exact()
    })
    .await;
    let mut ids = Vec::new();
    for ty in &TRUSTED_TYPES[..5] {
        ids.push(h.create(trusted_body(ty)).await);
    }
    let (pages, seen) = h.list_all(&format!("{}{COLLECTION}", h.graph_base())).await;
    assert_eq!(pages, vec![2, 2, 1]);
    assert_eq!(seen, ids, "every object once, in creation order");

    let (status, body) = h
        .call(Method::GET, &format!("{COLLECTION}?$top=3"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let next = body["@odata.nextLink"]
        .as_str()
        .expect("next link")
        .to_owned();
    assert!(
        next.starts_with(&h.graph_base())
            && next.contains("$top=3")
            && next.contains("$skiptoken="),
        "{next}"
    );
    let (pages, seen) = h
        .list_all(&format!("{}{COLLECTION}?$top=3", h.graph_base()))
        .await;
    assert_eq!((pages, seen.len()), (vec![2, 1], 3));

    let cases = [
        ("$orderby=displayName", "'$orderby' is not supported"),
        ("$skiptoken=forged", "$skiptoken value is not valid"),
        ("$filter=startswith(displayName,'a')", "Invalid $filter"),
    ];
    for (query, fragment) in cases {
        let (status, body) = h
            .call(Method::GET, &format!("{COLLECTION}?{query}"), None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_graph_error(&body, "BadRequest", fragment);
    }
}

#[tokio::test]
async fn isof_filters() {
    let h = Harness::start(SimConfig {
        page_size: 2,
        ..exact()
    })
    .await;
    let ios_root = h.create(trusted_body("iosTrustedRootCertificate")).await;
    let mac_root = h.create(trusted_body("macOSTrustedRootCertificate")).await;
    let mac_scep = h
        .create(scep_body("macOSScepCertificateProfile", Some(&mac_root)))
        .await;
    let _win = h
        .create(trusted_body("windows81TrustedRootCertificate"))
        .await;
    let cases: Vec<(&str, Vec<&String>)> = vec![
        (
            "isof('microsoft.graph.iosTrustedRootCertificate')",
            vec![&ios_root],
        ),
        (
            "isof('microsoft.graph.iosTrustedRootCertificate') or isof('microsoft.graph.macOSScepCertificateProfile')",
            vec![&ios_root, &mac_scep],
        ),
        (
            "isof('microsoft.graph.macOSCertificateProfileBase')",
            vec![&mac_scep],
        ),
        (
            "isof('microsoft.graph.windows10PkcsCertificateProfile')",
            vec![],
        ),
        ("displayName eq 'scep'", vec![&mac_scep]),
    ];
    for (filter, expected) in cases {
        let url = reqwest::Url::parse_with_params(
            &format!("{}{COLLECTION}", h.graph_base()),
            &[("$filter", filter)],
        )
        .expect("url");
        let (_, seen) = h.list_all(url.as_str()).await;
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(seen, expected, "{filter}");
    }
    let requests = h.sim.requests();
    let last = requests.last().expect("recorded");
    assert_eq!(
        last.query_param("$filter").as_deref(),
        Some("displayName eq 'scep'"),
        "nextLink kept the filter"
    );
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn throttling_and_server_errors() {
    let h = Harness::start(exact()).await;
    let cases = [
        (
            Fault::Throttle {
                count: 1,
                retry_after_secs: Some(3),
            },
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            Some("3"),
        ),
        (
            Fault::Throttle {
                count: 1,
                retry_after_secs: None,
            },
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            None,
        ),
        (
            Fault::ServerError {
                count: 1,
                status: 503,
                retry_after_secs: Some(1),
            },
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            Some("1"),
        ),
        (
            Fault::ServerError {
                count: 1,
                status: 504,
                retry_after_secs: None,
            },
            StatusCode::GATEWAY_TIMEOUT,
            "GatewayTimeout",
            None,
        ),
        (
            Fault::ServerError {
                count: 1,
                status: 500,
                retry_after_secs: None,
            },
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            None,
        ),
    ];
    for (fault, status, code, retry_after) in cases {
        h.sim.inject(fault.clone());
        let response = h
            .request(Method::GET, COLLECTION)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), status, "{fault:?}");
        let header = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        assert_eq!(header.as_deref(), retry_after, "{fault:?}");
        let body: Value = response.json().await.expect("json");
        assert_graph_error(&body, code, "");
        let (status, _) = h.call(Method::GET, COLLECTION, None).await;
        assert_eq!(status, StatusCode::OK, "{fault:?} applies once");
    }

    h.sim.inject_on(
        "POST",
        Fault::Throttle {
            count: 2,
            retry_after_secs: None,
        },
    );
    let (status, _) = h.call(Method::GET, COLLECTION, None).await;
    assert_eq!(status, StatusCode::OK, "a POST-only fault leaves GET alone");
    let writes = h.sim.write_count();
    for _ in 0..2 {
        let (status, _) = h
            .call(
                Method::POST,
                COLLECTION,
                Some(trusted_body("iosTrustedRootCertificate")),
            )
            .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
    assert_eq!(
        h.sim.write_count(),
        writes,
        "throttled writes never reached validation"
    );
    h.create(trusted_body("iosTrustedRootCertificate")).await;
}

#[tokio::test]
async fn dropped_connections_and_token_outages() {
    let h = Harness::start(exact()).await;
    h.sim.inject(Fault::DropConnection { count: 1 });
    let error = h
        .request(Method::GET, COLLECTION)
        .send()
        .await
        .expect_err("connection dropped");
    assert!(
        error.is_request() || error.is_connect() || error.is_body(),
        "{error:?}"
    );
    let (status, _) = h.call(Method::GET, COLLECTION, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        h.sim.requests().iter().any(|r| r.status == 0),
        "the drop is recorded with status 0"
    );

    h.sim.inject(Fault::TokenError { count: 1 });
    let (status, body) = h.token_request(&token_form(&h.sim, &[])).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"], "temporarily_unavailable");
    let (status, _) = h.token_request(&token_form(&h.sim, &[])).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn read_after_write_delay() {
    let h = Harness::start(exact()).await;
    let old = h.create(trusted_body("iosTrustedRootCertificate")).await;
    h.sim.inject(Fault::ReadAfterWrite404 { count: 2 });
    let new = h.create(trusted_body("iosTrustedRootCertificate")).await;
    let (status, _) = h.call(Method::GET, &item(&old), None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "objects written before the fault stay visible"
    );
    for expected in [StatusCode::NOT_FOUND, StatusCode::NOT_FOUND, StatusCode::OK] {
        let (status, _) = h.call(Method::GET, &item(&new), None).await;
        assert_eq!(status, expected);
    }
}

#[tokio::test]
async fn new_objects_replicate_by_default() {
    // Graph's behaviour out of the box: no test gets a lenient fake unless
    // it asks for one.
    let defaults = SimConfig::default();
    assert_eq!(defaults.consistency, Consistency { reads: 2, lists: 2 });
    assert!(defaults.enforce_write_limit);
    assert_eq!(defaults.page_size, 3);
    let h = Harness::start(defaults).await;
    let portal = h
        .sim
        .insert_object(trusted_body("iosTrustedRootCertificate"))
        .expect("inserted");
    let new = h.create(trusted_body("iosTrustedRootCertificate")).await;
    let (status, _) = h.call(Method::GET, &item(&portal), None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "objects made in the portal show at once"
    );
    let list = h.graph_url(COLLECTION);
    for visible in [false, false, true] {
        let (_, ids) = h.list_all(&list).await;
        assert!(ids.contains(&portal));
        assert_eq!(ids.contains(&new), visible, "listing {ids:?}");
    }
    // Any GET addressing the new object counts: here its assignments.
    let (status, _) = h
        .call(Method::GET, &format!("{}/assignments", item(&new)), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for expected in [StatusCode::NOT_FOUND, StatusCode::OK, StatusCode::OK] {
        let (status, _) = h.call(Method::GET, &item(&new), None).await;
        assert_eq!(status, expected);
    }
}

#[tokio::test]
async fn write_limit_when_enforced() {
    let h = Harness::start(SimConfig {
        enforce_write_limit: true,
        ..exact()
    })
    .await;
    for _ in 0..100 {
        let (status, _) = h
            .call(
                Method::DELETE,
                &item("00000000-0000-0000-0000-000000000001"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let response = h
        .request(
            Method::DELETE,
            &item("00000000-0000-0000-0000-000000000001"),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=20).contains(&wait), "{wait}");
    let (status, _) = h.call(Method::GET, COLLECTION, None).await;
    assert_eq!(status, StatusCode::OK, "reads are not limited");
}

// ---------------------------------------------------------------- rootCertificate

#[tokio::test]
async fn root_certificate_links() {
    let h = Harness::start(exact()).await;
    let mac_root = h.create(trusted_body("macOSTrustedRootCertificate")).await;
    let mac_root_2 = h.create(trusted_body("macOSTrustedRootCertificate")).await;
    let ios_root = h.create(trusted_body("iosTrustedRootCertificate")).await;
    let scep = h
        .create(scep_body("macOSScepCertificateProfile", Some(&mac_root)))
        .await;
    let root_path = format!(
        "{}/microsoft.graph.macOSScepCertificateProfile/rootCertificate",
        item(&scep)
    );

    let (status, root) = h.call(Method::GET, &root_path, None).await;
    assert_eq!(
        (status, root["id"].as_str()),
        (StatusCode::OK, Some(mac_root.as_str())),
        "{root}"
    );
    assert_eq!(
        root["@odata.type"],
        "#microsoft.graph.macOSTrustedRootCertificate"
    );

    let (status, body) = h
        .call(
            Method::POST,
            COLLECTION,
            Some(scep_body("macOSScepCertificateProfile", Some(&ios_root))),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_graph_error(
        &body,
        "ModelValidationFailure",
        "must reference a 'microsoft.graph.macOSTrustedRootCertificate', but",
    );
    assert!(
        body.to_string()
            .contains("microsoft.graph.iosTrustedRootCertificate"),
        "{body}"
    );

    let mut bind_on_root = trusted_body("iosTrustedRootCertificate");
    bind_on_root["rootCertificate@odata.bind"] = json!(bind_url(&ios_root));
    let (status, body) = h.call(Method::POST, COLLECTION, Some(bind_on_root)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_graph_error(
        &body,
        "BadRequest",
        "no navigation property 'rootCertificate'",
    );

    let reference = |id: &str| json!({"@odata.id": format!("https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('{id}')")});
    let (status, body) = h
        .call(
            Method::PUT,
            &format!("{root_path}/$ref"),
            Some(reference(&mac_root_2)),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, root) = h.call(Method::GET, &root_path, None).await;
    assert_eq!(root["id"].as_str(), Some(mac_root_2.as_str()));
    let (_, profile) = h.call(Method::GET, &item(&scep), None).await;
    assert_eq!(profile["version"], 2, "relinking modifies the profile");
    assert!(
        profile.get("rootCertificate").is_none(),
        "GET does not return the navigation"
    );

    let (status, body) = h
        .call(
            Method::PUT,
            &format!("{root_path}/$ref"),
            Some(reference(&ios_root)),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_graph_error(
        &body,
        "ModelValidationFailure",
        "microsoft.graph.iosTrustedRootCertificate",
    );

    let (status, _) = h
        .call(
            Method::PATCH,
            &item(&scep),
            Some(json!({
                "@odata.type": "#microsoft.graph.macOSScepCertificateProfile",
                "rootCertificate@odata.bind": bind_url(&mac_root)
            })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "a PATCH may rebind");
    assert_eq!(h.sim.root_link(&scep).as_deref(), Some(mac_root.as_str()));

    let cases = [
        (
            format!(
                "{}/microsoft.graph.iosScepCertificateProfile/rootCertificate",
                item(&scep)
            ),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("{}/microsoft.graph.nope/rootCertificate", item(&scep)),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{}/rootCertificate", item(&scep)),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{}?$expand=rootCertificate", item(&scep)),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (path, expected) in cases {
        let (status, body) = h.call(Method::GET, &path, None).await;
        assert_eq!(status, expected, "{path}: {body}");
    }

    let (status, _) = h.call(Method::DELETE, &item(&mac_root), None).await;
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "deleting a linked root is allowed"
    );
    let (status, _) = h.call(Method::GET, &root_path, None).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a dangling link reads as 404"
    );
}

// ---------------------------------------------------------------- assignments

#[tokio::test]
async fn assign_replaces_the_whole_set() {
    let h = Harness::start(SimConfig {
        page_size: 2,
        ..exact()
    })
    .await;
    let id = h.create(trusted_body("iosTrustedRootCertificate")).await;
    let assign_path = format!("{}/assign", item(&id));
    let three = json!({"assignments": [
        group_target("groupAssignmentTarget", GROUP_A, Some(FILTER)),
        group_target("exclusionGroupAssignmentTarget", GROUP_B, None),
        {"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}},
    ]});
    let writes = h.sim.write_count();
    let (status, body) = h.call(Method::POST, &assign_path, Some(three)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(h.sim.write_count(), writes + 1, "assign is a write");
    let value = body["value"].as_array().expect("value");
    assert_eq!(value.len(), 3);
    assert_eq!(value[0]["id"], format!("{id}_{GROUP_A}"));
    assert_eq!(value[0]["intent"], "apply");
    assert_eq!(value[0]["source"], "direct");
    assert_eq!(value[0]["sourceId"], id.as_str());
    assert_eq!(
        value[0]["target"]["deviceAndAppManagementAssignmentFilterType"],
        "include"
    );
    assert_eq!(
        value[2]["target"]["deviceAndAppManagementAssignmentFilterType"],
        "none"
    );

    let (pages, ids) = h
        .list_all(&format!("{}{}/assignments", h.graph_base(), item(&id)))
        .await;
    assert_eq!(pages, vec![2, 1], "assignments are paged too");
    assert_eq!(ids.len(), 3);

    let (status, _) = h
        .call(
            Method::POST,
            &assign_path,
            Some(json!({"assignments": [group_target("groupAssignmentTarget", GROUP_B, None)]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, listed) = h
        .call(Method::GET, &format!("{}/assignments", item(&id)), None)
        .await;
    assert_eq!(listed["value"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["value"][0]["target"]["groupId"], GROUP_B);
    let (_, expanded) = h
        .call(
            Method::GET,
            &format!("{}?$expand=assignments", item(&id)),
            None,
        )
        .await;
    assert_eq!(expanded["assignments"], listed["value"]);
    let (_, profile) = h.call(Method::GET, &item(&id), None).await;
    assert_eq!(
        profile["version"], 1,
        "assign does not bump the profile version"
    );

    let rejected = [
        (
            json!({"assignments": [group_target("groupAssignmentTarget", "not-a-guid", None)]}),
            "is not a GUID",
        ),
        (
            json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": GROUP_A, "deviceAndAppManagementAssignmentFilterType": "sometimes"}}]}),
            "deviceAndAppManagementAssignmentFilterType",
        ),
        (
            json!({"assignments": [{"target": {"groupId": GROUP_A}}]}),
            "abstract",
        ),
        (
            json!({"assignments": [group_target("groupAssignmentTarget", GROUP_A, None), group_target("groupAssignmentTarget", GROUP_A, None)]}),
            "each target may appear once",
        ),
        (json!({}), "'assignments' is required"),
    ];
    for (body, fragment) in rejected {
        let (status, error) = h.call(Method::POST, &assign_path, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(fragment)),
            "{fragment}: {error}"
        );
    }
    let (status, _) = h
        .call(Method::POST, &assign_path, Some(json!({"assignments": []})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        h.sim.assignments(&id),
        Some(Vec::new()),
        "an empty list clears the set"
    );
    let (status, _) = h
        .call(
            Method::POST,
            &format!("{}/assign", item("00000000-0000-0000-0000-000000000009")),
            Some(json!({"assignments": []})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn targets_without_a_filter_echo_the_configured_form() {
    let cases = [
        (NoFilterEcho::Null, Value::Null),
        (NoFilterEcho::Empty, json!("")),
        (
            NoFilterEcho::ZeroGuid,
            json!("00000000-0000-0000-0000-000000000000"),
        ),
    ];
    for (echo, expected) in cases {
        let h = Harness::start(SimConfig {
            no_filter_echo: echo,
            ..exact()
        })
        .await;
        let id = h.create(trusted_body("iosTrustedRootCertificate")).await;
        let body = json!({"assignments": [
            group_target("groupAssignmentTarget", GROUP_A, Some(FILTER)),
            group_target("groupAssignmentTarget", GROUP_B, None),
        ]});
        let (status, _) = h
            .call(Method::POST, &format!("{}/assign", item(&id)), Some(body))
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, listed) = h
            .call(Method::GET, &format!("{}/assignments", item(&id)), None)
            .await;
        let filter_id = |i: usize| {
            listed["value"][i]["target"]["deviceAndAppManagementAssignmentFilterId"].clone()
        };
        assert_eq!(
            filter_id(0),
            json!(FILTER),
            "{echo:?}: a real filter is kept"
        );
        assert_eq!(filter_id(1), expected, "{echo:?}");
        assert_eq!(
            listed["value"][1]["target"]["deviceAndAppManagementAssignmentFilterType"],
            "none"
        );
    }
}

// ---------------------------------------------------------------- misc

#[tokio::test]
async fn headers_versions_and_unknown_paths() {
    let h = Harness::start(exact()).await;
    let response = h
        .request(Method::GET, COLLECTION)
        .header("client-request-id", "abc-123")
        .send()
        .await
        .expect("sent");
    let headers = response.headers();
    assert_eq!(
        headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("abc-123")
    );
    assert!(headers.get("request-id").is_some() && headers.get("date").is_some());
    let (status, body) = h
        .call(
            Method::GET,
            "/deviceManagement/deviceConfigurations/x/deviceStatuses",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_graph_error(
        &body,
        "BadRequest",
        "Resource not found for the segment 'deviceStatuses'",
    );
    assert!(body["error"]["innerError"]["request-id"].is_string());

    let url = format!("{}/v1.0{COLLECTION}", h.sim.base_url());
    let response = h
        .http
        .get(url)
        .bearer_auth(&h.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "the profile types do not exist in v1.0"
    );
    let url = format!("{}/v1.0{COLLECTION}", h.sim.base_url());
    let writes = h.sim.write_count();
    let response = h
        .http
        .post(url)
        .bearer_auth(&h.token)
        .json(&trusted_body("iosTrustedRootCertificate"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        h.sim.write_count(),
        writes + 1,
        "a v1.0 write still counts as a write attempt"
    );
}

#[tokio::test]
async fn out_of_band_edits_show_over_http() {
    let h = Harness::start(exact()).await;
    let id = h
        .sim
        .insert_object(trusted_body("iosTrustedRootCertificate"))
        .expect("inserted");
    assert!(
        h.sim
            .insert_object(json!({"displayName": "x"}))
            .expect_err("no type")
            .contains("abstract")
    );
    h.sim
        .patch_object(&id, json!({"displayName": "portal"}))
        .expect("patched");
    assert!(
        h.sim
            .patch_object(&id, json!({"displayName": "portal"}))
            .expect_err("no-op")
            .contains("Invalid patch")
    );
    h.sim.set_assignments(&id, json!([{"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}])).expect("assigned");
    let (_, read) = h
        .call(
            Method::GET,
            &format!("{}?$expand=assignments", item(&id)),
            None,
        )
        .await;
    assert_eq!(read["displayName"], "portal");
    assert_eq!(read["version"], 2);
    assert_eq!(
        read["assignments"][0]["id"],
        format!("{id}_acacacac-9df4-4c7d-9d50-4ef0226f57a9")
    );
    assert_eq!(
        h.sim.object(&id).map(|o| o["displayName"].clone()),
        Some(json!("portal"))
    );
    assert!(h.sim.delete_object(&id));
    let (status, _) = h.call(Method::GET, &item(&id), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        h.sim.write_count(),
        0,
        "out-of-band edits are not client writes"
    );
}

#[tokio::test]
async fn admin_api() {
    let h = Harness::start(exact()).await;
    let id = h.create(trusted_body("iosTrustedRootCertificate")).await;
    let admin = |path: &str| format!("{}/_simulator/{path}", h.sim.base_url());
    let objects: Value = h
        .http
        .get(admin("objects"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(objects[0]["id"], id.as_str());
    let fault = json!({"kind": "throttle", "count": 1, "retryAfterSecs": 2, "method": "GET"});
    let response = h
        .http
        .post(admin("faults"))
        .json(&fault)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = h.call(Method::GET, COLLECTION, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let response = h
        .http
        .post(admin("faults"))
        .json(&json!({"kind": "meteor"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let requests: Value = h
        .http
        .get(admin("requests"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(requests.as_array().is_some_and(|r| r.iter().all(|r| {
        !r["path"]
            .as_str()
            .unwrap_or_default()
            .starts_with("/_simulator")
    })));
    let response = h.http.post(admin("reset")).send().await.expect("sent");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(h.sim.objects().is_empty() && h.sim.requests().is_empty() && h.sim.write_count() == 0);
    let (status, _) = h.call(Method::GET, COLLECTION, None).await;
    assert_eq!(status, StatusCode::OK, "tokens survive a reset");
}

// ---------------------------------------------------------------- helpers

const COLLECTION: &str = "/deviceManagement/deviceConfigurations";

fn item(id: &str) -> String {
    format!("{COLLECTION}/{id}")
}

fn bind_url(id: &str) -> String {
    format!("https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('{id}')")
}

fn trusted_body(ty: &str) -> Value {
    let mut body = json!({
        "@odata.type": format!("#microsoft.graph.{ty}"),
        "displayName": format!("{ty} root"),
        "trustedRootCertificate": CERT,
    });
    if ty == "windows81TrustedRootCertificate" {
        body["destinationStore"] = json!("computerCertStoreRoot");
    }
    body
}

/// A valid SCEP body for the Apple or Windows 8.1 types.
fn scep_body(ty: &str, root: Option<&str>) -> Value {
    let mut body = json!({
        "@odata.type": format!("#microsoft.graph.{ty}"),
        "displayName": "scep",
        "certificateValidityPeriodScale": "years",
        "certificateValidityPeriodValue": 1,
        "renewalThresholdPercentage": 20,
        "subjectNameFormat": "commonName",
        "keySize": "size2048",
        "keyUsage": "digitalSignature,keyEncipherment",
        "scepServerUrls": ["https://scep.example.com/certsrv/mscep/mscep.dll"],
    });
    if ty.starts_with("windows") {
        body["hashAlgorithm"] = json!("sha2");
        body["keyStorageProvider"] = json!("useSoftwareKsp");
    }
    if let Some(root) = root {
        body["rootCertificate@odata.bind"] = json!(bind_url(root));
    }
    body
}

fn group_target(kind: &str, group: &str, filter: Option<&str>) -> Value {
    let mut target = json!({"@odata.type": format!("#microsoft.graph.{kind}"), "groupId": group});
    if let Some(filter) = filter {
        target["deviceAndAppManagementAssignmentFilterId"] = json!(filter);
        target["deviceAndAppManagementAssignmentFilterType"] = json!("include");
    }
    json!({ "target": target })
}

fn remove(body: &mut Value, key: &str) {
    if let Some(map) = body.as_object_mut() {
        map.remove(key);
    }
}

fn token_form(sim: &Simulator, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
    let config = sim.config();
    let mut form: Vec<(String, String)> = [
        ("grant_type", "client_credentials"),
        ("client_id", config.client_id.as_str()),
        ("client_secret", config.client_secret.as_str()),
        ("scope", "https://graph.microsoft.com/.default"),
    ]
    .iter()
    .filter(|(k, _)| !overrides.iter().any(|(o, _)| o == k))
    .chain(overrides)
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    form.sort();
    form
}

/// `2026-11-27T10:26:01.1234567Z`
fn is_graph_timestamp(value: &Value) -> bool {
    value.as_str().is_some_and(|s| {
        s.len() == 28
            && s.ends_with('Z')
            && s.as_bytes().get(19) == Some(&b'.')
            && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .is_ok()
    })
}

fn assert_graph_error(body: &Value, code: &str, fragment: &str) {
    let error = &body["error"];
    assert_eq!(error["code"], code, "{body}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains(fragment)),
        "expected '{fragment}' in {body}"
    );
    for key in ["date", "request-id", "client-request-id"] {
        assert!(
            error["innerError"][key].is_string(),
            "innerError.{key} missing: {body}"
        );
    }
}

/// A running simulator, an HTTP client and a valid token.
struct Harness {
    sim: Simulator,
    http: reqwest::Client,
    token: String,
}

impl Harness {
    async fn start(config: SimConfig) -> Harness {
        // reqwest is built without a default TLS provider; plain http needs
        // none, but building a client may still look for one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = Simulator::spawn(config).expect("simulator starts");
        let http = reqwest::Client::builder().build().expect("client");
        let mut harness = Harness {
            sim,
            http,
            token: String::new(),
        };
        let (status, body) = harness.token_request(&token_form(&harness.sim, &[])).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        harness.token = body["access_token"].as_str().expect("token").to_owned();
        harness
    }

    fn graph_base(&self) -> String {
        format!("{}/beta", self.sim.base_url())
    }

    fn graph_url(&self, path: &str) -> String {
        format!("{}{path}", self.graph_base())
    }

    async fn token_request(&self, form: &[(String, String)]) -> (StatusCode, Value) {
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            self.sim.base_url(),
            self.sim.config().tenant_id
        );
        let response = self
            .http
            .post(url)
            .form(form)
            .send()
            .await
            .expect("token request sent");
        let status = response.status();
        (
            status,
            response.json().await.expect("token response is JSON"),
        )
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.graph_url(path))
            .bearer_auth(&self.token)
    }

    /// Sends a request with an optional JSON body; returns status and JSON
    /// body (`null` when empty).
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.send(self.request(method, path), body).await
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let text = response.text().await.expect("body read");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON body")
        };
        (status, json)
    }

    async fn create(&self, body: Value) -> String {
        let (status, created) = self.call(Method::POST, COLLECTION, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        created["id"].as_str().expect("id").to_owned()
    }

    /// Follows `@odata.nextLink` from `url`; returns page sizes and ids.
    async fn list_all(&self, url: &str) -> (Vec<usize>, Vec<String>) {
        let mut pages = Vec::new();
        let mut ids = Vec::new();
        let mut next = Some(url.to_owned());
        while let Some(url) = next.take() {
            let (status, body) = self
                .send(self.http.get(&url).bearer_auth(&self.token), None)
                .await;
            assert_eq!(status, StatusCode::OK, "{url}: {body}");
            let value = body["value"].as_array().expect("value");
            pages.push(value.len());
            ids.extend(
                value
                    .iter()
                    .filter_map(|o| o["id"].as_str().map(str::to_owned)),
            );
            next = body["@odata.nextLink"].as_str().map(str::to_owned);
            assert!(pages.len() < 50, "paging does not end");
        }
        (pages, ids)
    }
}
