//! Shared helpers for the end-to-end tests: a temporary Terraform working
//! directory wired to a fresh build of the provider (through a filesystem
//! mirror, so `terraform init` runs for real) and to its own in-process
//! Graph simulator. Failures print the command, its output and what was
//! expected.
#![allow(dead_code)]

pub mod auth;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use intune_graph_sim::{SimConfig, Simulator};

/// The provider's registry address in tests, examples and the demo.
pub const SOURCE: &str = "intune-tf/intune";
pub const VERSION: &str = "0.1.0";

/// A Terraform binary to test with.
#[derive(Debug, Clone)]
pub struct Terraform {
    pub path: PathBuf,
    pub version: String,
}

/// Every Terraform the project tests with: 1.0.3 from `.tools/` (installed
/// by `scripts/install-terraform.sh`; missing is a failure, never a skip)
/// and `terraform` on PATH when it is another version.
pub fn terraforms() -> Vec<Terraform> {
    static ALL: OnceLock<Vec<Terraform>> = OnceLock::new();
    ALL.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let oldest = root.join(".tools/terraform-1.0.3/terraform");
        assert!(
            oldest.is_file(),
            "Terraform 1.0.3 is missing at {}; run scripts/install-terraform.sh (the e2e tests never skip)",
            oldest.display()
        );
        let mut all = vec![Terraform { version: version_of(&oldest), path: oldest }];
        if let Some(on_path) = which("terraform") {
            let v = version_of(&on_path);
            if all.iter().all(|t| t.version != v) {
                all.push(Terraform { path: on_path, version: v });
            }
        }
        all
    })
    .clone()
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

fn version_of(path: &Path) -> String {
    let out = Command::new(path)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("run terraform version");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("Terraform v")
        .trim()
        .to_string()
}

/// The result of one terraform command.
#[derive(Debug)]
pub struct Run {
    pub command: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Panics with the whole output unless the command exited with `code`.
    pub fn expect_code(&self, code: i32) -> &Self {
        if self.code != code {
            panic!(
                "`{}` exited {} (expected {code})\n--- stdout ---\n{}\n--- stderr ---\n{}",
                self.command, self.code, self.stdout, self.stderr
            );
        }
        self
    }

    /// Panics unless the output contains `needle`. Terraform wraps
    /// diagnostics to its terminal width, so whitespace runs compare equal.
    pub fn expect_output(&self, needle: &str) -> &Self {
        let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        if !squash(&self.output()).contains(&squash(needle)) {
            panic!(
                "`{}` output lacks {needle:?}\n--- output ---\n{}",
                self.command,
                self.output()
            );
        }
        self
    }
}

/// A Terraform working directory with its own simulator.
pub struct Workspace {
    pub sim: Simulator,
    pub dir: tempfile::TempDir,
    pub tf: Terraform,
    extra_env: Vec<(String, String)>,
}

impl Workspace {
    pub fn new(tf: &Terraform) -> Workspace {
        Workspace::with_simulator(tf, SimConfig::default())
    }

    pub fn with_simulator(tf: &Terraform, config: SimConfig) -> Workspace {
        let sim = Simulator::spawn(config).expect("start the Graph simulator");
        let dir = tempfile::Builder::new()
            .prefix("intune-e2e-")
            .tempdir()
            .expect("temp dir");
        let mirror = dir.path().join("mirror");
        let plugin_dir = mirror.join(format!(
            "registry.terraform.io/{SOURCE}/{VERSION}/linux_amd64"
        ));
        std::fs::create_dir_all(&plugin_dir).unwrap();
        let binary = env!("CARGO_BIN_EXE_terraform-provider-intune");
        std::fs::copy(
            binary,
            plugin_dir.join(format!("terraform-provider-intune_v{VERSION}")),
        )
        .unwrap();
        let cli_config = format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = {mirror:?}\n    include = [\"registry.terraform.io/{SOURCE}\"]\n  }}\n}}\n",
            mirror = mirror.display().to_string()
        );
        std::fs::write(dir.path().join("terraform.rc"), cli_config).unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        Workspace {
            sim,
            dir,
            tf: tf.clone(),
            extra_env: Vec::new(),
        }
    }

