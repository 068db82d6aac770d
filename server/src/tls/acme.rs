//! Certificates obtained over ACME (RFC 8555), for a school whose relay has a public name:
//! `tandem serve --acme-domain tandem.example.org`.
//!
//! [`start`] loads what an earlier run kept in `<data>/acme/` (the CA account, the certificate and
//! its key) and serves that certificate at once if it still covers the names; a task then orders a
//! new one whenever none is stored, the stored one no longer covers the names, or it enters its
//! renewal window (`--acme-renew-days` before expiry), and hands each new one to [`Certs::set`]
//! for the next handshakes (open connections keep theirs).
//!
//! The CA checks control of each name with TLS-ALPN-01 (RFC 8737): it opens a TLS connection to
//! port 443 of the name offering only the `acme-tls/1` protocol, and the relay answers that one
//! handshake with a self-signed challenge certificate ([`Certs::set_challenge`]). So the relay
//! itself must be what answers on port 443 of the name, and needs no second port.
//!
//! A failed order (the CA unreachable, a name that does not point here) is logged and tried again
//! with backoff, at most an hour apart; a relay with no certificate yet fails TLS handshakes until
//! it has one.

use std::{
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::{Context, bail};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder,
    OrderStatus, RetryPolicy,
};
use serde::{Deserialize, Serialize};
use tandem_sync::Backoff;
use tokio::sync::watch;

use super::certs::{Certs, certified_key};
use crate::clock::Clock;

/// Let's Encrypt's production directory: the default CA.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// Failed orders are retried from a minute apart up to an hour apart (Let's Encrypt allows five
/// failed validations per name an hour).
const RETRY: Backoff = Backoff::new(60_000, 3_600_000);
/// The renewal task looks again at least this often, so a suspended machine or a clock that
/// jumped does not sleep past the renewal window.
const RECHECK: Duration = Duration::from_secs(12 * 3600);
/// How long the CA may take to validate an order and to issue its certificate.
const ORDER_PATIENCE: Duration = Duration::from_secs(120);

/// What the relay asks of the CA, from the command line.
#[derive(Debug, Clone)]
pub struct AcmeConfig {
    /// The names the certificate is for; the first is the one devices are told to open.
    pub domains: Vec<String>,
    /// How the CA reaches the school's IT about the account (`mailto:` URLs); may be empty.
    pub contacts: Vec<String>,
    /// The CA's ACME directory URL.
    pub directory: String,
    /// A root certificate (PEM) to trust for the CA's own https instead of the system's roots:
    /// for a test CA only.
    pub ca_root: Option<PathBuf>,
    /// A certificate is renewed once it has less than this left.
    pub renew_before: Duration,
    /// Where the account and the certificate are kept (`<data>/acme`).
    pub dir: PathBuf,
}

impl AcmeConfig {
    /// Refuses names and contacts that cannot work, saying what to write instead.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.domains.is_empty() {
            bail!("--acme-domain needs the relay's public name, for example tandem.example.org");
        }
        for domain in &self.domains {
            let plain = !domain.is_empty()
                && domain.contains('.')
                && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            if !plain {
                bail!(
                    "--acme-domain {domain:?} is not a host name: give the bare name devices open, \
                     for example tandem.example.org (no scheme, port, path or wildcard)"
                );
            }
        }
        for contact in &self.contacts {
            if !contact.contains(':') {
                bail!("--acme-contact {contact:?} needs its scheme: write it as mailto:{contact}");
            }
        }
        Ok(())
    }

    fn account_file(&self) -> PathBuf {
        self.dir.join("account.json")
    }

    fn cert_file(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    fn key_file(&self) -> PathBuf {
        self.dir.join("key.pem")
    }
}

/// The account as kept on disk: the CA it belongs to, so a changed `--acme-directory` makes a
/// new account instead of presenting this one to a CA that never saw it.
#[derive(Serialize, Deserialize)]
struct StoredAccount {
    directory: String,
    credentials: AccountCredentials,
}

