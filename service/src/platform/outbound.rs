//! Where cardcrm may send a request it makes on its own (the bots' API calls and downloads, the
//! Google Vision engine): the rule for a URL a secret is sent to ([`outbound_url_rule`],
//! [`check_outbound_url`]) and the DNS resolver of those HTTP clients ([`PublicOnly`]), which
//! keeps only public addresses, so a name that resolves (or is rebound) to this machine or a
//! private network never gets a token or a card photo — unless the operator allows the host in
//! [`ALLOW_HOSTS_ENV`].

/// Hosts the operator allows the bots to call although they are plain `http://`, private,
/// loopback or link-local (a local Bot API server, a test fake): comma-separated `host` (any
/// port) or `host:port` (`127.0.0.1:8081`, `[::1]:8081`, `bot-api.internal:8081`).
pub const ALLOW_HOSTS_ENV: &str = "CARDCRM_INTEGRATION_ALLOW_HOSTS";

/// A variable of the environment, trimmed; `None` when unset or blank.
pub(crate) fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// One `CARDCRM_INTEGRATION_ALLOW_HOSTS` entry: host (lowercase, IPv6 without brackets) and port.
fn parse_allow_entry(e: &str) -> Option<(String, Option<u16>)> {
    let e = e.trim();
    if e.is_empty() {
        return None;
    }
    if let Some(rest) = e.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None => None,
        };
        return Some((h.to_lowercase(), port));
    }
    match e.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some((h.to_lowercase(), Some(p.parse().ok()?))),
        _ => Some((e.to_lowercase(), None)),
    }
}

fn allowed_hosts() -> Vec<(String, Option<u16>)> {
    env_value(ALLOW_HOSTS_ENV).map(|v| v.split(',').filter_map(parse_allow_entry).collect()).unwrap_or_default()
}

/// The host of a URL as the allow-list writes it.
fn host_key(host: &url::Host<&str>) -> String {
    match host {
        url::Host::Domain(d) => d.trim_end_matches('.').to_lowercase(),
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => ip.to_string(),
    }
}

/// Whether the operator allowed `host` (and `port`, when the entry names one).
fn host_allowed(host: &str, port: Option<u16>) -> bool {
    allowed_hosts().iter().any(|(h, p)| h == host && (p.is_none() || *p == port))
}

/// Whether DNS answers for `name` may be used whatever the address: the name is allowed in
/// `CARDCRM_INTEGRATION_ALLOW_HOSTS` (any port), or is the host of an API base the operator set
/// in the environment (`TELEGRAM_API_BASE`, `WHATSAPP_API_BASE`).
pub fn host_trusted(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_lowercase();
    if allowed_hosts().iter().any(|(h, _)| *h == name) {
        return true;
    }
    ["TELEGRAM_API_BASE", "WHATSAPP_API_BASE", "GOOGLE_VISION_API_BASE", "GOOGLE_VISION_TOKEN_URL"]
        .iter()
        .filter_map(|v| env_value(v))
        .any(|base| url::Url::parse(&base).ok().and_then(|u| u.host().map(|h| host_key(&h))).is_some_and(|h| h == name))
}

/// Whether an address is a public unicast one: not private (10/8, 172.16/12, 192.168/16,
/// fc00::/7), loopback, link-local (169.254/16, fe80::/10), shared (100.64/10), unspecified,
/// broadcast, multicast, documentation, benchmarking or reserved; IPv4 inside IPv6 (mapped,
/// NAT64) is judged as IPv4.
pub fn is_public_ip(ip: std::net::IpAddr) -> bool {
    use std::net::{IpAddr, Ipv4Addr};
    fn v4(ip: Ipv4Addr) -> bool {
        let [a, b, c, _] = ip.octets();
        !(ip.is_private()
            || ip.is_loopback()
            || ip.is_link_local()
            || ip.is_unspecified()
            || ip.is_broadcast()
            || ip.is_multicast()
            || ip.is_documentation()
            || a == 0
            || (a == 100 && (64..128).contains(&b))
            || (a == 192 && b == 0 && c == 0)
            || (a == 198 && (b == 18 || b == 19))
            || a >= 240)
    }
    match ip {
        IpAddr::V4(ip) => v4(ip),
        IpAddr::V6(ip) => {
            if let Some(m) = ip.to_ipv4_mapped() {
                return v4(m);
            }
            let s = ip.segments();
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                let o = ip.octets();
                return v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            }
            !(ip.is_loopback()
                || ip.is_unspecified()
                || ip.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || s[0] == 0x0100
                || (s[0] == 0 && s[1..6] == [0, 0, 0, 0, 0]))
        }
    }
}

