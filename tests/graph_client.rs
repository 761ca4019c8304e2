//! The Graph client against the Graph simulator: retries (429 with and
//! without `Retry-After`, 503/504, dropped connections, the token
//! endpoint), refused and hung connections, read-after-write 404s, paging
//! (a lost later page), error mapping, token caching and refresh,
//! deadlines, Stop, write pacing, Graph's clock and the headers every call
//! carries.
//!
//! Timings use shrunk retry delays; wall-clock assertions leave generous
//! margins because the machine is shared.

use std::time::{Duration, SystemTime};

use intune::graph::{
    CallOptions, Credential, GraphClient, GraphConfig, GraphError, RetryPolicy, Secret,
    TransportKind, WritePacing,
};
use intune_graph_sim::{Fault, RecordedRequest, SimConfig, Simulator};
use serde_json::{Value, json};
use tokio::time::Instant;

const PROFILES: &str = "/deviceManagement/deviceConfigurations";
const USER_AGENT: &str = "terraform-provider-intune/0.0.0-test (graph_client)";

fn start(config: SimConfig) -> Simulator {
    Simulator::spawn(config).expect("simulator starts")
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(80),
        not_found_delay: Duration::from_millis(50),
        max_not_found_retries: 30,
        attempt_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        max_refused_retries: 3,
        refused_window: Duration::from_secs(5),
    }
}

/// These tests count requests and attempts exactly, so they turn off the
/// simulator's replication lag for new objects; the 404 retry after a
/// write is tested with an explicit fault.
fn exact() -> SimConfig {
    SimConfig {
        consistency: intune_graph_sim::Consistency::IMMEDIATE,
        ..SimConfig::default()
    }
}

fn config_for(sim: &Simulator) -> GraphConfig {
    let sim_config = sim.config();
    GraphConfig {
        graph_endpoint: sim.base_url(),
        graph_resource: "https://graph.microsoft.com".into(),
        authority_host: sim.base_url(),
        tenant_id: sim_config.tenant_id.clone(),
        credential: Credential::ClientSecret {
            client_id: sim_config.client_id.clone(),
            client_secret: Secret::new(sim_config.client_secret.clone()),
        },
        user_agent: USER_AGENT.into(),
        retry: fast_retries(),
        write_pacing: WritePacing::Off,
    }
}

fn client_for(sim: &Simulator) -> GraphClient {
    GraphClient::new(config_for(sim)).expect("client configuration is valid")
}

fn opts() -> CallOptions {
    CallOptions::within(Duration::from_secs(20))
}

fn root_body(name: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.iosTrustedRootCertificate",
        "displayName": name,
        "trustedRootCertificate": "AQID",
    })
}

fn is_token_request(request: &RecordedRequest) -> bool {
    request.path.ends_with("/oauth2/v2.0/token")
}

fn graph_requests(sim: &Simulator) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|request| !is_token_request(request))
        .collect()
}

fn token_requests(sim: &Simulator) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(is_token_request)
        .collect()
}

fn statuses(requests: &[RecordedRequest]) -> Vec<u16> {
    requests.iter().map(|request| request.status).collect()
}

/// Creates a trusted root through the client and returns its id.
async fn create_root(client: &GraphClient, name: &str) -> String {
    let created = client
        .post(PROFILES, &root_body(name), &opts())
        .await
        .expect("create succeeds")
        .expect("create returns the object");
    created["id"]
        .as_str()
        .expect("created object has an id")
        .to_string()
}