/// A certificate the relay holds, with what decides when it is renewed.
#[derive(Debug, Clone)]
struct Issued {
    chain_pem: String,
    key_pem: String,
    /// Expiry, in milliseconds since the Unix epoch.
    not_after_ms: i64,
    /// The DNS names it covers, lowercase.
    names: Vec<String>,
}

impl Issued {
    fn parse(chain_pem: String, key_pem: String) -> anyhow::Result<Self> {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let leaf = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
            .next()
            .context("the certificate chain is empty")?
            .context("the certificate chain is not PEM")?;
        let (_, cert) = x509_parser::parse_x509_certificate(&leaf)
            .map_err(|e| anyhow::anyhow!("the certificate cannot be read: {e}"))?;
        let not_after_ms = cert.validity().not_after.timestamp() * 1000;
        let names = match cert.subject_alternative_name() {
            Ok(Some(san)) => san
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    x509_parser::extensions::GeneralName::DNSName(dns) => Some(dns.to_ascii_lowercase()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(Self { chain_pem, key_pem, not_after_ms, names })
    }

    fn covers(&self, domains: &[String]) -> bool {
        domains.iter().all(|d| self.names.contains(&d.to_ascii_lowercase()))
    }

    /// When renewal is due: `renew_before` ahead of expiry.
    fn renew_at_ms(&self, renew_before: Duration) -> i64 {
        self.not_after_ms.saturating_sub(renew_before.as_millis() as i64)
    }
}

/// Serves the kept certificate on `certs` if it is still good for `config.domains`, and starts
/// the task that orders and renews certificates until `shutdown` turns true. Fails only when the
/// ACME directory in the data directory cannot be made.
pub fn start(
    config: AcmeConfig,
    certs: Arc<Certs>,
    clock: Clock,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    config.check()?;
    std::fs::create_dir_all(&config.dir)
        .with_context(|| format!("cannot create {} for the ACME account", config.dir.display()))?;
    let kept = load_kept(&config, &certs, &clock);
    tokio::spawn(renew_loop(config, certs, clock, kept, shutdown));
    Ok(())
}

/// The certificate a previous run kept, served now when it covers the names and has not expired
/// (even inside its renewal window: the renewal may take a while, and this one still works).
fn load_kept(config: &AcmeConfig, certs: &Certs, clock: &Clock) -> Option<Issued> {
    let chain = std::fs::read_to_string(config.cert_file()).ok()?;
    let key = std::fs::read_to_string(config.key_file()).ok()?;
    let issued = match Issued::parse(chain, key) {
        Ok(issued) => issued,
        Err(error) => {
            tracing::warn!("the kept ACME certificate cannot be read; ordering a new one: {error:#}");
            return None;
        }
    };
    if !issued.covers(&config.domains) {
        tracing::info!(names = ?issued.names, "the kept ACME certificate is for other names; ordering a new one");
        return None;
    }
    if issued.not_after_ms <= clock.now_ms() {
        tracing::info!("the kept ACME certificate has expired; ordering a new one");
        return None;
    }
    match certified_key(certs.provider(), issued.chain_pem.as_bytes(), issued.key_pem.as_bytes()) {
        Ok(certified) => certs.set(certified),
        Err(error) => {
            tracing::warn!("the kept ACME certificate does not load; ordering a new one: {error:#}");
            return None;
        }
    }
    Some(issued)
}

async fn renew_loop(
    config: AcmeConfig,
    certs: Arc<Certs>,
    clock: Clock,
    mut held: Option<Issued>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut failures = 0u32;
    loop {
        let now = clock.now_ms();
        let due_in_ms = match &held {
            Some(issued) => issued.renew_at_ms(config.renew_before) - now,
            None => 0,
        };
        if due_in_ms > 0 {
            let wait = Duration::from_millis(due_in_ms as u64).min(RECHECK);
            tokio::select! {
                () = tokio::time::sleep(wait) => continue,
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
        tracing::info!(domains = ?config.domains, directory = %config.directory, "ordering a certificate over ACME");
        let wait = match obtain(&config, &certs).await {
            Ok(issued) => {
                failures = 0;
                let certified =
                    certified_key(certs.provider(), issued.chain_pem.as_bytes(), issued.key_pem.as_bytes());
                match certified.and_then(|certified| keep(&config, &issued).map(|()| certified)) {
                    Ok(certified) => {
                        certs.set(certified);
                        tracing::info!(
                            domains = ?config.domains,
                            expires = %tandem_core::Timestamp(issued.not_after_ms).date(),
                            "serving a new certificate from ACME"
                        );
                    }
                    Err(error) => tracing::error!("cannot use the certificate the CA issued: {error:#}"),
                }
                let fresh_due = issued.renew_at_ms(config.renew_before) <= clock.now_ms();
                held = Some(issued);
                if !fresh_due {
                    continue;
                }
                // A window longer than the CA's certificates last would order again at once,
                // forever: wait as after a failure instead.
                tracing::warn!(
                    "the new certificate is already inside its renewal window (--acme-renew-days is longer \
                     than the CA's certificates last); ordering again in an hour"
                );
                Duration::from_millis(u64::from(RETRY.max_ms))
            }
            Err(error) => {
                let wait = Duration::from_millis(u64::from(RETRY.delay_ms(failures, rand::random())));
                failures = failures.saturating_add(1);
                tracing::error!(
                    domains = ?config.domains,
                    retry_in_secs = wait.as_secs(),
                    "cannot get a certificate over ACME (port 443 of each --acme-domain must reach this relay): {error:#}"
                );
                wait
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}

/// Orders a certificate for `config.domains`, answering the CA's TLS-ALPN-01 validation through
/// `certs` while it checks.
async fn obtain(config: &AcmeConfig, certs: &Certs) -> anyhow::Result<Issued> {
    let account = account(config).await?;
    let identifiers: Vec<Identifier> = config.domains.iter().map(|d| Identifier::Dns(d.clone())).collect();
    let mut order =
        account.new_order(&NewOrder::new(&identifiers)).await.context("the CA refused the order")?;
    // Challenge certificates are withdrawn however this ends.
    let mut challenges = Challenges { certs, domains: Vec::new() };
    let mut authorizations = order.authorizations();
    while let Some(authorization) = authorizations.next().await {
        let mut authorization = authorization.context("cannot read the order's authorizations")?;
        match authorization.status {
            AuthorizationStatus::Pending => {}
            // Validated for this account recently: nothing to prove.
            AuthorizationStatus::Valid => continue,
            status => bail!("the CA says an authorization is {status:?}"),
        }
        let mut challenge = authorization
            .challenge(ChallengeType::TlsAlpn01)
            .context("the CA does not offer the tls-alpn-01 challenge, the only one the relay answers")?;
        let domain = challenge.identifier().to_string();
        let answer = challenge_certificate(certs, &domain, challenge.key_authorization().digest().as_ref())?;
        challenges.set(&domain, answer);
        challenge.set_ready().await.context("cannot tell the CA the challenge is ready")?;
    }
    let patience = RetryPolicy::new().timeout(ORDER_PATIENCE);
    let status = order.poll_ready(&patience).await.context("the CA did not finish validating")?;
    if status != OrderStatus::Ready {
        bail!("the CA did not validate the names (order {status:?}): does each name point to this relay?");
    }
    drop(challenges);
    let key_pem = order.finalize().await.context("the CA refused to finalize the order")?;
    let chain_pem =
        order.poll_certificate(&patience).await.context("the CA did not issue the certificate")?;
    Issued::parse(chain_pem, key_pem)
}

/// The CA account kept in the data directory, or a new one (kept for next time).
async fn account(config: &AcmeConfig) -> anyhow::Result<Account> {
    let builder = || match &config.ca_root {
        Some(root) => Account::builder_with_root(root)
            .with_context(|| format!("cannot use {} as the ACME CA's root", root.display())),
        None => Account::builder().context("cannot set up the ACME client's https"),
    };
    let path = config.account_file();
    if let Ok(text) = std::fs::read_to_string(&path) {
        match serde_json::from_str::<StoredAccount>(&text) {
            Ok(stored) if stored.directory == config.directory => {
                return builder()?
                    .from_credentials(stored.credentials)
                    .await
                    .context("cannot reach the ACME CA with the kept account");
            }
            Ok(_) => tracing::info!("the kept ACME account is for another CA; making one with this CA"),
            Err(error) => {
                tracing::warn!("{} cannot be read; making a new ACME account: {error}", path.display())
            }
        }
    }
    let contacts: Vec<&str> = config.contacts.iter().map(String::as_str).collect();
    let new = NewAccount { contact: &contacts, terms_of_service_agreed: true, only_return_existing: false };
    let (account, credentials) = builder()?
        .create(&new, config.directory.clone(), None)
        .await
        .context("the ACME CA refused a new account")?;
    let stored = StoredAccount { directory: config.directory.clone(), credentials };
    write_private(&path, serde_json::to_string_pretty(&stored)?.as_bytes())?;
    tracing::info!(account = account.id(), "made an ACME account");
    Ok(account)
}

/// A self-signed certificate for `domain` carrying the challenge's digest (RFC 8737 §3).
fn challenge_certificate(
    certs: &Certs,
    domain: &str,
    digest: &[u8],
) -> anyhow::Result<rustls::sign::CertifiedKey> {
    let mut params = rcgen::CertificateParams::new(vec![domain.to_owned()])?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    let der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|e| anyhow::anyhow!("cannot use the challenge key: {e}"))?;
    let signing_key = certs.provider().key_provider.load_private_key(der)?;
    // Not `CertifiedKey::from_der`: its check that key and certificate match parses the
    // certificate with webpki, which refuses the critical acmeIdentifier extension it does not
    // know (UnsupportedCriticalExtension). Both come from the same rcgen key pair just above.
    Ok(rustls::sign::CertifiedKey::new(vec![cert.der().clone()], signing_key))
}

/// Challenge certificates being served, withdrawn when dropped.
struct Challenges<'a> {
    certs: &'a Certs,
    domains: Vec<String>,
}

impl Challenges<'_> {
    fn set(&mut self, domain: &str, answer: rustls::sign::CertifiedKey) {
        self.certs.set_challenge(domain, Some(answer));
        self.domains.push(domain.to_owned());
    }
}

impl Drop for Challenges<'_> {
    fn drop(&mut self) {
        for domain in &self.domains {
            self.certs.set_challenge(domain, None);
        }
    }
}

/// Keeps a certificate and its key for the next start: the key first, then the chain, each
/// written whole before it replaces the old file, so a crash never leaves a chain beside a key
/// that is not its own for long (and [`load_kept`] refuses such a pair).
fn keep(config: &AcmeConfig, issued: &Issued) -> anyhow::Result<()> {
    write_private(&config.key_file(), issued.key_pem.as_bytes())?;
    write_private(&config.cert_file(), issued.chain_pem.as_bytes())
}

/// Writes `bytes` to `path` through a temporary file renamed into place, readable by the relay's
/// user only (the account key and the certificate key are secrets).
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path).with_context(|| format!("cannot replace {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(domains: &[&str], contacts: &[&str]) -> AcmeConfig {
        AcmeConfig {
            domains: domains.iter().map(|d| d.to_string()).collect(),
            contacts: contacts.iter().map(|c| c.to_string()).collect(),
            directory: LETS_ENCRYPT.into(),
            ca_root: None,
            renew_before: Duration::from_secs(30 * 86_400),
            dir: PathBuf::from("acme"),
        }
    }

    #[test]
    fn a_bare_host_name_and_a_mailto_contact_are_accepted() {
        config(&["tandem.example.org"], &["mailto:it@example.org"]).check().unwrap();
    }

    #[test]
    fn a_url_or_a_wildcard_instead_of_a_host_name_is_refused_with_what_to_write() {
        for bad in ["https://tandem.example.org", "tandem.example.org:443", "*.example.org", "localhost"] {
            let error = config(&[bad], &[]).check().unwrap_err().to_string();
            assert!(error.contains("for example tandem.example.org"), "{bad}: {error}");
        }
    }

    #[test]
    fn a_contact_without_its_scheme_is_refused_with_the_mailto_form() {
        let error = config(&["tandem.example.org"], &["it@example.org"]).check().unwrap_err().to_string();
        assert!(error.contains("mailto:it@example.org"), "{error}");
    }
}
