//! Google Cloud Vision as an optional OCR engine (`google`): `images:annotate` with
//! `DOCUMENT_TEXT_DETECTION`, its words turned into the [`ocr::Line`]s (one per text line, with a
//! rotated box) that the parser and the draft editor use.
//!
//! * Configured by `GOOGLE_VISION_API_KEY` (a secret) or `GOOGLE_VISION_CREDENTIALS` (a service
//!   account's key file, a secret; with `GOOGLE_VISION_TOKEN_URL`), `GOOGLE_VISION_API_BASE`
//!   (default [`crate::platform::integration_config::DEFAULT_GOOGLE_VISION_API_BASE`]) and `GOOGLE_VISION_TIMEOUT` (default 15 s), from the environment
//!   or the administrator's integration settings (see [`crate::integrations`]: the environment wins,
//!   secrets are shown masked, a stored base or token URL follows
//!   [`crate::platform::outbound::outbound_url_rule`]).
//! * Without a key or key file the engine is not offered (rerun, engine order) and never built, so no image
//!   leaves the server. With one, it is only called when `google` is in the engine order (or a
//!   rerun asks for it).
//! * Bounded: a timeout for the whole call, an upload of at most [`MAX_SIDE`] pixels a side, an
//!   answer of at most [`MAX_RESPONSE_BYTES`], at most [`MAX_LINES`] lines. Any failure (HTTP 4xx/5xx,
//!   time-out, an answer that is not the expected JSON, an error inside it) is an engine error, and
//!   [`ocr::Pipeline::read`] goes on with the next engine of the order; [`pipeline`] makes sure a
//!   local engine always follows `google`.
//! * The key travels in the `X-Goog-Api-Key` header, not in the URL, so no error message, proxy or
//!   access log carries it; a service account's access token as `Authorization: Bearer`. Errors
//!   never include the URL or the answer's body.

use crate::platform::integration_config::{self, IntegrationConfig};
use base64::Engine as _;
use ocr::{Engine, Line, OcrError, Point};
use serde::Deserialize;
use std::io::Read;
use std::time::Duration;

/// The engine's name in the engine order, reruns and `card_scans.engine`.
pub const GOOGLE: &str = "google";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest accepted `GOOGLE_VISION_TIMEOUT`.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(120);
/// Largest answer read (a dense card's answer, every letter with its box, is a few hundred KB).
pub const MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;
/// Lines kept from one answer (as many as the parser reads).
pub const MAX_LINES: usize = ocr::MAX_PARSE_LINES;
/// The card is sent at most this many pixels on its longest side (boxes are scaled back).
pub const MAX_SIDE: u32 = 3072;
/// Largest JPEG sent (Google's limit for an inline image is 10 MB of JSON; base64 adds a third).
const MAX_UPLOAD_BYTES: usize = 7 * 1024 * 1024;
const JPEG_QUALITY: u8 = 90;
/// Confidence of a word Google gives none for.
const DEFAULT_CONFIDENCE: f32 = 0.9;

/// Where and how to call the API; no secret is ever printed (see the `Debug` impls).
#[derive(Clone, PartialEq, Eq)]
pub struct VisionConfig {
    pub credentials: Credentials,
    /// Without a trailing slash; `{base}/v1/images:annotate` is called.
    pub api_base: String,
    pub timeout: Duration,
}

/// How the engine proves who it is to Google.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `GOOGLE_VISION_API_KEY`, sent in `X-Goog-Api-Key`.
    ApiKey(String),
    /// `GOOGLE_VISION_CREDENTIALS`: a service account's key; a JWT signed with it (RS256) is
    /// exchanged at the token URL for an access token, sent as `Authorization: Bearer`.
    ServiceAccount(ServiceAccount),
}

/// The parts of a service-account key file the engine uses.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    pub client_email: String,
    pub private_key_id: Option<String>,
    /// The RSA private key, PKCS#1 DER.
    key_der: Vec<u8>,
    /// Where the signed JWT is exchanged (`token_uri` of the key file, or `GOOGLE_VISION_TOKEN_URL`).
    pub token_url: String,
}