#[tokio::test]
async fn throttling_with_retry_after_waits_as_told() {
    let sim = start(exact());
    let client = client_for(&sim);
    client.list(PROFILES, &opts()).await.expect("warm-up");
    sim.clear_requests();

    sim.inject(Fault::Throttle {
        count: 1,
        retry_after_secs: Some(1),
    });
    let started = Instant::now();
    client
        .list(PROFILES, &opts())
        .await
        .expect("succeeds after the 429");
    let elapsed = started.elapsed();

    // Backoff alone would be ≤ 80 ms; Retry-After said 1 s.
    assert!(
        elapsed >= Duration::from_millis(950),
        "waited only {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(5), "waited {elapsed:?}");
    assert_eq!(statuses(&graph_requests(&sim)), [429, 200]);
}

#[tokio::test]
async fn throttling_without_retry_after_backs_off() {
    let sim = start(exact());
    let client = client_for(&sim);
    sim.inject(Fault::Throttle {
        count: 3,
        retry_after_secs: None,
    });
    let started = Instant::now();
    client
        .list(PROFILES, &opts())
        .await
        .expect("succeeds after three 429s");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(statuses(&graph_requests(&sim)), [429, 429, 429, 200]);
}

#[tokio::test]
async fn retry_after_zero_still_backs_off() {
    let sim = start(exact());
    let client = client_for(&sim);
    client.list(PROFILES, &opts()).await.expect("warm-up");
    sim.clear_requests();
    sim.inject(Fault::Throttle {
        count: 100_000,
        retry_after_secs: Some(0),
    });
    let error = client
        .list(PROFILES, &CallOptions::within(Duration::from_secs(1)))
        .await
        .expect_err("throttled until the deadline");
    assert!(matches!(error, GraphError::Timeout { .. }), "{error:?}");
    // Backoff (10 ms doubling to 80 ms, jittered) allows a few dozen
    // attempts in a second; answering `Retry-After: 0` at once would make
    // hundreds.
    let attempts = graph_requests(&sim).len();
    assert!((3..100).contains(&attempts), "{attempts} attempts");
}

#[tokio::test]
async fn unavailable_and_gateway_timeout_are_retried_other_5xx_are_not() {
    let sim = start(exact());
    let client = client_for(&sim);
    let id = create_root(&client, "root").await;
    let path = format!("{PROFILES}/{id}");
    sim.clear_requests();

    sim.inject(Fault::ServerError {
        count: 1,
        status: 503,
        retry_after_secs: Some(0),
    });
    sim.inject(Fault::ServerError {
        count: 1,
        status: 504,
        retry_after_secs: None,
    });
    let object = client
        .get(&path, &opts())
        .await
        .expect("succeeds after 503 and 504");
    assert_eq!(object["id"], id.as_str());
    assert_eq!(statuses(&graph_requests(&sim)), [503, 504, 200]);

    sim.clear_requests();
    sim.inject(Fault::ServerError {
        count: 1,
        status: 500,
        retry_after_secs: None,
    });
    let error = client
        .get(&path, &opts())
        .await
        .expect_err("500 is not retried");
    assert_eq!(error.status(), Some(500));
    assert_eq!(statuses(&graph_requests(&sim)), [500]);
}

#[tokio::test]
async fn dropped_connections_are_retried_except_for_a_create() {
    let sim = start(exact());
    let client = client_for(&sim);

    sim.inject(Fault::DropConnection { count: 2 });
    client
        .list(PROFILES, &opts())
        .await
        .expect("succeeds after two drops");
    assert_eq!(statuses(&graph_requests(&sim)), [0, 0, 200]);

    // A create whose connection broke may have reached Graph: repeating it
    // could make a duplicate, so the error is returned.
    sim.clear_requests();
    sim.inject_on("POST", Fault::DropConnection { count: 1 });
    let error = client
        .post(PROFILES, &root_body("once"), &opts())
        .await
        .expect_err("a broken create is not repeated");
    assert!(
        matches!(
            error,
            GraphError::Transport {
                kind: TransportKind::Interrupted,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(statuses(&graph_requests(&sim)), [0]);

    // An action marked idempotent is repeated.
    sim.clear_requests();
    sim.inject_on("POST", Fault::DropConnection { count: 1 });
    let created = client
        .post(PROFILES, &root_body("again"), &opts().idempotent_post())
        .await
        .expect("repeated after the drop");
    assert!(created.is_some());
    assert_eq!(statuses(&graph_requests(&sim)), [0, 201]);
}

#[tokio::test]
async fn read_after_write_404_is_retried_only_when_asked() {
    let sim = start(exact());
    let client = client_for(&sim);

    sim.inject(Fault::ReadAfterWrite404 { count: 3 });
    let id = create_root(&client, "fresh").await;
    let path = format!("{PROFILES}/{id}");
    sim.clear_requests();
    let started = Instant::now();
    let object = client
        .get(&path, &opts().read_after_write())
        .await
        .expect("visible after the replication delay");
    assert_eq!(object["displayName"], "fresh");
    assert_eq!(statuses(&graph_requests(&sim)), [404, 404, 404, 200]);
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );

    // On a plain read (refresh, import) a 404 means the object is gone.
    sim.inject(Fault::ReadAfterWrite404 { count: 1 });
    client
        .patch(&path, &json!({"@odata.type": "#microsoft.graph.iosTrustedRootCertificate", "displayName": "renamed"}), &opts())
        .await
        .expect("patch succeeds");
    sim.clear_requests();
    let error = client
        .get(&path, &opts())
        .await
        .expect_err("plain read sees the 404");
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(statuses(&graph_requests(&sim)), [404]);
}

#[tokio::test]
async fn read_after_write_gives_up_after_the_attempt_limit() {
    let sim = start(exact());
    let mut config = config_for(&sim);
    config.retry.max_not_found_retries = 2;
    let client = GraphClient::new(config).unwrap();
    sim.inject(Fault::ReadAfterWrite404 { count: 10 });
    let id = create_root(&client, "slow").await;
    sim.clear_requests();
    let error = client
        .get(&format!("{PROFILES}/{id}"), &opts().read_after_write())
        .await
        .expect_err("still 404 after two retries");
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(statuses(&graph_requests(&sim)), [404, 404, 404]);
}

#[tokio::test]
async fn list_follows_next_links_across_pages() {
    let sim = start(SimConfig {
        page_size: 2,
        ..exact()
    });
    for n in 0..5 {
        sim.insert_object(root_body(&format!("root-{n}")))
            .expect("simulator accepts the object");
    }
    let client = client_for(&sim);
    let items = client.list(PROFILES, &opts()).await.expect("list succeeds");
    let names: Vec<&str> = items
        .iter()
        .filter_map(|item| item["displayName"].as_str())
        .collect();
    assert_eq!(names, ["root-0", "root-1", "root-2", "root-3", "root-4"]);

    let pages = graph_requests(&sim);
    assert_eq!(statuses(&pages), [200, 200, 200]);
    assert_eq!(pages[0].query_param("$skiptoken"), None);
    assert!(
        pages[1].query_param("$skiptoken").is_some(),
        "{:?}",
        pages[1]
    );
    // Each page is its own call with its own id.
    assert_ne!(pages[0].client_request_id, pages[1].client_request_id);

    // Query options survive into the next links.
    sim.clear_requests();
    let filtered = client
        .list(
            &format!("{PROFILES}?$filter=isof('microsoft.graph.iosTrustedRootCertificate')"),
            &opts(),
        )
        .await
        .expect("filtered list succeeds");
    assert_eq!(filtered.len(), 5);
    assert_eq!(graph_requests(&sim).len(), 3);
}

#[tokio::test]
async fn rejected_writes_surface_code_message_and_request_id() {
    let sim = start(exact());
    let client = client_for(&sim);
    let error = client
        .post(PROFILES, &json!({"displayName": "no type"}), &opts())
        .await
        .expect_err("a body without @odata.type is rejected");
    let GraphError::Api {
        status,
        code,
        message,
        request_id,
        client_request_id,
        ..
    } = &error
    else {
        panic!("not an Api error: {error:?}");
    };
    assert_eq!(*status, 400);
    assert!(!code.is_empty(), "{error}");
    assert!(!message.is_empty(), "{error}");
    assert!(
        request_id.as_deref().is_some_and(|id| !id.is_empty()),
        "{error}"
    );
    let posts = graph_requests(&sim);
    assert_eq!(statuses(&posts), [400], "a 400 is not retried");
    assert_eq!(
        posts[0].client_request_id.as_deref(),
        Some(client_request_id.as_str())
    );
    let text = error.to_string();
    assert!(
        text.contains(code.as_str()) && text.contains(message.as_str()),
        "{text}"
    );
}

#[tokio::test]
async fn one_token_serves_many_calls_and_is_refreshed_before_expiry() {
    let sim = start(SimConfig {
        token_lifetime: Duration::from_secs(2),
        ..exact()
    });
    let client = client_for(&sim);
    let clone = client.clone();
    let options = opts();
    let (a, b) = tokio::join!(
        client.list(PROFILES, &options),
        clone.list(PROFILES, &options)
    );
    a.unwrap();
    b.unwrap();
    create_root(&client, "r").await;
    assert_eq!(
        token_requests(&sim).len(),
        1,
        "concurrent and later calls share one token"
    );

    // A 2 s token is refreshed after 1 s (half its lifetime).
    tokio::time::sleep(Duration::from_millis(1200)).await;
    client
        .list(PROFILES, &opts())
        .await
        .expect("list with a new token");
    assert_eq!(token_requests(&sim).len(), 2);
    assert!(
        graph_requests(&sim)
            .iter()
            .all(|request| request.status != 401)
    );

    let form = token_requests(&sim)[0].body.clone().expect("form recorded");
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(
        form["scope"], "https://graph.microsoft.com/.default",
        "the token is for Graph, not for the URL requests go to"
    );
}

/// Entra ID fails when the token is due for refresh but still valid: calls
/// go on with the cached token until it expires, and only then fail.
#[tokio::test]
async fn a_failed_refresh_keeps_using_the_token_until_it_expires() {
    let sim = start(SimConfig {
        token_lifetime: Duration::from_secs(2),
        ..SimConfig::default()
    });
    let client = client_for(&sim);
    client.list(PROFILES, &opts()).await.expect("first token");
    // A 2 s token is due for refresh after 1 s; Entra ID is down from then.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    sim.inject(Fault::TokenError { count: 10_000 });
    let started = Instant::now();
    client
        .list(PROFILES, &opts())
        .await
        .expect("the cached token still works");
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "the refresh gave up in time to use the token: {:?}",
        started.elapsed()
    );
    let refreshes = token_requests(&sim);
    assert!(
        refreshes.len() > 1 && statuses(&refreshes[1..]).iter().all(|s| *s == 500),
        "the refresh was tried: {:?}",
        statuses(&refreshes)
    );
    assert_eq!(statuses(&graph_requests(&sim)), [200, 200]);

    // Once it has expired, the call fails with the token endpoint's error.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let error = client
        .list(PROFILES, &CallOptions::within(Duration::from_secs(1)))
        .await
        .expect_err("no token");
    assert!(
        error.to_string().contains("temporarily_unavailable"),
        "{error}"
    );
    assert_eq!(
        graph_requests(&sim).len(),
        2,
        "nothing sent without a token"
    );
}

#[tokio::test]
async fn token_endpoint_failures_are_retried() {
    let sim = start(exact());
    let client = client_for(&sim);
    sim.inject(Fault::TokenError { count: 2 });
    client
        .list(PROFILES, &opts())
        .await
        .expect("token obtained on the third try");
    assert_eq!(statuses(&token_requests(&sim)), [500, 500, 200]);
}

#[tokio::test]
async fn wrong_secret_is_an_auth_error_without_the_secret() {
    let sim = start(exact());
    let mut config = config_for(&sim);
    config.credential = Credential::ClientSecret {
        client_id: sim.config().client_id.clone(),
        client_secret: Secret::new("not-the-secret-42"),
    };
    let client = GraphClient::new(config).unwrap();
    let error = client
        .list(PROFILES, &opts())
        .await
        .expect_err("bad secret");
    let GraphError::Auth { status, code, .. } = &error else {
        panic!("not an Auth error: {error:?}");
    };
    assert_eq!(*status, Some(401));
    assert_eq!(code, "invalid_client");
    assert!(!error.to_string().contains("not-the-secret-42"));
    assert!(!format!("{error:?}").contains("not-the-secret-42"));
    assert_eq!(
        token_requests(&sim).len(),
        1,
        "a refused credential is not retried"
    );
    assert!(graph_requests(&sim).is_empty());
}

#[tokio::test]
async fn deadline_ends_retries_with_timeout_and_the_last_error() {
    let sim = start(exact());
    let client = client_for(&sim);
    client.list(PROFILES, &opts()).await.expect("warm-up");

    // Retry-After longer than the budget: give up at once, do not sleep.
    sim.inject(Fault::Throttle {
        count: 1,
        retry_after_secs: Some(30),
    });
    let started = Instant::now();
    let error = client
        .list(PROFILES, &CallOptions::within(Duration::from_secs(2)))
        .await
        .expect_err("30 s Retry-After does not fit 2 s");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let GraphError::Timeout { attempts, last, .. } = &error else {
        panic!("not a Timeout: {error:?}");
    };
    assert_eq!(*attempts, 1);
    assert_eq!(last.as_ref().and_then(|last| last.status()), Some(429));
    assert_eq!(error.status(), Some(429));

    // Endless throttling with backoff: stops near the deadline.
    sim.inject(Fault::Throttle {
        count: 10_000,
        retry_after_secs: None,
    });
    let started = Instant::now();
    let error = client
        .list(PROFILES, &CallOptions::within(Duration::from_millis(400)))
        .await
        .expect_err("never succeeds");
    let elapsed = started.elapsed();
    assert!(matches!(error, GraphError::Timeout { .. }), "{error:?}");
    assert!(elapsed <= Duration::from_millis(1000), "{elapsed:?}");
    sim.reset();
}

#[tokio::test]
async fn client_request_id_is_stable_across_retries_and_user_agent_is_sent() {
    let sim = start(exact());
    let client = client_for(&sim);
    sim.inject(Fault::Throttle {
        count: 2,
        retry_after_secs: Some(0),
    });
    client.list(PROFILES, &opts()).await.expect("succeeds");
    client.list(PROFILES, &opts()).await.expect("succeeds");

    let requests = graph_requests(&sim);
    assert_eq!(statuses(&requests), [429, 429, 200, 200]);
    let ids: Vec<&str> = requests
        .iter()
        .map(|request| {
            request
                .client_request_id
                .as_deref()
                .expect("client-request-id sent")
        })
        .collect();
    assert!(
        ids.iter().all(|id| uuid::Uuid::parse_str(id).is_ok()),
        "{ids:?}"
    );
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2]);
    assert_ne!(ids[2], ids[3], "a new call gets a new id");

    for request in sim.requests() {
        assert_eq!(
            request.user_agent.as_deref(),
            Some(USER_AGENT),
            "{request:?}"
        );
    }
}

