//! Durability of the SQLite and PostgreSQL stores: `kill -9` in the middle of a load of
//! creates, imports and deletions, then a restart on the same database must serve every
//! acknowledged change, and no record may be torn. The database must never hold key material
//! in clear. PostgreSQL runs when KMS_IMPORT_TEST_POSTGRES_URL is set (CI sets it).

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::{Value, json};

#[derive(Default, Clone)]
struct KeyLog {
    /// The state the last acknowledged change left.
    acked: String,
    /// The state a change sent but not answered would leave.
    in_flight: Option<String>,
    /// (ciphertext, plaintext) of an acknowledged Encrypt.
    sealed: Option<(Vec<u8>, Vec<u8>)>,
}

#[derive(Default)]
struct Ledger {
    keys: Mutex<HashMap<String, KeyLog>>,
    /// Every material sent for import (none may appear in clear in the database).
    materials: Mutex<Vec<Vec<u8>>>,
    /// Acknowledged aliases: name -> key id.
    aliases: Mutex<HashMap<String, String>>,
    acked: AtomicUsize,
}

impl Ledger {
    fn sending(&self, id: &str, next: &str) {
        if let Some(k) = self.keys.lock().unwrap().get_mut(id) {
            k.in_flight = Some(next.to_owned());
        }
    }

    fn acked(&self, id: &str, state: &str) {
        let mut keys = self.keys.lock().unwrap();
        let k = keys.entry(id.to_owned()).or_default();
        k.acked = state.to_owned();
        k.in_flight = None;
        self.acked.fetch_add(1, Ordering::Relaxed);
    }
}

/// One client's loop: create keys of both origins, import, encrypt, delete material, schedule
/// deletions, until `stop` or until the server stops answering.
fn worker(addr: std::net::SocketAddr, ledger: &Ledger, stop: &AtomicBool, n: usize) {
    let call = |op: &str, body: Value| try_call(addr, op, &body).ok();
    let mut round = 0usize;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        // A generated (AWS_KMS) key and a ciphertext under it.
        let Some((200, v)) = call("CreateKey", json!({"Description": format!("w{n}")})) else {
            return;
        };
        let id = v["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
        ledger.acked(&id, "Enabled");
        let plaintext = random_bytes(24);
        let Some((200, v)) = call(
            "Encrypt",
            json!({"KeyId": id, "Plaintext": b64(&plaintext)}),
        ) else {
            return;
        };
        ledger.keys.lock().unwrap().get_mut(&id).unwrap().sealed =
            Some((unb64(&v["CiphertextBlob"]), plaintext));
        let alias = format!("alias/w{n}-{round}");
        match call(
            "CreateAlias",
            json!({"AliasName": alias, "TargetKeyId": id}),
        ) {
            Some((200, _)) => {
                ledger.aliases.lock().unwrap().insert(alias, id.clone());
            }
            Some((status, v)) => panic!("create alias: {status} {v}"),
            None => return,
        }

        // An imported key through its states.
        let Some((200, v)) = call("CreateKey", json!({"Origin": "EXTERNAL"})) else {
            return;
        };
        let id = v["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
        ledger.acked(&id, "PendingImport");
        let Some((200, params)) = call("GetParametersForImport", params_request(&id)) else {
            return;
        };
        let material = random_bytes(32);
        ledger.materials.lock().unwrap().push(material.clone());
        ledger.sending(&id, "Enabled");
        match call("ImportKeyMaterial", import_request(&id, &params, &material)) {
            Some((200, _)) => ledger.acked(&id, "Enabled"),
            Some((status, v)) => panic!("import: {status} {v}"),
            None => return,
        }
        if round.is_multiple_of(3) {
            ledger.sending(&id, "PendingImport");
            match call("DeleteImportedKeyMaterial", json!({"KeyId": id})) {
                Some((200, _)) => ledger.acked(&id, "PendingImport"),
                Some((status, v)) => panic!("delete material: {status} {v}"),
                None => return,
            }
        }
        if round.is_multiple_of(2) {
            ledger.sending(&id, "PendingDeletion");
            match call(
                "ScheduleKeyDeletion",
                json!({"KeyId": id, "PendingWindowInDays": 7}),
            ) {
                Some((200, _)) => ledger.acked(&id, "PendingDeletion"),
                Some((status, v)) => panic!("schedule deletion: {status} {v}"),
                None => return,
            }
        }
    }
}

/// Runs the load, kills the server with SIGKILL while it runs, restarts it on the same store
/// and checks every acknowledged change. Returns the ledger for store-specific checks.
fn kill_and_restart(store: &str, scratch: &Scratch) -> Ledger {
    let secrets = secrets_file(scratch);
    let account = random_account();
    let mut server = Server::start(store, Some(&secrets), &account, scratch.path("1.log"));
    let ledger = Arc::new(Ledger::default());
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|n| {
            let (ledger, stop, addr) = (Arc::clone(&ledger), Arc::clone(&stop), server.addr);
            std::thread::spawn(move || worker(addr, &ledger, &stop, n))
        })
        .collect();
    // Kill once enough changes were acknowledged, with requests in flight.
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    while ledger.acked.load(Ordering::Relaxed) < 60 {
        std::thread::sleep(Duration::from_millis(20));
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "server died: {}",
            server.log_text()
        );
        assert!(
            !workers.iter().all(|w| w.is_finished()),
            "every client stopped: {}",
            server.log_text()
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the load made no progress"
        );
    }
    server.kill9();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let ledger = Arc::try_unwrap(ledger).ok().unwrap();

    let server = Server::start(store, Some(&secrets), &account, scratch.path("2.log"));
    let keys = ledger.keys.lock().unwrap().clone();
    assert!(
        keys.len() >= 10,
        "only {} keys were acknowledged",
        keys.len()
    );
    for (id, log) in &keys {
        let state = state(&server, id);
        let allowed = log.acked == state || log.in_flight.as_deref() == Some(state.as_str());
        assert!(
            allowed,
            "{id}: {state}, acknowledged {} ({:?})",
            log.acked, log.in_flight
        );
        if let Some((ciphertext, plaintext)) = &log.sealed {
            let v = server.ok("Decrypt", json!({"CiphertextBlob": b64(ciphertext)}));
            assert_eq!(&unb64(&v["Plaintext"]), plaintext, "{id}");
        }
    }
    let aliases = ledger.aliases.lock().unwrap().clone();
    assert!(!aliases.is_empty());
    for (alias, id) in &aliases {
        let v = server.ok("DescribeKey", json!({"KeyId": alias}));
        assert_eq!(
            v["KeyMetadata"]["KeyId"].as_str(),
            Some(id.as_str()),
            "{alias}"
        );
    }
    // Every key the store lists opens (no torn record), and the listing holds every
    // acknowledged key.
    let mut listed = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut req = json!({"Limit": 7});
        if let Some(m) = &marker {
            req["Marker"] = json!(m);
        }
        let v = server.ok("ListKeys", req);
        for k in v["Keys"].as_array().unwrap() {
            listed.push(k["KeyId"].as_str().unwrap().to_owned());
        }
        match v["NextMarker"].as_str() {
            Some(m) if v["Truncated"] == json!(true) => marker = Some(m.to_owned()),
            _ => break,
        }
    }
    let mut sorted = listed.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(listed, sorted, "pages are in order and do not repeat");
    for id in &listed {
        state(&server, id);
    }
    for id in keys.keys() {
        assert!(listed.contains(id), "{id} is not listed");
    }
    ledger
}

