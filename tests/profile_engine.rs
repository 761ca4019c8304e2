//! The framework engine, the profile resource and the Graph client working
//! together in-process against the simulator: the paths the e2e tests
//! cannot steer (throttling mid-apply, Graph's replication delay, a profile
//! deleted between plan and refresh, Stop during a wait).

mod support;

use std::time::{Duration, Instant};

use intune::framework::Provider;
use intune::resources::provider_config::IntuneProvider;
use intune::value::Value;
use intune_graph_sim::{Fault, SimConfig, Simulator};

const TYPE: &str = "intune_trusted_certificate";

fn root_pem() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/certs/contoso-root-ca.cer"
    ))
    .unwrap()
}

async fn configured(sim: &Simulator) -> Provider<IntuneProvider> {
    support::configured_provider(sim).await
}

fn config(provider: &Provider<IntuneProvider>, platform: &str, name: &str) -> Value {
    let mut v = provider.resource_schema(TYPE).unwrap().block.empty_object();
    v.set("platform", Value::string(platform));
    v.set("display_name", Value::string(name));
    v.set("trusted_root_certificate", Value::string(root_pem()));
    v
}

/// Plans and applies `config` over `prior` as terraform would (the
/// proposed state here is the configuration plus prior computed values).
async fn apply(
    provider: &Provider<IntuneProvider>,
    prior: &Value,
    config: &Value,
) -> (Value, intune::framework::Diagnostics) {
    let mut proposed = config.clone();
    if let Value::Object(prior_attrs) = prior {
        for (k, v) in prior_attrs {
            if config.get(k).is_null() {
                proposed.set(k, v.clone());
            }
        }
    }
    let plan = provider
        .plan_resource_change(TYPE, prior, &proposed, config, &[])
        .await;
    assert!(!plan.diagnostics.has_errors(), "{:?}", plan.diagnostics);
    let applied = provider
        .apply_resource_change(TYPE, prior, &plan.planned, &plan.private)
        .await;
    (applied.state, applied.diagnostics)
}

#[tokio::test(flavor = "multi_thread")]
async fn throttled_create_is_retried_after_retry_after() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = configured(&sim).await;
    sim.inject_on(
        "POST",
        Fault::Throttle {
            count: 1,
            retry_after_secs: Some(1),
        },
    );
    let started = Instant::now();
    let (state, diags) = apply(
        &provider,
        &Value::Null,
        &config(&provider, "ios", "Throttled"),
    )
    .await;
    assert!(diags.is_empty(), "{diags:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    let id = state.get("id").as_str().unwrap();
    assert!(sim.object(id).is_some());
    let posts = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("deviceConfigurations"))
        .count();
    assert_eq!(posts, 2, "one throttled POST, one that succeeded");
}

#[tokio::test(flavor = "multi_thread")]
async fn update_reads_back_through_the_replication_delay() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = configured(&sim).await;
    let (created, diags) = apply(
        &provider,
        &Value::Null,
        &config(&provider, "macos", "Before"),
    )
    .await;
    assert!(diags.is_empty(), "{diags:?}");
    sim.inject(Fault::ReadAfterWrite404 { count: 1 });
    let (updated, diags) = apply(&provider, &created, &config(&provider, "macos", "After")).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(updated.get("display_name"), &Value::string("After"));
    assert_eq!(updated.get("version").as_i64(), Some(2));
    assert_eq!(updated.get("id"), created.get("id"));
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_of_a_deleted_profile_removes_it_and_a_failed_refresh_keeps_it() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = configured(&sim).await;
    let (state, _) = apply(
        &provider,
        &Value::Null,
        &config(&provider, "aosp", "Doomed"),
    )
    .await;
    let id = state.get("id").as_str().unwrap().to_string();

    // A server error during refresh is an error, and the state stays.
    sim.inject(Fault::ServerError {
        count: 10,
        status: 500,
        retry_after_secs: None,
    });
    let read = provider.read_resource(TYPE, &state, &[]).await;
    assert!(read.diagnostics.has_errors());
    assert_eq!(
        read.state, state,
        "a failed read must not look like drift or deletion"
    );

    sim.reset();
    let provider = configured(&sim).await;
    let read = provider.read_resource(TYPE, &state, &[]).await;
    assert!(read.state.is_null(), "reset simulator no longer has {id}");
    assert!(!read.diagnostics.has_errors(), "{:?}", read.diagnostics);
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_ends_a_long_throttling_wait() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = std::sync::Arc::new(configured(&sim).await);
    sim.inject_on(
        "POST",
        Fault::Throttle {
            count: 1,
            retry_after_secs: Some(30),
        },
    );
    let stopper = provider.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stopper.stop();
    });
    let started = Instant::now();
    let (state, diags) = apply(
        &provider,
        &Value::Null,
        &config(&provider, "ios", "Stopped"),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "Stop did not end the wait"
    );
    assert!(diags.has_errors());
    assert!(state.is_null(), "nothing was created");
    assert!(sim.objects().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn graph_refusal_is_reported_with_what_and_the_request_id() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = configured(&sim).await;
    sim.inject_on(
        "POST",
        Fault::ServerError {
            count: 1,
            status: 400,
            retry_after_secs: None,
        },
    );
    let (state, diags) = apply(
        &provider,
        &Value::Null,
        &config(&provider, "ios", "Refused"),
    )
    .await;
    assert!(state.is_null(), "nothing was created, so nothing is saved");
    let d = diags.iter().next().expect("an error diagnostic");
    assert_eq!(d.summary, "Failed to create trusted certificate profile");
    assert!(
        d.detail
            .starts_with("Creating iosTrustedRootCertificate \"Refused\""),
        "{}",
        d.detail
    );
    assert!(d.detail.contains("HTTP 400"), "{}", d.detail);
    let request_id = sim
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(request_id.status, 400);
    assert!(d.detail.contains("request-id: "), "{}", d.detail);
    assert!(sim.objects().is_empty(), "a 400 is not retried");
}

