//! `tandem-fuzz-seeds [DIR]`: writes every target's seeds into `DIR/<target>/` (default: this
//! crate's `corpus/`), each named by a hash of its content, so running it again adds nothing.

use sha2::{Digest, Sha256};

fn main() -> std::io::Result<()> {
    let root = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    for target in tandem_fuzz::TARGETS {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        let mut added = 0;
        for seed in tandem_fuzz::seeds::for_target(target) {
            let path = dir.join(format!("seed-{}", &hex::encode(Sha256::digest(&seed))[..16]));
            if !path.exists() {
                std::fs::write(&path, &seed)?;
                added += 1;
            }
        }
        println!("{target}: {added} seeds added to {}", dir.display());
    }
    Ok(())
}
