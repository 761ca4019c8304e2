//! The launch contract, tested on the built binary the way terraform uses
//! it: environment in, handshake line out, gRPC over mutual TLS, Shutdown,
//! exit 0. Also what a person running it by hand sees.

use std::io::{BufRead as _, BufReader, Read as _};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use hyper_util::rt::TokioIo;
use intune::protocol::goplugin::Empty;
use intune::protocol::goplugin::grpc_controller_client::GrpcControllerClient;
use intune::protocol::tfplugin5::get_provider_schema;
use intune::protocol::tfplugin5::provider_client::ProviderClient;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tonic::codegen::http::Uri;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-intune");
const COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// Terraform waits 2 s after Shutdown before it kills the provider.
const EXIT_DEADLINE: Duration = Duration::from_secs(2);

/// A command for the binary with none of the launch variables inherited
/// from whoever runs the tests.
fn provider_command() -> Command {
    let mut cmd = Command::new(BINARY);
    for key in [
        COOKIE_KEY,
        "PLUGIN_PROTOCOL_VERSIONS",
        "PLUGIN_MIN_PORT",
        "PLUGIN_MAX_PORT",
        "PLUGIN_CLIENT_CERT",
        "TF_LOG",
        "TF_LOG_PROVIDER",
    ] {
        cmd.env_remove(key);
    }
    cmd
}

/// A client identity terraform could have made (P-256 instead of P-521
/// because ring signs only the former; the unit tests cover P-521).
struct ClientCert {
    der: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
    pem: String,
}

fn client_cert() -> Result<ClientCert> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key)?;
    Ok(ClientCert {
        der: cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        pem: cert.pem(),
    })
}

/// A launched provider; killed on drop if a test fails half-way.
struct Launched {
    child: Child,
    stdout: BufReader<ChildStdout>,
    addr: SocketAddr,
    server_cert: Option<CertificateDer<'static>>,
    handshake: String,
}

impl Drop for Launched {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Launched {
    /// Waits for the process to exit on its own and returns its status code
    /// and anything it wrote to stdout after the handshake line.
    fn wait_exit(&mut self, deadline: Duration) -> Result<(Option<i32>, String)> {
        let code = wait_with_deadline(&mut self.child, deadline)?;
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest)?;
        Ok((code, rest))
    }
}

/// Waits up to `deadline` for `child` to exit and returns its exit code.
fn wait_with_deadline(child: &mut Child, deadline: Duration) -> Result<Option<i32>> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status.code());
        }
        if start.elapsed() > deadline {
            bail!("provider still running {deadline:?} after it was asked to stop");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills the child on drop, for tests that spawn it without `launch`.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the provider as terraform does and parses its handshake line.
fn launch(client: Option<&ClientCert>, extra_env: &[(&str, &str)]) -> Result<Launched> {
    let mut cmd = provider_command();
    cmd.env(COOKIE_KEY, COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6,5")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(client) = client {
        cmd.env("PLUGIN_CLIENT_CERT", &client.pem);
    }
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().context("spawning the provider")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut stdout = BufReader::new(stdout);
    let mut handshake = String::new();
    stdout.read_line(&mut handshake)?;
    let mut launched = Launched {
        child,
        stdout,
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        server_cert: None,
        handshake: handshake.clone(),
    };
    let line = handshake
        .strip_suffix('\n')
        .with_context(|| format!("handshake line not newline-terminated: {handshake:?}"))?;
    let fields: Vec<&str> = line.split('|').collect();
    let [core, proto, network, addr, grpc, cert] = fields.as_slice() else {
        bail!("handshake line has {} fields: {line:?}", fields.len());
    };
    ensure!(
        (*core, *proto, *network, *grpc) == ("1", "5", "tcp", "grpc"),
        "{line:?}"
    );
    launched.addr = addr
        .parse()
        .with_context(|| format!("address in {line:?}"))?;
    ensure!(launched.addr.ip().is_loopback(), "{line:?}");
    if !cert.is_empty() {
        ensure!(!cert.ends_with('='), "padded base64 in {line:?}");
        let der = STANDARD_NO_PAD
            .decode(cert)
            .context("certificate is not unpadded base64")?;
        launched.server_cert = Some(CertificateDer::from(der));
    }
    Ok(launched)
}

/// Trusts exactly the handshake's certificate, as terraform does.
#[derive(Debug)]
struct PinnedServer {
    certificate: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.certificate.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A gRPC channel over TLS to `launched`, presenting `client` if given.
async fn connect_tls(launched: &Launched, client: Option<&ClientCert>) -> Result<Channel> {
    let certificate = launched
        .server_cert
        .clone()
        .context("no TLS in handshake")?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer {
            certificate,
            algorithms: provider.signature_verification_algorithms,
        }));
    let mut config = match client {
        Some(c) => builder.with_client_auth_cert(vec![c.der.clone()], c.key.clone_key())?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let addr = launched.addr;
    let connect = tower::service_fn(move |_: Uri| {
        let connector = connector.clone();
        async move {
            let tcp = tokio::net::TcpStream::connect(addr).await?;
            let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
            let tls = connector.connect(name, tcp).await?;
            Ok::<_, std::io::Error>(TokioIo::new(tls))
        }
    });
    Ok(Endpoint::from_static("http://localhost")
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(5))
        .connect_with_connector(connect)
        .await?)
}