/// Why a URL is not sent a secret ([`outbound_url_rule`], [`check_outbound_url`]). The text
/// completes a sentence that names the URL: "the stored TELEGRAM_API_BASE {why}".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("is not a URL ({0})")]
    NotUrl(url::ParseError),
    #[error("has no host")]
    NoHost,
    /// An allowed host, but neither `https://` nor `http://`.
    #[error("must be an https:// URL")]
    NotHttpAllowed,
    #[error("must be an https:// URL (plain http only for hosts allowed in {allow})", allow = ALLOW_HOSTS_ENV)]
    NotHttps,
    #[error("must not contain a user name or password")]
    Credentials,
    /// The host is `localhost` or a non-public address (`what` says which).
    #[error(
        "points to {what} ({host}); the bot token is not sent there unless the operator allows the host in \
         {allow}",
        allow = ALLOW_HOSTS_ENV
    )]
    Private { what: &'static str, host: String },
    /// The host name resolves to a non-public address.
    #[error(
        "{name} resolves to {addr}, a private, loopback or link-local address; the bot token is not sent \
         there unless the operator allows the host in {allow}",
        allow = ALLOW_HOSTS_ENV
    )]
    ResolvesPrivate { name: String, addr: std::net::IpAddr },
}

/// The rule for a URL a bot token (or a downloaded file's bearer token) is sent to, without DNS:
/// `https://`, no user name or password in it, and a host that is not `localhost` nor a
/// non-public address (see [`is_public_ip`]) — unless the host (and port) is in
/// `CARDCRM_INTEGRATION_ALLOW_HOSTS`, which also allows `http://`. Answers the host name to resolve
/// (for [`check_outbound_url`]) when it is a name that is not allowed outright.
pub fn outbound_url_rule(url: &str) -> Result<Option<String>, Refused> {
    let u = url::Url::parse(url.trim()).map_err(Refused::NotUrl)?;
    let host = u.host().ok_or(Refused::NoHost)?;
    let key = host_key(&host);
    if host_allowed(&key, u.port_or_known_default()) {
        return if matches!(u.scheme(), "https" | "http") { Ok(None) } else { Err(Refused::NotHttpAllowed) };
    }
    if u.scheme() != "https" {
        return Err(Refused::NotHttps);
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(Refused::Credentials);
    }
    let private = |what: &'static str| Refused::Private { what, host: key.clone() };
    match host {
        url::Host::Ipv4(ip) if !is_public_ip(ip.into()) => Err(private("a private, loopback or link-local address")),
        url::Host::Ipv6(ip) if !is_public_ip(ip.into()) => Err(private("a private, loopback or link-local address")),
        url::Host::Domain(_) if key == "localhost" || key.ends_with(".localhost") => Err(private("this machine")),
        url::Host::Domain(_) => Ok(Some(key)),
        _ => Ok(None),
    }
}