/// The body Graph holds for `config(provider, "ios", name)`, as another
/// client (the portal, a second apply) would create it.
fn same_settings(name: &str) -> serde_json::Value {
    use base64::Engine as _;
    serde_json::json!({
        "@odata.type": "#microsoft.graph.iosTrustedRootCertificate",
        "displayName": name,
        "trustedRootCertificate": base64::engine::general_purpose::STANDARD.encode(root_pem()),
    })
}

fn graph_posts(sim: &Simulator) -> usize {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.is_graph_write())
        .count()
}

/// A create whose answer never came (the connection dropped after Graph
/// made the object, a gateway answered 504 or 502 after it did, or the
/// answer came without the new id) is found and adopted exactly once, through
/// Graph's list lag, and never repeated nor stored with an empty id.
#[tokio::test(flavor = "multi_thread")]
async fn a_create_whose_answer_was_lost_is_found_not_duplicated() {
    let faults = [
        Fault::LoseResponse { count: 1 },
        Fault::FailAfterHandling {
            count: 1,
            status: 504,
        },
        Fault::FailAfterHandling {
            count: 1,
            status: 502,
        },
        Fault::EmptyAnswer { count: 1 },
    ];
    for fault in faults {
        let sim = Simulator::spawn(SimConfig::default()).unwrap();
        let provider = configured(&sim).await;
        sim.inject_on("POST", fault.clone());
        let (state, diags) = apply(
            &provider,
            &Value::Null,
            &config(&provider, "windows_phone_81", "Lost answer"),
        )
        .await;
        assert!(!diags.has_errors(), "{fault:?}: {diags:?}");
        assert!(
            diags.iter().any(|d| d.summary.starts_with("Recovered")),
            "{diags:?}"
        );
        let objects = sim.objects();
        assert_eq!(objects.len(), 1, "{fault:?}: the create was not repeated");
        assert_eq!(
            state.get("id").as_str(),
            objects[0]["id"].as_str(),
            "the lost object is tracked"
        );
        assert_eq!(graph_posts(&sim), 1, "one create, no retry");
        let listings = sim
            .requests()
            .into_iter()
            .filter(|r| r.method == "GET" && r.query_param("$filter").is_some())
            .count();
        assert!(
            listings >= 3,
            "the search waited out the list lag ({listings} lists)"
        );
    }
}

/// A profile with the same name and settings made elsewhere before the
/// lost create was sent is never taken for it.
#[tokio::test(flavor = "multi_thread")]
async fn a_same_named_profile_made_a_minute_before_is_not_adopted() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = configured(&sim).await;
    let minute_ago = time::OffsetDateTime::now_utc() - Duration::from_secs(60);
    let older = sim
        .insert_object_at(same_settings("Twin"), minute_ago)
        .unwrap();
    sim.inject_on("POST", Fault::LoseResponse { count: 1 });
    let (state, diags) = apply(&provider, &Value::Null, &config(&provider, "ios", "Twin")).await;
    assert!(!diags.has_errors(), "{diags:?}");
    let id = state.get("id").as_str().expect("adopted").to_string();
    assert_ne!(id, older, "the older profile is not this create's");
    assert_eq!(sim.objects().len(), 2);
    assert_eq!(graph_posts(&sim), 1);
}