#[tokio::test]
async fn stop_cancels_a_waiting_call_promptly() {
    let sim = start(exact());
    let client = client_for(&sim);
    sim.inject(Fault::Throttle {
        count: 1,
        retry_after_secs: Some(10),
    });
    let call = {
        let client = client.clone();
        tokio::spawn(async move { client.list(PROFILES, &opts()).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped = Instant::now();
    client.stop();
    let outcome = tokio::time::timeout(Duration::from_secs(2), call)
        .await
        .expect("the call ended promptly")
        .expect("no panic");
    assert!(matches!(outcome, Err(GraphError::Cancelled)), "{outcome:?}");
    assert!(stopped.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn stop_lets_a_create_in_flight_finish_and_ends_a_read_at_once() {
    let sim = start(exact());
    let client = client_for(&sim);
    client
        .sign_in(Instant::now() + Duration::from_secs(10))
        .await
        .expect("signed in");
    sim.inject_on(
        "POST",
        Fault::SlowResponse {
            count: 1,
            delay_ms: 800,
        },
    );
    sim.inject_on(
        "GET",
        Fault::SlowResponse {
            count: 1,
            delay_ms: 5_000,
        },
    );
    let create = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .post(PROFILES, &root_body("in flight"), &opts())
                .await
        })
    };
    let read = {
        let client = client.clone();
        tokio::spawn(async move { client.list(PROFILES, &opts()).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    client.stop();
    let stopped = Instant::now();

    let read = tokio::time::timeout(Duration::from_secs(2), read)
        .await
        .expect("the read ended promptly")
        .expect("no panic");
    assert!(matches!(read, Err(GraphError::Cancelled)), "{read:?}");
    assert!(stopped.elapsed() < Duration::from_millis(1_000));

    // The POST reached Graph before Stop: its answer is waited for, so the
    // caller learns the id instead of leaving an untracked profile.
    let created = tokio::time::timeout(Duration::from_secs(5), create)
        .await
        .expect("the create ended")
        .expect("no panic")
        .expect("the create's answer is returned")
        .expect("with the object");
    let id = created["id"].as_str().expect("an id");
    assert!(
        sim.objects().iter().any(|object| object["id"] == id),
        "{id} is in Graph"
    );
    // Nothing new starts after Stop.
    let after = client
        .post(PROFILES, &root_body("after stop"), &opts())
        .await;
    assert!(matches!(after, Err(GraphError::Cancelled)), "{after:?}");
}

#[tokio::test]
async fn writes_are_paced_reads_are_not() {
    let sim = start(exact());
    let mut config = config_for(&sim);
    config.write_pacing = WritePacing::SlidingWindow {
        writes: 2,
        window: Duration::from_millis(500),
    };
    let client = GraphClient::new(config).unwrap();
    client.list(PROFILES, &opts()).await.expect("warm-up");

    let started = Instant::now();
    for _ in 0..6 {
        client.list(PROFILES, &opts()).await.expect("read");
    }
    assert!(
        started.elapsed() < Duration::from_millis(450),
        "reads were paced"
    );

    let started = Instant::now();
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(create_root(&client, &format!("paced-{n}")).await);
    }
    // Third write waits for the first to leave the 500 ms window.
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
    for id in ids {
        client
            .delete(&format!("{PROFILES}/{id}"), &opts())
            .await
            .expect("delete succeeds");
    }
    assert!(sim.objects().is_empty());
    assert_eq!(sim.write_count(), 6);
}

/// With Intune's real limit enforced (the simulator's default, 100 writes
/// per 20 s) and the production pacer, more writes than the window holds
/// all succeed without one throttled answer: the pacer waits, Graph never
/// has to say no.
#[tokio::test]
async fn the_default_pacer_never_trips_intunes_write_limit() {
    let sim = start(exact());
    assert!(sim.config().enforce_write_limit);
    let mut config = config_for(&sim);
    config.write_pacing = WritePacing::default();
    let client = GraphClient::new(config).unwrap();
    let budget = CallOptions::within(Duration::from_secs(120));
    for n in 0..105 {
        client
            .post(PROFILES, &root_body(&format!("paced-{n}")), &budget)
            .await
            .expect("create succeeds");
    }
    let throttled = sim.requests().iter().filter(|r| r.status == 429).count();
    assert_eq!(throttled, 0, "the pacer kept under the limit");
    assert_eq!(sim.objects().len(), 105);
}

#[tokio::test]
async fn write_methods_round_trip() {
    let sim = start(exact());
    let client = client_for(&sim);
    let id = create_root(&client, "before").await;
    let path = format!("{PROFILES}/{id}");

    let patched = client
        .patch(
            &path,
            &json!({"@odata.type": "#microsoft.graph.iosTrustedRootCertificate", "displayName": "after"}),
            &opts(),
        )
        .await
        .expect("patch succeeds");
    assert_eq!(patched, None, "PATCH answers 204");
    let object = client.get(&path, &opts()).await.expect("read back");
    assert_eq!(object["displayName"], "after");
    assert_eq!(client.url(&path), format!("{}/beta{path}", sim.base_url()));

    client
        .delete(&path, &opts())
        .await
        .expect("delete succeeds");
    let error = client.get(&path, &opts()).await.expect_err("gone");
    assert!(error.is_not_found());
    let error = client
        .delete(&path, &opts())
        .await
        .expect_err("already gone");
    assert!(error.is_not_found());
}

/// A loopback port nobody listens on: bound, then let go.
fn refused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}

/// The attempt count in a refused call's message ("… gave up after N
/// attempt(s)").
fn attempts_in(message: &str) -> u32 {
    let (_, after) = message
        .rsplit_once("gave up after ")
        .unwrap_or_else(|| panic!("no attempt count in {message:?}"));
    after
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no attempt count in {message:?}"))
}

/// A client signed in to a simulator that is then shut down: its calls
/// find nothing listening on the Graph port. Returns the port.
async fn client_of_a_stopped_simulator(retry: RetryPolicy) -> (GraphClient, u16) {
    let sim = start(SimConfig::default());
    let port: u16 = sim
        .base_url()
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .expect("the simulator's URL has a port");
    let client = GraphClient::new(GraphConfig {
        retry,
        ..config_for(&sim)
    })
    .unwrap();
    client
        .sign_in(Instant::now() + Duration::from_secs(10))
        .await
        .expect("signed in");
    drop(sim);
    // Let the client see its kept-alive connection closed, so that the
    // next call connects anew instead of writing into a closed one.
    tokio::time::sleep(Duration::from_millis(200)).await;
    (client, port)
}

#[tokio::test]
async fn a_refused_port_fails_within_seconds_naming_host_and_port() {
    // Production retry numbers: today's backoff alone would retry for
    // minutes.
    let port = refused_port();
    let root = format!("http://127.0.0.1:{port}");
    let client = GraphClient::new(GraphConfig {
        graph_endpoint: root.clone(),
        authority_host: root,
        graph_resource: "https://graph.microsoft.com".into(),
        tenant_id: "contoso.onmicrosoft.com".into(),
        credential: Credential::ClientSecret {
            client_id: "app".into(),
            client_secret: Secret::new("refused-secret"),
        },
        user_agent: USER_AGENT.into(),
        retry: RetryPolicy::default(),
        write_pacing: WritePacing::Off,
    })
    .unwrap();
    let started = Instant::now();
    let error = client
        .list(
            &format!("{PROFILES}?$filter=displayName eq 'query-value'"),
            &CallOptions::within(Duration::from_secs(120)),
        )
        .await
        .expect_err("nothing listens there");
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(8),
        "took {elapsed:?}: {error}"
    );
    assert!(error.is_connection_refused(), "{error:?}");
    assert!(!error.may_have_been_processed(), "{error:?}");
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("cannot connect to 127.0.0.1:{port}")),
        "{text}"
    );
    assert!(
        (2..=4).contains(&attempts_in(&text)),
        "retried a few times only: {text}"
    );
    for hidden in ["query-value", "oauth2", "refused-secret", "?"] {
        assert!(!text.contains(hidden), "{hidden:?} in {text}");
    }
}