/// [`outbound_url_rule`], and a host name must not resolve to a non-public address. A name that
/// does not resolve now is accepted (the HTTP client of the bots checks every address it connects
/// to again, see `server::webhooks::http_client`).
pub async fn check_outbound_url(url: &str) -> Result<(), Refused> {
    let Some(name) = outbound_url_rule(url)? else { return Ok(()) };
    if host_trusted(&name) {
        return Ok(());
    }
    let lookup = tokio::time::timeout(std::time::Duration::from_secs(5), tokio::net::lookup_host((name.as_str(), 443)));
    if let Ok(Ok(addrs)) = lookup.await {
        if let Some(a) = addrs.map(|a| a.ip()).find(|ip| !is_public_ip(*ip)) {
            return Err(Refused::ResolvesPrivate { name: name.clone(), addr: a });
        }
    }
    Ok(())
}

/// A DNS resolver for `reqwest` (async and blocking clients) that keeps only public addresses
/// (see [`is_public_ip`]), unless the operator trusts the name ([`host_trusted`]). Addresses
/// written as IP literals never reach a resolver: they are checked by [`outbound_url_rule`].
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            type BoxError = Box<dyn std::error::Error + Send + Sync>;
            let addrs: Vec<std::net::SocketAddr> = match tokio::net::lookup_host((host.as_str(), 0)).await {
                Ok(a) => a.collect(),
                Err(e) => return Err::<reqwest::dns::Addrs, BoxError>(Box::new(e)),
            };
            if host_trusted(&host) {
                return Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs);
            }
            let public: Vec<std::net::SocketAddr> = addrs.into_iter().filter(|a| is_public_ip(a.ip())).collect();
            if public.is_empty() {
                return Err(format!(
                    "{host} resolves only to private, loopback or link-local addresses (not used unless allowed in \
                     {ALLOW_HOSTS_ENV})"
                )
                .into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_hosts_get_a_token() {
        // No allow-list in unit tests (the variable is not set by `cargo test -p service`).
        if std::env::var(ALLOW_HOSTS_ENV).is_ok() {
            return;
        }
        assert_eq!(outbound_url_rule("https://api.telegram.org"), Ok(Some("api.telegram.org".into())));
        assert_eq!(outbound_url_rule("https://8.8.8.8/bot"), Ok(None));
        for bad in [
            "http://api.telegram.org",
            "ftp://api.telegram.org",
            "https://127.0.0.1:8081",
            "https://10.1.2.3",
            "https://172.16.0.1",
            "https://192.168.1.1",
            "https://169.254.169.254/latest",
            "https://100.64.0.1",
            "https://0.0.0.0",
            "https://[::1]",
            "https://[fe80::1]",
            "https://[fd00::1]",
            "https://[::ffff:127.0.0.1]",
            "https://2130706433",
            "https://0x7f.1",
            "https://localhost:8443",
            "https://bot.localhost",
            "https://user:pw@api.telegram.org",
            "not a url",
        ] {
            assert!(outbound_url_rule(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn allow_list_entries() {
        assert_eq!(parse_allow_entry("127.0.0.1:8081"), Some(("127.0.0.1".into(), Some(8081))));
        assert_eq!(parse_allow_entry("Bot-API.internal"), Some(("bot-api.internal".into(), None)));
        assert_eq!(parse_allow_entry("[::1]:80"), Some(("::1".into(), Some(80))));
        assert_eq!(parse_allow_entry("::1"), Some(("::1".into(), None)));
        assert_eq!(parse_allow_entry("host:notaport"), None);
        assert_eq!(parse_allow_entry(" "), None);
    }

    #[test]
    fn public_addresses() {
        for ip in ["8.8.8.8", "149.154.167.220", "2001:4860:4860::8888"] {
            assert!(is_public_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in
            ["127.0.0.1", "10.0.0.1", "169.254.1.1", "::1", "fe80::1", "fc00::1", "64:ff9b::a00:1", "::ffff:10.0.0.1"]
        {
            assert!(!is_public_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn names_of_this_machine_are_not_resolved() {
        use reqwest::dns::Resolve;
        if std::env::var(ALLOW_HOSTS_ENV).is_ok() {
            return;
        }
        let name: reqwest::dns::Name = "localhost".parse().expect("name");
        assert!(PublicOnly.resolve(name).await.is_err(), "localhost resolved");
    }
}
