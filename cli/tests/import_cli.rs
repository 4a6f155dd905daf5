//! `kms-import import`'s interface: flags, `--help`, exit codes (2 usage, 1 local failure, 3 AWS
//! error), `--dry-run`, the default choice of wrapping algorithm and key spec, and the SDK's
//! configuration chain (environment, profiles, flags overriding), against a kms-import-server
//! on 127.0.0.1.

mod common;

use std::path::Path;
use std::process::Output;

use aws_sdk_kms::types::{KeySpec, KeyState, KeyUsageType, OriginType};
use common::{Scratch, cli_data, error_line, import_command, kms_client, repo_data, runtime};

fn create_key(spec: KeySpec, origin: OriginType) -> String {
    let usage = match spec {
        KeySpec::SymmetricDefault => KeyUsageType::EncryptDecrypt,
        KeySpec::Hmac256 => KeyUsageType::GenerateVerifyMac,
        _ => KeyUsageType::SignVerify,
    };
    let kms = kms_client();
    runtime()
        .block_on(
            kms.create_key()
                .origin(origin)
                .key_spec(spec)
                .key_usage(usage)
                .send(),
        )
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned()
}

fn state(arn: &str) -> KeyState {
    runtime()
        .block_on(kms_client().describe_key().key_id(arn).send())
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_state()
        .unwrap()
        .clone()
}

