//! The one typed configuration, read from the environment (and `.env`). See `.env.example`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    pub production: bool,
    pub site_addr: SocketAddr,
    pub database_url: String,
    pub data_dir: PathBuf,
    /// Folder with the OCR model files (`CARDCRM_MODELS_DIR`, default `./models`), filled by
    /// `scripts/fetch-models.sh`.
    pub models_dir: PathBuf,
    /// Folder of the embedded contact index the search box asks first (`CARDCRM_SEARCH_INDEX`,
    /// default `<data_dir>/search-index`; `off` for none: every search reads the database).
    pub search_index: Option<PathBuf>,
    /// Secret for signing access tokens; never has a default (see [`Config::jwt_secret`]).
    jwt_secret: Option<String>,
    pub cookie_secure: bool,
    pub cors_origins: Vec<String>,
    pub max_body_bytes: usize,
    /// JSON log lines (`LOG_FORMAT=json`, or `LOG_JSON=true`; the default in production).
    pub log_json: bool,
    /// Served over HTTPS (directly or by a proxy): send HSTS (`CARDCRM_BEHIND_TLS`, default `COOKIE_SECURE`).
    pub behind_tls: bool,
    /// Bearer token `/metrics` requires (`METRICS_TOKEN`); open when unset, which production refuses.
    pub metrics_token: Option<String>,
    /// The address people use (`CARDCRM_PUBLIC_URL`, e.g. `https://crm.example.com`): its host is
    /// accepted as this site's `Origin` when a proxy rewrites the `Host` header.
    pub public_url: Option<String>,
    /// Count requests in the Prometheus metrics (`METRICS_ENABLED`, default true).
    pub metrics_enabled: bool,
    /// One log line per request with status and latency (`ACCESS_LOG`, default false: nginx in front
    /// logs every request with the same request id, and this line costs ~6 µs a request).
    pub access_log: bool,
    /// Shared Redis (`REDIS_URL`): rate limits across instances.
    pub redis_url: Option<String>,
    pub rate_limits: RateLimits,
    /// Peers whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`, comma-separated IPs or CIDRs).
    pub trusted_proxies: Vec<IpNet>,
}

/// A limit of `max` requests per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    const fn per_minute(max: u32) -> Option<Limit> {
        Some(Limit { max, window: Duration::from_secs(60) })
    }

    /// `N/WINDOW` with the window in seconds or with a unit: `30/60`, `30/1m`, `10/1h`, `5/30s`;
    /// `off` (or `0`) for no limit.
    pub fn parse(v: &str) -> Result<Option<Limit>, String> {
        let v = v.trim();
        if v.eq_ignore_ascii_case("off") || v == "0" {
            return Ok(None);
        }
        let (n, w) = v.split_once('/').ok_or("expected N/WINDOW such as 30/1m, or off")?;
        let max: u32 = n.trim().parse().map_err(|_| format!("'{n}' is not a count"))?;
        let w = w.trim();
        let (num, unit) = match w.find(|c: char| !c.is_ascii_digit()) {
            Some(i) => (&w[..i], &w[i..]),
            None => (w, "s"),
        };
        let num: u64 = if num.is_empty() { 1 } else { num.parse().map_err(|_| format!("'{w}' is not a window"))? };
        let secs = match unit {
            "s" => num,
            "m" => num * 60,
            "h" => num * 3600,
            "d" => num * 86400,
            other => return Err(format!("unknown unit '{other}' (use s, m, h or d)")),
        };
        if max == 0 || secs == 0 {
            return Ok(None);
        }
        Ok(Some(Limit { max, window: Duration::from_secs(secs) }))
    }
}

/// Request limits per endpoint class, each per client IP and per signed-in user
/// (`RATE_LIMIT_<CLASS>_PER_IP` / `_PER_USER`; `RATE_LIMITS=off` disables them all).
/// Failed logins are throttled separately by the service (5 per name, 20 per IP in 5 minutes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    pub enabled: bool,
    pub login_per_ip: Option<Limit>,
    pub register_per_ip: Option<Limit>,
    pub upload_per_ip: Option<Limit>,
    pub upload_per_user: Option<Limit>,
    pub api_per_ip: Option<Limit>,
    pub api_per_user: Option<Limit>,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            login_per_ip: Limit::per_minute(30),
            register_per_ip: Some(Limit { max: 10, window: Duration::from_secs(3600) }),
            upload_per_ip: Limit::per_minute(120),
            upload_per_user: Limit::per_minute(60),
            api_per_ip: Limit::per_minute(3000),
            api_per_user: Limit::per_minute(1200),
        }
    }
}