/// Two profiles this create could have made: neither is adopted, and the
/// error names both with how to import one.
#[tokio::test(flavor = "multi_thread")]
async fn an_ambiguous_lost_create_is_reported_with_the_candidates() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = configured(&sim).await;
    // Made by someone else just after this create was sent.
    let soon = time::OffsetDateTime::now_utc() + Duration::from_secs(5);
    let twin = sim.insert_object_at(same_settings("Twin"), soon).unwrap();
    // Same name, another certificate: a configured setting differs, so
    // never a candidate.
    let mut other = same_settings("Twin");
    other["trustedRootCertificate"] = serde_json::json!(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/auth/app.cer"
        ))
        .unwrap()
    ));
    let other = sim.insert_object_at(other, soon).unwrap();
    sim.inject_on("POST", Fault::LoseResponse { count: 1 });
    let (state, diags) = apply(&provider, &Value::Null, &config(&provider, "ios", "Twin")).await;
    assert!(state.is_null());
    let detail = diags
        .iter()
        .find(|d| d.summary.contains("may have happened"))
        .expect("explained")
        .detail
        .clone();
    let ours = sim
        .objects()
        .into_iter()
        .filter_map(|o| o["id"].as_str().map(str::to_string))
        .find(|id| *id != twin && *id != other)
        .expect("the lost create made one");
    // The search waited until its own object showed (Graph's lists lag)
    // rather than adopt the twin it saw first.
    assert!(detail.contains(&twin) && detail.contains(&ours), "{detail}");
    assert!(!detail.contains(&other), "{detail}");
    assert!(detail.contains("2 profiles"), "{detail}");
    assert!(detail.contains("terraform import"), "{detail}");
    assert_eq!(sim.objects().len(), 3, "nothing adopted, nothing deleted");
}

/// A create Graph made but does not show while the provider waits for it:
/// the apply fails, and the id is in the state it returns (terraform saves
/// it tainted), never lost. The next refresh still gives Graph time rather
/// than take its 404 for a deletion (which would plan a second profile).
#[tokio::test(flavor = "multi_thread")]
async fn a_create_graph_does_not_show_keeps_its_id() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = configured(&sim).await;
    let config = config(&provider, "macos", "Slow to show");
    // More 404s than the read after the create waits out (1 + 30 retries),
    // fewer than a second such read.
    sim.inject(Fault::ReadAfterWrite404 { count: 40 });
    let (state, diags) = apply(&provider, &Value::Null, &config).await;
    assert!(diags.has_errors());
    assert!(
        diags
            .iter()
            .any(|d| d.summary.contains("does not show it yet") && d.detail.contains("tainted")),
        "{diags:?}"
    );
    let objects = sim.objects();
    assert_eq!(objects.len(), 1);
    assert_eq!(state.get("id").as_str(), objects[0]["id"].as_str());
    assert_eq!(state.get("display_name"), &Value::string("Slow to show"));
    let refreshed = provider.read_resource(TYPE, &state, &[]).await;
    assert!(
        !refreshed.diagnostics.has_errors(),
        "{:?}",
        refreshed.diagnostics
    );
    assert_eq!(
        refreshed.state.get("id"),
        state.get("id"),
        "the late profile is found, not dropped from state"
    );
    assert!(!refreshed.state.get("created_date_time").is_null());
}

/// When nothing shows up within create_recovery_timeout, the error says the
/// create may still appear and how to check, before suggesting another
/// apply; the wait is the setting's, not the create timeout's.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_create_that_never_shows_says_how_to_check() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider =
        support::configured_provider_with(&sim, &[("create_recovery_timeout", "3s")]).await;
    // Dropped before Graph read the request: nothing was made, but the
    // client cannot know that.
    sim.inject_on("POST", Fault::DropConnection { count: 1 });
    let started = Instant::now();
    let (state, diags) = apply(&provider, &Value::Null, &config(&provider, "ios", "Never")).await;
    let waited = started.elapsed();
    assert!(state.is_null());
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(20),
        "{waited:?}"
    );
    let detail = &diags
        .iter()
        .find(|d| d.summary.contains("may have happened"))
        .expect("explained")
        .detail;
    assert!(detail.contains("may still show up"), "{detail}");
    assert!(detail.contains("create_recovery_timeout"), "{detail}");
    assert!(detail.contains("apply again"), "{detail}");
    assert!(sim.objects().is_empty());
    assert_eq!(graph_posts(&sim), 1, "never repeated");
}