fn assert_no_material_in(bytes: &[u8], ledger: &Ledger) {
    let materials = ledger.materials.lock().unwrap();
    assert!(!materials.is_empty());
    for m in materials.iter() {
        assert!(
            !contains(bytes, m),
            "material found in clear in the database"
        );
        assert!(
            !contains(bytes, b64(m).as_bytes()),
            "material found base64-encoded"
        );
    }
}

#[test]
fn sqlite_store_survives_kill_9_with_every_acknowledged_change() {
    let scratch = Scratch::new("sqlite-kill");
    let db = scratch.path("kms.db");
    let ledger = kill_and_restart(&format!("sqlite:{}", db.display()), &scratch);
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        if let Ok(b) = std::fs::read(format!("{}{suffix}", db.display())) {
            all.extend_from_slice(&b);
        }
    }
    assert!(all.len() > 4096);
    assert_no_material_in(&all, &ledger);
}

#[test]
fn postgres_store_survives_kill_9_with_every_acknowledged_change() {
    let Some(url) = postgres_url("postgres_store_survives_kill_9_with_every_acknowledged_change")
    else {
        return;
    };
    let scratch = Scratch::new("pg-kill");
    let ledger = kill_and_restart(&url, &scratch);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut all = Vec::new();
    for row in client.query("SELECT sealed FROM kms_keys", &[]).unwrap() {
        all.extend_from_slice(row.get::<_, &[u8]>(0));
    }
    assert_no_material_in(&all, &ledger);
}

