//! Which device a request comes from, also behind the school's reverse proxy.
//!
//! The TCP peer is the device itself unless the relay sits behind a proxy; then the peer is the
//! proxy, and only the proxy's `X-Forwarded-For` (or `Forwarded`) header names the device. Anyone
//! can send those headers, so they are believed only from peers in `--trusted-proxy` ranges, and
//! read from the right: each trusted hop vouches for the address to its left, and the first
//! address that is not a trusted proxy is the device. From any other peer the headers are ignored,
//! so a device cannot escape sign-in throttling by forging them.
//!
//! `X-Forwarded-For` wins when both headers are present: nginx and Caddy set it (and pass a
//! device's own `Forwarded` header through untouched), so `Forwarded` is read only from proxies
//! that send no `X-Forwarded-For`.

use std::{
    net::{IpAddr, SocketAddr},
    str::FromStr,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, header, request::Parts},
};

use crate::AppState;

/// A range of addresses in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.network, addr.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(a)) => prefix_matches(&net.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(a)) => prefix_matches(&net.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

fn prefix_matches(net: &[u8], addr: &[u8], prefix: u8) -> bool {
    let (full, rest) = (usize::from(prefix / 8), prefix % 8);
    net[..full] == addr[..full] && (rest == 0 || (net[full] ^ addr[full]) >> (8 - rest) == 0)
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = s.split_once('/').map_or((s, None), |(a, p)| (a, Some(p)));
        let network: IpAddr = addr.parse().map_err(|_| {
            format!("{s:?} is not an address range: write e.g. 10.0.0.5, 10.0.0.0/8 or fd00::/8")
        })?;
        let network = network.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix =
            match prefix {
                None => max,
                Some(p) => p.parse().ok().filter(|p| *p <= max).ok_or_else(|| {
                    format!("{s:?}: the part after / must be a prefix length from 0 to {max}")
                })?,
            };
        Ok(Self { network, prefix })
    }
}

/// The `--trusted-proxy` ranges; empty means forwarding headers are never believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<Cidr>);

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, addr: IpAddr) -> bool {
        self.0.iter().any(|cidr| cidr.contains(addr))
    }

    /// The device's address for a request from `peer` carrying `headers`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded_for(headers);
        // Right to left: the hop nearest the relay first. An entry that does not parse ends the
        // walk at the last address a trusted proxy vouched for.
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(addr) = hop else { break };
            client = addr.to_canonical();
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

/// Every address the forwarding headers list, in order (device first); `None` for an entry that
/// is not an address (`unknown`, an obfuscated `_name`).
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name| headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    let x_forwarded_for = values("x-forwarded-for");
    if !x_forwarded_for.is_empty() {
        return x_forwarded_for.iter().flat_map(|v| v.split(',')).map(|e| parse_node(e.trim())).collect();
    }
    values(header::FORWARDED.as_str())
        .iter()
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (key, value) = pair.trim().split_once('=')?;
                key.eq_ignore_ascii_case("for").then(|| parse_node(value.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(addr) = node.parse::<IpAddr>() {
        return Some(addr);
    }
    if let Ok(addr) = node.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    node.strip_prefix('[')?.split(']').next()?.parse().ok()
}

/// The device a request comes from, as a string for throttling keys and logs: `unknown` when the
/// server runs without connect info (tests driving the router directly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);

impl ClientAddr {
    /// The device's address for `parts` under `trusted`.
    pub fn of(parts: &Parts, trusted: &TrustedProxies) -> Self {
        Self(of_request(&parts.extensions, &parts.headers, trusted))
    }
}

/// The same, from a request's extensions and headers (for the access log's span).
pub fn of_request(
    extensions: &axum::http::Extensions,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> String {
    extensions.get::<ConnectInfo<SocketAddr>>().map_or_else(
        || "unknown".to_owned(),
        |ConnectInfo(peer)| trusted.client_ip(peer.ip(), headers).to_string(),
    )
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts, &state.trusted_proxies))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn trusted(ranges: &[&str]) -> TrustedProxies {
        TrustedProxies(ranges.iter().map(|r| r.parse().unwrap()).collect())
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_contain_what_their_prefix_covers() {
        let range: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(range.contains(ip("10.1.200.3")));
        assert!(!range.contains(ip("10.2.0.1")));
        assert!(range.contains(ip("::ffff:10.1.0.9")), "an IPv4 peer seen on an IPv6 socket");
        let odd: Cidr = "192.168.4.0/22".parse().unwrap();
        assert!(odd.contains(ip("192.168.7.255")) && !odd.contains(ip("192.168.8.0")));
        let one: Cidr = "fd00::1".parse().unwrap();
        assert!(one.contains(ip("fd00::1")) && !one.contains(ip("fd00::2")));
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains(ip("8.8.8.8")));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("tandem.school".parse::<Cidr>().is_err());
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let proxies = trusted(&["10.0.0.0/8"]);
        let forged = headers(&[("x-forwarded-for", "192.0.2.7"), ("forwarded", "for=192.0.2.8")]);
        assert_eq!(proxies.client_ip(ip("203.0.113.5"), &forged), ip("203.0.113.5"));
        assert_eq!(TrustedProxies::default().client_ip(ip("10.0.0.2"), &forged), ip("10.0.0.2"));
    }

    #[test]
    fn a_trusted_proxy_names_the_device_and_forged_entries_left_of_it_are_ignored() {
        let proxies = trusted(&["10.0.0.0/8"]);
        let one_hop = headers(&[("x-forwarded-for", "192.0.2.7")]);
        assert_eq!(proxies.client_ip(ip("10.0.0.2"), &one_hop), ip("192.0.2.7"));
        // The device sent "1.2.3.4" itself; the proxy appended the device's real address.
        let forged = headers(&[("x-forwarded-for", "1.2.3.4, 192.0.2.7")]);
        assert_eq!(proxies.client_ip(ip("10.0.0.2"), &forged), ip("192.0.2.7"));
        // Two trusted hops (a load balancer, then nginx), split over two header lines.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 192.0.2.7"), ("x-forwarded-for", "10.9.9.9")]);
        assert_eq!(proxies.client_ip(ip("10.0.0.2"), &chain), ip("192.0.2.7"));
        let garbage = headers(&[("x-forwarded-for", "not-an-address")]);
        assert_eq!(proxies.client_ip(ip("10.0.0.2"), &garbage), ip("10.0.0.2"));
    }

    #[test]
    fn forwarded_is_read_when_there_is_no_x_forwarded_for() {
        let proxies = trusted(&["127.0.0.1"]);
        let forwarded = headers(&[("forwarded", r#"for="[2001:db8::7]:4711";proto=https, for=127.0.0.1"#)]);
        assert_eq!(proxies.client_ip(ip("127.0.0.1"), &forwarded), ip("2001:db8::7"));
        let v4 = headers(&[("forwarded", "proto=https;For=192.0.2.60:5000")]);
        assert_eq!(proxies.client_ip(ip("127.0.0.1"), &v4), ip("192.0.2.60"));
        let both = headers(&[("forwarded", "for=1.2.3.4"), ("x-forwarded-for", "192.0.2.7")]);
        assert_eq!(proxies.client_ip(ip("127.0.0.1"), &both), ip("192.0.2.7"));
    }
}
