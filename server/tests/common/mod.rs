//! Test support: start the built `kms-import-server`, call it over plain HTTP/1.1, wrap key
//! material for import.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64ct::{Base64, Encoding};
use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_kms-import-server");

/// A scratch directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("kms-import-{tag}-{}", random_hex(6)));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).unwrap();
    b
}

pub fn random_hex(n: usize) -> String {
    random_bytes(n).iter().map(|b| format!("{b:02x}")).collect()
}

/// A random 12-digit account, so that runs on one shared database do not see each other.
pub fn random_account() -> String {
    let b = random_bytes(8);
    let n = u64::from_le_bytes(b.try_into().unwrap()) % 900_000_000_000 + 100_000_000_000;
    n.to_string()
}

/// Writes a secrets file with `keys generate`.
pub fn secrets_file(dir: &Scratch) -> PathBuf {
    let path = dir.path("secrets.json");
    let out = Command::new(BIN)
        .args(["keys", "generate", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl Server {
    /// Starts the server with `args` (plus a free loopback port and small pools) and waits
    /// until it accepts connections.
    pub fn start(store: &str, secrets: Option<&Path>, account: &str, log: PathBuf) -> Server {
        Server::start_with(store, secrets, account, log, &[])
    }

    /// [`Server::start`] with more arguments.
    pub fn start_with(
        store: &str,
        secrets: Option<&Path>,
        account: &str,
        log: PathBuf,
        extra: &[&str],
    ) -> Server {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let mut cmd = Command::new(BIN);
        cmd.args([
            "--listen",
            &addr.to_string(),
            "--store",
            store,
            "--account",
            account,
        ])
        .args([
            "--pool-rsa-2048",
            "2",
            "--pool-rsa-3072",
            "0",
            "--pool-rsa-4096",
            "0",
        ])
        // These tests drive the store, not the request-rate quotas.
        .args(["--rate-limits", "off"]);
        if let Some(s) = secrets {
            cmd.arg("--secrets").arg(s);
        }
        cmd.args(extra);
        let file = std::fs::File::create(&log).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        let mut server = Server { child, addr, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if TcpStream::connect(addr).is_ok() {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("server exited ({status}): {}", server.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "server did not start: {}",
                server.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then the exit status (within 60 s).
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "no exit 60 s after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no chance to flush or finish anything.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn call(&self, op: &str, body: Value) -> (u16, Value) {
        call(self.addr, op, &body)
    }

    /// A request signed for `region` (the Region of its SigV4 credential scope).
    pub fn call_in(&self, region: &str, op: &str, body: Value) -> (u16, Value) {
        try_call_as(self.addr, op, &body, Some(&authorization(region)))
            .unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    /// [`Server::call_in`], insisting on success.
    pub fn ok_in(&self, region: &str, op: &str, body: Value) -> Value {
        let (status, v) = self.call_in(region, op, body);
        assert_eq!(status, 200, "{op} in {region}: {v}");
        v
    }

    /// Calls and insists on success.
    pub fn ok(&self, op: &str, body: Value) -> Value {
        let (status, v) = self.call(op, body);
        assert_eq!(status, 200, "{op}: {v}");
        v
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// One AWS JSON 1.1 request on a fresh connection; (status, parsed body).
pub fn call(addr: SocketAddr, op: &str, body: &Value) -> (u16, Value) {
    try_call(addr, op, body).unwrap_or_else(|e| panic!("{op}: {e}"))
}

pub fn try_call(addr: SocketAddr, op: &str, body: &Value) -> Result<(u16, Value), String> {
    try_call_as(addr, op, body, None)
}

/// A SigV4 `Authorization` header whose credential scope names `region` (the server checks no
/// signature).
pub fn authorization(region: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/{region}/kms/aws4_request, \
         SignedHeaders=host;x-amz-date;x-amz-target, Signature=00"
    )
}

/// [`try_call`] with an `Authorization` header.
pub fn try_call_as(
    addr: SocketAddr,
    op: &str,
    body: &Value,
    authorization: Option<&str>,
) -> Result<(u16, Value), String> {
    let body = serde_json::to_vec(body).unwrap();
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: TrentService.{op}\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    s.write_all(&body).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| "no complete answer".to_owned())?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line: {head}"))?;
    let body = &raw[split + 4..];
    let value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body).map_err(|e| format!("bad body ({e}): {head}"))?
    };
    Ok((status, value))
}

pub fn b64(bytes: &[u8]) -> String {
    Base64::encode_string(bytes)
}

pub fn unb64(s: &Value) -> Vec<u8> {
    Base64::decode_vec(s.as_str().unwrap()).unwrap()
}

/// Wraps `material` with RSAES_OAEP_SHA_256 under the SPKI public key GetParametersForImport
/// returned.
pub fn wrap(public_key_b64: &Value, material: &[u8]) -> Vec<u8> {
    use rsa::pkcs8::DecodePublicKey;
    let der = unb64(public_key_b64);
    let key = rsa::RsaPublicKey::from_public_key_der(&der).unwrap();
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    key.encrypt(&mut rng, rsa::Oaep::<sha2::Sha256>::new(), material)
        .unwrap()
}

/// GetParametersForImport (RSA_2048, RSAES_OAEP_SHA_256) on `a`, ImportKeyMaterial of
/// `material` on `b`; returns the import's answer.
pub fn import_via(a: &Server, b: &Server, key_id: &str, material: &[u8]) -> (u16, Value) {
    let params = a.ok("GetParametersForImport", params_request(key_id));
    b.call(
        "ImportKeyMaterial",
        import_request(key_id, &params, material),
    )
}

pub fn params_request(key_id: &str) -> Value {
    json!({
        "KeyId": key_id,
        "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
        "WrappingKeySpec": "RSA_2048",
    })
}

pub fn import_request(key_id: &str, params: &Value, material: &[u8]) -> Value {
    json!({
        "KeyId": key_id,
        "ImportToken": params["ImportToken"],
        "EncryptedKeyMaterial": b64(&wrap(&params["PublicKey"], material)),
        "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
    })
}

pub fn create_external(s: &Server) -> String {
    let v = s.ok("CreateKey", json!({"Origin": "EXTERNAL"}));
    v["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned()
}

pub fn state(s: &Server, key_id: &str) -> String {
    let v = s.ok("DescribeKey", json!({"KeyId": key_id}));
    v["KeyMetadata"]["KeyState"].as_str().unwrap().to_owned()
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The PostgreSQL database the tests use, or None after saying, where the test runner does
/// not hide it, that the test is skipped.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("KMS_IMPORT_TEST_POSTGRES_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            // Written to the process's stderr directly: the runner captures eprintln!.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: KMS_IMPORT_TEST_POSTGRES_URL is not set, no PostgreSQL test ran"
            );
            None
        }
    }
}
