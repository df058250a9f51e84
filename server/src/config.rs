//! The one typed configuration, read from the environment (and `.env`). See `.env.example`.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Config {
    pub production: bool,
    pub site_addr: SocketAddr,
    pub database_url: String,
    pub data_dir: PathBuf,
    /// Folder with the OCR model files (`CARDCRM_MODELS_DIR`, default `./models`), filled by
    /// `scripts/fetch-models.sh`.
    pub models_dir: PathBuf,
    /// Secret for signing access tokens; never has a default (see [`Config::jwt_secret`]).
    jwt_secret: Option<String>,
    pub cookie_secure: bool,
    pub cors_origins: Vec<String>,
    pub max_body_bytes: usize,
    pub log_json: bool,
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
            jwt_secret,
            cookie_secure: flag("COOKIE_SECURE", production),
            cors_origins: var("CORS_ORIGINS")
                .map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default(),
            max_body_bytes,
            log_json: flag("LOG_JSON", production),
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
