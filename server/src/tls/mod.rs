//! HTTPS from the relay itself, so devices on the school network get a secure context (browsers
//! install the offline app, the service worker, only in one).
//!
//! - [`certs`]: the rustls certificate resolver; follows `--tls-cert`/`--tls-key` files as they
//!   are renewed.
//! - [`listener`]: TLS handshakes in their own tasks, handed to `axum::serve`.
//! - [`redirect`]: the plain-HTTP port that only redirects to https.
//! - [`self_signed`]: a local CA and server certificate for `tandem admin self-signed`.
//! - [`acme`]: certificates obtained and renewed over ACME (`--acme-domain`), kept in the data
//!   directory.
//!
//! rustls with the ring provider: no OpenSSL anywhere in the relay.

pub mod acme;
pub mod certs;
pub mod listener;
pub mod redirect;
pub mod self_signed;

use std::{path::PathBuf, sync::Arc};

use rustls::{ServerConfig, crypto::CryptoProvider};
use tokio::net::TcpListener;

pub use self::{certs::Certs, listener::TlsListener};

/// The `Strict-Transport-Security` header an HTTPS relay sends: browsers that have seen it use
/// https for a year even when someone types `http://` (no subdomains: the relay does not speak
/// for the school's other hosts).
pub const HSTS: &str = "max-age=31536000";

/// The relay's TLS: the certificate resolver and the rustls configuration around it.
#[derive(Debug, Clone)]
pub struct Tls {
    pub certs: Arc<Certs>,
    config: Arc<ServerConfig>,
}

impl Tls {
    /// Serves the certificate chain in the PEM file `cert` with the key in `key`, following both
    /// files as they change. Fails when they cannot be used now.
    pub fn from_files(cert: PathBuf, key: PathBuf) -> anyhow::Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs = Arc::new(Certs::from_files(provider.clone(), cert, key)?);
        let config = server_config(provider, certs.clone(), false)?;
        Ok(Self { certs, config })
    }

    /// Serves the certificates that [`acme`] obtains and sets on `self.certs` (none until the
    /// first arrives), and answers ACME's TLS-ALPN-01 validation handshakes.
    pub fn awaiting_acme() -> anyhow::Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs = Arc::new(Certs::awaiting(provider.clone()));
        let config = server_config(provider, certs.clone(), true)?;
        Ok(Self { certs, config })
    }

    /// Accepts TLS connections on `listener`, those `gate` admits.
    pub fn listener(
        &self,
        listener: TcpListener,
        gate: crate::connections::Gate,
    ) -> std::io::Result<TlsListener> {
        TlsListener::new(listener, self.config.clone(), gate)
    }
}

fn server_config(
    provider: Arc<CryptoProvider>,
    certs: Arc<Certs>,
    acme: bool,
) -> anyhow::Result<Arc<ServerConfig>> {
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(certs);
    // HTTP/1.1 only: the relay's server speaks it (WebSocket upgrades included), not HTTP/2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    if acme {
        // Listed after http/1.1, so only a client offering nothing else (a CA validating) gets it.
        config.alpn_protocols.push(certs::ACME_TLS_ALPN.to_vec());
    }
    Ok(Arc::new(config))
}