impl std::fmt::Debug for ServiceAccount {
    // Never prints the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("token_url", &self.token_url)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for VisionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let credentials = match &self.credentials {
            Credentials::ApiKey(k) => format!("api key {}", integration_config::mask(k)),
            Credentials::ServiceAccount(sa) => format!("service account {} via {}", sa.client_email, sa.token_url),
        };
        f.debug_struct("VisionConfig")
            .field("credentials", &credentials)
            .field("api_base", &self.api_base)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Google's token endpoint, when neither the key file nor `GOOGLE_VISION_TOKEN_URL` names one.
pub const DEFAULT_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-vision";

/// Reads a service-account key file (the JSON Google Cloud's console downloads): `type`
/// `service_account`, `client_email`, `private_key` (PEM, PKCS#8 or PKCS#1 RSA), optional
/// `private_key_id` and `token_uri`. The token URL is `token_url` when given, else `token_uri`,
/// else [`DEFAULT_TOKEN_URL`]. Errors never quote the key.
/// Why a service-account key file cannot be used (never quoting the key); read after the
/// setting's name ("GOOGLE_VISION_CREDENTIALS has no client_email").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFileError {
    #[error("is not a service-account key file (JSON)")]
    NotJson,
    #[error("is not a service-account key file (its type is not service_account)")]
    NotServiceAccount,
    #[error("has no client_email")]
    NoClientEmail,
    #[error("has no private_key")]
    NoPrivateKey,
    #[error("has a private_key that is not an RSA key in PEM")]
    NotRsaPem,
    #[error("has a private_key that cannot sign (RS256)")]
    CannotSign,
    #[error("names a token URL that {0}; it is not used")]
    TokenUrlRefused(crate::platform::outbound::Refused),
}

pub fn parse_service_account(json: &str, token_url: Option<&str>) -> Result<ServiceAccount, KeyFileError> {
    #[derive(Deserialize)]
    struct KeyFile {
        #[serde(rename = "type")]
        kind: Option<String>,
        client_email: Option<String>,
        private_key: Option<String>,
        private_key_id: Option<String>,
        token_uri: Option<String>,
    }
    let k: KeyFile = serde_json::from_str(json).map_err(|_| KeyFileError::NotJson)?;
    if k.kind.as_deref() != Some("service_account") {
        return Err(KeyFileError::NotServiceAccount);
    }
    let client_email = k.client_email.filter(|e| e.contains('@')).ok_or(KeyFileError::NoClientEmail)?;
    let pem = k.private_key.ok_or(KeyFileError::NoPrivateKey)?;
    let key_der = rsa_pkcs1_der(&pem).ok_or(KeyFileError::NotRsaPem)?;
    // The key must sign: a broken key is refused when stored, not at the first card.
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &serde_json::json!({"check": true}),
        &jsonwebtoken::EncodingKey::from_rsa_der(&key_der),
    )
    .map_err(|_| KeyFileError::CannotSign)?;
    let token_url = token_url
        .map(str::to_string)
        .or(k.token_uri)
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_TOKEN_URL.to_string());
    Ok(ServiceAccount { client_email, private_key_id: k.private_key_id, key_der, token_url })
}

