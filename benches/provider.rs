//! Measurements, printed as figures (run `scripts/bench.sh` or
//! `cargo bench --bench provider`):
//!
//! - cold start: launch to handshake line, as terraform launches the
//!   provider (AutoMTLS on);
//! - `terraform apply` of 100 trusted certificate profiles against the
//!   simulator, the refresh + plan after it, and the destroy;
//! - the provider processes' peak resident memory during those runs.
//!
//! The simulator runs with its replication lag off (new objects visible at
//! once) and Intune's write limit on, as in every test.
//!
//! Nothing here asserts a time: the figures are for people to compare.

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn main() {
    // `cargo test --all-targets` runs bench targets without `--bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    cold_start(40);
    apply_many(100);
}

fn client_cert() -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/p521-client-auth.pem"
    ))
    .unwrap();
    let start = text.find("-----BEGIN CERTIFICATE-----").unwrap();
    let end = text.find("-----END CERTIFICATE-----").unwrap() + "-----END CERTIFICATE-----".len();
    text[start..end].to_string()
}

fn cold_start(runs: usize) {
    let binary = env!("CARGO_BIN_EXE_terraform-provider-intune");
    let cert = client_cert();
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .env(
                "TF_PLUGIN_MAGIC_COOKIE",
                "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
            )
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .env("PLUGIN_MIN_PORT", "10000")
            .env("PLUGIN_MAX_PORT", "25000")
            .env("PLUGIN_CLIENT_CERT", &cert)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("launch the provider");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        samples.push(started.elapsed());
        assert!(
            line.starts_with("1|5|tcp|127.0.0.1:"),
            "unexpected handshake {line:?}"
        );
        let _ = child.kill();
        let _ = child.wait();
    }
    samples.sort();
    println!(
        "cold start to handshake line (AutoMTLS, {runs} launches): median {:.2} ms, p90 {:.2} ms, max {:.2} ms",
        ms(samples[runs / 2]),
        ms(samples[runs * 9 / 10]),
        ms(samples[runs - 1])
    );
}

fn apply_many(n: usize) {
    for tf in support::terraforms() {
        // Graph's replication lag is turned off: these figures measure the
        // provider and terraform, not the simulator's 404s.
        let ws = support::Workspace::with_simulator(
            &tf,
            intune_graph_sim::SimConfig {
                consistency: intune_graph_sim::Consistency::IMMEDIATE,
                ..intune_graph_sim::SimConfig::default()
            },
        );
        ws.write(
            "root.cer",
            std::fs::read(support::example("certs/contoso-root-ca.cer")).unwrap(),
        );
        ws.config(&format!(
            r#"
locals {{
  platforms = ["android_device_administrator", "android_work_profile", "android_for_work",
               "android_device_owner", "aosp", "ios", "macos", "windows", "windows_phone_81"]
}}
resource "intune_trusted_certificate" "many" {{
  count                    = {n}
  platform                 = local.platforms[count.index % 9]
  display_name             = "Root ${{count.index}}"
  trusted_root_certificate = file("root.cer")
  destination_store        = local.platforms[count.index % 9] == "windows" ? "computerCertStoreRoot" : null
}}
"#
        ));
        ws.init();
        let peak = RssWatcher::start();
        let apply = timed(|| {
            ws.apply();
        });
        assert_eq!(ws.sim.objects().len(), n);
        let plan = timed(|| ws.expect_no_changes());
        let destroy = timed(|| {
            ws.destroy();
        });
        let peak_kib = peak.stop();
        println!(
            "terraform {} with {n} trusted certificates: apply {:.2} s, plan after apply {:.2} s, destroy {:.2} s; \
             provider peak RSS {:.1} MiB",
            tf.version,
            apply.as_secs_f64(),
            plan.as_secs_f64(),
            destroy.as_secs_f64(),
            peak_kib as f64 / 1024.0
        );
    }
}

fn timed(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Samples `VmHWM` (peak resident set) of every running provider process
/// every 5 ms and keeps the largest.
struct RssWatcher {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl RssWatcher {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let (s, p) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                for kib in provider_peaks() {
                    p.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        RssWatcher { stop, peak, thread }
    }

    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.peak.load(Ordering::Relaxed)
    }
}

fn provider_peaks() -> Vec<u64> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .chars()
                .all(|c| c.is_ascii_digit())
        })
        .filter_map(|e| {
            let status = std::fs::read_to_string(e.path().join("status")).ok()?;
            let name = status
                .lines()
                .next()?
                .trim_start_matches("Name:")
                .trim()
                .to_string();
            // The kernel truncates names to 15 characters.
            if !"terraform-provider-intune_v".starts_with(&name) || name.len() < 15 {
                return None;
            }
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .collect()
}