#[tokio::test(flavor = "multi_thread")]
async fn scope_tags_default_when_unset_and_cannot_be_emptied() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = configured(&sim).await;
    let (state, diags) = apply(
        &provider,
        &Value::Null,
        &config(&provider, "ios", "Default tags"),
    )
    .await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        state.get("role_scope_tag_ids"),
        &Value::Set(vec![Value::string("0")])
    );
    let mut empty = config(&provider, "ios", "No scope tags");
    empty.set("role_scope_tag_ids", Value::Set(Vec::new()));
    let diags = provider.validate_resource_config(TYPE, &empty);
    let d = diags.iter().next().expect("refused");
    assert_eq!(
        d.path,
        Some(intune::value::AttributePath::attr("role_scope_tag_ids"))
    );
}

/// A PKCS profile on Android may have a root link or not: removing
/// `root_certificate_id` unlinks it in Graph, and the result is as planned.
#[tokio::test(flavor = "multi_thread")]
async fn removing_an_optional_root_link_unlinks_it() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = configured(&sim).await;
    let (root, diags) = apply(
        &provider,
        &Value::Null,
        &config(&provider, "android_device_owner", "Root"),
    )
    .await;
    assert!(diags.is_empty(), "{diags:?}");
    let pkcs_type = "intune_pkcs_certificate";
    let mut pkcs = pkcs_on_android(&provider);
    pkcs.set("root_certificate_id", root.get("id").clone());
    let plan = provider
        .plan_resource_change(pkcs_type, &Value::Null, &pkcs, &pkcs, &[])
        .await;
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let created = provider
        .apply_resource_change(pkcs_type, &Value::Null, &plan.planned, &[])
        .await;
    assert!(created.diagnostics.is_empty(), "{:?}", created.diagnostics);
    let id = created.state.get("id").as_str().unwrap().to_string();
    assert!(sim.root_link(&id).is_some());

    let mut unlinked = pkcs.clone();
    unlinked.set("root_certificate_id", Value::Null);
    let mut proposed = unlinked.clone();
    for k in [
        "id",
        "created_date_time",
        "last_modified_date_time",
        "version",
        "role_scope_tag_ids",
    ] {
        proposed.set(k, created.state.get(k).clone());
    }
    let plan = provider
        .plan_resource_change(pkcs_type, &created.state, &proposed, &unlinked, &[])
        .await;
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let updated = provider
        .apply_resource_change(pkcs_type, &created.state, &plan.planned, &[])
        .await;
    assert!(updated.diagnostics.is_empty(), "{:?}", updated.diagnostics);
    assert!(sim.root_link(&id).is_none(), "the link is removed in Graph");
    assert!(updated.state.get("root_certificate_id").is_null());
    let read = provider.read_resource(pkcs_type, &updated.state, &[]).await;
    assert_eq!(read.state, updated.state, "refresh agrees");
}

#[tokio::test(flavor = "multi_thread")]
async fn certificate_facts_stay_known_when_the_platform_change_replaces() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = configured(&sim).await;
    let (state, _) = apply(&provider, &Value::Null, &config(&provider, "ios", "Moving")).await;
    let moved = config(&provider, "macos", "Moving");
    let mut proposed = moved.clone();
    for k in [
        "id",
        "created_date_time",
        "last_modified_date_time",
        "version",
        "role_scope_tag_ids",
        "thumbprint",
        "subject",
        "issuer",
        "not_after",
    ] {
        proposed.set(k, state.get(k).clone());
    }
    let plan = provider
        .plan_resource_change(TYPE, &state, &proposed, &moved, &[])
        .await;
    assert_eq!(
        plan.requires_replace,
        vec![intune::value::AttributePath::attr("platform")]
    );
    assert!(plan.planned.get("id").is_unknown());
    for fact in ["thumbprint", "subject", "issuer", "not_after"] {
        assert_eq!(
            plan.planned.get(fact),
            state.get(fact),
            "{fact} is known before apply"
        );
    }
}