/// An RSA private key in PEM (`PRIVATE KEY`: PKCS#8, as Google writes it; or `RSA PRIVATE KEY`:
/// PKCS#1) as the PKCS#1 DER jsonwebtoken signs with.
fn rsa_pkcs1_der(pem: &str) -> Option<Vec<u8>> {
    let body = |label: &str| {
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        let start = pem.find(&begin)? + begin.len();
        let stop = pem[start..].find(&end)? + start;
        let b64: String = pem[start..stop].chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD.decode(b64).ok()
    };
    if let Some(der) = body("RSA PRIVATE KEY") {
        return Some(der);
    }
    let der = body("PRIVATE KEY")?;
    // PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm SEQUENCE { rsaEncryption, NULL },
    // privateKey OCTET STRING (the PKCS#1 RSAPrivateKey), … }
    const RSA_OID: &[u8] = &[0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
    // The DER item with `tag` at `at`: its contents' range.
    let item = |at: usize, tag: u8| -> Option<std::ops::Range<usize>> {
        let mut i = at;
        if *der.get(i)? != tag {
            return None;
        }
        i += 1;
        let first = *der.get(i)? as usize;
        i += 1;
        let len = if first < 0x80 {
            first
        } else {
            let n = first & 0x7F;
            if n == 0 || n > 4 {
                return None;
            }
            let mut len = 0usize;
            for _ in 0..n {
                len = (len << 8) | *der.get(i)? as usize;
                i += 1;
            }
            len
        };
        let r = i..i.checked_add(len)?;
        (r.end <= der.len()).then_some(r)
    };
    let outer = item(0, 0x30)?;
    let version = item(outer.start, 0x02)?;
    let algorithm = item(version.end, 0x30)?;
    if !der[algorithm.clone()].starts_with(RSA_OID) {
        return None;
    }
    let key = item(algorithm.end, 0x04)?;
    Some(der[key].to_vec())
}

/// `GOOGLE_VISION_TIMEOUT`: seconds or `500ms`, `20s`, `1m`; more than zero, at most [`MAX_TIMEOUT`].
pub fn parse_timeout(v: &str) -> Result<Duration, crate::scans::DurationError> {
    let d = crate::scans::parse_duration(v)?;
    if d > MAX_TIMEOUT {
        return Err(crate::scans::DurationError::TooLong { max_secs: MAX_TIMEOUT.as_secs() });
    }
    Ok(d)
}

impl IntegrationConfig {
    /// The Google Vision engine's configuration: `None` without a key; also `None` (with a
    /// warning) when a stored API base breaks the outbound URL rule — the image is not sent there.
    pub fn google_vision(&self) -> Option<VisionConfig> {
        let credentials = match (&self.google_vision_api_key, &self.google_vision_credentials) {
            (Some(key), _) => Credentials::ApiKey(key.clone()),
            (None, Some(json)) => match self.google_vision_service_account(json) {
                Ok(sa) => Credentials::ServiceAccount(sa),
                Err(why) => {
                    tracing::warn!("Google Vision is not used: GOOGLE_VISION_CREDENTIALS {why}");
                    return None;
                }
            },
            (None, None) => return None,
        };
        let base = match self.google_vision_api() {
            Ok(b) => b.to_string(),
            Err(why) => {
                tracing::warn!("Google Vision is not used: {why}");
                return None;
            }
        };
        let timeout = match self.google_vision_timeout.as_deref().map(parse_timeout) {
            None => DEFAULT_TIMEOUT,
            Some(Ok(t)) => t,
            Some(Err(why)) => {
                tracing::warn!("GOOGLE_VISION_TIMEOUT {why}; using {} s", DEFAULT_TIMEOUT.as_secs());
                DEFAULT_TIMEOUT
            }
        };
        Some(VisionConfig { credentials, api_base: base, timeout })
    }

    /// The service account of `GOOGLE_VISION_CREDENTIALS`, its token URL checked like an API base:
    /// a stored one (in a stored key file, or `GOOGLE_VISION_TOKEN_URL` stored) follows the
    /// outbound URL rule; one the operator set in the environment does not.
    fn google_vision_service_account(&self, json: &str) -> Result<ServiceAccount, KeyFileError> {
        let sa = parse_service_account(json, self.google_vision_token_url.as_deref())?;
        let from_env = if self.google_vision_token_url.is_some() {
            self.google_vision_token_url_from_env
        } else {
            self.google_vision_credentials_from_env
        };
        if !from_env {
            crate::platform::outbound::outbound_url_rule(&sa.token_url).map_err(KeyFileError::TokenUrlRefused)?;
        }
        Ok(sa)
    }
}

/// The configuration in force now (environment over stored settings); `None` when not configured.
pub async fn config(svc: &crate::Services) -> crate::AppResult<Option<VisionConfig>> {
    Ok(integration_config::config(svc).await?.google_vision())
}

/// The engines a scan may be read with now: the build's local engines, and `google` when configured.
pub async fn available_engines(svc: &crate::Services) -> crate::AppResult<Vec<String>> {
    let mut names: Vec<String> = crate::scans::engines().iter().map(|s| s.to_string()).collect();
    if config(svc).await?.is_some() {
        names.push(GOOGLE.into());
    }
    Ok(names)
}

/// The OCR pipeline for an engine order: `google` only when `vision` is configured (else it is left
/// out and never called), and when no local engine is named the build's local engines follow, so a
/// failing or unconfigured Google Vision always falls back to them. An empty order is the build's
/// local order. Blocking (loads the models).
pub fn pipeline(
    order: &[String],
    models_dir: &std::path::Path,
    vision: Option<&VisionConfig>,
) -> Result<ocr::Pipeline, OcrError> {
    let mut names: Vec<&str> = order.iter().map(String::as_str).filter(|n| *n != GOOGLE || vision.is_some()).collect();
    if !names.iter().any(|n| *n != GOOGLE) {
        names.extend(crate::scans::engines().iter().copied());
    }
    let mut engines: Vec<Box<dyn Engine>> = Vec::with_capacity(names.len());
    for name in names {
        match (name, vision) {
            (GOOGLE, Some(cfg)) => engines.push(Box::new(GoogleEngine::new(cfg.clone())?)),
            _ => engines.push(ocr::engine_from_name(name, models_dir)?),
        }
    }
    Ok(ocr::Pipeline::new(engines))
}

/// The `google` OCR engine (blocking: it runs on the scan worker's blocking threads).
pub struct GoogleEngine {
    cfg: VisionConfig,
    client: reqwest::blocking::Client,
    /// A service account's access token and when to stop using it.
    token: std::sync::Mutex<Option<(String, std::time::Instant)>>,
}

fn engine_error(msg: impl Into<String>) -> OcrError {
    OcrError::Engine { engine: GOOGLE, msg: msg.into() }
}

impl GoogleEngine {
    pub fn new(cfg: VisionConfig) -> Result<GoogleEngine, OcrError> {
        let client = reqwest::blocking::Client::builder()
            .dns_resolver(std::sync::Arc::new(crate::platform::outbound::PublicOnly))
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .timeout(cfg.timeout)
            // The key goes in a header; a redirect could carry it elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cardcrm/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| engine_error(format!("cannot build the HTTP client: {}", e.without_url())))?;
        Ok(GoogleEngine { cfg, client, token: std::sync::Mutex::new(None) })
    }

    /// A service account's access token: the cached one while it has a minute left, else a new one
    /// for a JWT signed with the account's key (RS256, one hour, the Cloud Vision scope).
    fn access_token(&self, sa: &ServiceAccount) -> Result<String, OcrError> {
        let mut slot = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((token, until)) = slot.as_ref() {
            if std::time::Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let now = chrono::Utc::now().timestamp();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = sa.private_key_id.clone();
        let claims = serde_json::json!({
            "iss": sa.client_email, "scope": SCOPE, "aud": sa.token_url, "iat": now, "exp": now + 3600,
        });
        let jwt = jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_rsa_der(&sa.key_der))
            .map_err(|_| engine_error("cannot sign the service account's token request"))?;
        // The JWT is base64url and dots: nothing to escape in the form.
        let form = format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={jwt}");
        let resp = self
            .client
            .post(&sa.token_url)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .map_err(|e| engine_error(format!("the token request failed: {}", e.without_url())))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(engine_error(format!("the token endpoint answered HTTP {}", status.as_u16())));
        }
        #[derive(Deserialize)]
        struct Token {
            access_token: String,
            expires_in: Option<u64>,
        }
        let mut body = Vec::new();
        resp.take(64 * 1024).read_to_end(&mut body).map_err(|_| engine_error("the token answer could not be read"))?;
        let t: Token =
            serde_json::from_slice(&body).map_err(|_| engine_error("the token endpoint gave no access token"))?;
        let life = Duration::from_secs(t.expires_in.unwrap_or(3600).saturating_sub(60));
        *slot = Some((t.access_token.clone(), std::time::Instant::now() + life));
        Ok(t.access_token)
    }

    /// `images:annotate` for one JPEG; the answer's body, at most [`MAX_RESPONSE_BYTES`].
    fn annotate(&self, jpeg: &[u8]) -> Result<Vec<u8>, OcrError> {
        let body = serde_json::json!({
            "requests": [{
                "image": { "content": base64::engine::general_purpose::STANDARD.encode(jpeg) },
                "features": [{ "type": "DOCUMENT_TEXT_DETECTION" }],
            }]
        });
        let url = format!("{}/v1/images:annotate", self.cfg.api_base);
        let req = match &self.cfg.credentials {
            Credentials::ApiKey(key) => self.client.post(url).header("X-Goog-Api-Key", key),
            Credentials::ServiceAccount(sa) => self.client.post(url).bearer_auth(self.access_token(sa)?),
        };
        let resp =
            req.header(reqwest::header::CONTENT_TYPE, "application/json").body(body.to_string()).send().map_err(
                |e| {
                    let e = e.without_url();
                    if e.is_timeout() {
                        engine_error(format!("no answer within {} s", self.cfg.timeout.as_secs_f32()))
                    } else {
                        engine_error(format!("request failed: {e}"))
                    }
                },
            )?;
        let status = resp.status();
        if !status.is_success() {
            // The body may echo the request; only the status is kept.
            return Err(engine_error(format!("the API answered HTTP {}", status.as_u16())));
        }
        if resp.content_length().is_some_and(|n| n > MAX_RESPONSE_BYTES) {
            return Err(engine_error("the answer is too large"));
        }
        let mut out = Vec::new();
        resp.take(MAX_RESPONSE_BYTES + 1).read_to_end(&mut out).map_err(|e| {
            let timed_out =
                e.get_ref().and_then(|i| i.downcast_ref::<reqwest::Error>()).is_some_and(|r| r.is_timeout());
            if timed_out {
                engine_error(format!("no answer within {} s", self.cfg.timeout.as_secs_f32()))
            } else {
                engine_error("the answer could not be read")
            }
        })?;
        if out.len() as u64 > MAX_RESPONSE_BYTES {
            return Err(engine_error("the answer is too large"));
        }
        Ok(out)
    }
}

