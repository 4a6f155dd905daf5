//! The server as a service: timeouts, the connection cap, graceful shutdown, half-closing
//! clients, throttling, pool misses and the request log. Each test starts the real binary on a
//! free loopback port and talks raw HTTP/1.1 to it.
//!
//! Time bounds here are generous limits that show a behaviour (a connection cut, an answer
//! given), never speed measurements.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the server with `args` on a free port; waits for its `listening on` line.
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kms-import-server"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("an address");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Server { child, addr, log }
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s
    }

    fn log_lines(&self, containing: &str) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(containing))
            .cloned()
            .collect()
    }

    /// Waits (up to a minute) until `n` log lines contain `text`.
    fn wait_for_log(&self, text: &str, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.log_lines(text).len() < n {
            assert!(Instant::now() < deadline, "no {n} log lines with {text:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends SIGTERM and waits (up to a minute) for the process to exit.
    fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// One request on a new connection; returns the status and the body.
    fn call(&self, operation: &str, body: &str) -> (u16, String) {
        let mut s = self.connect();
        s.write_all(request(operation, body, true).as_bytes())
            .unwrap();
        read_response(&mut s)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(operation: &str, body: &str, close: bool) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: TrentService.{operation}\r\n\
         Content-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n{}\r\n{body}",
        body.len(),
        if close { "Connection: close\r\n" } else { "" }
    )
}

/// Reads a whole `Connection: close` response.
fn read_response(s: &mut TcpStream) -> (u16, String) {
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read the response");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(raw).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|t| t.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body:?}"))
}

fn create_key(server: &Server, origin: &str) -> String {
    let (status, body) = server.call(
        "CreateKey",
        &format!(r#"{{"Origin":"{origin}","KeySpec":"SYMMETRIC_DEFAULT"}}"#),
    );
    assert_eq!(status, 200, "{body}");
    json(&body)["KeyMetadata"]["KeyId"]
        .as_str()
        .expect("a key id")
        .to_owned()
}

fn get_parameters_body(key_id: &str, spec: &str) -> String {
    format!(
        r#"{{"KeyId":"{key_id}","WrappingAlgorithm":"RSAES_OAEP_SHA_256","WrappingKeySpec":"{spec}"}}"#
    )
}

/// Whether the peer closed (or reset) the connection: a read returns end of file or an error
/// other than the read timeout.
fn closed_by_peer(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 512];
    match s.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
    }
}

#[test]
fn a_client_that_sends_half_its_headers_is_cut_at_the_header_timeout() {
    let server = Server::start(&["--header-timeout", "1", "--idle-timeout", "120"]);
    let mut slow = server.connect();
    slow.write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Tar")
        .unwrap();
    let started = Instant::now();
    assert!(closed_by_peer(&mut slow), "the slow client got bytes back");
    // Well under the 120 s idle timeout and the 30 s read timeout: the header timeout did it.
    assert!(started.elapsed() < Duration::from_secs(20));
    // A client that finishes its headers is served as usual.
    assert_eq!(server.call("ListKeys", "{}").0, 200);
}

#[test]
fn an_idle_connection_is_closed_at_the_idle_timeout_and_a_busy_one_is_not() {
    let server = Server::start(&["--idle-timeout", "1", "--rate-limits", "off"]);
    let mut idle = server.connect();
    let started = Instant::now();
    assert!(closed_by_peer(&mut idle));
    assert!(started.elapsed() < Duration::from_secs(20));

    // A keep-alive client that sends requests more often than the timeout keeps its connection.
    let mut busy = server.connect();
    for _ in 0..4 {
        busy.write_all(request("ListKeys", "{}", false).as_bytes())
            .unwrap();
        let mut buf = [0u8; 4096];
        let n = busy.read(&mut buf).expect("an answer");
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        std::thread::sleep(Duration::from_millis(400));
    }
}

