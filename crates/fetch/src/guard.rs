//! The SSRF guard: which addresses a feed fetch may connect to.
//!
//! A feed URL is user input, and so is every `Location` a feed server sends
//! back. Without a guard, subscribing to `http://169.254.169.254/latest/…` (a
//! cloud metadata service) or to a public host that redirects to
//! `http://10.0.0.5/admin` would make the aggregator a proxy into the network
//! it runs in. The guard is applied at two places, because hyper never hands
//! IP-literal hosts to the resolver:
//!
//! * [`check_target`] on every hop, before the request: refuses hosts that are
//!   forbidden IP literals (the `url` crate has already normalized `127.1`,
//!   `0x7f000001` and `2130706433` to `127.0.0.1`).
//! * [`GuardedResolver`], the client's DNS resolver: drops forbidden addresses
//!   from every answer and fails when none is left, so a name that resolves to
//!   `127.0.0.1` (or is rebound to it later) is never connected to.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use crate::error::FetchError;

/// Check one address against the forbidden ranges.
///
/// Returns `Err(range name)` for loopback, private (RFC 1918), unique local,
/// link-local (cloud metadata included), carrier-grade NAT, multicast,
/// unspecified, broadcast, documentation, benchmarking and reserved
/// addresses. IPv6 forms that embed an IPv4 address (IPv4-mapped
/// `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96` and
/// 6to4 `2002::/16`) are judged by the embedded address, since that is where
/// the packets end up.
pub fn check_ip(ip: IpAddr) -> Result<(), &'static str> {
    match ip {
        IpAddr::V4(v4) => check_v4(v4),
        IpAddr::V6(v6) => check_v6(v6),
    }
}

fn check_v4(ip: Ipv4Addr) -> Result<(), &'static str> {
    let [a, b, c, _] = ip.octets();
    let range = match (a, b, c) {
        _ if ip.is_broadcast() => "broadcast",
        (0, _, _) => "unspecified",
        (10, _, _) => "private",
        (100, 64..=127, _) => "carrier-grade NAT",
        (127, _, _) => "loopback",
        (169, 254, _) => "link-local",
        (172, 16..=31, _) => "private",
        (192, 0, 0) => "IETF protocol assignment",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (192, 168, _) => "private",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved",
        _ => return Ok(()),
    };
    Err(range)
}

fn check_v6(ip: Ipv6Addr) -> Result<(), &'static str> {
    if ip.is_unspecified() {
        return Err("unspecified");
    }
    if ip.is_loopback() {
        return Err("loopback");
    }
    if let Some(v4) = embedded_v4(ip) {
        return check_v4(v4);
    }
    let s = ip.segments();
    let range = match s[0] {
        0xfc00..=0xfdff => "unique local",
        0xfe80..=0xfebf => "link-local",
        // Deprecated site-local (RFC 3879); still routed inside some networks.
        0xfec0..=0xfeff => "site-local",
        0xff00..=0xffff => "multicast",
        0x2001 if s[1] == 0x0db8 => "documentation",
        // 64:ff9b:1::/48, NAT64 for local use (RFC 8215).
        0x0064 if s[1] == 0xff9b && s[2] == 0x0001 => "local NAT64",
        // 100::/64, the discard prefix (RFC 6666).
        0x0100 if s[1] == 0 && s[2] == 0 && s[3] == 0 => "discard",
        _ => return Ok(()),
    };
    Err(range)
}

/// The IPv4 address an IPv6 address stands for, if it is one of the
/// translation forms.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        // ::ffff:a.b.c.d (IPv4-mapped)
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low),
        // ::a.b.c.d (IPv4-compatible, deprecated); :: and ::1 are handled before.
        [0, 0, 0, 0, 0, 0, _, _] => Some(low),
        // 64:ff9b::/96 (well-known NAT64 prefix)
        [0x0064, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        // 2002:AABB:CCDD::/48 (6to4) embeds a.b.c.d in bits 16..48.
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

/// The per-hop check, run before each request (the first one and every
/// redirect target): the scheme must be http(s), and a host that is an IP
/// literal must pass [`check_ip`] unless `allow_private_networks`.
///
/// Host names are not resolved here; [`GuardedResolver`] checks what they
/// resolve to when the connection is made.
pub fn check_target(url: &Url, allow_private_networks: bool) -> Result<(), FetchError> {
    let scheme = url.scheme();
    if scheme != "http" && scheme != "https" {
        return Err(FetchError::UnsupportedScheme {
            url: url.to_string(),
            scheme: scheme.to_owned(),
        });
    }
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(Host::Domain(_)) => return Ok(()),
        None => {
            return Err(FetchError::InvalidUrl {
                url: url.to_string(),
                reason: "the URL has no host".to_owned(),
            })
        }
    };
    if allow_private_networks {
        return Ok(());
    }
    check_ip(ip).map_err(|range| FetchError::Blocked {
        url: url.clone(),
        addr: ip.to_string(),
        range,
    })
}

