//! Writes the seed corpora of the fuzz targets (`fuzz/corpus/<target>/<name>`), made from the
//! fixture keys with fixed seeds, so the same files come out every time.
//!
//! ```sh
//! cargo run -p kms-import-testkit --bin fuzz_seeds
//! ```

use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut count = 0;
    for (target, name, bytes) in kms_import_testkit::fuzz::seed_corpora() {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("seed_{name}")), bytes)?;
        count += 1;
    }
    println!("wrote {count} seed files under {}", root.display());
    Ok(())
}