impl Engine for GoogleEngine {
    fn name(&self) -> &'static str {
        GOOGLE
    }

    fn supports_cyrillic(&self) -> bool {
        true
    }

    fn recognize(&self, img: &image::DynamicImage) -> Result<Vec<Line>, OcrError> {
        let read = encode(img).and_then(|(jpeg, scale)| Ok((lines_of(&self.annotate(&jpeg)?)?, scale)));
        let (mut lines, scale) = read.inspect_err(|e| {
            // The pipeline goes on with the next engine and keeps only "google: error"; this says why.
            tracing::warn!(error = %e, "Google Vision could not read the card; the next engine will");
        })?;
        if scale != 1.0 {
            for l in &mut lines {
                for p in l.quad.iter_mut() {
                    p.x *= scale;
                    p.y *= scale;
                }
            }
        }
        Ok(lines)
    }
}

/// The image as a JPEG of at most [`MAX_SIDE`] pixels a side, and the factor from its pixels to the
/// original's.
fn encode(img: &image::DynamicImage) -> Result<(Vec<u8>, f32), OcrError> {
    let longest = img.width().max(img.height()).max(1);
    let (small, scale) = if longest > MAX_SIDE {
        let s = MAX_SIDE as f32 / longest as f32;
        let (w, h) =
            (((img.width() as f32 * s).round() as u32).max(1), ((img.height() as f32 * s).round() as u32).max(1));
        (Some(img.resize_exact(w, h, image::imageops::FilterType::Triangle)), img.width() as f32 / w as f32)
    } else {
        (None, 1.0)
    };
    let rgb = small.as_ref().unwrap_or(img).to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(&rgb)
        .map_err(|e| engine_error(format!("cannot encode the image: {e}")))?;
    if out.len() > MAX_UPLOAD_BYTES {
        return Err(engine_error("the image is too large to send"));
    }
    Ok((out, scale))
}