fn import(key: &str, material: &Path, extra: &[&str]) -> Output {
    import_command()
        .arg("--key-id")
        .arg(key)
        .arg("--key-material")
        .arg(material)
        .args(extra)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn help_shows_an_example_and_every_flag() {
    let out = common::run(&["import".as_ref(), "--help".as_ref()]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    assert!(help.contains("Example:"), "{help}");
    assert!(help.contains("kms-import import --key-id"), "{help}");
    for flag in [
        "--key-id",
        "--key-material",
        "--wrapping-algorithm",
        "--wrapping-key-spec",
        "--valid-to",
        "--does-not-expire",
        "--import-type",
        "--key-material-id",
        "--key-material-description",
        "--region",
        "--profile",
        "--endpoint-url",
        "--dry-run",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}

#[test]
fn usage_errors_exit_2_before_any_call() {
    let dir = Scratch::new("usage");
    let material = dir.write("material.bin", &[7u8; 32]);
    let m = material.to_str().unwrap();
    let id = "0".repeat(64);
    let cases: Vec<Vec<&str>> = vec![
        vec!["--key-material", m],
        vec!["--key-id", "k"],
        vec![
            "--key-id",
            "k",
            "--key-material",
            m,
            "--valid-to",
            "2027-06-30T00:00:00Z",
            "--does-not-expire",
        ],
        vec![
            "--key-id",
            "k",
            "--key-material",
            m,
            "--valid-to",
            "next tuesday",
        ],
        vec![
            "--key-id",
            "k",
            "--key-material",
            m,
            "--wrapping-algorithm",
            "RSAES_OAEP_SHA_512",
        ],
        vec![
            "--key-id",
            "k",
            "--key-material",
            m,
            "--wrapping-key-spec",
            "RSA_1024",
        ],
        vec![
            "--key-id",
            "k",
            "--key-material",
            m,
            "--wrapping-key-spec",
            "SM2",
        ],
        vec![
            "--key-id",
            "k",
            "--key-material",
            m,
            "--import-type",
            "SOME_MATERIAL",
        ],
        vec![
            "--key-id",
            "k",
            "--key-material",
            m,
            "--key-material-id",
            "ABC",
        ],
        vec![
            "--key-id",
            "k",
            "--key-material",
            m,
            "--key-material-id",
            &id,
            "--import-type",
            "NEW_KEY_MATERIAL",
        ],
        vec!["--key-id", "k", "--key-material", m, "--no-such-flag"],
    ];
    for args in cases {
        // The endpoint is unreachable: a usage error must not get as far as calling it.
        let out = common::base_command()
            .arg("import")
            .args(&args)
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(error_line(&out).starts_with("error: ValidationException: "));
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn an_unknown_key_is_an_aws_error_exit_3() {
    let dir = Scratch::new("notfound");
    let material = dir.write("material.bin", &[7u8; 32]);
    let out = import("1234abcd-12ab-34cd-56ef-1234567890ab", &material, &[]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(
        error_line(&out).starts_with("error: NotFoundException: "),
        "{out:?}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn local_checks_fail_with_exit_1_and_import_nothing() {
    let dir = Scratch::new("local");
    let sym = create_key(KeySpec::SymmetricDefault, OriginType::External);
    let hmac = create_key(KeySpec::Hmac256, OriginType::External);
    let rsa = create_key(KeySpec::Rsa2048, OriginType::External);
    let p256 = create_key(KeySpec::EccNistP256, OriginType::External);
    let p521 = create_key(KeySpec::EccNistP521, OriginType::External);
    let aws_kms = create_key(KeySpec::SymmetricDefault, OriginType::AwsKms);
    let m = |f: &str| repo_data(&format!("material/{f}"));
    let cases: Vec<(&str, std::path::PathBuf, Vec<&str>, &str)> = vec![
        // Material that does not fit the key spec.
        (
            &sym,
            dir.write("33", &[1u8; 33]),
            vec![],
            "IncorrectKeyMaterialException",
        ),
        (
            &sym,
            dir.write("newline", b"0123456789abcdef0123456789abcdef\n"),
            vec![],
            "the file has 33",
        ),
        (
            &hmac,
            dir.write("short", &[1u8; 31]),
            vec![],
            "IncorrectKeyMaterialException",
        ),
        (
            &rsa,
            m("rsa_3072.der"),
            vec![],
            "IncorrectKeyMaterialException",
        ),
        (
            &rsa,
            m("rsa_2048_bad_d.der"),
            vec![],
            "IncorrectKeyMaterialException",
        ),
        (
            &p256,
            m("ec_p384.der"),
            vec![],
            "IncorrectKeyMaterialException",
        ),
        (
            &p256,
            m("ec_p384.sec1.der"),
            vec![],
            "IncorrectKeyMaterialException",
        ),
        (
            &p256,
            cli_data("rsa_2048.pkcs1.der"),
            vec![],
            "RSA private key",
        ),
        (&rsa, m("ec_p256.sec1.der"), vec![], "EC private key"),
        (
            &p256,
            cli_data("ec_p256.enc.pk8.pem"),
            vec![],
            "encrypted private key",
        ),
        (&p256, m("ec_p256.spki.der"), vec![], "public key"),
        // Combinations the compatibility table refuses.
        (
            &rsa,
            m("rsa_2048.der"),
            vec!["--wrapping-algorithm", "RSAES_OAEP_SHA_256"],
            "UnsupportedOperationException",
        ),
        (
            &p521,
            m("ec_p521.der"),
            vec![
                "--wrapping-algorithm",
                "RSAES_OAEP_SHA_1",
                "--wrapping-key-spec",
                "RSA_2048",
            ],
            "UnsupportedOperationException",
        ),
        (
            &hmac,
            dir.write("hmac", &[1u8; 32]),
            vec!["--wrapping-algorithm", "RSAES_PKCS1_V1_5"],
            "UnsupportedOperationException",
        ),
        // Members only symmetric keys take.
        (
            &hmac,
            dir.write("hmac2", &[1u8; 32]),
            vec!["--import-type", "NEW_KEY_MATERIAL"],
            "SYMMETRIC_DEFAULT keys only",
        ),
        (
            &p256,
            m("ec_p256.der"),
            vec!["--key-material-description", "x"],
            "SYMMETRIC_DEFAULT keys only",
        ),
        // Keys that take no imported material.
        (
            &aws_kms,
            dir.write("sym", &[1u8; 32]),
            vec![],
            "origin EXTERNAL",
        ),
        // A ValidTo in the past.
        (
            &sym,
            dir.write("sym2", &[1u8; 32]),
            vec!["--valid-to", "2020-01-01T00:00:00Z"],
            "in the future",
        ),
        // A material file that cannot be read.
        (&sym, dir.path("missing"), vec![], "cannot read"),
    ];
    for (key, material, extra, says) in cases {
        let out = import(key, &material, &extra);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{material:?} {extra:?}: {out:?}"
        );
        let line = error_line(&out);
        assert!(line.contains(says), "{material:?} {extra:?}: {line}");
        assert!(out.stdout.is_empty());
    }
    for key in [&sym, &hmac, &rsa, &p256, &p521] {
        assert_eq!(state(key), KeyState::PendingImport, "{key}");
    }
}

#[test]
fn dry_run_checks_everything_and_imports_nothing() {
    let dir = Scratch::new("dryrun");
    let sym = create_key(KeySpec::SymmetricDefault, OriginType::External);
    let material = dir.write("material.bin", &[9u8; 32]);
    let out = import(&sym, &material, &["--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let line = stdout(&out);
    assert!(
        line.starts_with(&format!("dry run: {sym} PendingImport SYMMETRIC_DEFAULT")),
        "{line}"
    );
    // The defaults: SHA-256 OAEP under the largest wrapping key.
    assert!(
        line.contains("would wrap with RSAES_OAEP_SHA_256 under RSA_4096"),
        "{line}"
    );
    assert_eq!(state(&sym), KeyState::PendingImport);

    // The defaults follow the key spec and what was given.
    let rsa = create_key(KeySpec::Rsa2048, OriginType::External);
    let out = import(&rsa, &repo_data("material/rsa_2048.der"), &["--dry-run"]);
    assert!(
        stdout(&out).contains("would wrap with RSA_AES_KEY_WRAP_SHA_256 under RSA_4096"),
        "{out:?}"
    );
    let p521 = create_key(KeySpec::EccNistP521, OriginType::External);
    let out = import(
        &p521,
        &repo_data("material/ec_p521.der"),
        &["--dry-run", "--wrapping-key-spec", "RSA_2048"],
    );
    assert!(
        stdout(&out).contains("would wrap with RSA_AES_KEY_WRAP_SHA_256 under RSA_2048"),
        "{out:?}"
    );
    let out = import(
        &sym,
        &material,
        &[
            "--dry-run",
            "--wrapping-algorithm",
            "RSAES_OAEP_SHA_1",
            "--wrapping-key-spec",
            "RSA_3072",
        ],
    );
    assert!(
        stdout(&out).contains("would wrap with RSAES_OAEP_SHA_1 under RSA_3072"),
        "{out:?}"
    );

    // A dry run still fails on bad material (1) and on an unknown key (3).
    let bad = dir.write("bad.bin", &[9u8; 31]);
    assert_eq!(import(&sym, &bad, &["--dry-run"]).status.code(), Some(1));
    let out = import("alias/no-such-alias", &material, &["--dry-run"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(error_line(&out).starts_with("error: NotFoundException: "));
    assert_eq!(state(&sym), KeyState::PendingImport);
}

#[test]
fn defaults_import_and_an_alias_names_the_key() {
    let dir = Scratch::new("defaults");
    let sym = create_key(KeySpec::SymmetricDefault, OriginType::External);
    runtime()
        .block_on(
            kms_client()
                .create_alias()
                .alias_name("alias/kms-import-cli-defaults")
                .target_key_id(&sym)
                .send(),
        )
        .unwrap();
    let material = dir.write("material.bin", &[3u8; 32]);
    // No wrapping flags, no expiration flag: the defaults (RSA_4096; material does not expire).
    let out = import("alias/kms-import-cli-defaults", &material, &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let line = stdout(&out);
    assert!(
        line.starts_with(&format!("{sym} Enabled KeyMaterialId=")),
        "{line}"
    );
    assert!(line.trim_end().ends_with(" ValidTo=none"), "{line}");
    assert_eq!(state(&sym), KeyState::Enabled);
}

#[test]
fn flags_override_the_environment_and_profiles_are_read() {
    let dir = Scratch::new("config");
    let material = dir.write("material.bin", &[5u8; 32]);

    // --endpoint-url wins over AWS_ENDPOINT_URL (which points nowhere), --region over AWS_REGION.
    let sym = create_key(KeySpec::SymmetricDefault, OriginType::External);
    let out = import_command()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_REGION", "eu-west-1")
        .args(["--key-id", &sym, "--key-material"])
        .arg(&material)
        .args([
            "--endpoint-url",
            common::server_url(),
            "--region",
            common::REGION,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    // A named profile: Region and credentials from the shared files, nothing in the environment.
    let sym = create_key(KeySpec::SymmetricDefault, OriginType::External);
    let config = dir.write(
        "config",
        format!("[profile importer]\nregion = {}\n", common::REGION).as_bytes(),
    );
    let credentials = dir.write(
        "credentials",
        format!(
            "[importer]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            common::ACCESS_KEY,
            common::SECRET_KEY
        )
        .as_bytes(),
    );
    let out = common::base_command()
        .arg("import")
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["--key-id", &sym, "--key-material"])
        .arg(&material)
        .args([
            "--profile",
            "importer",
            "--endpoint-url",
            common::server_url(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(state(&sym), KeyState::Enabled);
}

#[test]
fn an_unreachable_endpoint_is_an_aws_error_exit_3() {
    let dir = Scratch::new("unreachable");
    let material = dir.write("material.bin", &[5u8; 32]);
    let out = import_command()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_MAX_ATTEMPTS", "1")
        .args([
            "--key-id",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "--key-material",
        ])
        .arg(&material)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(
        error_line(&out).starts_with("error: DispatchFailure: DescribeKey: "),
        "{out:?}"
    );
}

#[test]
fn throttled_calls_are_retried_until_the_quota_allows_them() {
    // One GetParametersForImport every five seconds: longer than the SDK's own three attempts
    // wait, so back-to-back imports succeed only if the tool keeps retrying.
    let url = common::start_server(&["--rate-limit", "GetParametersForImport=0.2"]);
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_sdk_kms::config::Region::new(common::REGION))
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            common::ACCESS_KEY,
            common::SECRET_KEY,
            None,
            None,
            "test",
        ))
        .endpoint_url(&url)
        .build();
    let kms = aws_sdk_kms::Client::from_conf(config);
    let dir = Scratch::new("throttled");
    for i in 0..3u8 {
        let key = runtime()
            .block_on(
                kms.create_key()
                    .origin(OriginType::External)
                    .key_spec(KeySpec::SymmetricDefault)
                    .key_usage(KeyUsageType::EncryptDecrypt)
                    .send(),
            )
            .unwrap()
            .key_metadata()
            .unwrap()
            .arn()
            .unwrap()
            .to_owned();
        let material = dir.write(&format!("m{i}"), &[i; 32]);
        let out = import_command()
            .env("AWS_ENDPOINT_URL", &url)
            .args(["--key-id", &key, "--key-material"])
            .arg(&material)
            .args(["--wrapping-key-spec", "RSA_2048"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "import {i}: {out:?}");
        assert!(stdout(&out).starts_with(&format!("{key} Enabled ")));
    }
}