#[tokio::test]
async fn a_create_whose_connection_is_refused_is_retried() {
    // Nothing was sent, so even a create may be repeated: 3 retries.
    let (client, port) = client_of_a_stopped_simulator(fast_retries()).await;
    let started = Instant::now();
    let error = client
        .post(PROFILES, &root_body("refused"), &opts())
        .await
        .expect_err("nothing listens there");
    assert!(started.elapsed() < Duration::from_secs(3), "{error}");
    assert!(error.is_connection_refused(), "{error:?}");
    assert!(
        matches!(
            error,
            GraphError::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(!text.contains(PROFILES), "no path: {text}");
    assert_eq!(attempts_in(&text), 4, "{text}");

    // A create whose connection broke after sending is not repeated: it
    // may have been carried out.
    let sim = start(SimConfig::default());
    let client = client_for(&sim);
    sim.inject_on("POST", Fault::LoseResponse { count: 1 });
    let error = client
        .post(PROFILES, &root_body("lost"), &opts())
        .await
        .expect_err("the answer was lost");
    assert!(error.may_have_been_processed(), "{error:?}");
    assert!(!error.is_connection_refused(), "{error:?}");
    assert_eq!(graph_requests(&sim).len(), 1);
    assert_eq!(sim.objects().len(), 1, "Graph did create it");
}

#[tokio::test]
async fn a_connection_that_does_not_open_is_a_connect_error_and_a_create_is_retried() {
    let retry = RetryPolicy {
        connect_timeout: Duration::from_millis(200),
        ..fast_retries()
    };
    let (client, port) = client_of_a_stopped_simulator(retry).await;
    // A listener on the Graph port whose accept queue is full: the kernel
    // leaves further connection attempts unanswered, so connecting hangs.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket
        .bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))
        .expect("the simulator's port is free again");
    let listener = socket.listen(0).unwrap();
    let address = listener.local_addr().unwrap();
    let mut held = Vec::new();
    for _ in 0..8 {
        match tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(address),
        )
        .await
        {
            Ok(Ok(stream)) => held.push(stream),
            _ => break,
        }
    }

    let error = client
        .post(
            PROFILES,
            &root_body("hung"),
            &CallOptions::within(Duration::from_millis(1500)),
        )
        .await
        .expect_err("the connection never opens");
    // Retried (nothing was sent) until the deadline, each attempt ending
    // at the connect timeout rather than the attempt timeout.
    let GraphError::Timeout { attempts, last, .. } = &error else {
        panic!("not a Timeout: {error:?}");
    };
    assert!(*attempts >= 2, "{error}");
    assert!(
        matches!(
            last.as_deref(),
            Some(GraphError::Transport {
                kind: TransportKind::Connect,
                ..
            })
        ),
        "{error:?}"
    );
    assert!(!error.may_have_been_processed(), "{error:?}");
    assert!(!error.is_connection_refused(), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains(&format!(
            "cannot connect to 127.0.0.1:{port}: no connection within 200 ms"
        )),
        "{text}"
    );
    drop(listener);
}

