//! A load generator for kms-import-server, for the figures in BENCHMARKS.md.
//!
//! Bounded on purpose: it stops after `--requests` requests or `--duration` seconds, whichever
//! comes first, and it refuses any address outside loopback (127.0.0.0/8, ::1): it is for
//! measuring a server on this machine, not for loading anyone else's.
//!
//! ```text
//! cargo run --release -p kms-import-server --example loadgen -- \
//!     --addr 127.0.0.1:4599 --scenario describe --concurrency 8 --duration 10
//! ```
//!
//! Scenarios: `describe` (DescribeKey on one key), `encrypt` (Encrypt then Decrypt of 32 bytes
//! with one symmetric key), `import` (the whole import flow per iteration: CreateKey EXTERNAL,
//! GetParametersForImport, wrap 32 bytes with RSAES_OAEP_SHA_256 here, ImportKeyMaterial),
//! `describe-under-import` (`--concurrency` DescribeKey clients measured while
//! `--import-clients` clients run the import flow) and `create-keys` (CreateKey only, to fill a
//! server before measuring its memory with `--server-pid`).
//!
//! Run the server with `--rate-limits off`, or AWS's quotas throttle the import flow; throttled
//! answers are counted apart.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64ct::{Base64, Encoding};
use clap::Parser;
use rand_core::{Rng, UnwrapErr};
use rsa::pkcs8::DecodePublicKey;
use rsa::sha2::Sha256;
use rsa::{Oaep, RsaPublicKey};

#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    about = "Bounded loopback load for kms-import-server"
)]
struct Options {
    /// Server address; only loopback addresses are accepted. Give it twice or more to load
    /// several instances of one deployment: each client sends its requests to them in turn.
    #[arg(long, default_value = "127.0.0.1:4599")]
    addr: Vec<String>,
    /// describe, encrypt, import, describe-under-import or create-keys.
    #[arg(long, default_value = "describe")]
    scenario: String,
    /// Measured clients, each on its own connection (1 to 1024).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1024))]
    concurrency: u16,
    /// Clients running the import flow in describe-under-import (0 to 256).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(0..=256))]
    import_clients: u16,
    /// Wrapping key spec of the import flow.
    #[arg(long, default_value = "RSA_4096")]
    wrapping_key_spec: String,
    /// Stop after this many measured requests (at most 10,000,000).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    requests: u64,
    /// Stop after this many seconds (at most 600).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    duration: u64,
    /// Iterations not measured at the start, per client, to warm connections and caches (at
    /// most 2 for the import flow).
    #[arg(long, default_value_t = 20)]
    warmup: u32,
    /// The server's process id: its resident memory (VmRSS) is printed before and after.
    #[arg(long)]
    server_pid: Option<u32>,
}

/// Keep-alive connections speaking AWS JSON 1.1, one per server address; each request goes
/// to the next address in turn.
struct Client {
    addrs: Vec<SocketAddr>,
    readers: Vec<Option<BufReader<TcpStream>>>,
    next: usize,
    addr: SocketAddr,
    reader: Option<BufReader<TcpStream>>,
}

impl Client {
    fn new(addrs: &[SocketAddr]) -> Client {
        Client {
            addrs: addrs.to_vec(),
            readers: addrs.iter().map(|_| None).collect(),
            next: 0,
            addr: addrs[0],
            reader: None,
        }
    }

    fn call(&mut self, operation: &str, body: &str) -> Result<(u16, String), String> {
        // Park the current connection, take the next address's.
        let i = self.next % self.addrs.len();
        self.next = self.next.wrapping_add(1);
        self.addr = self.addrs[i];
        self.reader = self.readers[i].take();
        let answer = self.call_current(operation, body);
        self.readers[i] = self.reader.take();
        answer
    }

    fn call_current(&mut self, operation: &str, body: &str) -> Result<(u16, String), String> {
        // A connection the server closed (idle timeout, shutdown) is reopened once.
        match self.try_call(operation, body) {
            Ok(answer) => Ok(answer),
            Err(_) => {
                self.reader = None;
                self.try_call(operation, body)
            }
        }
    }