#[test]
fn at_the_connection_cap_new_connections_wait_until_one_closes() {
    let server = Server::start(&["--max-connections", "2", "--rate-limits", "off"]);
    let first = server.connect();
    let second = server.connect();
    // Both are accepted: each is answered.
    for mut c in [&first, &second] {
        c.write_all(request("ListKeys", "{}", false).as_bytes())
            .unwrap();
        let mut buf = [0u8; 4096];
        let n = c.read(&mut buf).unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    }
    let mut third = server.connect();
    third
        .write_all(request("ListKeys", "{}", true).as_bytes())
        .unwrap();
    third
        .set_read_timeout(Some(Duration::from_millis(800)))
        .unwrap();
    let mut buf = [0u8; 64];
    let early = third.read(&mut buf);
    assert!(
        matches!(&early, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "the connection over the cap was served or closed: {early:?}"
    );
    server.wait_for_log("connection cap reached", 1);
    drop(first);
    third
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let (status, _) = read_response(&mut third);
    assert_eq!(status, 200);
    drop(second);
}

#[test]
fn sigterm_answers_every_request_in_flight_then_exits_0() {
    let mut server = Server::start(&[
        "--rate-limits",
        "off",
        "--pool-rsa-3072",
        "0",
        "--pool-workers",
        "1",
        "--keygen-timeout",
        "600",
    ]);
    let n = 6;
    let keys: Vec<String> = (0..n).map(|_| create_key(&server, "EXTERNAL")).collect();
    // Each request waits for a key the one worker generates: they are in flight together.
    let mut clients: Vec<TcpStream> = keys
        .iter()
        .map(|key| {
            let mut s = server.connect();
            let body = get_parameters_body(key, "RSA_3072");
            s.write_all(request("GetParametersForImport", &body, true).as_bytes())
                .unwrap();
            s
        })
        .collect();
    // Half of the clients also shut down their sending side.
    for c in clients.iter().step_by(2) {
        c.shutdown(Shutdown::Write).unwrap();
    }
    server.wait_for_log("pool miss: wrapping key queued", n);
    let status = server.terminate();
    for c in &mut clients {
        let (code, body) = read_response(c);
        assert_eq!(code, 200, "{body}");
        assert!(json(&body)["ImportToken"].is_string());
    }
    assert!(status.success(), "exit status {status:?}");
    // Nothing is accepted any more.
    assert!(TcpStream::connect(server.addr).is_err());
}

#[test]
fn a_client_that_half_closes_after_its_request_gets_its_answer() {
    let server = Server::start(&["--rate-limits", "off"]);
    let key = create_key(&server, "AWS_KMS");
    let mut s = server.connect();
    s.write_all(request("DescribeKey", &format!(r#"{{"KeyId":"{key}"}}"#), false).as_bytes())
        .unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let (status, body) = read_response(&mut s);
    assert_eq!(status, 200);
    assert_eq!(json(&body)["KeyMetadata"]["KeyId"], key.as_str());
}

#[test]
fn requests_over_a_quota_are_answered_throttling_exception() {
    let server = Server::start(&["--rate-limits", "on", "--rate-limit", "DescribeKey=2"]);
    let key = create_key(&server, "EXTERNAL");
    let body = format!(r#"{{"KeyId":"{key}"}}"#);
    let answers: Vec<(u16, String)> = (0..6).map(|_| server.call("DescribeKey", &body)).collect();
    assert_eq!(answers[0].0, 200);
    let throttled: Vec<_> = answers
        .iter()
        .filter(|(_, b)| b.contains("ThrottlingException"))
        .collect();
    assert!(!throttled.is_empty(), "{answers:?}");
    for (status, body) in throttled {
        assert_eq!(*status, 400);
        assert_eq!(json(body)["__type"], "ThrottlingException");
    }
    // AWS's default for GetParametersForImport: one request every four seconds. Two sent
    // together: one is served, the other throttled (the quota is checked on arrival).
    let params = get_parameters_body(&key, "RSA_2048");
    let mut pair: Vec<TcpStream> = (0..2).map(|_| server.connect()).collect();
    for s in &mut pair {
        s.write_all(request("GetParametersForImport", &params, true).as_bytes())
            .unwrap();
    }
    let mut codes: Vec<(u16, serde_json::Value)> = pair
        .iter_mut()
        .map(|s| {
            let (status, body) = read_response(s);
            (status, json(&body)["__type"].clone())
        })
        .collect();
    codes.sort_by_key(|(status, _)| *status);
    assert_eq!(codes[0], (200, serde_json::Value::Null));
    assert_eq!(codes[1], (400, "ThrottlingException".into()));
    // Other operations have their own quota.
    assert_eq!(server.call("ListKeys", "{}").0, 200);
}

#[test]
fn quotas_are_off_unless_asked_for() {
    // AWS's GetParametersForImport quota would throttle the second request of this burst.
    let server = Server::start(&[]);
    let key = create_key(&server, "EXTERNAL");
    let params = get_parameters_body(&key, "RSA_2048");
    for _ in 0..3 {
        assert_eq!(server.call("GetParametersForImport", &params).0, 200);
    }
}

#[test]
fn quotas_off_never_throttle() {
    let server = Server::start(&["--rate-limits", "off", "--rate-limit", "ListKeys=0"]);
    for _ in 0..20 {
        assert_eq!(server.call("ListKeys", "{}").0, 200);
    }
}

#[test]
fn a_pool_miss_does_not_stall_describe_key() {
    let server = Server::start(&[
        "--rate-limits",
        "off",
        "--pool-rsa-4096",
        "0",
        "--pool-workers",
        "1",
        "--keygen-timeout",
        "600",
    ]);
    let key = create_key(&server, "EXTERNAL");
    let n = 4;
    let done = Arc::new(AtomicUsize::new(0));
    let imports: Vec<_> = (0..n)
        .map(|_| {
            let addr = server.addr;
            let body = get_parameters_body(&key, "RSA_4096");
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
                s.write_all(request("GetParametersForImport", &body, true).as_bytes())
                    .unwrap();
                let answer = read_response(&mut s);
                done.fetch_add(1, Ordering::SeqCst);
                answer
            })
        })
        .collect();
    server.wait_for_log("pool miss: wrapping key queued", 1);
    // Four RSA_4096 generations on one worker take far longer than these answers.
    let describe = format!(r#"{{"KeyId":"{key}"}}"#);
    for _ in 0..10 {
        let (status, body) = server.call("DescribeKey", &describe);
        assert_eq!(status, 200, "{body}");
    }
    assert!(
        done.load(Ordering::SeqCst) < n,
        "every import finished before DescribeKey was answered"
    );
    for import in imports {
        let (status, body) = import.join().unwrap();
        assert_eq!(status, 200, "{body}");
    }
    assert!(!server.log_lines("pool miss served").is_empty());
}

#[test]
fn each_request_is_logged_once_without_its_secrets() {
    let server = Server::start(&["--rate-limits", "off"]);
    let key = create_key(&server, "AWS_KMS");
    let plaintext = "c2VjcmV0LXBsYWludGV4dC1ub3QtZm9yLWxvZ3M=";
    let (status, body) = server.call(
        "Encrypt",
        &format!(r#"{{"KeyId":"{key}","Plaintext":"{plaintext}"}}"#),
    );
    assert_eq!(status, 200);
    let blob = json(&body)["CiphertextBlob"].as_str().unwrap().to_owned();
    let (status, _) = server.call("Decrypt", &format!(r#"{{"CiphertextBlob":"{blob}"}}"#));
    assert_eq!(status, 200);
    let (status, _) = server.call("DescribeKey", r#"{"KeyId":"alias/none"}"#);
    assert_eq!(status, 400);
    server.wait_for_log("operation=", 4);
    let lines = server.log_lines("operation=");
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[1].contains("operation=Encrypt") && lines[1].contains(&key));
    assert!(lines[1].contains("outcome=ok") && lines[1].contains("latency_us="));
    assert!(lines[2].contains("operation=Decrypt"));
    assert!(lines[3].contains("outcome=NotFoundException"));
    let all = server.log.lock().unwrap().join("\n");
    assert!(!all.contains(plaintext) && !all.contains(&blob[..40]));
}

#[test]
fn help_documents_every_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_kms-import-server"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--listen",
        "--region",
        "--max-regions",
        "--account",
        "--pool-rsa-2048",
        "--pool-rsa-3072",
        "--pool-rsa-4096",
        "--pool-workers",
        "--pool-scheduling",
        "--pool-nice",
        "--keygen-queue",
        "--keygen-timeout",
        "--max-connections",
        "--header-timeout",
        "--body-timeout",
        "--idle-timeout",
        "--shutdown-timeout",
        "--rate-limits",
        "--rate-limit",
        "--log-level",
        "--log-format",
        "--log-buffer",
    ] {
        assert!(help.contains(flag), "--help does not mention {flag}");
    }
}

#[test]
fn a_taken_port_is_a_start_up_error_that_says_what_to_do() {
    let server = Server::start(&[]);
    let out = Command::new(env!("CARGO_BIN_EXE_kms-import-server"))
        .args(["--listen", &server.addr.to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot listen") && err.contains("--listen"),
        "{err}"
    );
}

#[test]
fn a_log_pipe_nobody_reads_never_stalls_requests() {
    // stderr is a pipe that is never read: once its buffer is full, log lines are dropped.
    let mut child = Command::new(env!("CARGO_BIN_EXE_kms-import-server"))
        .args(["--listen", "127.0.0.1:0", "--rate-limits", "off"])
        .args(["--log-buffer", "16"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the listening line");
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("listening on http://")
        .expect("listening")
        .parse()
        .expect("an address");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut reader = BufReader::new(s.try_clone().unwrap());
    // Far more log lines than a pipe holds (64 KiB is some 400 lines).
    for i in 0..3000 {
        s.write_all(request("DescribeKey", r#"{"KeyId":"alias/none"}"#, false).as_bytes())
            .unwrap();
        let mut status = String::new();
        reader.read_line(&mut status).expect("an answer");
        assert!(
            status.starts_with("HTTP/1.1 400"),
            "request {i}: {status:?}"
        );
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            if header == "\r\n" {
                break;
            }
            if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_connection_cap_stays_under_the_open_file_limit() {
    // Started with 64 descriptors: the cap drops from 1024 to what the descriptors left allow,
    // so the server never runs out of them however many clients connect; the rest wait in the
    // backlog.
    let mut child = Command::new("sh")
        .args([
            "-c",
            "ulimit -n 64 && exec \"$0\" --listen 127.0.0.1:0 --rate-limits off",
            env!("CARGO_BIN_EXE_kms-import-server"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the listening line");
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("listening on http://")
        .expect("listening")
        .parse()
        .expect("an address");
    let mut held: Vec<TcpStream> = (0..80)
        .map(|_| TcpStream::connect(addr).expect("connect"))
        .collect();
    // The last ones are over the cap: a request there waits until connections close.
    let mut last = held.pop().unwrap();
    last.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    last.write_all(request("ListKeys", "{}", true).as_bytes())
        .unwrap();
    held.truncate(10);
    let (status, _) = read_response(&mut last);
    assert_eq!(status, 200);
    drop(held);
    // A graceful stop, so that the log is flushed.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    assert!(child.wait().unwrap().success());
    let mut log = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.contains("lowered to stay under the open-file limit"),
        "{log}"
    );
    assert!(log.contains("connection cap reached"), "{log}");
    assert!(!log.contains("accept failed"), "{log}");
}
