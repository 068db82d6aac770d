//! A local certificate authority and a server certificate, for trying Tandem over https on a
//! school network without a public name (`tandem admin self-signed --host NAME`).
//!
//! Each device trusts the CA once; the relay serves the server certificate. The CA is limited by
//! name constraints to the host names it was made for, so its key, if it leaked, could not vouch
//! for any other site to the devices that trust it. The server certificate lasts 825 days, the
//! longest iPadOS accepts.

use std::{
    net::IpAddr,
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DnType, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, NameConstraints,
};

const DAY: Duration = Duration::from_secs(24 * 3600);
const CA_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
const SERVER_LIFETIME: Duration = Duration::from_secs(825 * 24 * 3600);

/// A CA and a server certificate signed by it, in PEM.
#[derive(Debug)]
pub struct Generated {
    pub ca_cert: String,
    pub ca_key: String,
    /// The server certificate followed by the CA's (the chain the relay serves).
    pub server_chain: String,
    pub server_key: String,
}

/// Makes a CA for `hosts` (DNS names or IP addresses) and a server certificate for them.
pub fn generate(hosts: &[String]) -> anyhow::Result<Generated> {
    anyhow::ensure!(!hosts.is_empty(), "name at least one host with --host");
    // A day's slack: a tablet whose clock is a little behind must not see "not yet valid".
    let now = SystemTime::now();
    let not_before = now - DAY;

    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(DnType::CommonName, format!("Tandem local CA for {}", hosts.join(", ")));
    ca.distinguished_name.push(DnType::OrganizationName, "Tandem");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.name_constraints = Some(NameConstraints {
        permitted_subtrees: hosts
            .iter()
            .map(|host| match host.parse::<IpAddr>() {
                Ok(ip) => GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(
                    ip,
                    if ip.is_ipv4() { 32 } else { 128 },
                )),
                Err(_) => GeneralSubtree::DnsName(host.clone()),
            })
            .collect(),
        excluded_subtrees: vec![],
    });
    ca.not_before = not_before.into();
    ca.not_after = (now + CA_LIFETIME).into();
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;

    let mut server = CertificateParams::new(hosts.to_vec()).context("a --host is not a valid host name")?;
    server.distinguished_name.push(DnType::CommonName, hosts[0].clone());
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server.use_authority_key_identifier_extension = true;
    server.not_before = not_before.into();
    server.not_after = (now + SERVER_LIFETIME).into();
    let server_key = KeyPair::generate()?;
    let issuer = Issuer::new(ca, &ca_key);
    let server_cert = server.signed_by(&server_key, &issuer)?;

    Ok(Generated {
        server_chain: format!("{}{}", server_cert.pem(), ca_cert.pem()),
        ca_cert: ca_cert.pem(),
        ca_key: ca_key.serialize_pem(),
        server_key: server_key.serialize_pem(),
    })
}

/// The files `tandem admin self-signed` writes into its `--out` directory.
#[derive(Debug)]
pub struct Written {
    /// The CA certificate to install on devices (`.crt`, which iPadOS, Android and ChromeOS all
    /// recognise).
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    pub server_chain: PathBuf,
    pub server_key: PathBuf,
}

/// Generates for `hosts` and writes the four files into `dir`; refuses to overwrite a CA there
/// (devices that trust it would silently stop trusting the relay).
pub fn write(hosts: &[String], dir: &Path) -> anyhow::Result<Written> {
    let written = Written {
        ca_cert: dir.join("tandem-ca.crt"),
        ca_key: dir.join("tandem-ca.key.pem"),
        server_chain: dir.join("tandem-server.pem"),
        server_key: dir.join("tandem-server.key.pem"),
    };
    if written.ca_cert.exists() || written.ca_key.exists() {
        anyhow::bail!(
            "{} already holds a Tandem CA; devices that trust it would have to trust a new one. \
             Choose another --out directory, or delete the old files first",
            dir.display()
        );
    }
    let generated = generate(hosts)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_file(&written.ca_cert, &generated.ca_cert, 0o644)?;
    write_file(&written.ca_key, &generated.ca_key, 0o600)?;
    write_file(&written.server_chain, &generated.server_chain, 0o644)?;
    write_file(&written.server_key, &generated.server_key, 0o600)?;
    Ok(written)
}

fn write_file(path: &Path, contents: &str, mode: u32) -> anyhow::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

/// What to tell the school's IT after writing: how each kind of device trusts the CA, and how
/// to start the relay with the certificate.
pub fn instructions(host: &str, written: &Written) -> String {
    let ca = written.ca_cert.display();
    format!(
        "Wrote a local certificate authority and a certificate for {host}:
  {ca}  the CA: install it on every device (it is not secret)
  {ca_key}  the CA's key: keep it secret, offline if you can
  {chain}  and {key}: the relay's certificate and key

Start the relay with them (devices must reach it as https://{host}/; port 443 needs root or
CAP_NET_BIND_SERVICE, any other port works with :PORT in the address):
  tandem serve --addr 0.0.0.0:443 --tls-cert {chain} --tls-key {key} --http-redirect-addr 0.0.0.0:80

Then trust the CA on each device (copy {ca} to it by email, USB or a web link):
  iPad / iPhone: open the file and allow the profile download; Settings > General > VPN & Device
    Management > the Tandem profile > Install; then Settings > General > About > Certificate Trust
    Settings > turn on full trust for \"Tandem local CA\".
  Android: Settings > Security (or Security & privacy) > More security settings > Encryption &
    credentials > Install a certificate > CA certificate > choose the file.
  Chromebook: Settings > Privacy and security > Security > Manage certificates > Authorities >
    Import > choose the file > tick \"Trust this certificate for identifying websites\".
  Managed devices: push {ca} as a trusted root through your MDM or the Google Admin console
    (Devices > Networks > Certificates) instead.
The CA can only vouch for {host}, so trusting it lets no one impersonate other sites.
",
        ca_key = written.ca_key.display(),
        chain = written.server_chain.display(),
        key = written.server_key.display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_certificate_is_for_the_host_and_signed_by_a_ca_limited_to_it() {
        use rustls::{
            RootCertStore,
            client::{WebPkiServerVerifier, danger::ServerCertVerifier},
            pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject},
        };
        let generated = generate(&["tandem.school.test".to_owned()]).unwrap();
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let certified = crate::tls::certs::certified_key(
            &provider,
            generated.server_chain.as_bytes(),
            generated.server_key.as_bytes(),
        )
        .unwrap();
        let ca = CertificateDer::from_pem_slice(generated.ca_cert.as_bytes()).unwrap();
        let mut roots = RootCertStore::empty();
        roots.add(ca.clone()).unwrap();
        let verifier = WebPkiServerVerifier::builder_with_provider(roots.into(), provider).build().unwrap();
        let leaf = certified.end_entity_cert().unwrap();
        let verify = |name: &'static str| {
            verifier.verify_server_cert(leaf, &[], &ServerName::try_from(name).unwrap(), &[], UnixTime::now())
        };
        verify("tandem.school.test").expect("a device trusting the CA trusts the relay");
        assert!(verify("other.school.test").is_err(), "the certificate is for its host only");

        let (_, ca) = x509_parser::parse_x509_certificate(&ca).unwrap();
        let constraints = ca.name_constraints().unwrap().unwrap().value;
        let permitted = constraints.permitted_subtrees.as_ref().unwrap();
        assert_eq!(format!("{:?}", permitted[0].base), r#"DNSName("tandem.school.test")"#);
    }
}