#[tokio::test]
async fn a_404_on_a_later_page_is_not_the_collection_missing() {
    let sim = start(SimConfig {
        page_size: 2,
        ..SimConfig::default()
    });
    for n in 0..5 {
        sim.insert_object(root_body(&format!("root-{n}")))
            .expect("simulator accepts the object");
    }
    let client = client_for(&sim);
    sim.inject(Fault::NextLinkNotFound { count: 1 });
    // Read-after-write options retry a 404 of the first page only.
    let error = client
        .list(PROFILES, &opts().read_after_write())
        .await
        .expect_err("page 2 is gone");
    let GraphError::PageNotFound {
        page, operation, ..
    } = &error
    else {
        panic!("not PageNotFound: {error:?}");
    };
    assert_eq!(*page, 2);
    assert_eq!(operation, &format!("GET /beta{PROFILES}"));
    assert!(!error.is_not_found(), "{error:?}");
    assert_eq!(error.status(), None);
    assert!(!error.is_retryable());
    assert!(error.request_id().is_some(), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("page 2"), "{text}");
    assert!(!text.contains("skiptoken="), "no skip token: {text}");
    assert_eq!(statuses(&graph_requests(&sim)), [200, 404]);

    // The fault was used up: the list reads whole again.
    assert_eq!(client.list(PROFILES, &opts()).await.unwrap().len(), 5);

    // A 404 of the first page is the collection's owner missing.
    let error = client
        .list(
            &format!("{PROFILES}/00000000-0000-0000-0000-000000000001/assignments"),
            &opts(),
        )
        .await
        .expect_err("no such profile");
    assert!(error.is_not_found(), "{error:?}");
}

