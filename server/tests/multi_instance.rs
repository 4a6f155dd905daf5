//! Two `kms-import-server` processes on one PostgreSQL database behave as one KMS. Runs when
//! KMS_IMPORT_TEST_POSTGRES_URL is set (CI sets it); says so and passes vacuously otherwise.
//! The same properties are checked for two processes on one SQLite file (always run).

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

struct Pair {
    a: Server,
    b: Server,
    url: String,
    account: String,
    _scratch: Scratch,
}

fn pair(tag: &str) -> Option<Pair> {
    let url = postgres_url(tag)?;
    Some(pair_on(url, Scratch::new(tag)))
}

/// Two processes on one SQLite file.
fn sqlite_pair(tag: &str) -> Pair {
    let scratch = Scratch::new(tag);
    let store = format!("sqlite:{}", scratch.path("kms.db").display());
    pair_on(store, scratch)
}

fn pair_on(url: String, scratch: Scratch) -> Pair {
    let secrets = secrets_file(&scratch);
    let account = random_account();
    let a = Server::start(&url, Some(&secrets), &account, scratch.path("a.log"));
    let b = Server::start(&url, Some(&secrets), &account, scratch.path("b.log"));
    Pair {
        a,
        b,
        url,
        account,
        _scratch: scratch,
    }
}

fn code(v: &Value) -> &str {
    v["__type"].as_str().unwrap_or("")
}

#[test]
fn parameters_from_one_instance_import_on_the_other() {
    if let Some(p) = pair("pg-cross") {
        parameters_from_one_instance_import_on_the_other_on(&p);
    }
}

#[test]
fn sqlite_parameters_from_one_instance_import_on_the_other() {
    parameters_from_one_instance_import_on_the_other_on(&sqlite_pair("sqlite-cross"));
}

fn parameters_from_one_instance_import_on_the_other_on(p: &Pair) {
    let id = create_external(&p.a);
    let (status, v) = import_via(&p.a, &p.b, &id, &random_bytes(32));
    assert_eq!(status, 200, "{v}");
    assert_eq!(state(&p.a, &id), "Enabled");
    assert_eq!(state(&p.b, &id), "Enabled");
    // And the other way round on a second key.
    let id = create_external(&p.b);
    let (status, v) = import_via(&p.b, &p.a, &id, &random_bytes(32));
    assert_eq!(status, 200, "{v}");
    assert_eq!(state(&p.b, &id), "Enabled");
}

#[test]
fn racing_imports_of_different_material_on_two_instances_have_one_winner() {
    if let Some(p) = pair("pg-race") {
        racing_imports_of_different_material_on_two_instances_have_one_winner_on(&p);
    }
}

#[test]
fn sqlite_racing_imports_of_different_material_on_two_instances_have_one_winner() {
    racing_imports_of_different_material_on_two_instances_have_one_winner_on(&sqlite_pair(
        "sqlite-race",
    ));
}

fn racing_imports_of_different_material_on_two_instances_have_one_winner_on(p: &Pair) {
    for round in 0..6 {
        let id = create_external(&p.a);
        let pa = p.a.ok("GetParametersForImport", params_request(&id));
        let pb = p.b.ok("GetParametersForImport", params_request(&id));
        let (ma, mb) = (random_bytes(32), random_bytes(32));
        let (ra, rb) = (import_request(&id, &pa, &ma), import_request(&id, &pb, &mb));
        let (addr_a, addr_b) = (p.a.addr, p.b.addr);
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let (ba, bb) = (barrier.clone(), barrier);
        let ta = std::thread::spawn(move || {
            ba.wait();
            call(addr_a, "ImportKeyMaterial", &ra)
        });
        let tb = std::thread::spawn(move || {
            bb.wait();
            call(addr_b, "ImportKeyMaterial", &rb)
        });
        let (sa, va) = ta.join().unwrap();
        let (sb, vb) = tb.join().unwrap();
        assert!(
            (sa == 200) != (sb == 200),
            "round {round}: exactly one import succeeds: {sa} {va} / {sb} {vb}"
        );
        let (winner, loser, winner_params, loser_params, loser_answer) = if sa == 200 {
            (&ma, &mb, &pa, &pb, &vb)
        } else {
            (&mb, &ma, &pb, &pa, &va)
        };
        assert_eq!(
            code(loser_answer),
            "IncorrectKeyMaterialException",
            "{loser_answer}"
        );
        assert_eq!(state(&p.a, &id), "Enabled");
        // The key holds the winner's material: it re-imports (with the loser's token, which its
        // failed import left unused), the loser's does not.
        let (s, v) = p.b.call(
            "ImportKeyMaterial",
            import_request(&id, loser_params, loser),
        );
        assert_eq!(s, 400, "{v}");
        assert_eq!(code(&v), "IncorrectKeyMaterialException", "{v}");
        let (s, v) = p.a.call(
            "ImportKeyMaterial",
            import_request(&id, loser_params, winner),
        );
        assert_eq!(s, 200, "the loser's token is still usable: {v}");
        // The winner's token was used up exactly once, whichever instance sees it again.
        for server in [&p.a, &p.b] {
            let (s, v) = server.call(
                "ImportKeyMaterial",
                import_request(&id, winner_params, winner),
            );
            assert_eq!(s, 400, "a used token does not import twice: {v}");
        }
    }
}