// ---------------------------------------------------------------------------------------------
// The answer

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    responses: Vec<Response>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    full_text_annotation: Option<TextAnnotation>,
    error: Option<Status>,
}

#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct TextAnnotation {
    #[serde(default)]
    pages: Vec<Page>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    blocks: Vec<Block>,
}

#[derive(Deserialize)]
struct Block {
    #[serde(default)]
    paragraphs: Vec<Paragraph>,
}

#[derive(Deserialize)]
struct Paragraph {
    #[serde(default)]
    words: Vec<Word>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Word {
    bounding_box: Option<BoundingPoly>,
    #[serde(default)]
    symbols: Vec<Symbol>,
    confidence: Option<f32>,
}

#[derive(Deserialize)]
struct BoundingPoly {
    #[serde(default)]
    vertices: Vec<Vertex>,
}

/// Google leaves out a coordinate that is 0.
#[derive(Deserialize, Clone, Copy, Default)]
struct Vertex {
    #[serde(default)]
    x: f32,
    #[serde(default)]
    y: f32,
}

#[derive(Deserialize)]
struct Symbol {
    #[serde(default)]
    text: String,
    property: Option<TextProperty>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TextProperty {
    detected_break: Option<DetectedBreak>,
}

#[derive(Deserialize)]
struct DetectedBreak {
    #[serde(rename = "type", default)]
    kind: String,
}

/// A line being put together from words.
#[derive(Default)]
struct Pending {
    text: String,
    /// Each word's box, top-left, top-right, bottom-right, bottom-left as read.
    boxes: Vec<[Vertex; 4]>,
    confidence: Vec<f32>,
}

impl Pending {
    fn finish(&mut self, out: &mut Vec<Line>) {
        let p = std::mem::take(self);
        let text = p.text.trim().to_string();
        if text.is_empty() || p.boxes.is_empty() || out.len() >= MAX_LINES {
            return;
        }
        let confidence = if p.confidence.is_empty() {
            DEFAULT_CONFIDENCE
        } else {
            (p.confidence.iter().sum::<f32>() / p.confidence.len() as f32).clamp(0.0, 1.0)
        };
        out.push(Line { text, confidence, quad: line_quad(&p.boxes) });
    }
}

/// The rotated box around a line's words: along the reading direction of their top edges.
fn line_quad(boxes: &[[Vertex; 4]]) -> [Point; 4] {
    let (mut rx, mut ry) = (0f32, 0f32);
    for b in boxes {
        rx += b[1].x - b[0].x;
        ry += b[1].y - b[0].y;
    }
    let len = (rx * rx + ry * ry).sqrt();
    let (ux, uy) = if len > 0.0 { (rx / len, ry / len) } else { (1.0, 0.0) };
    let (vx, vy) = (-uy, ux);
    let (mut u0, mut u1, mut v0, mut v1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for p in boxes.iter().flatten() {
        let (pu, pv) = (p.x * ux + p.y * uy, p.x * vx + p.y * vy);
        u0 = u0.min(pu);
        u1 = u1.max(pu);
        v0 = v0.min(pv);
        v1 = v1.max(pv);
    }
    let at = |u: f32, v: f32| Point { x: u * ux + v * vx, y: u * uy + v * vy };
    [at(u0, v0), at(u1, v0), at(u1, v1), at(u0, v1)]
}

/// Google Vision's `images:annotate` answer → one [`Line`] per text line (a line ends where a
/// word's last letter has an end-of-line break), in reading order, at most [`MAX_LINES`].
pub fn lines_of(answer: &[u8]) -> Result<Vec<Line>, OcrError> {
    let a: Answer =
        serde_json::from_slice(answer).map_err(|_| engine_error("the answer is not an images:annotate answer"))?;
    let r = a.responses.into_iter().next().ok_or_else(|| engine_error("the answer has no response"))?;
    if let Some(e) = r.error {
        let msg: String = e.message.chars().take(200).collect();
        return Err(engine_error(format!("the API refused the image (code {}): {msg}", e.code)));
    }
    let mut out = Vec::new();
    let Some(full) = r.full_text_annotation else { return Ok(out) };
    for page in full.pages {
        for block in page.blocks {
            for para in block.paragraphs {
                let mut line = Pending::default();
                for word in para.words {
                    let b = word.bounding_box.map(|b| b.vertices).unwrap_or_default();
                    if b.len() == 4 {
                        line.boxes.push([b[0], b[1], b[2], b[3]]);
                    }
                    if let Some(c) = word.confidence {
                        line.confidence.push(c);
                    }
                    let mut end = false;
                    for s in word.symbols {
                        line.text.push_str(&s.text);
                        match s.property.and_then(|p| p.detected_break).map(|b| b.kind).as_deref() {
                            Some("SPACE") | Some("SURE_SPACE") => line.text.push(' '),
                            Some("EOL_SURE_SPACE") | Some("LINE_BREAK") => end = true,
                            Some("HYPHEN") => {
                                line.text.push('-');
                                end = true;
                            }
                            _ => {}
                        }
                    }
                    if end {
                        line.finish(&mut out);
                    }
                    if out.len() >= MAX_LINES {
                        return Ok(out);
                    }
                }
                line.finish(&mut out);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A trimmed DOCUMENT_TEXT_DETECTION answer: two blocks, the first with two lines in one
    /// paragraph, Cyrillic in the second, one word without confidence and a vertex without `x`.
    const ANSWER: &str = r#"{"responses":[{"fullTextAnnotation":{"pages":[{"width":800,"height":500,"blocks":[
      {"paragraphs":[{"words":[
        {"boundingBox":{"vertices":[{"x":100,"y":50},{"x":180,"y":50},{"x":180,"y":80},{"x":100,"y":80}]},"confidence":0.98,
         "symbols":[{"text":"Анна","property":{"detectedBreak":{"type":"SPACE"}}}]},
        {"boundingBox":{"vertices":[{"x":190,"y":52},{"x":300,"y":52},{"x":300,"y":82},{"x":190,"y":82}]},"confidence":0.96,
         "symbols":[{"text":"Петрова","property":{"detectedBreak":{"type":"EOL_SURE_SPACE"}}}]},
        {"boundingBox":{"vertices":[{"y":100},{"x":90,"y":100},{"x":90,"y":120},{"y":120}]},
         "symbols":[{"text":"CEO","property":{"detectedBreak":{"type":"LINE_BREAK"}}}]}
      ]}]},
      {"paragraphs":[{"words":[
        {"boundingBox":{"vertices":[{"x":100,"y":300},{"x":400,"y":300},{"x":400,"y":320},{"x":100,"y":320}]},"confidence":0.5,
         "symbols":[{"text":"anna@example.com"}]}
      ]}]}
    ]}]}}]}"#;

    #[test]
    fn words_become_lines_with_boxes() {
        let lines = lines_of(ANSWER.as_bytes()).expect("lines");
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Анна Петрова", "CEO", "anna@example.com"]);
        let q = lines[0].quad;
        assert_eq!((q[0].x, q[0].y), (100.0, 50.0));
        assert!((q[2].x - 300.0).abs() < 0.01 && (q[2].y - 82.0).abs() < 0.01, "{q:?}");
        assert!((lines[0].confidence - 0.97).abs() < 0.001);
        assert_eq!(lines[1].quad[0], Point { x: 0.0, y: 100.0 });
        assert_eq!(lines[1].confidence, DEFAULT_CONFIDENCE);
    }

    #[test]
    fn bad_answers_are_engine_errors() {
        for bad in [
            &b"<html>502</html>"[..],
            b"{}",
            b"{\"responses\":[{\"error\":{\"code\":3,\"message\":\"Bad image data.\"}}]}",
        ] {
            let e = lines_of(bad).expect_err("an error");
            assert!(matches!(e, OcrError::Engine { engine: GOOGLE, .. }), "{e}");
        }
        // No text found is no lines, not an error.
        assert!(lines_of(br#"{"responses":[{}]}"#).expect("empty").is_empty());
    }

    #[test]
    fn an_unconfigured_google_is_left_out_and_local_engines_follow() {
        let dir = std::path::Path::new("/nonexistent");
        // Only `google`, not configured: the local engines (which need models: an error naming them).
        let e = pipeline(&["google".to_string()], dir, None).err().expect("models missing");
        assert!(matches!(e, OcrError::ModelMissing { .. }), "{e}");
        let cfg = VisionConfig {
            credentials: Credentials::ApiKey("k".repeat(39)),
            api_base: "http://127.0.0.1:9".into(),
            timeout: DEFAULT_TIMEOUT,
        };
        assert!(!format!("{cfg:?}").contains(&"k".repeat(39)));
    }

    #[test]
    fn bad_key_files_are_refused_without_quoting_them() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAsecret\n-----END PRIVATE KEY-----\n";
        for (file, why) in [
            ("not json".to_string(), "JSON"),
            (serde_json::json!({"type": "authorized_user"}).to_string(), "service_account"),
            (serde_json::json!({"type": "service_account", "private_key": pem}).to_string(), "client_email"),
            (
                serde_json::json!({"type": "service_account", "client_email": "a@b.c", "private_key": pem}).to_string(),
                "private_key",
            ),
        ] {
            let e = parse_service_account(&file, None).expect_err(why).to_string();
            assert!(e.contains(why) && !e.contains("secret"), "{e}");
        }
        assert_eq!(rsa_pkcs1_der("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----"), None);
    }

    #[test]
    fn timeouts_are_bounded() {
        assert_eq!(parse_timeout("15").unwrap(), Duration::from_secs(15));
        assert_eq!(parse_timeout("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_timeout("10m"), Err(crate::scans::DurationError::TooLong { max_secs: MAX_TIMEOUT.as_secs() }));
        assert_eq!(parse_timeout("0"), Err(crate::scans::DurationError::Zero("0".into())));
        assert_eq!(
            parse_timeout("5 fortnights").unwrap_err().to_string(),
            "unknown unit 'fortnights' in '5 fortnights' (use ms, s, m, h or d)"
        );
    }
}
