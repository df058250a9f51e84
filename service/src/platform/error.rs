//! The one error type of the services, and the HTTP status each kind maps to.

use sea_orm::DbErr;

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    /// A field failed validation: the field is named in the message.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("too many attempts, retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// Over a cap on what may be pending at once (e.g. scans waiting to be read): 429 with this reason.
    #[error("{0}")]
    TooMany(String),
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation { field: field.into(), message: message.into() }
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("{what} not found"))
    }

    /// The HTTP status code this error maps to.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Unauthorized(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::PayloadTooLarge(_) => 413,
            AppError::Validation { .. } => 422,
            AppError::RateLimited { .. } | AppError::TooMany(_) => 429,
            AppError::Internal(_) => 500,
        }
    }
}

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        // Classified by the database's error code (SQLite 1555/2067, PostgreSQL 23505), not by
        // the driver's message text.
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = e.sql_err() {
            return AppError::Conflict("a record with this value already exists".into());
        }
        let text = e.to_string();
        tracing::error!(error = %text, "database error");
        AppError::Internal(text)
    }
}

/// An environment variable the process cannot use: its name and what is wrong or expected
/// ("CARDCRM_MAINTENANCE_INTERVAL is invalid: '5s' (at least 60s, e.g. 1h)").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} is invalid: {why}")]
pub struct EnvError {
    pub name: &'static str,
    pub why: String,
}

impl EnvError {
    pub fn new(name: &'static str, why: impl Into<String>) -> Self {
        EnvError { name, why: why.into() }
    }
}