    fn try_call(&mut self, operation: &str, body: &str) -> Result<(u16, String), String> {
        if self.reader.is_none() {
            let stream = TcpStream::connect(self.addr).map_err(|e| e.to_string())?;
            stream.set_nodelay(true).map_err(|e| e.to_string())?;
            stream
                .set_read_timeout(Some(Duration::from_secs(120)))
                .map_err(|e| e.to_string())?;
            self.reader = Some(BufReader::new(stream));
        }
        let reader = self.reader.as_mut().ok_or("no connection")?;
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nX-Amz-Target: TrentService.{operation}\r\n\
             Content-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        reader
            .get_mut()
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut line = String::new();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {line:?}"))?;
        let mut length = 0usize;
        let mut close = false;
        loop {
            line.clear();
            reader.read_line(&mut line).map_err(|e| e.to_string())?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse().map_err(|_| "bad content-length")?;
                } else if name.eq_ignore_ascii_case("connection") && value == "close" {
                    close = true;
                }
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).map_err(|e| e.to_string())?;
        if close {
            self.reader = None;
        }
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }

    fn ok(&mut self, operation: &str, body: &str) -> Result<serde_json::Value, String> {
        let (status, text) = self.call(operation, body)?;
        if status != 200 {
            return Err(format!("{operation}: {status} {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("{operation}: {e}"))
    }
}

/// Latencies in microseconds, per operation.
#[derive(Default)]
struct Samples {
    by_op: Vec<(String, Vec<u32>)>,
    errors: u64,
    throttled: u64,
    retried: u64,
}

impl Samples {
    fn record(&mut self, op: &str, latency: Duration) {
        let micros = u32::try_from(latency.as_micros()).unwrap_or(u32::MAX);
        match self.by_op.iter_mut().find(|(o, _)| o == op) {
            Some((_, v)) => v.push(micros),
            None => self.by_op.push((op.to_owned(), vec![micros])),
        }
    }

    fn merge(&mut self, other: Samples) {
        for (op, v) in other.by_op {
            match self.by_op.iter_mut().find(|(o, _)| *o == op) {
                Some((_, mine)) => mine.extend(v),
                None => self.by_op.push((op, v)),
            }
        }
        self.errors += other.errors;
        self.throttled += other.throttled;
        self.retried += other.retried;
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

/// Shared stop conditions: a request budget and a deadline.
struct Budget {
    left: AtomicU64,
    until: Instant,
    stop: AtomicBool,
}

impl Budget {
    fn take(&self) -> bool {
        if self.stop.load(Ordering::Relaxed) || Instant::now() >= self.until {
            return false;
        }
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }
}

fn loopback_only(addr: &str) -> Result<SocketAddr, String> {
    let resolved: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .map_err(|e| format!("--addr {addr}: {e}"))?
        .collect();
    let first = *resolved
        .first()
        .ok_or(format!("--addr {addr}: no address"))?;
    for a in &resolved {
        let loopback = match a.ip() {
            IpAddr::V4(v4) => v4.octets()[0] == 127,
            IpAddr::V6(v6) => v6.is_loopback(),
        };
        if !loopback {
            return Err(format!(
                "--addr {addr} resolves to {a}, outside loopback: this tool only loads a server \
                 on this machine (127.0.0.0/8 or ::1)"
            ));
        }
    }
    Ok(first)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn create_key(c: &mut Client, origin: &str) -> Result<String, String> {
    let v = c.ok(
        "CreateKey",
        &format!(r#"{{"Origin":"{origin}","KeySpec":"SYMMETRIC_DEFAULT"}}"#),
    )?;
    v["KeyMetadata"]["KeyId"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "CreateKey: no KeyId".to_owned())
}

/// One timed request: records its latency under `op`, counts throttling and errors apart.
fn timed(
    c: &mut Client,
    s: &mut Samples,
    op: &str,
    body: &str,
    measure: bool,
) -> Option<serde_json::Value> {
    let started = Instant::now();
    let answer = c.call(op, body);
    let elapsed = started.elapsed();
    match answer {
        Ok((200, text)) => {
            if measure {
                s.record(op, elapsed);
            }
            serde_json::from_str(&text).ok()
        }
        Ok((_, text)) if text.contains("ThrottlingException") => {
            s.throttled += 1;
            None
        }
        _ => {
            s.errors += 1;
            None
        }
    }
}

/// One whole import: CreateKey EXTERNAL, GetParametersForImport, wrap, ImportKeyMaterial.
fn import_flow(c: &mut Client, s: &mut Samples, spec: &str, measure: bool) -> bool {
    let started = Instant::now();
    let Some(created) = timed(
        c,
        s,
        "CreateKey",
        r#"{"Origin":"EXTERNAL","KeySpec":"SYMMETRIC_DEFAULT"}"#,
        measure,
    ) else {
        return false;
    };
    let Some(key_id) = created["KeyMetadata"]["KeyId"].as_str().map(str::to_owned) else {
        return false;
    };
    // As an SDK would, retry a GetParametersForImport the server could not serve in time
    // (DependencyTimeoutException, 500) after a pause; the latency recorded is the last try's.
    let body = format!(
        r#"{{"KeyId":"{key_id}","WrappingAlgorithm":"RSAES_OAEP_SHA_256","WrappingKeySpec":"{spec}"}}"#
    );
    let mut tries = 0;
    let params = loop {
        let started = Instant::now();
        match c.call("GetParametersForImport", &body) {
            Ok((200, text)) => {
                if measure {
                    s.record("GetParametersForImport", started.elapsed());
                }
                break serde_json::from_str::<serde_json::Value>(&text).ok();
            }
            Ok((500, text)) if text.contains("DependencyTimeoutException") && tries < 50 => {
                tries += 1;
                s.retried += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok((_, text)) if text.contains("ThrottlingException") => {
                s.throttled += 1;
                break None;
            }
            _ => {
                s.errors += 1;
                break None;
            }
        }
    };
    let Some(params) = params else {
        return false;
    };
    let (Some(public_key), Some(token)) =
        (params["PublicKey"].as_str(), params["ImportToken"].as_str())
    else {
        return false;
    };
    let mut rng = UnwrapErr(getrandom::SysRng);
    let mut material = [0u8; 32];
    rng.fill_bytes(&mut material);
    let Some(wrapped) = Base64::decode_vec(public_key)
        .ok()
        .and_then(|der| RsaPublicKey::from_public_key_der(&der).ok())
        .and_then(|key| key.encrypt(&mut rng, Oaep::<Sha256>::new(), &material).ok())
    else {
        s.errors += 1;
        return false;
    };
    let body = format!(
        r#"{{"KeyId":"{key_id}","ImportToken":"{token}","EncryptedKeyMaterial":"{}","ExpirationModel":"KEY_MATERIAL_DOES_NOT_EXPIRE"}}"#,
        Base64::encode_string(&wrapped)
    );
    let imported = timed(c, s, "ImportKeyMaterial", &body, measure).is_some();
    if imported && measure {
        s.record("import flow", started.elapsed());
    }
    imported
}

fn main() -> std::process::ExitCode {
    match run(Options::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(o: Options) -> Result<(), String> {
    let addrs = o
        .addr
        .iter()
        .map(|a| loopback_only(a))
        .collect::<Result<Vec<_>, _>>()?;
    let addrs: &'static [SocketAddr] = Box::leak(addrs.into_boxed_slice());
    let scenario = o.scenario.as_str();
    if ![
        "describe",
        "encrypt",
        "import",
        "describe-under-import",
        "create-keys",
    ]
    .contains(&scenario)
    {
        return Err(format!("unknown --scenario {scenario}"));
    }
    let mut setup = Client::new(addrs);
    let key = match scenario {
        "describe" | "encrypt" | "describe-under-import" => {
            Some(create_key(&mut setup, "AWS_KMS")?)
        }
        _ => None,
    };
    let rss_before = o.server_pid.and_then(rss_kib);
    let budget = Arc::new(Budget {
        left: AtomicU64::new(o.requests),
        until: Instant::now() + Duration::from_secs(o.duration),
        stop: AtomicBool::new(false),
    });
    let started = Instant::now();

    // Background import load (describe-under-import only): not measured, stopped with the rest.
    let background: Vec<_> = if scenario == "describe-under-import" {
        (0..o.import_clients)
            .map(|_| {
                let budget = Arc::clone(&budget);
                let spec = o.wrapping_key_spec.clone();
                std::thread::spawn(move || {
                    let mut c = Client::new(addrs);
                    let mut s = Samples::default();
                    let mut flows = 0u64;
                    while !budget.stop.load(Ordering::Relaxed) && Instant::now() < budget.until {
                        if import_flow(&mut c, &mut s, &spec, true) {
                            flows += 1;
                        }
                    }
                    (flows, s)
                })
            })
            .collect()
    } else {
        Vec::new()
    };

    let workers: Vec<_> = (0..o.concurrency)
        .map(|_| {
            let budget = Arc::clone(&budget);
            let key = key.clone();
            let spec = o.wrapping_key_spec.clone();
            let scenario = scenario.to_owned();
            // An import flow is slow: two of them warm a client up.
            let warmup = if scenario == "import" {
                o.warmup.min(2)
            } else {
                o.warmup
            };
            std::thread::spawn(move || {
                let mut c = Client::new(addrs);
                let mut s = Samples::default();
                let key = key.unwrap_or_default();
                let describe = format!(r#"{{"KeyId":"{key}"}}"#);
                let encrypt =
                    format!(r#"{{"KeyId":"{key}","Plaintext":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}}"#);
                let mut i = 0u32;
                loop {
                    let measure = i >= warmup;
                    if measure && !budget.take() {
                        break;
                    }
                    if !measure && Instant::now() >= budget.until {
                        break;
                    }
                    i = i.saturating_add(1);
                    match scenario.as_str() {
                        "describe" | "describe-under-import" => {
                            timed(&mut c, &mut s, "DescribeKey", &describe, measure);
                        }
                        "encrypt" => {
                            if let Some(v) = timed(&mut c, &mut s, "Encrypt", &encrypt, measure)
                                && let Some(blob) = v["CiphertextBlob"].as_str()
                            {
                                let body = format!(r#"{{"CiphertextBlob":"{blob}"}}"#);
                                timed(&mut c, &mut s, "Decrypt", &body, measure);
                            }
                        }
                        "import" => {
                            import_flow(&mut c, &mut s, &spec, measure);
                        }
                        _ => {
                            timed(
                                &mut c,
                                &mut s,
                                "CreateKey",
                                r#"{"KeySpec":"SYMMETRIC_DEFAULT"}"#,
                                measure,
                            );
                        }
                    }
                }
                s
            })
        })
        .collect();

    let mut all = Samples::default();
    for w in workers {
        all.merge(w.join().map_err(|_| "a client thread panicked")?);
    }
    let elapsed = started.elapsed();
    budget.stop.store(true, Ordering::Relaxed);
    let mut imports = Samples::default();
    let mut flows = 0;
    for b in background {
        let (n, s) = b.join().map_err(|_| "an import thread panicked")?;
        flows += n;
        imports.merge(s);
    }

    println!(
        "scenario {scenario}, {} clients, {:.1} s, loopback {addrs:?}",
        o.concurrency,
        elapsed.as_secs_f64()
    );
    println!(
        "{:<24} {:>9} {:>10} {:>9} {:>9} {:>9}",
        "operation", "requests", "per second", "p50 ms", "p99 ms", "max ms"
    );
    let report = |label: &str, s: &mut Samples, secs: f64| {
        for (op, v) in &mut s.by_op {
            v.sort_unstable();
            println!(
                "{:<24} {:>9} {:>10.1} {:>9.3} {:>9.3} {:>9.3}",
                format!("{label}{op}"),
                v.len(),
                v.len() as f64 / secs,
                percentile(v, 50.0),
                percentile(v, 99.0),
                percentile(v, 100.0)
            );
        }
        if s.errors + s.throttled + s.retried > 0 {
            println!(
                "{label}errors {}, throttled {}, retried after DependencyTimeoutException {}",
                s.errors, s.throttled, s.retried
            );
        }
    };
    report("", &mut all, elapsed.as_secs_f64());
    if scenario == "describe-under-import" {
        println!(
            "background: {} import clients, {flows} flows",
            o.import_clients
        );
        report("(load) ", &mut imports, elapsed.as_secs_f64());
    }
    if let Some(pid) = o.server_pid {
        println!(
            "server RSS: {} KiB before, {} KiB after",
            rss_before.map_or("?".to_owned(), |k| k.to_string()),
            rss_kib(pid).map_or("?".to_owned(), |k| k.to_string())
        );
    }
    Ok(())
}