impl RateLimits {
    fn from_env() -> Result<Self, ConfigError> {
        let mut l = RateLimits { enabled: flag("RATE_LIMITS", true), ..RateLimits::default() };
        let fields: [(&'static str, &mut Option<Limit>); 6] = [
            ("RATE_LIMIT_LOGIN_PER_IP", &mut l.login_per_ip),
            ("RATE_LIMIT_REGISTER_PER_IP", &mut l.register_per_ip),
            ("RATE_LIMIT_UPLOAD_PER_IP", &mut l.upload_per_ip),
            ("RATE_LIMIT_UPLOAD_PER_USER", &mut l.upload_per_user),
            ("RATE_LIMIT_API_PER_IP", &mut l.api_per_ip),
            ("RATE_LIMIT_API_PER_USER", &mut l.api_per_user),
        ];
        for (name, slot) in fields {
            if let Some(v) = var(name) {
                *slot = Limit::parse(&v).map_err(|why| ConfigError::Invalid { name, why })?;
            }
        }
        Ok(l)
    }
}

/// An IP network (`10.0.0.0/8`, `fd00::/8`) or a single address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(s: &str) -> Result<IpNet, String> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().map_err(|_| format!("'{a}' is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max).ok_or(format!("'/{p}' is not a prefix"))?,
            None => max,
        };
        Ok(IpNet { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        fn bits(ip: IpAddr) -> u128 {
            match ip {
                IpAddr::V4(v) => u32::from(v) as u128,
                IpAddr::V6(v) => u128::from(v),
            }
        }
        let ip = match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => return false,
            },
            (IpAddr::V6(_), IpAddr::V4(_)) => return false,
            _ => ip,
        };
        let width = if ip.is_ipv4() { 32 } else { 128 };
        if self.prefix == 0 {
            return true;
        }
        let shift = width - self.prefix as u32;
        bits(self.addr) >> shift == bits(ip) >> shift
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is invalid: {why}")]
    Invalid { name: &'static str, why: String },
    #[error("{0} must be set in production (CARDCRM_ENV=production); see .env.example")]
    Missing(&'static str),
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn flag(name: &str, default: bool) -> bool {
    var(name).map(|v| matches!(v.to_lowercase().as_str(), "1" | "true" | "yes" | "on")).unwrap_or(default)
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let production = var("CARDCRM_ENV").map(|v| v.eq_ignore_ascii_case("production")).unwrap_or(false);
        let site_addr = var("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|e| ConfigError::Invalid { name: "LEPTOS_SITE_ADDR", why: format!("{e}") })?;
        let data_dir = PathBuf::from(var("CARDCRM_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let models_dir = PathBuf::from(var("CARDCRM_MODELS_DIR").unwrap_or_else(|| "./models".into()));
        let search_index = match var("CARDCRM_SEARCH_INDEX") {
            Some(v) if ["off", "0", "false", "no"].iter().any(|o| v.trim().eq_ignore_ascii_case(o)) => None,
            Some(v) => Some(PathBuf::from(v)),
            None => Some(data_dir.join("search-index")),
        };
        let database_url =
            var("DATABASE_URL").unwrap_or_else(|| format!("sqlite://{}", data_dir.join("cardcrm.db").display()));
        let jwt_secret = var("JWT_SECRET");
        if let Some(s) = &jwt_secret {
            if s.len() < 32 {
                return Err(ConfigError::Invalid { name: "JWT_SECRET", why: "must be at least 32 characters".into() });
            }
        }
        if production && jwt_secret.is_none() {
            return Err(ConfigError::Missing("JWT_SECRET"));
        }
        let metrics_token = var("METRICS_TOKEN");
        if let Some(t) = &metrics_token {
            if t.len() < 16 {
                return Err(ConfigError::Invalid {
                    name: "METRICS_TOKEN",
                    why: "must be at least 16 characters".into(),
                });
            }
        }
        // Production never serves its metrics (user counts, routes, timings) to anyone who asks.
        if production && metrics_token.is_none() {
            return Err(ConfigError::Missing("METRICS_TOKEN"));
        }
        let public_url = var("CARDCRM_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string());
        if let Some(u) = &public_url {
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                return Err(ConfigError::Invalid {
                    name: "CARDCRM_PUBLIC_URL",
                    why: "must start with https:// (or http:// for a local set-up)".into(),
                });
            }
        }
        let max_body_bytes = var("CARDCRM_MAX_BODY_BYTES")
            .map(|v| {
                v.parse().map_err(|e| ConfigError::Invalid { name: "CARDCRM_MAX_BODY_BYTES", why: format!("{e}") })
            })
            .transpose()?
            .unwrap_or(1024 * 1024);
        Ok(Config {
            production,
            site_addr,
            database_url,
            data_dir,
            models_dir,
            search_index,
            jwt_secret,
            cookie_secure: flag("COOKIE_SECURE", production),
            cors_origins: var("CORS_ORIGINS")
                .map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default(),
            max_body_bytes,
            log_json: match var("LOG_FORMAT").map(|v| v.to_lowercase()) {
                Some(f) if f == "json" => true,
                Some(f) if f == "text" || f == "pretty" => false,
                Some(f) => {
                    return Err(ConfigError::Invalid { name: "LOG_FORMAT", why: format!("'{f}': use json or text") })
                }
                None => flag("LOG_JSON", production),
            },
            behind_tls: flag("CARDCRM_BEHIND_TLS", flag("COOKIE_SECURE", production)),
            metrics_token,
            public_url,
            metrics_enabled: flag("METRICS_ENABLED", true),
            access_log: flag("ACCESS_LOG", false),
            redis_url: var("REDIS_URL"),
            rate_limits: RateLimits::from_env()?,
            trusted_proxies: var("TRUSTED_PROXIES")
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| IpNet::parse(s).map_err(|why| ConfigError::Invalid { name: "TRUSTED_PROXIES", why }))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?
                .unwrap_or_default(),
        })
    }

    /// The token-signing secret: `JWT_SECRET`, or (outside production) a random secret generated
    /// once and kept in `<data dir>/jwt_secret` so restarts do not sign everyone out.
    pub fn jwt_secret(&self) -> std::io::Result<Vec<u8>> {
        if let Some(s) = &self.jwt_secret {
            return Ok(s.as_bytes().to_vec());
        }
        let path = self.data_dir.join("jwt_secret");
        if let Ok(s) = std::fs::read_to_string(&path) {
            if s.trim().len() >= 32 {
                return Ok(s.trim().as_bytes().to_vec());
            }
        }
        std::fs::create_dir_all(&self.data_dir)?;
        let mut raw = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut raw);
        let secret = hex::encode(raw);
        std::fs::write(&path, &secret)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(secret.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse() {
        assert_eq!(Limit::parse("30/1m").unwrap(), Some(Limit { max: 30, window: Duration::from_secs(60) }));
        assert_eq!(Limit::parse("10/3600").unwrap(), Some(Limit { max: 10, window: Duration::from_secs(3600) }));
        assert_eq!(Limit::parse("5/h").unwrap(), Some(Limit { max: 5, window: Duration::from_secs(3600) }));
        assert_eq!(Limit::parse("off").unwrap(), None);
        assert!(Limit::parse("ten/1m").is_err());
        assert!(Limit::parse("10/1w").is_err());
        assert!(Limit::parse("10").is_err());
    }

    #[test]
    fn networks() {
        let n = IpNet::parse("172.16.0.0/12").unwrap();
        assert!(n.contains("172.20.1.2".parse().unwrap()));
        assert!(!n.contains("172.32.0.1".parse().unwrap()));
        assert!(n.contains("::ffff:172.16.0.9".parse().unwrap()));
        let one = IpNet::parse("127.0.0.1").unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        assert!(IpNet::parse("fd00::/8").unwrap().contains("fd12::1".parse().unwrap()));
        assert!(IpNet::parse("10.0.0.0/40").is_err());
        assert!(IpNet::parse("nope").is_err());
    }
}