    /// The directory terraform runs in.
    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// Adds an environment variable to every terraform run; an empty value
    /// removes the variable instead.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.extra_env.push((key.to_string(), value.to_string()));
    }

    /// Writes a file into the working directory.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) {
        let path = self.work().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, contents).unwrap();
    }

    /// Writes `main.tf`: the provider requirement plus `body`.
    pub fn config(&self, body: &str) {
        self.write("provider.tf", provider_tf());
        self.write("main.tf", body);
    }

    /// Runs terraform with the simulator's credentials and endpoints in the
    /// environment, as a pipeline exports them.
    pub fn tf(&self, args: &[&str]) -> Run {
        self.tf_in(&self.work(), args)
    }

    /// Runs terraform in `dir` (a subdirectory of the working directory).
    pub fn tf_in(&self, dir: &Path, args: &[&str]) -> Run {
        self.run(dir, args, &[], &[])
    }

    /// Runs terraform with `set` added to and `unset` removed from the
    /// environment of [`Workspace::tf`] for this one command (a pipeline
    /// that signs in another way).
    pub fn tf_with(&self, args: &[&str], set: &[(&str, String)], unset: &[&str]) -> Run {
        self.run(&self.work(), args, set, unset)
    }

    fn run(&self, dir: &Path, args: &[&str], set: &[(&str, String)], unset: &[&str]) -> Run {
        let sim = self.sim.config();
        let mut cmd = Command::new(&self.tf.path);
        cmd.args(args)
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join("terraform.rc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("ARM_TENANT_ID", &sim.tenant_id)
            .env("ARM_CLIENT_ID", &sim.client_id)
            .env("ARM_CLIENT_SECRET", &sim.client_secret)
            .env("INTUNE_GRAPH_ENDPOINT", self.sim.base_url())
            .env("INTUNE_AUTHORITY_HOST", self.sim.base_url());
        for (k, v) in &self.extra_env {
            if v.is_empty() {
                cmd.env_remove(k);
            } else {
                cmd.env(k, v);
            }
        }
        for (k, v) in set {
            cmd.env(k, v);
        }
        for k in unset {
            cmd.env_remove(k);
        }
        let out = cmd.output().expect("run terraform");
        Run {
            command: format!("terraform {} (v{})", args.join(" "), self.tf.version),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn init(&self) -> Run {
        let run = self.tf(&["init", "-no-color", "-input=false"]);
        run.expect_code(0);
        run
    }

    pub fn apply(&self) -> Run {
        let run = self.tf(&["apply", "-no-color", "-input=false", "-auto-approve"]);
        run.expect_code(0);
        run
    }

    /// `plan -detailed-exitcode`: 0 no changes, 1 error, 2 changes.
    pub fn plan(&self) -> Run {
        self.tf(&["plan", "-no-color", "-input=false", "-detailed-exitcode"])
    }

    /// Plans each configuration in `cases` and expects it to fail with
    /// every text given for it (summaries, attribute paths, the advice),
    /// without a single write reaching Graph: invalid input is refused at
    /// plan, before any call that changes anything.
    #[allow(dead_code)]
    pub fn expect_refused_at_plan<C: AsRef<str>, N: AsRef<str>>(&self, cases: &[(C, Vec<N>)]) {
        let writes = self.sim.write_count();
        for (config, expected) in cases {
            self.config(config.as_ref());
            let run = self.tf(&["plan", "-no-color", "-input=false"]);
            run.expect_code(1);
            for needle in expected {
                run.expect_output(needle.as_ref());
            }
            assert_eq!(
                self.sim.write_count(),
                writes,
                "no write may reach Graph for invalid input:\n{}",
                config.as_ref()
            );
        }
    }

    /// Asserts that a plan right now shows no changes.
    pub fn expect_no_changes(&self) {
        self.plan().expect_code(0);
    }

    pub fn destroy(&self) -> Run {
        let run = self.tf(&["destroy", "-no-color", "-input=false", "-auto-approve"]);
        run.expect_code(0);
        run
    }

    /// `terraform state show -no-color` of one address, parsed to a map of
    /// top-level string/number attributes.
    pub fn state_attr(&self, address: &str, attr: &str) -> Option<String> {
        let run = self.tf(&["state", "show", "-no-color", address]);
        run.expect_code(0);
        run.stdout.lines().find_map(|line| {
            let line = line.trim();
            let (k, v) = line.split_once(" = ")?;
            (k.trim() == attr).then(|| v.trim().trim_matches('"').to_string())
        })
    }
}

/// The `required_providers` block and an empty provider block: the
/// simulator's settings arrive through the environment.
pub fn provider_tf() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    intune = {{\n      source  = \"{SOURCE}\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n\nprovider \"intune\" {{}}\n"
    )
}

/// Path of a file in the repository's `examples/`.
pub fn example(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(path)
}

/// Copies a directory tree (examples) into the working directory.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The provider, configured in-process against `sim` with its client
/// secret, as `Configure` would leave it: for the engine tests that call
/// the framework directly instead of running terraform.
pub async fn configured_provider(
    sim: &Simulator,
) -> intune::framework::Provider<intune::resources::provider_config::IntuneProvider> {
    configured_provider_with(sim, &[]).await
}

/// [`configured_provider`] with more provider settings (attribute, value).
#[allow(dead_code)]
pub async fn configured_provider_with(
    sim: &Simulator,
    settings: &[(&str, &str)],
) -> intune::framework::Provider<intune::resources::provider_config::IntuneProvider> {
    use intune::resources::provider_config::IntuneProvider;
    use intune::value::Value;
    let provider = intune::resources::provider(IntuneProvider::with_env(|_| None));
    let mut config = provider.provider_schema().block.empty_object();
    let c = sim.config();
    for (k, v) in [
        ("tenant_id", c.tenant_id.clone()),
        ("client_id", c.client_id.clone()),
        ("client_secret", c.client_secret.clone()),
        ("graph_endpoint", sim.base_url()),
        ("authority_host", sim.base_url()),
    ] {
        config.set(k, Value::string(v));
    }
    // Each setting as its schema type: numbers are given as their text.
    for (k, v) in settings {
        let number = provider
            .provider_schema()
            .block
            .find_attribute(k)
            .is_some_and(|a| a.ty == intune::value::Type::Number);
        let value = match intune::value::Number::parse(v) {
            Some(n) if number => Value::Number(n),
            _ => Value::string(*v),
        };
        config.set(k, value);
    }
    let diags = provider.configure(&config, "1.11.4").await;
    assert!(diags.is_empty(), "{diags:?}");
    provider
}

/// A self-signed certificate valid from `from_days` to `to_days` days from
/// now, a CA or not, as PEM: expired, not yet valid or leaf certificates
/// for the certificate checks, made at test time.
#[allow(dead_code)]
pub fn dated_pem(from_days: i64, to_days: i64, is_ca: bool) -> String {
    let now = time::OffsetDateTime::now_utc();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Fabrikam Test CA");
    params.is_ca = if is_ca {
        rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained)
    } else {
        rcgen::IsCa::ExplicitNoCa
    };
    params.not_before = now + time::Duration::days(from_days);
    params.not_after = now + time::Duration::days(to_days);
    let key = rcgen::KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().pem()
}
