//! The certificate each TLS handshake gets, swapped while the relay runs.
//!
//! [`Certs`] is the rustls certificate resolver. It holds the current certificate behind a lock
//! that handshakes only read for an instant, so a renewal replaces it for the next handshake while
//! connections already open (WebSockets above all) keep theirs. It looks at the two files' modification times on each handshake (two `stat` calls) and loads them
//! again when they changed, which is how certbot or a school's own tooling renews them.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex, RwLock},
    time::SystemTime,
};

use rustls::{
    crypto::CryptoProvider,
    pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
    server::{ClientHello, ResolvesServerCert},
    sign::CertifiedKey,
};

/// The relay's certificate resolver.
#[derive(Debug)]
pub struct Certs {
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    files: Files,
}

/// A certificate and key kept in two PEM files, and the files' state when last read.
#[derive(Debug)]
struct Files {
    cert: PathBuf,
    key: PathBuf,
    seen: Mutex<(Stamp, Stamp)>,
}

/// What tells a file changed: modification time, length and inode (a renewal that renames a new
/// file into place may keep the other two).
type Stamp = Option<(SystemTime, u64, u64)>;

fn stamp(path: &Path) -> Stamp {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().and_then(|m| Some((m.modified().ok()?, m.len(), m.ino())))
}

impl Certs {
    /// Serves the certificate in `cert` (a PEM chain, leaf first) with the key in `key`, and
    /// follows changes to both files. Fails when they cannot be read now.
    pub fn from_files(provider: Arc<CryptoProvider>, cert: PathBuf, key: PathBuf) -> anyhow::Result<Self> {
        let seen = (stamp(&cert), stamp(&key));
        let loaded = load_pem_files(&provider, &cert, &key)?;
        Ok(Self {
            current: RwLock::new(Arc::new(loaded)),
            files: Files { cert, key, seen: Mutex::new(seen) },
            provider,
        })
    }

    /// Replaces the certificate for the next handshakes.
    fn set(&self, certified: CertifiedKey) {
        *self.current.write().expect("certificate lock poisoned") = Arc::new(certified);
    }

    /// Loads the files again if either changed since they were last read. A pair that does not
    /// load (a renewal half-written, a key that does not match) keeps the certificate served now
    /// and is logged once; the next change is tried again.
    fn reload_if_changed(&self) {
        let files = &self.files;
        let now = (stamp(&files.cert), stamp(&files.key));
        {
            let mut seen = files.seen.lock().expect("file stamp lock poisoned");
            if *seen == now {
                return;
            }
            *seen = now;
        }
        match load_pem_files(&self.provider, &files.cert, &files.key) {
            Ok(loaded) => {
                tracing::info!(cert = %files.cert.display(), "certificate files changed; serving the new certificate");
                self.set(loaded);
            }
            Err(error) => tracing::warn!(
                cert = %files.cert.display(),
                "certificate files changed but cannot be used yet, still serving the previous certificate: {error:#}"
            ),
        }
    }
}

impl ResolvesServerCert for Certs {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.reload_if_changed();
        Some(self.current.read().expect("certificate lock poisoned").clone())
    }
}

/// A certificate chain and its private key from PEM files, checked to belong together.
pub fn load_pem_files(provider: &CryptoProvider, cert: &Path, key: &Path) -> anyhow::Result<CertifiedKey> {
    use anyhow::Context;
    let chain =
        std::fs::read(cert).with_context(|| format!("cannot read the certificate {}", cert.display()))?;
    let key_pem =
        std::fs::read(key).with_context(|| format!("cannot read the private key {}", key.display()))?;
    certified_key(provider, &chain, &key_pem).with_context(|| {
        format!("cannot use the certificate {} with the key {}", cert.display(), key.display())
    })
}

/// A certificate chain and private key from PEM text, checked to belong together.
pub fn certified_key(
    provider: &CryptoProvider,
    chain_pem: &[u8],
    key_pem: &[u8],
) -> anyhow::Result<CertifiedKey> {
    let chain = CertificateDer::pem_slice_iter(chain_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("the certificate file is not PEM: {e}"))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "the certificate file holds no certificate (expected -----BEGIN CERTIFICATE-----)"
    );
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| anyhow::anyhow!("the key file holds no private key in PEM: {e}"))?;
    CertifiedKey::from_der(chain, key, provider)
        .map_err(|e| anyhow::anyhow!("the private key does not fit the certificate: {e}"))
}
