//! Per-account limits (AWS's LimitExceededException) and paging from the index, on every
//! store the machine offers: memory, SQLite, and PostgreSQL when KMS_IMPORT_TEST_POSTGRES_URL
//! is set.

mod common;

use common::*;
use serde_json::{Value, json};

fn code(v: &Value) -> &str {
    v["__type"].as_str().unwrap_or("")
}

fn limited(store: &str, scratch: &Scratch) -> Server {
    let secrets = (store != "memory").then(|| secrets_file(scratch));
    Server::start_with(
        store,
        secrets.as_deref(),
        &random_account(),
        scratch.path("server.log"),
        &[
            "--max-keys",
            "3",
            "--max-aliases-per-key",
            "2",
            "--max-aliases",
            "3",
            "--max-outstanding-tokens",
            "1",
        ],
    )
}

fn limits_hold(store: &str, scratch: &Scratch) {
    let s = limited(store, scratch);
    let a = create_external(&s);
    let b = create_external(&s);
    let gen_id = s.ok("CreateKey", json!({}))["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, v) = s.call("CreateKey", json!({}));
    assert_eq!((status, code(&v)), (400, "LimitExceededException"), "{v}");

    // Aliases: two per key, three in the account.
    s.ok(
        "CreateAlias",
        json!({"AliasName": "alias/a1", "TargetKeyId": a}),
    );
    s.ok(
        "CreateAlias",
        json!({"AliasName": "alias/a2", "TargetKeyId": a}),
    );
    let (status, v) = s.call(
        "CreateAlias",
        json!({"AliasName": "alias/a3", "TargetKeyId": a}),
    );
    assert_eq!((status, code(&v)), (400, "LimitExceededException"), "{v}");
    s.ok(
        "CreateAlias",
        json!({"AliasName": "alias/b1", "TargetKeyId": b}),
    );
    let (status, v) = s.call(
        "CreateAlias",
        json!({"AliasName": "alias/b2", "TargetKeyId": b}),
    );
    assert_eq!((status, code(&v)), (400, "LimitExceededException"), "{v}");
    s.ok("DeleteAlias", json!({"AliasName": "alias/a1"}));
    s.ok(
        "CreateAlias",
        json!({"AliasName": "alias/b2", "TargetKeyId": b}),
    );
    let (status, v) = s.call(
        "CreateAlias",
        json!({"AliasName": "alias/b2", "TargetKeyId": a}),
    );
    assert_eq!((status, code(&v)), (400, "AlreadyExistsException"), "{v}");

    // One outstanding token: a second GetParametersForImport waits for the first to be used.
    let params = s.ok("GetParametersForImport", params_request(&a));
    let (status, v) = s.call("GetParametersForImport", params_request(&b));
    assert_eq!((status, code(&v)), (400, "LimitExceededException"), "{v}");
    // A failed import leaves the token outstanding...
    let mut bad = import_request(&a, &params, &random_bytes(32));
    bad["EncryptedKeyMaterial"] = json!(b64(&random_bytes(256)));
    let (status, _) = s.call("ImportKeyMaterial", bad);
    assert_eq!(status, 400);
    let (status, v) = s.call("GetParametersForImport", params_request(&b));
    assert_eq!((status, code(&v)), (400, "LimitExceededException"), "{v}");
    // ...a successful one frees it.
    s.ok(
        "ImportKeyMaterial",
        import_request(&a, &params, &random_bytes(32)),
    );
    s.ok("GetParametersForImport", params_request(&b));

    // Listing: pages of the requested size, in order, the marker where the next starts.
    let mut all = [a.clone(), b.clone(), gen_id.clone()];
    all.sort();
    let p1 = s.ok("ListKeys", json!({"Limit": 2}));
    let ids = |v: &Value| -> Vec<String> {
        v["Keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["KeyId"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&p1), all[..2]);
    assert_eq!(p1["Truncated"], json!(true));
    let p2 = s.ok("ListKeys", json!({"Limit": 2, "Marker": p1["NextMarker"]}));
    assert_eq!(ids(&p2), all[2..]);
    assert_ne!(p2["Truncated"], json!(true));
    let (status, v) = s.call("ListKeys", json!({"Marker": "not-a-marker"}));
    assert_eq!((status, code(&v)), (400, "InvalidMarkerException"), "{v}");
    let aliases = s.ok("ListAliases", json!({"Limit": 1}));
    assert_eq!(aliases["Aliases"][0]["AliasName"], json!("alias/a2"));
    let rest = s.ok("ListAliases", json!({"Marker": aliases["NextMarker"]}));
    let names: Vec<&str> = rest["Aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["AliasName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alias/b1", "alias/b2"]);
    let of_b = s.ok("ListAliases", json!({"KeyId": b}));
    assert_eq!(of_b["Aliases"].as_array().unwrap().len(), 2);
}

#[test]
fn memory_store_enforces_limits_and_pages() {
    let scratch = Scratch::new("limits-memory");
    limits_hold("memory", &scratch);
}

#[test]
fn sqlite_store_enforces_limits_and_pages() {
    let scratch = Scratch::new("limits-sqlite");
    let store = format!("sqlite:{}", scratch.path("kms.db").display());
    limits_hold(&store, &scratch);
}

#[test]
fn postgres_store_enforces_limits_and_pages() {
    let Some(url) = postgres_url("postgres_store_enforces_limits_and_pages") else {
        return;
    };
    let scratch = Scratch::new("limits-pg");
    limits_hold(&url, &scratch);
}
