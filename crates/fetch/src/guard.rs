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
//!
//! Both ask one [`AddressPolicy`]: the forbidden ranges of [`check_ip`], minus
//! the networks an administrator allowed (an intranet feed server), or nothing
//! at all when private networks are allowed outright.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use crate::error::FetchError;

/// Range name of the cloud metadata services (`169.254.169.254`, AWS's
/// `fd00:ec2::254`): refused even when an allowed network covers them.
const CLOUD_METADATA: &str = "cloud metadata";

/// The guard's settings: which addresses a fetch may connect to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Turn the guard off: every address is allowed (tests, trusted setups).
    pub allow_private_networks: bool,
    /// Networks allowed although [`check_ip`] refuses them (e.g. an intranet
    /// `10.1.0.0/16`). Everything else private stays refused, and so do the
    /// cloud metadata addresses even when a network listed here covers them.
    pub allowed_networks: Vec<IpNet>,
}

impl AddressPolicy {
    /// `Ok` when `ip` may be connected to, else the name of the forbidden
    /// range it is in (as [`check_ip`] names it).
    ///
    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is matched against the
    /// allowed networks as the IPv4 address it is.
    pub fn check(&self, ip: IpAddr) -> Result<(), &'static str> {
        if self.allow_private_networks {
            return Ok(());
        }
        let Err(range) = check_ip(ip) else {
            return Ok(());
        };
        if range == CLOUD_METADATA {
            return Err(range);
        }
        let canonical = ip.to_canonical();
        if self
            .allowed_networks
            .iter()
            .any(|net| net.contains(&ip) || net.contains(&canonical))
        {
            return Ok(());
        }
        Err(range)
    }
}

/// Check one address against the forbidden ranges.
///
/// Returns `Err(range name)` for loopback, private (RFC 1918), unique local,
/// link-local, cloud metadata (`169.254.169.254`, `fd00:ec2::254`, named on
/// their own although they are link-local and unique local), carrier-grade NAT, multicast,
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
        (169, 254, 169) if ip.octets()[3] == 254 => CLOUD_METADATA,
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
    // AWS's IPv6 instance metadata endpoint, fd00:ec2::254.
    if s == [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254] {
        return Err(CLOUD_METADATA);
    }
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
/// Host names are not resolved here; the client's guarded DNS resolver checks what they
/// resolve to when the connection is made. Same as [`check_target_with`]
/// with no allowed networks.
pub fn check_target(url: &Url, allow_private_networks: bool) -> Result<(), FetchError> {
    check_target_with(
        url,
        &AddressPolicy {
            allow_private_networks,
            allowed_networks: Vec::new(),
        },
    )
}

/// [`check_target`] under a full [`AddressPolicy`]: an IP-literal host must
/// pass [`AddressPolicy::check`].
pub fn check_target_with(url: &Url, policy: &AddressPolicy) -> Result<(), FetchError> {
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
    policy.check(ip).map_err(|range| FetchError::Blocked {
        url: url.clone(),
        addr: ip.to_string(),
        range,
    })
}