/// Why [`GuardedResolver`] failed. Travels inside reqwest's error chain and is
/// found again by downcasting when the error is mapped to a [`FetchError`].
#[derive(Debug)]
pub(crate) enum ResolveError {
    /// Every address the name resolved to is in a forbidden range.
    Blocked {
        host: String,
        addr: IpAddr,
        range: &'static str,
    },
    /// The lookup itself failed (no such host, no DNS server…).
    Lookup {
        host: String,
        source: std::io::Error,
    },
    /// The lookup succeeded with no address at all.
    NoAddresses { host: String },
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::Blocked { host, addr, range } => {
                write!(
                    f,
                    "{host} resolves only to forbidden addresses ({addr} is {range})"
                )
            }
            ResolveError::Lookup { host, source } => write!(f, "cannot resolve {host}: {source}"),
            ResolveError::NoAddresses { host } => write!(f, "{host} has no address"),
        }
    }
}

impl std::error::Error for ResolveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ResolveError::Lookup { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// DNS resolver for the client: resolves with tokio (the system resolver, on
/// the blocking pool) and, unless private networks are allowed, keeps only the
/// allowed addresses, failing with [`ResolveError::Blocked`] when none is left.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GuardedResolver {
    pub(crate) allow_private_networks: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow_private = self.allow_private_networks;
        Box::pin(async move {
            // Port 0: reqwest replaces it with the URL's port.
            let lookup = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map(|addrs| addrs.collect::<Vec<SocketAddr>>());
            let resolved = match lookup {
                Ok(resolved) => resolved,
                Err(source) => return Err(ResolveError::Lookup { host, source }.into()),
            };
            let addrs = filter_addrs(&host, resolved, allow_private)?;
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The resolver's policy, apart from the lookup so it can be tested.
fn filter_addrs(
    host: &str,
    resolved: Vec<SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, ResolveError> {
    let Some(first) = resolved.first().copied() else {
        return Err(ResolveError::NoAddresses {
            host: host.to_owned(),
        });
    };
    if allow_private {
        return Ok(resolved);
    }
    let allowed: Vec<SocketAddr> = resolved
        .iter()
        .copied()
        .filter(|a| check_ip(a.ip()).is_ok())
        .collect();
    if allowed.is_empty() {
        let range = check_ip(first.ip()).err().unwrap_or("forbidden");
        return Err(ResolveError::Blocked {
            host: host.to_owned(),
            addr: first.ip(),
            range,
        });
    }
    if allowed.len() < resolved.len() {
        tracing::debug!(host, "dropped forbidden addresses from the DNS answer");
    }
    Ok(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_ip(input: &str) -> IpAddr {
        let url = Url::parse(input).unwrap();
        match url.host() {
            Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
            other => panic!("{input}: host {other:?} is not an IP literal"),
        }
    }

    #[test]
    fn blocked_addresses_name_their_range() {
        let table = [
            ("http://127.0.0.1/", "loopback"),
            ("http://127.1/", "loopback"),
            ("http://0x7f000001/", "loopback"),
            ("http://2130706433/", "loopback"),
            ("http://0177.0.0.1/", "loopback"),
            ("http://127.0.0.1./", "loopback"),
            ("http://[::1]/", "loopback"),
            ("http://[::ffff:127.0.0.1]/", "loopback"),
            ("http://[::127.0.0.1]/", "loopback"),
            ("http://[64:ff9b::7f00:1]/", "loopback"),
            ("http://[2002:c0a8:0101::1]/", "private"),
            ("http://0.0.0.0/", "unspecified"),
            ("http://[::]/", "unspecified"),
            ("http://10.0.0.1/", "private"),
            ("http://172.16.0.1/", "private"),
            ("http://172.31.255.255/", "private"),
            ("http://192.168.1.1/", "private"),
            ("http://169.254.169.254/", "link-local"),
            ("http://[fe80::1]/", "link-local"),
            ("http://[fd00::1]/", "unique local"),
            ("http://[fc00::1]/", "unique local"),
            ("http://100.64.0.1/", "carrier-grade NAT"),
            ("http://224.0.0.1/", "multicast"),
            ("http://[ff02::1]/", "multicast"),
            ("http://255.255.255.255/", "broadcast"),
            ("http://192.0.2.1/", "documentation"),
            ("http://[2001:db8::1]/", "documentation"),
            ("http://240.0.0.1/", "reserved"),
        ];
        for (input, range) in table {
            let ip = host_ip(input);
            assert_eq!(check_ip(ip), Err(range), "{input} ({ip})");
        }
    }

    #[test]
    fn url_crate_normalizes_ipv4_spellings() {
        for input in ["http://127.1/", "http://0x7f000001/", "http://2130706433/"] {
            assert_eq!(host_ip(input), IpAddr::V4(Ipv4Addr::LOCALHOST), "{input}");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for input in [
            "http://8.8.8.8/",
            "http://1.1.1.1/",
            "http://[2606:4700::1111]/",
            "http://172.32.0.1/",
            "http://100.128.0.1/",
            "http://[::ffff:8.8.8.8]/",
            "http://[2002:0808:0808::1]/",
        ] {
            let ip = host_ip(input);
            assert_eq!(check_ip(ip), Ok(()), "{input} ({ip})");
        }
    }

    #[test]
    fn hop_check_blocks_ip_literals_unless_allowed() {
        // A redirect from a public host to the metadata service is a hop like any other.
        let metadata = Url::parse("http://169.254.169.254/latest/meta-data/").unwrap();
        match check_target(&metadata, false) {
            Err(FetchError::Blocked { addr, range, .. }) => {
                assert_eq!(addr, "169.254.169.254");
                assert_eq!(range, "link-local");
            }
            other => panic!("expected Blocked, got {other:?}"),
        }
        assert!(check_target(&metadata, true).is_ok());

        let v6 = Url::parse("https://[::ffff:10.0.0.1]:8443/feed").unwrap();
        assert!(matches!(
            check_target(&v6, false),
            Err(FetchError::Blocked {
                range: "private",
                ..
            })
        ));

        // Names are left to the resolver.
        let named = Url::parse("http://example.com/feed").unwrap();
        assert!(check_target(&named, false).is_ok());
        let public = Url::parse("http://8.8.8.8/feed").unwrap();
        assert!(check_target(&public, false).is_ok());
    }

    #[test]
    fn hop_check_refuses_other_schemes() {
        let ftp = Url::parse("ftp://example.com/feed").unwrap();
        assert!(matches!(
            check_target(&ftp, true),
            Err(FetchError::UnsupportedScheme { scheme, .. }) if scheme == "ftp"
        ));
    }

    #[test]
    fn resolver_keeps_only_allowed_addresses() {
        let public: SocketAddr = "93.184.216.34:0".parse().unwrap();
        let private: SocketAddr = "10.1.2.3:0".parse().unwrap();
        let loopback: SocketAddr = "[::1]:0".parse().unwrap();

        let kept = filter_addrs("mixed.test", vec![private, public], false).unwrap();
        assert_eq!(kept, vec![public]);

        match filter_addrs("evil.test", vec![loopback, private], false) {
            Err(ResolveError::Blocked { addr, range, .. }) => {
                assert_eq!(addr, loopback.ip());
                assert_eq!(range, "loopback");
            }
            other => panic!("expected Blocked, got {other:?}"),
        }

        let all = filter_addrs("intranet.test", vec![loopback, private], true).unwrap();
        assert_eq!(all, vec![loopback, private]);

        assert!(matches!(
            filter_addrs("empty.test", vec![], true),
            Err(ResolveError::NoAddresses { .. })
        ));
    }
}
