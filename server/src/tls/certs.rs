//! The certificate each TLS handshake gets, swapped while the relay runs.
//!
//! [`Certs`] is the rustls certificate resolver. It holds the current certificate behind a lock
//! that handshakes only read for an instant, so a renewal replaces it for the next handshake while
//! connections already open (WebSockets above all) keep theirs. Its certificate comes from one of
//! two places:
//! - two PEM files (`--tls-cert`/`--tls-key`): it looks at their modification times on each
//!   handshake (two `stat` calls) and loads them again when they changed, which is how certbot or
//!   a school's own tooling renews them;
//! - the relay's ACME client ([`super::acme`]), which [`Certs::set`]s each certificate it obtains
//!   and, while a CA validates an order, answers the CA's TLS-ALPN-01 handshakes
//!   ([`Certs::set_challenge`]) with the challenge certificate for the name asked for.

use std::{
    collections::HashMap,
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

/// The ALPN protocol of ACME's TLS-ALPN-01 challenge (RFC 8737): a CA's validation handshake
/// offers only this, and is answered with the challenge certificate, never the served one.
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// The relay's certificate resolver.
#[derive(Debug)]
pub struct Certs {
    provider: Arc<CryptoProvider>,
    /// What handshakes get; `None` only while an ACME relay waits for its first certificate
    /// (handshakes then fail, and devices retry).
    current: RwLock<Option<Arc<CertifiedKey>>>,
    /// Where the certificate is followed from, when it comes from files.
    files: Option<Files>,
    /// TLS-ALPN-01 challenge certificates by domain, while a CA validates an order.
    challenges: RwLock<HashMap<String, Arc<CertifiedKey>>>,
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
            current: RwLock::new(Some(Arc::new(loaded))),
            files: Some(Files { cert, key, seen: Mutex::new(seen) }),
            challenges: RwLock::default(),
            provider,
        })
    }

    /// A resolver with no certificate yet, for the ACME client to [`set`](Self::set) one.
    pub fn awaiting(provider: Arc<CryptoProvider>) -> Self {
        Self { provider, current: RwLock::default(), files: None, challenges: RwLock::default() }
    }

    /// The crypto provider certificates are loaded with.
    pub fn provider(&self) -> &CryptoProvider {
        &self.provider
    }

    /// Replaces the certificate for the next handshakes.
    pub fn set(&self, certified: CertifiedKey) {
        *self.current.write().expect("certificate lock poisoned") = Some(Arc::new(certified));
    }

    /// Answers TLS-ALPN-01 validation handshakes for `domain` with `challenge`, or, with `None`,
    /// stops answering them.
    pub fn set_challenge(&self, domain: &str, challenge: Option<CertifiedKey>) {
        let mut challenges = self.challenges.write().expect("challenge lock poisoned");
        let domain = domain.to_ascii_lowercase();
        match challenge {
            Some(challenge) => challenges.insert(domain, Arc::new(challenge)),
            None => challenges.remove(&domain),
        };
    }

    /// Loads the files again if either changed since they were last read. A pair that does not
    /// load (a renewal half-written, a key that does not match) keeps the certificate served now
    /// and is logged once; the next change is tried again.
    fn reload_if_changed(&self) {
        let Some(files) = &self.files else { return };
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
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let acme_validation = hello.alpn().is_some_and(|mut offered| offered.any(|p| p == ACME_TLS_ALPN));
        if acme_validation {
            // A CA checking a TLS-ALPN-01 challenge: only the challenge certificate for the name
            // it asks about will do (and none at all when no order is under way).
            let domain = hello.server_name()?.to_ascii_lowercase();
            return self.challenges.read().expect("challenge lock poisoned").get(&domain).cloned();
        }
        self.reload_if_changed();
        self.current.read().expect("certificate lock poisoned").clone()
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