/// Whether `url` may be subscribed to, judged before anything is stored
/// (adding a feed without fetching it, OPML import): [`check_target_with`],
/// then, for a host name, a DNS lookup (bounded by `timeout`) whose answer
/// must hold an address the policy allows — `localhost`, or a name that
/// `/etc/hosts` or DNS maps to `10.0.0.5`, is refused here with the same
/// [`FetchError::Blocked`] a fetch would give.
///
/// A name that does not resolve now (or not within `timeout`) is not
/// refused: the feed may come back, and every fetch checks again (the
/// guarded resolver, on every hop), so this is a courtesy to the user, who
/// learns at once why a feed will never work, not the guard itself.
pub async fn check_destination(
    url: &Url,
    policy: &AddressPolicy,
    timeout: std::time::Duration,
) -> Result<(), FetchError> {
    check_target_with(url, policy)?;
    if policy.allow_private_networks {
        return Ok(());
    }
    let Some(Host::Domain(host)) = url.host() else {
        return Ok(());
    };
    let lookup = tokio::time::timeout(timeout, tokio::net::lookup_host((host, 0))).await;
    let Ok(Ok(addrs)) = lookup else {
        return Ok(());
    };
    match filter_addrs(host, addrs.collect(), policy) {
        Err(ResolveError::Blocked { addr, range, .. }) => Err(FetchError::Blocked {
            url: url.clone(),
            addr: addr.to_string(),
            range,
        }),
        _ => Ok(()),
    }
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
/// the blocking pool) and keeps only the addresses the [`AddressPolicy`]
/// allows, failing with [`ResolveError::Blocked`] when none is left.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver {
    pub(crate) policy: Arc<AddressPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            // Port 0: reqwest replaces it with the URL's port.
            let lookup = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map(|addrs| addrs.collect::<Vec<SocketAddr>>());
            let resolved = match lookup {
                Ok(resolved) => resolved,
                Err(source) => return Err(ResolveError::Lookup { host, source }.into()),
            };
            let addrs = filter_addrs(&host, resolved, &policy)?;
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The resolver's policy, apart from the lookup so it can be tested.
fn filter_addrs(
    host: &str,
    resolved: Vec<SocketAddr>,
    policy: &AddressPolicy,
) -> Result<Vec<SocketAddr>, ResolveError> {
    let Some(first) = resolved.first().copied() else {
        return Err(ResolveError::NoAddresses {
            host: host.to_owned(),
        });
    };
    let allowed: Vec<SocketAddr> = resolved
        .iter()
        .copied()
        .filter(|a| policy.check(a.ip()).is_ok())
        .collect();
    if allowed.is_empty() {
        let range = policy.check(first.ip()).err().unwrap_or("forbidden");
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
            ("http://169.254.169.254/", "cloud metadata"),
            ("http://[fd00:ec2::254]/", "cloud metadata"),
            ("http://[::ffff:169.254.169.254]/", "cloud metadata"),
            ("http://169.254.1.1/", "link-local"),
            ("http://169.254.255.255/", "link-local"),
            ("http://10.255.255.255/", "private"),
            ("http://172.20.1.1/", "private"),
            ("http://192.168.255.255/", "private"),
            ("http://[fdff:ffff::1]/", "unique local"),
            ("http://[febf::1]/", "link-local"),
            ("http://100.127.255.255/", "carrier-grade NAT"),
            ("http://239.255.255.250/", "multicast"),
            ("http://[ff05::2]/", "multicast"),
            ("http://0.1.2.3/", "unspecified"),
            ("http://[::ffff:10.0.0.1]/", "private"),
            ("http://[::ffff:192.168.0.1]/", "private"),
            ("http://[::10.0.0.1]/", "private"),
            ("http://[64:ff9b::a00:1]/", "private"),
            ("http://[64:ff9b::a9fe:a9fe]/", "cloud metadata"),
            ("http://[64:ff9b::c0a8:101]/", "private"),
            ("http://[2002:0a00:0001::1]/", "private"),
            ("http://[2002:7f00:0001::]/", "loopback"),
            ("http://[2002:a9fe:a9fe::1]/", "cloud metadata"),
            ("http://[::ffff:255.255.255.255]/", "broadcast"),
            ("http://[::ffff:0.0.0.0]/", "unspecified"),
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
                assert_eq!(range, "cloud metadata");
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

        let guarded = AddressPolicy::default();
        let open = AddressPolicy {
            allow_private_networks: true,
            ..AddressPolicy::default()
        };
        let kept = filter_addrs("mixed.test", vec![private, public], &guarded).unwrap();
        assert_eq!(kept, vec![public]);

        match filter_addrs("evil.test", vec![loopback, private], &guarded) {
            Err(ResolveError::Blocked { addr, range, .. }) => {
                assert_eq!(addr, loopback.ip());
                assert_eq!(range, "loopback");
            }
            other => panic!("expected Blocked, got {other:?}"),
        }

        let all = filter_addrs("intranet.test", vec![loopback, private], &open).unwrap();
        assert_eq!(all, vec![loopback, private]);

        assert!(matches!(
            filter_addrs("empty.test", vec![], &open),
            Err(ResolveError::NoAddresses { .. })
        ));
    }

    fn allowing(nets: &[&str]) -> AddressPolicy {
        AddressPolicy {
            allow_private_networks: false,
            allowed_networks: nets.iter().map(|n| n.parse().unwrap()).collect(),
        }
    }

    #[test]
    fn allowed_networks_open_only_their_ranges() {
        let policy = allowing(&["10.1.0.0/16", "127.0.0.1/32", "fd12:3456::/32"]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        for allowed in [
            "10.1.0.1",
            "10.1.255.255",
            "127.0.0.1",
            "::ffff:127.0.0.1",
            "fd12:3456::1",
            "8.8.8.8",
        ] {
            assert_eq!(policy.check(ip(allowed)), Ok(()), "{allowed}");
        }
        for (refused, range) in [
            ("10.2.0.1", "private"),
            ("127.0.0.2", "loopback"),
            ("::1", "loopback"),
            ("fd12:3457::1", "unique local"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "cloud metadata"),
        ] {
            assert_eq!(policy.check(ip(refused)), Err(range), "{refused}");
        }
        // The cloud metadata addresses stay refused under a network that covers them.
        let link_local = allowing(&["169.254.0.0/16", "fd00::/8"]);
        assert_eq!(link_local.check(ip("169.254.1.1")), Ok(()));
        assert_eq!(link_local.check(ip("fd00::1")), Ok(()));
        assert_eq!(
            link_local.check(ip("169.254.169.254")),
            Err("cloud metadata")
        );
        assert_eq!(link_local.check(ip("fd00:ec2::254")), Err("cloud metadata"));
        // Turning the guard off allows everything.
        let open = AddressPolicy {
            allow_private_networks: true,
            ..link_local
        };
        assert_eq!(open.check(ip("169.254.169.254")), Ok(()));
    }

    #[test]
    fn allowed_networks_apply_to_literals_and_resolved_names() {
        let policy = allowing(&["10.0.0.0/8"]);
        let intranet = Url::parse("http://10.9.8.7:8080/feed").unwrap();
        assert!(check_target_with(&intranet, &policy).is_ok());
        assert!(check_target(&intranet, false).is_err());
        let other = Url::parse("http://192.168.0.1/feed").unwrap();
        assert!(matches!(
            check_target_with(&other, &policy),
            Err(FetchError::Blocked {
                range: "private",
                ..
            })
        ));

        let inside: SocketAddr = "10.0.0.5:0".parse().unwrap();
        let outside: SocketAddr = "192.168.0.5:0".parse().unwrap();
        assert_eq!(
            filter_addrs("intranet.test", vec![outside, inside], &policy).unwrap(),
            vec![inside]
        );
        assert!(matches!(
            filter_addrs("home.test", vec![outside], &policy),
            Err(ResolveError::Blocked {
                range: "private",
                ..
            })
        ));
    }
}