async fn connect_plain(launched: &Launched) -> Result<Channel> {
    Ok(Endpoint::from_shared(format!("http://{}", launched.addr))?
        .timeout(Duration::from_secs(5))
        .connect()
        .await?)
}

async fn plugin_health(channel: Channel) -> Result<ServingStatus> {
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: "plugin".to_owned(),
        })
        .await?;
    Ok(response.into_inner().status())
}

/// Asks the provider to exit, as terraform does after every phase, and
/// checks that it does so cleanly and without writing more to stdout.
async fn shut_down(mut launched: Launched, channel: Channel) -> Result<()> {
    GrpcControllerClient::new(channel.clone())
        .shutdown(Empty {})
        .await?;
    drop(channel);
    let (code, rest) =
        tokio::task::spawn_blocking(move || launched.wait_exit(EXIT_DEADLINE)).await??;
    ensure!(code == Some(0), "exit code {code:?}");
    ensure!(rest.is_empty(), "stdout after the handshake line: {rest:?}");
    Ok(())
}

#[test]
fn run_by_hand_explains_and_exits_1() -> Result<()> {
    for cookie in [None, Some(""), Some("not-the-cookie")] {
        let mut cmd = provider_command();
        if let Some(c) = cookie {
            cmd.env(COOKIE_KEY, c);
        }
        let out = cmd.stdin(Stdio::null()).output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "cookie {cookie:?}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "cookie {cookie:?}: stdout {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(stderr.contains("not meant to be run by hand"), "{stderr}");
        assert!(stderr.contains("terraform init"), "{stderr}");
        assert!(stderr.contains("--debug"), "{stderr}");
    }
    Ok(())
}

#[test]
fn refuses_terraform_without_protocol_5() -> Result<()> {
    let out = provider_command()
        .env(COOKIE_KEY, COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .stdin(Stdio::null())
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("only speaks version 5"), "{stderr}");
    Ok(())
}

#[tokio::test]
async fn mutual_tls_health_schema_and_shutdown() -> Result<()> {
    let client = client_cert()?;
    let launched = launch(
        Some(&client),
        &[("PLUGIN_MIN_PORT", "20000"), ("PLUGIN_MAX_PORT", "20999")],
    )?;
    assert!(
        (20000..=20999).contains(&launched.addr.port()),
        "{}",
        launched.handshake
    );

    // The announced certificate is what terraform will verify the server by.
    let der = launched.server_cert.clone().context("TLS expected")?;
    let (_, parsed) = x509_parser::parse_x509_certificate(der.as_ref())?;
    assert!(parsed.validity().is_valid());
    let san = parsed.subject_alternative_name()?.context("no SAN")?;
    assert!(
        format!("{:?}", san.value.general_names).contains("localhost"),
        "{:?}",
        san.value
    );

    let channel = connect_tls(&launched, Some(&client)).await?;
    assert_eq!(
        plugin_health(channel.clone()).await?,
        ServingStatus::Serving
    );
    ProviderClient::new(channel.clone())
        .get_schema(get_provider_schema::Request {})
        .await
        .context("GetSchema")?;
    shut_down(launched, channel).await
}

#[tokio::test]
async fn rejects_clients_without_the_pinned_certificate_and_keeps_serving() -> Result<()> {
    let client = client_cert()?;
    let stranger = client_cert()?;
    let launched = launch(Some(&client), &[])?;

    for (name, identity) in [
        ("no certificate", None),
        ("unpinned certificate", Some(&stranger)),
    ] {
        let attempt = async {
            let channel = connect_tls(&launched, identity).await?;
            plugin_health(channel).await
        }
        .await;
        assert!(attempt.is_err(), "{name}: got {attempt:?}");
    }

    // The failed handshakes did not take the server down.
    let channel = connect_tls(&launched, Some(&client)).await?;
    assert_eq!(
        plugin_health(channel.clone()).await?,
        ServingStatus::Serving
    );
    shut_down(launched, channel).await
}

#[tokio::test]
async fn plaintext_when_terraform_disables_plugin_tls() -> Result<()> {
    let launched = launch(None, &[])?;
    assert!(
        launched.handshake.ends_with("|grpc|\n"),
        "{}",
        launched.handshake
    );
    let channel = connect_plain(&launched).await?;
    assert_eq!(
        plugin_health(channel.clone()).await?,
        ServingStatus::Serving
    );
    shut_down(launched, channel).await
}

#[tokio::test]
async fn ignores_sigint() -> Result<()> {
    let launched = launch(None, &[])?;
    let status = Command::new("kill")
        .args(["-INT", &launched.child.id().to_string()])
        .status()?;
    assert!(status.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let channel = connect_plain(&launched).await?;
    assert_eq!(
        plugin_health(channel.clone()).await?,
        ServingStatus::Serving
    );
    shut_down(launched, channel).await
}

#[tokio::test]
async fn sigterm_shuts_down_cleanly() -> Result<()> {
    let mut launched = launch(None, &[])?;
    let channel = connect_plain(&launched).await?;
    assert_eq!(
        plugin_health(channel.clone()).await?,
        ServingStatus::Serving
    );
    let status = Command::new("kill")
        .args(["-TERM", &launched.child.id().to_string()])
        .status()?;
    assert!(status.success());
    let (code, rest) =
        tokio::task::spawn_blocking(move || launched.wait_exit(EXIT_DEADLINE)).await??;
    assert_eq!(code, Some(0));
    assert!(rest.is_empty(), "{rest:?}");
    drop(channel);
    Ok(())
}

/// Whether process `pid` is alive. With `/proc`, a zombie nobody reaps (in
/// a container without an init) counts as exited; without it, `kill -0`
/// asks the kernel whether the process exists.
fn is_running(pid: u32) -> Result<bool> {
    if Path::new("/proc/self/stat").exists() {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
        return Ok(state
            .as_deref()
            .and_then(|s| s.rsplit_once(')'))
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')));
    }
    let status = Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .context("running kill -0")?;
    Ok(status.success())
}

#[test]
fn version_prints_one_line_without_terraform() -> Result<()> {
    let out = Command::new(BINARY)
        .arg("--version")
        .env_remove(COOKIE_KEY)
        .output()?;
    ensure!(out.status.success(), "exit {:?}", out.status);
    let stdout = String::from_utf8(out.stdout)?;
    ensure!(
        stdout
            == format!(
                "terraform-provider-intune {} (plugin protocol 5)\n",
                env!("CARGO_PKG_VERSION")
            ),
        "stdout: {stdout:?}"
    );
    Ok(())
}

#[test]
fn exits_when_terraform_goes_away() -> Result<()> {
    // A shell stands in for terraform: it starts the provider, reports its
    // pid, and dies a moment later without calling Shutdown.
    let dir = tempfile::tempdir()?;
    let handshake_file = dir.path().join("stdout");
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#""$0" >"$1" 2>/dev/null </dev/null & echo $!; sleep 0.5"#)
        .arg(BINARY)
        .arg(&handshake_file)
        .env(COOKIE_KEY, COOKIE)
        .env_remove("PLUGIN_CLIENT_CERT")
        .output()?;
    let pid: u32 = String::from_utf8(out.stdout)?.trim().parse()?;
    let start = Instant::now();
    loop {
        if !is_running(pid)? {
            break;
        }
        if start.elapsed() > Duration::from_secs(5) {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            bail!("provider {pid} still running 5 s after its parent died");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // It did start and serve (rather than exiting at once for another reason).
    let stdout = std::fs::read_to_string(&handshake_file)?;
    ensure!(
        stdout.starts_with("1|5|tcp|127.0.0.1:"),
        "stdout: {stdout:?}"
    );
    Ok(())
}

#[tokio::test]
async fn debug_mode_prints_reattach_line_and_serves_plaintext() -> Result<()> {
    let mut guard = KillOnDrop(
        provider_command()
            .arg("--debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?,
    );
    let child = &mut guard.0;
    let mut stdout = BufReader::new(child.stdout.take().context("no stdout")?);
    let mut reattach = None;
    let mut text = String::new();
    for _ in 0..20 {
        let mut line = String::new();
        if stdout.read_line(&mut line)? == 0 {
            break;
        }
        text.push_str(&line);
        if let Some(json) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            reattach = Some(json.trim_end_matches('\'').to_owned());
            break;
        }
    }
    let json = reattach.with_context(|| format!("no reattach line in {text:?}"))?;
    let value: serde_json::Value = serde_json::from_str(&json)?;
    let entry = &value["registry.terraform.io/intune-tf/intune"];
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 5);
    assert_eq!(entry["Pid"], child.id());
    assert_eq!(entry["Test"], true);
    assert_eq!(entry["Addr"]["Network"], "tcp");
    let addr: SocketAddr = entry["Addr"]["String"].as_str().context("addr")?.parse()?;

    let channel = Endpoint::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    assert_eq!(
        plugin_health(channel.clone()).await?,
        ServingStatus::Serving
    );
    // Shutdown does not end a debug session...
    GrpcControllerClient::new(channel.clone())
        .shutdown(Empty {})
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        child.try_wait()?.is_none(),
        "debug provider exited on Shutdown"
    );
    assert_eq!(
        plugin_health(channel.clone()).await?,
        ServingStatus::Serving
    );
    drop(channel);
    // ...Ctrl-C does.
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()?;
    let code = tokio::task::spawn_blocking(move || wait_with_deadline(&mut guard.0, EXIT_DEADLINE))
        .await??;
    assert_eq!(code, Some(0));
    Ok(())
}
