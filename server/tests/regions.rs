//! Every Region is served, and keys are regional: a request works on the keys, aliases and
//! quotas of the Region of its SigV4 credential scope; unsigned requests on `--region`'s.

mod common;

use common::*;
use serde_json::{Value, json};

const HOME: &str = "us-east-1";
const WEST: &str = "eu-west-1";

fn start(tag: &str, extra: &[&str]) -> (Server, Scratch, String) {
    let dir = Scratch::new(tag);
    let account = random_account();
    let server = Server::start_with("memory", None, &account, dir.path("log"), extra);
    (server, dir, account)
}

fn code(v: &Value) -> &str {
    v["__type"].as_str().unwrap_or("")
}

fn message(v: &Value) -> &str {
    v["message"].as_str().unwrap_or("")
}

fn key_ids(list: &Value) -> Vec<String> {
    list["Keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["KeyId"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_key_created_in_another_region_belongs_to_that_region() {
    let (server, _dir, account) = start("regions-own", &["--region", HOME]);
    let v = server.ok_in(WEST, "CreateKey", json!({"Description": "west"}));
    let id = v["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let arn = v["KeyMetadata"]["Arn"].as_str().unwrap().to_owned();
    assert_eq!(arn, format!("arn:aws:kms:{WEST}:{account}:key/{id}"));

    // Its Region sees it, by id and by ARN.
    for key in [&id, &arn] {
        let d = server.ok_in(WEST, "DescribeKey", json!({"KeyId": key}));
        assert_eq!(d["KeyMetadata"]["Arn"], arn.as_str());
    }
    // The default Region does not: unsigned, or signed for it.
    let home_arn = format!("arn:aws:kms:{HOME}:{account}:key/{id}");
    let answers = [
        server.call("DescribeKey", json!({"KeyId": id})),
        server.call_in(HOME, "DescribeKey", json!({"KeyId": id})),
    ];
    for (status, v) in answers {
        assert_eq!((status, code(&v)), (400, "NotFoundException"), "{v}");
        assert_eq!(message(&v), format!("Key '{home_arn}' does not exist"));
    }
    let (status, v) = server.call("DescribeKey", json!({"KeyId": arn}));
    assert_eq!((status, code(&v)), (400, "NotFoundException"), "{v}");
    assert_eq!(message(&v), format!("Invalid arn {WEST}"));
    let (_, v) = server.call_in(WEST, "DescribeKey", json!({"KeyId": home_arn}));
    assert_eq!(
        (code(&v), message(&v)),
        ("NotFoundException", "Invalid arn us-east-1")
    );

    // Lists show each Region's own keys.
    let home_key = server.ok("CreateKey", json!({}))["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        key_ids(&server.ok("ListKeys", json!({}))),
        [home_key.as_str()]
    );
    assert_eq!(
        key_ids(&server.ok_in(HOME, "ListKeys", json!({}))),
        [home_key.as_str()]
    );
    let west_list = server.ok_in(WEST, "ListKeys", json!({}));
    assert_eq!(key_ids(&west_list), [id.as_str()]);
    assert_eq!(west_list["Keys"][0]["KeyArn"], arn.as_str());
    // A third Region has none.
    assert!(key_ids(&server.ok_in("ap-south-1", "ListKeys", json!({}))).is_empty());

    // A ciphertext decrypts in its key's Region only.
    let ct = server.ok_in(
        WEST,
        "Encrypt",
        json!({"KeyId": id, "Plaintext": b64(b"regional")}),
    )["CiphertextBlob"]
        .clone();
    let back = server.ok_in(WEST, "Decrypt", json!({"CiphertextBlob": ct}));
    assert_eq!(unb64(&back["Plaintext"]), b"regional");
    assert_eq!(back["KeyId"], arn.as_str());
    let (status, v) = server.call("Decrypt", json!({"CiphertextBlob": ct}));
    assert_eq!(
        (status, code(&v)),
        (400, "InvalidCiphertextException"),
        "{v}"
    );
    assert_eq!(v.get("message"), None, "{v}");
    let (_, v) = server.call("Decrypt", json!({"CiphertextBlob": ct, "KeyId": id}));
    assert_eq!(code(&v), "NotFoundException", "{v}");

    // Writes from another Region do not reach the key.
    let (_, v) = server.call("DisableKey", json!({"KeyId": id}));
    assert_eq!(code(&v), "NotFoundException", "{v}");
    let d = server.ok_in(WEST, "DescribeKey", json!({"KeyId": id}));
    assert_eq!(d["KeyMetadata"]["KeyState"], "Enabled");
}

#[test]
fn each_region_has_its_own_aliases() {
    let (server, _dir, account) = start("regions-alias", &[]);
    let home = server.ok("CreateKey", json!({}))["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let west = server.ok_in(WEST, "CreateKey", json!({}))["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let name = "alias/shared";
    server.ok(
        "CreateAlias",
        json!({"AliasName": name, "TargetKeyId": home}),
    );
    server.ok_in(
        WEST,
        "CreateAlias",
        json!({"AliasName": name, "TargetKeyId": west}),
    );
    let d = server.ok("DescribeKey", json!({"KeyId": name}));
    assert_eq!(d["KeyMetadata"]["KeyId"], home.as_str());
    let d = server.ok_in(WEST, "DescribeKey", json!({"KeyId": name}));
    assert_eq!(d["KeyMetadata"]["KeyId"], west.as_str());

    for (region, target) in [(HOME, &home), (WEST, &west)] {
        let list = server.ok_in(region, "ListAliases", json!({}));
        let aliases = list["Aliases"].as_array().unwrap();
        assert_eq!(aliases.len(), 1, "{list}");
        assert_eq!(aliases[0]["TargetKeyId"], target.as_str());
        assert_eq!(
            aliases[0]["AliasArn"],
            format!("arn:aws:kms:{region}:{account}:{name}")
        );
    }
    // An alias cannot point at another Region's key.
    let (_, v) = server.call_in(
        WEST,
        "CreateAlias",
        json!({"AliasName": "alias/cross", "TargetKeyId": home}),
    );
    assert_eq!(code(&v), "NotFoundException", "{v}");
    // Deleting one Region's alias leaves the other's.
    server.ok_in(WEST, "DeleteAlias", json!({"AliasName": name}));
    let (_, v) = server.call_in(WEST, "DescribeKey", json!({"KeyId": name}));
    assert_eq!(code(&v), "NotFoundException", "{v}");
    let d = server.ok("DescribeKey", json!({"KeyId": name}));
    assert_eq!(d["KeyMetadata"]["KeyId"], home.as_str());
}

#[test]
fn limits_count_per_account_and_region() {
    let (server, _dir, _) = start("regions-limits", &["--max-keys", "1"]);
    server.ok("CreateKey", json!({}));
    let (status, v) = server.call("CreateKey", json!({}));
    assert_eq!((status, code(&v)), (400, "LimitExceededException"), "{v}");
    assert!(message(&v).contains("account and Region"), "{v}");
    server.ok_in(WEST, "CreateKey", json!({}));
    let (_, v) = server.call_in(WEST, "CreateKey", json!({}));
    assert_eq!(code(&v), "LimitExceededException", "{v}");
}

#[test]
fn at_most_max_regions_are_served_and_region_names_are_checked() {
    let (server, _dir, _) = start("regions-cap", &["--max-regions", "2"]);
    // The default Region counts.
    server.ok("ListKeys", json!({}));
    server.ok_in(WEST, "ListKeys", json!({}));
    let (status, v) = server.call_in("eu-west-2", "ListKeys", json!({}));
    assert_eq!(
        (status, code(&v)),
        (400, "UnsupportedOperationException"),
        "{v}"
    );
    assert!(message(&v).contains("--max-regions"), "{v}");
    // Regions already served keep working.
    server.ok_in(WEST, "CreateKey", json!({}));
    server.ok_in(HOME, "ListKeys", json!({}));
    for bad in ["US-EAST-1", "nowhere", "us-east-1000"] {
        let (status, v) = server.call_in(bad, "ListKeys", json!({}));
        assert_eq!(
            (status, code(&v)),
            (400, "UnsupportedOperationException"),
            "{bad}: {v}"
        );
        assert!(message(&v).contains("not a Region name"), "{bad}: {v}");
    }
}

#[test]
fn regional_keys_survive_a_restart_on_a_durable_store() {
    let dir = Scratch::new("regions-sqlite");
    let secrets = secrets_file(&dir);
    let store = format!("sqlite:{}", dir.path("kms.db").display());
    let account = random_account();
    let id = {
        let server = Server::start(&store, Some(&secrets), &account, dir.path("log1"));
        server.ok_in(WEST, "CreateKey", json!({}))["KeyMetadata"]["KeyId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Restarted with its default Region set to the key's Region: unsigned requests see it.
    let server = Server::start_with(
        &store,
        Some(&secrets),
        &account,
        dir.path("log2"),
        &["--region", WEST],
    );
    let d = server.ok("DescribeKey", json!({"KeyId": id}));
    assert_eq!(
        d["KeyMetadata"]["Arn"],
        format!("arn:aws:kms:{WEST}:{account}:key/{id}")
    );
    assert_eq!(key_ids(&server.ok("ListKeys", json!({}))), [id.as_str()]);
    let (_, v) = server.call_in(HOME, "DescribeKey", json!({"KeyId": id}));
    assert_eq!(code(&v), "NotFoundException", "{v}");
}
