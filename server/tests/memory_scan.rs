//! No stray copies of a plaintext that went through the HTTP path: Encrypt then Decrypt of a
//! marker plaintext against an in-process server, then a scan of the whole process memory
//! (`/proc/self/mem`) for the raw marker and for its base64 text.
//!
//! Linux only, and meaningful only in an optimised build (debug builds keep temporaries the
//! optimiser removes):
//!
//! ```sh
//! cargo test --release -p kms-import-server --test memory_scan
//! ```
#![cfg(all(target_os = "linux", not(debug_assertions)))]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use base64ct::{Base64, Encoding};
use kms_import_server::args::Args;
use kms_import_testkit::memory_scan::{self, Scanner};
use zeroize::Zeroize;

const MARKER_LEN: usize = 32;

/// The marker's bytes, one at a time, from a fixed generator: the test never holds the raw
/// marker except in buffers it wipes.
fn marker_byte(i: usize) -> u8 {
    memory_scan::marker_byte(0x5851_f42d_4c95_7f2d, i)
}

/// The raw marker and its base64 text, each inverted; every intermediate is wiped.
#[inline(never)]
fn needles() -> (Vec<u8>, Vec<u8>) {
    let mut raw: Vec<u8> = (0..MARKER_LEN).map(marker_byte).collect();
    let mut b64 = Base64::encode_string(&raw);
    let raw_inv = raw.iter().map(|b| !b).collect();
    let b64_inv = b64.bytes().map(|b| !b).collect();
    raw.zeroize();
    b64.zeroize();
    (raw_inv, b64_inv)
}

/// One POST over a fresh connection; the request and the answer are wiped before returning,
/// after `inspect` has seen the answer's body.
#[inline(never)]
fn post<T>(addr: SocketAddr, op: &str, body: &[u8], inspect: impl FnOnce(u16, &[u8]) -> T) -> T {
    let mut request = Vec::with_capacity(body.len() + 512);
    request.extend_from_slice(b"POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    request.extend_from_slice(
        b"Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: TrentService.",
    );
    request.extend_from_slice(op.as_bytes());
    request.extend_from_slice(b"\r\nContent-Length: ");
    request.extend_from_slice(body.len().to_string().as_bytes());
    request.extend_from_slice(b"\r\n\r\n");
    request.extend_from_slice(body);
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(&request).expect("write");
    request.zeroize();
    let mut answer = Vec::with_capacity(1 << 16);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).expect("read");
        if n == 0 {
            break;
        }
        assert!(answer.len() + n <= answer.capacity(), "answer too large");
        answer.extend_from_slice(&chunk[..n]);
    }
    chunk.zeroize();
    let status = std::str::from_utf8(&answer[9..12])
        .unwrap()
        .parse()
        .unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let out = inspect(status, &answer[split..]);
    answer.zeroize();
    out
}

fn start() -> SocketAddr {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut args = Args::defaults();
    args.listen = addr;
    args.pool_rsa_2048 = 0;
    args.pool_rsa_3072 = 0;
    args.pool_rsa_4096 = 0;
    args.rate_limits = "off".to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let _ = rt.block_on(kms_import_server::run(args));
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    addr
}

#[inline(never)]
fn round_trip(addr: SocketAddr, b64_scanner: &Scanner) {
    let key_id = post(addr, "CreateKey", b"{}", |status, body| {
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(body));
        let v: serde_json::Value = serde_json::from_slice(body).unwrap();
        v["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned()
    });
    // The Encrypt request body, built in place: its base64 Plaintext is written from the
    // generator into a buffer that is wiped right after sending.
    let mut body = Vec::with_capacity(512);
    body.extend_from_slice(b"{\"KeyId\":\"");
    body.extend_from_slice(key_id.as_bytes());
    body.extend_from_slice(b"\",\"Plaintext\":\"");
    let mut raw = [0u8; MARKER_LEN];
    for (i, b) in raw.iter_mut().enumerate() {
        *b = marker_byte(i);
    }
    let mut text = [0u8; 64];
    let encoded_len = Base64::encode(&raw, &mut text).unwrap().len();
    raw.zeroize();
    body.extend_from_slice(&text[..encoded_len]);
    text.zeroize();
    body.extend_from_slice(b"\"}");
    let blob = post(addr, "Encrypt", &body, |status, body| {
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(body));
        let v: serde_json::Value = serde_json::from_slice(body).unwrap();
        v["CiphertextBlob"].as_str().unwrap().to_owned()
    });
    body.zeroize();
    let request = serde_json::json!({ "CiphertextBlob": blob }).to_string();
    post(addr, "Decrypt", request.as_bytes(), |status, body| {
        assert_eq!(status, 200);
        assert!(
            b64_scanner.holds(body),
            "Decrypt did not answer the marker plaintext"
        );
    });
}

#[test]
fn no_copy_of_a_plaintext_survives_encrypt_and_decrypt_over_http() {
    let (raw_inv, b64_inv) = needles();
    let mut raw = Scanner::from_inverted(raw_inv);
    let mut b64 = Scanner::from_inverted(b64_inv);
    assert_eq!(
        raw.count(),
        0,
        "the marker is in memory before the test made it"
    );
    assert_eq!(
        b64.count(),
        0,
        "the marker's text is in memory before the test made it"
    );

    let addr = start();
    round_trip(addr, &b64);
    // Let the connections' tasks finish and drop their buffers.
    std::thread::sleep(Duration::from_millis(300));

    let raw_left = raw.count();
    let raw_places = raw.places().to_vec();
    let b64_left = b64.count();
    eprintln!(
        "raw marker copies: {raw_left} {raw_places:?}; base64 copies: {b64_left} {:?}",
        b64.places()
    );
    assert_eq!(raw_left, 0, "raw plaintext left in memory: {raw_places:?}");
    // One base64 copy may stay in a buffer the server cannot reach (hyper's connection read
    // buffer, freed unwiped); unwiped request and response bodies add at least one more each.
    assert!(
        b64_left <= 1,
        "base64 plaintext left in memory: {:?}",
        b64.places()
    );
}
