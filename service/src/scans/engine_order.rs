//! Which OCR engines read a card, in which order: the administrator's setting, checked against
//! the engines this build has and Google Cloud Vision when configured ([`super::vision`]).

use crate::platform::settings;
use crate::{AppError, AppResult, Services};

/// Setting key of the OCR engine order (a JSON array of engine names).
pub const OCR_ENGINE_ORDER: &str = "ocr_engine_order";

/// The OCR engine order (setting, else the build's default order).
pub async fn ocr_engine_order(svc: &Services) -> AppResult<Vec<String>> {
    let stored =
        settings::get(svc, OCR_ENGINE_ORDER).await?.and_then(|v| serde_json::from_value::<Vec<String>>(v).ok());
    Ok(stored.unwrap_or_else(|| super::engines().iter().map(|s| s.to_string()).collect()))
}

/// Checks an engine order against the engines available now (`known`: the build's local
/// engines, and `google` when configured — [`super::vision::available_engines`]): each once, at
/// least one.
pub fn validate_engine_order(order: &[String], known: &[String]) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for e in order {
        let e = e.trim().to_lowercase();
        if !known.contains(&e) {
            let why = if e == super::vision::GOOGLE {
                "Google Cloud Vision is not configured: set GOOGLE_VISION_API_KEY or GOOGLE_VISION_CREDENTIALS first"
                    .into()
            } else {
                format!("unknown engine '{e}'")
            };
            return Err(AppError::validation("ocr_engine_order", format!("{why} (available: {})", known.join(", "))));
        }
        if out.contains(&e) {
            return Err(AppError::validation("ocr_engine_order", format!("'{e}' is listed twice")));
        }
        out.push(e);
    }
    if out.is_empty() {
        return Err(AppError::validation("ocr_engine_order", "name at least one engine"));
    }
    Ok(out)
}