#[tokio::test]
async fn graph_time_comes_from_the_date_of_graph_replies() {
    let sim = start(SimConfig::default());
    let client = client_for(&sim);
    assert_eq!(client.graph_time(SystemTime::now()), None);
    client
        .sign_in(Instant::now() + Duration::from_secs(10))
        .await
        .expect("signed in");
    assert_eq!(
        client.graph_time(SystemTime::now()),
        None,
        "the token endpoint's Date is not Graph's"
    );

    let sent = SystemTime::now();
    let created = client
        .post(PROFILES, &root_body("dated"), &opts())
        .await
        .expect("created")
        .expect("with a body");
    let estimate = client.graph_time(sent).expect("a Graph reply was seen");
    let created_at = time::OffsetDateTime::parse(
        created["createdDateTime"]
            .as_str()
            .expect("createdDateTime"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("an RFC 3339 time");
    // The simulator shares this machine's clock: the estimate is a lower
    // bound, at most the second lost to Date's resolution (and a round
    // trip) early, and never after what Graph did after `sent`.
    let sent_at = time::OffsetDateTime::from(sent);
    assert!(estimate <= sent_at, "{estimate} is after {sent_at}");
    assert!(
        estimate > sent_at - time::Duration::seconds(2),
        "{estimate} is far before {sent_at}"
    );
    assert!(estimate <= created_at, "{estimate} after {created_at}");
}

/// Collects formatted log lines in memory.
#[derive(Clone, Default)]
struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn trace_logs_carry_request_ids_but_no_secret_or_token() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = start(exact());
    let client = client_for(&sim);
    sim.inject(Fault::Throttle {
        count: 1,
        retry_after_secs: Some(0),
    });
    create_root(&client, "logged").await;
    let _ = client
        .post(
            PROFILES,
            &json!({"@odata.type": "#microsoft.graph.iosTrustedRootCertificate",
                    "displayName": "x", "trustedRootCertificate": "AQID",
                    "encryptedPfxPassword": "hunter2-in-body"}),
            &opts(),
        )
        .await
        .expect_err("unknown property");
    client.list(PROFILES, &opts()).await.expect("list");

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).to_string();
    assert!(
        logs.contains("Graph call"),
        "no per-attempt debug line:\n{logs}"
    );
    assert!(logs.contains("token request"), "{logs}");
    assert!(logs.contains("request_id="), "{logs}");
    assert!(
        logs.contains("status=429") && logs.contains("attempt=2"),
        "{logs}"
    );
    assert!(logs.contains("Graph request body"), "{logs}");
    for forbidden in [
        sim.config().client_secret.as_str(),
        "hunter2-in-body",
        "access_token",
        "Bearer",
        "sim.",
    ] {
        assert!(
            !logs.contains(forbidden),
            "logs contain {forbidden:?}:\n{logs}"
        );
    }
}
