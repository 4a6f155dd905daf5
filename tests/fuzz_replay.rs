//! Replays every checked-in fuzz corpus file (`fuzz/corpus/<target>/*`) through the same
//! harness functions the cargo-fuzz targets call, on the stable toolchain, so that every input
//! that once crashed a target (and every seed) is re-checked by `cargo test`.

use std::path::Path;

use kms_import_testkit::fuzz::{TARGETS, seed_corpora};

fn corpus_files(target: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str) {
    let (_, run) = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no target {target}"));
    let files = corpus_files(target);
    assert!(!files.is_empty(), "corpus of {target} is empty");
    for path in files {
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{} fails its target", path.display());
    }
}

#[test]
fn unwrap_corpus_replays_cleanly() {
    replay("unwrap");
}

#[test]
fn token_open_corpus_replays_cleanly() {
    replay("token_open");
}

#[test]
fn import_request_corpus_replays_cleanly() {
    replay("import_request");
}

#[test]
fn material_corpus_replays_cleanly() {
    replay("material");
}

#[test]
fn wire_corpus_replays_cleanly() {
    replay("wire");
}

#[test]
fn state_sequence_corpus_replays_cleanly() {
    replay("state_sequence");
}

#[test]
fn stored_record_corpus_replays_cleanly() {
    replay("stored_record");
}

#[test]
fn every_target_has_a_corpus_directory_and_a_fuzz_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (name, _) in TARGETS {
        assert!(
            root.join("corpus").join(name).is_dir(),
            "no corpus for {name}"
        );
        assert!(
            root.join("fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "no fuzz target file for {name}"
        );
    }
}

#[test]
fn checked_in_seeds_match_the_seed_generator() {
    // The seeds are deterministic; a harness change that alters them must regenerate the files
    // (`cargo run -p kms-import-testkit --bin fuzz_seeds`), or the corpora drift from the code.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (target, name, bytes) in seed_corpora() {
        let path = root.join(target).join(format!("seed_{name}"));
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(on_disk == bytes, "{} is stale", path.display());
    }
}