/// A PKCS profile for Android Enterprise fully managed devices, without a
/// root link.
fn pkcs_on_android(provider: &Provider<IntuneProvider>) -> Value {
    let pkcs_type = "intune_pkcs_certificate";
    let mut pkcs = provider
        .resource_schema(pkcs_type)
        .unwrap()
        .block
        .empty_object();
    for (k, v) in [
        ("platform", "android_device_owner"),
        ("display_name", "S/MIME"),
        ("certification_authority", "ca01.contoso.com"),
        ("certificate_template_name", "SMIME"),
        ("certification_authority_type", "microsoft"),
        ("certificate_validity_period_scale", "years"),
        ("certificate_store", "user"),
        ("subject_name_format_string", "CN={{UserName}}"),
    ] {
        pkcs.set(k, Value::string(v));
    }
    pkcs.set("certificate_validity_period_value", Value::int(1));
    pkcs.set("renewal_threshold_percentage", Value::int(20));
    pkcs
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_without_root_link_refreshes_when_graph_answers_204() {
    let sim = Simulator::spawn(SimConfig {
        unset_navigation_no_content: true,
        ..SimConfig::default()
    })
    .unwrap();
    let provider = configured(&sim).await;
    let pkcs = pkcs_on_android(&provider);
    let plan = provider
        .plan_resource_change("intune_pkcs_certificate", &Value::Null, &pkcs, &pkcs, &[])
        .await;
    let created = provider
        .apply_resource_change("intune_pkcs_certificate", &Value::Null, &plan.planned, &[])
        .await;
    assert!(created.diagnostics.is_empty(), "{:?}", created.diagnostics);
    let read = provider
        .read_resource("intune_pkcs_certificate", &created.state, &[])
        .await;
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(read.state, created.state);
    let nav = sim
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/rootCertificate"))
        .expect("the link was read");
    assert_eq!(nav.status, 204);
}

fn with_certificate(provider: &Provider<IntuneProvider>, name: &str, pem: &str) -> Value {
    let mut v = config(provider, "ios", name);
    v.set("trusted_root_certificate", Value::string(pem));
    v
}

/// Plans `config` over `prior` as terraform would; the diagnostics as
/// (is an error, summary, path).
async fn plan_diags(
    provider: &Provider<IntuneProvider>,
    prior: &Value,
    config: &Value,
) -> Vec<(bool, String, String)> {
    let mut proposed = config.clone();
    if let Value::Object(prior_attrs) = prior {
        for (k, v) in prior_attrs {
            if config.get(k).is_null() && k != "allow_expired" {
                proposed.set(k, v.clone());
            }
        }
    }
    let plan = provider
        .plan_resource_change(TYPE, prior, &proposed, config, &[])
        .await;
    plan.diagnostics
        .iter()
        .map(|d| {
            let path = d.path.as_ref().map(ToString::to_string).unwrap_or_default();
            (
                d.severity == intune::framework::Severity::Error,
                d.summary.clone(),
                path,
            )
        })
        .collect()
}

const CERT: &str = "trusted_root_certificate";

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_certificate_fails_the_plan_that_would_create_it() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = configured(&sim).await;
    let expired = with_certificate(&provider, "Expired", &support::dated_pem(-400, -1, true));
    let early = with_certificate(&provider, "Early", &support::dated_pem(3, 400, true));
    for (config, summary) in [
        (&expired, "Certificate has expired"),
        (&early, "Certificate is not yet valid"),
    ] {
        let diags = plan_diags(&provider, &Value::Null, config).await;
        assert_eq!(
            diags,
            vec![(true, summary.to_string(), CERT.to_string())],
            "{summary}"
        );
    }
    assert_eq!(sim.write_count(), 0, "a failed plan writes nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn allow_expired_writes_it_stays_out_of_graph_and_state_keeps_it() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = configured(&sim).await;
    let mut config = with_certificate(&provider, "Retired", &support::dated_pem(-400, -1, true));
    config.set("allow_expired", Value::Bool(true));
    let diags = plan_diags(&provider, &Value::Null, &config).await;
    assert_eq!(
        diags,
        vec![(
            false,
            "Certificate has expired".to_string(),
            "allow_expired".to_string()
        )]
    );
    let (state, diags) = apply(&provider, &Value::Null, &config).await;
    assert!(!diags.has_errors(), "{diags:?}");
    assert_eq!(state.get("allow_expired"), &Value::Bool(true));
    let post = sim
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("deviceConfigurations"))
        .unwrap();
    let body = post.body.unwrap();
    assert!(
        body.as_object()
            .unwrap()
            .keys()
            .all(|k| !k.to_ascii_lowercase().contains("expired")),
        "allow_expired reached Graph: {body}"
    );
    let read = provider.read_resource(TYPE, &state, &[]).await;
    assert_eq!(read.state, state, "refresh keeps allow_expired");
    let id = state.get("id").as_str().unwrap();
    let imported = provider.import_resource_state(TYPE, id).await;
    assert!(
        imported.state.get("allow_expired").is_null(),
        "import has no configuration to take it from"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_already_in_intune_that_expired_only_warns() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = configured(&sim).await;
    let pem = support::dated_pem(-400, -1, true);
    let mut config = with_certificate(&provider, "Old root", &pem);
    config.set("allow_expired", Value::Bool(true));
    let (state, diags) = apply(&provider, &Value::Null, &config).await;
    assert!(!diags.has_errors(), "{diags:?}");
    // Later: allow_expired removed, only the name changes; then the same
    // certificate in another encoding. Neither writes the certificate.
    let mut renamed = with_certificate(&provider, "Old root, renamed", &pem);
    let warned = vec![(
        false,
        "Certificate has expired".to_string(),
        CERT.to_string(),
    )];
    assert_eq!(plan_diags(&provider, &state, &renamed).await, warned);
    let der_base64 = {
        use base64::Engine as _;
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        base64::engine::general_purpose::STANDARD.encode(der)
    };
    renamed.set("trusted_root_certificate", Value::string(der_base64));
    assert_eq!(plan_diags(&provider, &state, &renamed).await, warned);
    // A different expired certificate would be written: an error again.
    let replaced = with_certificate(&provider, "Old root", &support::dated_pem(-400, -2, true));
    assert_eq!(
        plan_diags(&provider, &state, &replaced).await,
        vec![(
            true,
            "Certificate has expired".to_string(),
            CERT.to_string()
        )]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn expiry_within_the_warning_days_warns_unless_the_setting_is_zero() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let soon = support::dated_pem(-400, 10, true);
    let provider = configured(&sim).await;
    let config = with_certificate(&provider, "Expiring", &soon);
    let diags = plan_diags(&provider, &Value::Null, &config).await;
    assert_eq!(
        diags,
        vec![(
            false,
            "Certificate expires soon".to_string(),
            CERT.to_string()
        )]
    );
    let provider =
        support::configured_provider_with(&sim, &[("certificate_expiry_warning_days", "0")]).await;
    let config = with_certificate(&provider, "Expiring", &soon);
    assert_eq!(plan_diags(&provider, &Value::Null, &config).await, vec![]);
    let provider =
        support::configured_provider_with(&sim, &[("certificate_expiry_warning_days", "5")]).await;
    assert_eq!(plan_diags(&provider, &Value::Null, &config).await, vec![]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_that_is_not_a_ca_warns() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = configured(&sim).await;
    let config = with_certificate(&provider, "Leaf", &support::dated_pem(-1, 400, false));
    assert_eq!(
        plan_diags(&provider, &Value::Null, &config).await,
        vec![(
            false,
            "Certificate is not a CA certificate".to_string(),
            CERT.to_string()
        )]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pem_with_a_byte_order_mark_is_accepted_and_graph_gets_the_der() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let provider = configured(&sim).await;
    let pem = format!("\u{feff}{}", root_pem().replace('\n', "\r\n"));
    let config = with_certificate(&provider, "From Notepad", &pem);
    assert_eq!(plan_diags(&provider, &Value::Null, &config).await, vec![]);
    let (state, diags) = apply(&provider, &Value::Null, &config).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(state.get("trusted_root_certificate"), &Value::string(&pem));
    let without_bom = config_thumbprint(&provider, &root_pem()).await;
    assert_eq!(state.get("thumbprint").as_str(), Some(without_bom.as_str()));
    let id = state.get("id").as_str().unwrap();
    let held = sim.object(id).unwrap();
    let graph_der = held["trustedRootCertificate"].as_str().unwrap();
    assert!(graph_der.starts_with("MII"), "{graph_der}");
}

/// The thumbprint a plan derives for `pem`.
async fn config_thumbprint(provider: &Provider<IntuneProvider>, pem: &str) -> String {
    let config = with_certificate(provider, "Thumbprint", pem);
    let plan = provider
        .plan_resource_change(TYPE, &Value::Null, &config, &config, &[])
        .await;
    plan.planned.get("thumbprint").as_str().unwrap().to_string()
}
