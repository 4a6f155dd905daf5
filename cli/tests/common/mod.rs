//! What the `kms-import` tests share: the binary, fixture paths, scratch directories and, for the
//! import tests, a kms-import-server started in this process on 127.0.0.1.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_kms-import");

/// A fixture of the repository (`tests/data/...`) or of the tool (`cli/tests/data/...`).
pub fn repo_data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(rel)
}

pub fn cli_data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// A fresh scratch directory, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("kms-import-cli-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    /// Names of the entries in the directory, sorted.
    pub fn entries(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the tool with a clean environment (no AWS configuration from this machine).
pub fn run(args: &[&std::ffi::OsStr]) -> Output {
    base_command().args(args).output().unwrap()
}

pub fn base_command() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear();
    cmd
}

/// The single stderr line of a failure, checked to have the `error: <Exception>: ` form.
pub fn error_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one stderr line expected: {stderr:?}");
    let line = lines[0];
    let rest = line.strip_prefix("error: ").expect("error: prefix");
    let (code, _) = rest.split_once(": ").expect("exception name");
    assert!(
        code.ends_with("Exception") || code.ends_with("Failure") || code.ends_with("Error"),
        "{line}"
    );
    line.to_owned()
}

/// The endpoint of a kms-import-server running in this process (one per test binary).
pub fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    // The tests run many imports per second; AWS's quotas would throttle them.
    URL.get_or_init(|| start_server(&["--rate-limits", "off"]))
}

/// Starts another kms-import-server in this process, with `extra` flags; returns its URL.
pub fn start_server(extra: &[&str]) -> String {
    // Ask the OS for a free port, then hand it to the server.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let listen = addr.to_string();
    let mut argv = vec![
        "kms-import-server",
        "--listen",
        &listen,
        "--pool-rsa-2048",
        "4",
        "--pool-rsa-3072",
        "1",
        "--pool-rsa-4096",
        "1",
        "--log-level",
        "warn",
    ];
    argv.extend_from_slice(extra);
    let args = <kms_import_server::args::Args as clap::Parser>::parse_from(argv);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        if let Err(e) = rt.block_on(kms_import_server::run(args)) {
            panic!("kms-import-server: {e}");
        }
    });
    for _ in 0..200 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return format!("http://{addr}");
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("kms-import-server did not start on {addr}");
}

/// Dummy credentials and Region for the tool and the SDK: nothing leaves 127.0.0.1.
pub const ACCESS_KEY: &str = "AKIDKMSIMPORTTEST";
pub const SECRET_KEY: &str = "kms-import-test-secret";
pub const REGION: &str = "us-east-1";

/// `kms-import import` against the test server, configured the way a user's shell would be:
/// credentials and Region from the environment, the endpoint from `AWS_ENDPOINT_URL`.
pub fn import_command() -> Command {
    let mut cmd = base_command();
    cmd.arg("import")
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", server_url())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/kms-import-test/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/kms-import-test/credentials",
        );
    cmd
}

/// An SDK client for the test server, configured explicitly (no environment, no profiles).
pub fn kms_client() -> aws_sdk_kms::Client {
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_sdk_kms::config::Region::new(REGION))
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "test",
        ))
        .endpoint_url(server_url())
        .build();
    aws_sdk_kms::Client::from_conf(config)
}

/// The runtime of every SDK call in a test binary. One for all: an SDK client keeps its
/// connections on the runtime that opened them, so a runtime per call would strand them.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}