/// SIGTERM after traffic: the server answers what is in flight, closes its database
/// connections and exits 0, without a panic on the way (a PostgreSQL connection closes with a
/// blocking call, which must not run on a thread that drives the server's tasks).
fn sigterm_after_traffic_exits_0_without_a_panic(store: &str, scratch: &Scratch) {
    let secrets = secrets_file(scratch);
    let account = random_account();
    let mut server = Server::start(store, Some(&secrets), &account, scratch.path("t.log"));
    // Several clients at once, so that the store holds several open connections.
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..25 {
                    let key = server.ok("CreateKey", json!({}));
                    let id = key["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
                    server.ok("DescribeKey", json!({ "KeyId": id }));
                }
            });
        }
    });
    let status = server.terminate();
    let log = server.log_text();
    assert!(status.success(), "exit status {status:?}: {log}");
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn sigterm_on_sqlite_after_traffic_exits_0_without_a_panic() {
    let scratch = Scratch::new("sqlite-term");
    let store = format!("sqlite:{}", scratch.path("kms.db").display());
    sigterm_after_traffic_exits_0_without_a_panic(&store, &scratch);
}

#[test]
fn sigterm_on_postgres_after_traffic_exits_0_without_a_panic() {
    let Some(url) = postgres_url("sigterm_on_postgres_after_traffic_exits_0_without_a_panic")
    else {
        return;
    };
    sigterm_after_traffic_exits_0_without_a_panic(&url, &Scratch::new("pg-term"));
}

#[test]
fn a_durable_store_refuses_to_start_without_secrets_and_says_how_to_make_them() {
    let scratch = Scratch::new("no-secrets");
    let out = std::process::Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--store"])
        .arg(format!("sqlite:{}", scratch.path("kms.db").display()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("kms-import-server keys generate --out"),
        "{err}"
    );
    assert!(err.contains("--secrets"), "{err}");
    assert!(
        !scratch.path("kms.db").exists(),
        "nothing is created without secrets"
    );
}

#[test]
fn keys_generate_writes_a_private_file_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new("keys-generate");
    let path = secrets_file(&scratch);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let before = std::fs::read(&path).unwrap();
    let out = std::process::Command::new(BIN)
        .args(["keys", "generate", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // What it printed does not contain the keys.
    let file: Value = serde_json::from_slice(&before).unwrap();
    let key = file["storage_keys"][0]["key"].as_str().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains(key));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(key));
}

#[test]
fn a_server_with_another_secrets_file_cannot_read_the_keys() {
    let scratch = Scratch::new("wrong-secrets");
    let store = format!("sqlite:{}", scratch.path("kms.db").display());
    let account = random_account();
    let secrets = secrets_file(&scratch);
    let server = Server::start(&store, Some(&secrets), &account, scratch.path("1.log"));
    let id = server.ok("CreateKey", json!({}))["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(server);
    let other = scratch.path("other.json");
    let out = std::process::Command::new(BIN)
        .args(["keys", "generate", "--out"])
        .arg(&other)
        .output()
        .unwrap();
    assert!(out.status.success());
    let server = Server::start(&store, Some(&other), &account, scratch.path("2.log"));
    let (status, v) = server.call("DescribeKey", json!({"KeyId": id}));
    assert_eq!(status, 500, "{v}");
    assert_eq!(v["__type"], json!("KMSInternalException"), "{v}");
}

/// The commitment keys come from the secrets file: after a restart (or on another instance)
/// the same material re-imports into a key whose material was deleted, and other material
/// does not.
#[test]
fn the_same_material_reimports_after_a_restart_with_the_same_secrets() {
    let scratch = Scratch::new("reimport");
    let store = format!("sqlite:{}", scratch.path("kms.db").display());
    let account = random_account();
    let secrets = secrets_file(&scratch);
    let material = random_bytes(32);
    let server = Server::start(&store, Some(&secrets), &account, scratch.path("1.log"));
    let id = create_external(&server);
    let (status, v) = import_via(&server, &server, &id, &material);
    assert_eq!(status, 200, "{v}");
    let described = server.ok("DescribeKey", json!({"KeyId": id}));
    drop(server);

    let server = Server::start(&store, Some(&secrets), &account, scratch.path("2.log"));
    assert_eq!(server.ok("DescribeKey", json!({"KeyId": id})), described);
    server.ok("DeleteImportedKeyMaterial", json!({"KeyId": id}));
    let (status, v) = import_via(&server, &server, &id, &random_bytes(32));
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["__type"], json!("IncorrectKeyMaterialException"), "{v}");
    let (status, v) = import_via(&server, &server, &id, &material);
    assert_eq!(status, 200, "{v}");
    assert_eq!(state(&server, &id), "Enabled");
}