#[test]
fn a_key_made_on_one_instance_is_used_rotated_and_deleted_on_the_other() {
    if let Some(p) = pair("pg-life") {
        a_key_made_on_one_instance_is_used_rotated_and_deleted_on_the_other_on(&p);
    }
}

#[test]
fn sqlite_a_key_made_on_one_instance_is_used_rotated_and_deleted_on_the_other() {
    a_key_made_on_one_instance_is_used_rotated_and_deleted_on_the_other_on(&sqlite_pair(
        "sqlite-life",
    ));
}

fn a_key_made_on_one_instance_is_used_rotated_and_deleted_on_the_other_on(p: &Pair) {
    // A generated key: described and used across instances.
    let v = p.a.ok("CreateKey", json!({"Description": "made on a"}));
    let gen_id = v["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let d = p.b.ok("DescribeKey", json!({"KeyId": gen_id}));
    assert_eq!(d["KeyMetadata"]["Description"], json!("made on a"));
    let ct = p.b.ok(
        "Encrypt",
        json!({"KeyId": gen_id, "Plaintext": b64(b"hello")}),
    );
    let pt =
        p.a.ok("Decrypt", json!({"CiphertextBlob": ct["CiphertextBlob"]}));
    assert_eq!(unb64(&pt["Plaintext"]), b"hello");
    // Its generated material rotates on b; a sees the new current material and still
    // decrypts what the old one encrypted.
    let current = |s: &Server| {
        s.ok("DescribeKey", json!({"KeyId": gen_id}))["KeyMetadata"]["CurrentKeyMaterialId"].clone()
    };
    let before = current(&p.a);
    p.b.ok("RotateKeyOnDemand", json!({"KeyId": gen_id}));
    let after = current(&p.a);
    assert!(before.is_string() && after.is_string(), "{before} {after}");
    assert_ne!(before, after);
    let pt =
        p.a.ok("Decrypt", json!({"CiphertextBlob": ct["CiphertextBlob"]}));
    assert_eq!(unb64(&pt["Plaintext"]), b"hello");
    p.a.ok(
        "CreateAlias",
        json!({"AliasName": "alias/shared", "TargetKeyId": gen_id}),
    );
    let d = p.b.ok("DescribeKey", json!({"KeyId": "alias/shared"}));
    assert_eq!(d["KeyMetadata"]["KeyId"], json!(gen_id));

    // An imported key: created on a, everything else on b.
    let id = create_external(&p.a);
    let (s, v) = import_via(&p.b, &p.b, &id, &random_bytes(32));
    assert_eq!(s, 200, "{v}");
    let old =
        p.b.ok("Encrypt", json!({"KeyId": id, "Plaintext": b64(b"before")}));
    let params = p.b.ok("GetParametersForImport", params_request(&id));
    let mut req = import_request(&id, &params, &random_bytes(32));
    req["ImportType"] = json!("NEW_KEY_MATERIAL");
    p.b.ok("ImportKeyMaterial", req);
    p.b.ok("RotateKeyOnDemand", json!({"KeyId": id}));
    let rotations = p.a.ok("ListKeyRotations", json!({"KeyId": id}));
    assert_eq!(
        rotations["Rotations"].as_array().unwrap().len(),
        1,
        "{rotations}"
    );
    let pt =
        p.a.ok("Decrypt", json!({"CiphertextBlob": old["CiphertextBlob"]}));
    assert_eq!(unb64(&pt["Plaintext"]), b"before");
    p.b.ok(
        "ScheduleKeyDeletion",
        json!({"KeyId": id, "PendingWindowInDays": 7}),
    );
    assert_eq!(state(&p.a, &id), "PendingDeletion");
    p.a.ok("CancelKeyDeletion", json!({"KeyId": id}));
    assert_eq!(state(&p.b, &id), "Disabled");

    // Both list the same keys and aliases.
    let list = |s: &Server| s.ok("ListKeys", json!({}))["Keys"].clone();
    assert_eq!(list(&p.a), list(&p.b));
    assert_eq!(list(&p.a).as_array().unwrap().len(), 2);
    let aliases = p.b.ok("ListAliases", json!({"KeyId": gen_id}));
    assert_eq!(aliases["Aliases"][0]["AliasName"], json!("alias/shared"));
    p.b.ok("DeleteAlias", json!({"AliasName": "alias/shared"}));
    let (s, v) = p.a.call("DescribeKey", json!({"KeyId": "alias/shared"}));
    assert_eq!((s, code(&v)), (400, "NotFoundException"), "{v}");
}

#[test]
fn expiry_is_stored_once_whichever_instance_sweeps() {
    let Some(p) = pair("pg-expiry") else { return };
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = create_external(&p.a);
        let params = p.a.ok("GetParametersForImport", params_request(&id));
        let mut req = import_request(&id, &params, &random_bytes(32));
        let valid_to = time::OffsetDateTime::now_utc() + time::Duration::seconds(3);
        req["ExpirationModel"] = json!("KEY_MATERIAL_EXPIRES");
        req["ValidTo"] = json!(valid_to.unix_timestamp());
        p.b.ok("ImportKeyMaterial", req);
        ids.push(id);
    }
    let mut db = postgres::Client::connect(&p.url, postgres::NoTls).unwrap();
    // The store partition of the account in the default Region.
    let partition = format!("{}/us-east-1", p.account);
    let revision = |db: &mut postgres::Client, id: &str| -> i64 {
        db.query_one(
            "SELECT revision FROM kms_keys WHERE account = $1 AND key_id = $2",
            &[&partition, &id],
        )
        .unwrap()
        .get(0)
    };
    let before: Vec<i64> = ids.iter().map(|id| revision(&mut db, id)).collect();
    // Both instances sweep every second; wait until the expiry is stored, then some more.
    let deadline = Instant::now() + Duration::from_secs(30);
    while ids
        .iter()
        .zip(&before)
        .any(|(id, b)| revision(&mut db, id) == *b)
    {
        assert!(Instant::now() < deadline, "expiry was never stored");
        std::thread::sleep(Duration::from_millis(200));
    }
    let stored: Vec<i64> = ids.iter().map(|id| revision(&mut db, id)).collect();
    std::thread::sleep(Duration::from_secs(3));
    let logs = format!("{}\n{}", p.a.log_text(), p.b.log_text());
    for (id, stored) in ids.iter().zip(&stored) {
        // Once stored, nobody changes the key again, however often both instances look; and
        // exactly one of them reports the expiry.
        assert_eq!(revision(&mut db, id), *stored, "{id}");
        let reports = logs
            .lines()
            .filter(|l| l.contains(id.as_str()) && l.contains("expired"))
            .count();
        assert_eq!(reports, 1, "{id}: {logs}");
        assert_eq!(state(&p.a, id), "PendingImport");
        assert_eq!(state(&p.b, id), "PendingImport");
        let next: Option<i64> = db
            .query_one(
                "SELECT next_event FROM kms_keys WHERE account = $1 AND key_id = $2",
                &[&partition, &id],
            )
            .unwrap()
            .get(0);
        assert_eq!(next, None, "nothing left for the sweep to do");
    }
}
