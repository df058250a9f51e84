//! The site's static bundle under `/pkg` (the wasm module, its JavaScript glue and the stylesheet)
//! and the service worker that caches it.
//!
//! * A release build (`cargo leptos build --release`, `hash-files = true`) names the bundle's
//!   files after their content (`cardcrm.<hash>.wasm`) and writes the hashes to `hash.txt` beside
//!   the binary. Those names never change content, so they are served
//!   `Cache-Control: public, max-age=31536000, immutable`; anything else under `/pkg` (a debug build,
//!   `cargo leptos watch`) is `no-cache` (revalidated by `Last-Modified`).
//! * Each text file of the bundle gets brotli and gzip siblings (`.br`, `.gz`), written once at
//!   start-up in the background (or by the build), and served to browsers that accept them.
//! * `/sw.js` is the service worker from the site root with the bundle's current (hashed) names
//!   and a cache name that changes with them, so an installed app picks up a new release.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The content hashes of the bundle's three files, from `hash.txt` (cargo-leptos `hash-files`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashes {
    pub js: String,
    pub wasm: String,
    pub css: String,
}

impl Hashes {
    /// Parses `js: …`, `wasm: …`, `css: …` lines; `None` unless all three are there and look like
    /// hashes (letters, digits, `-`, `_`).
    pub fn parse(text: &str) -> Option<Hashes> {
        let mut js = None;
        let mut wasm = None;
        let mut css = None;
        for line in text.lines() {
            let Some((kind, hash)) = line.split_once(':') else { continue };
            let hash = hash.trim();
            if hash.is_empty()
                || hash.len() > 64
                || !hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return None;
            }
            match kind.trim() {
                "js" => js = Some(hash.to_string()),
                "wasm" => wasm = Some(hash.to_string()),
                "css" => css = Some(hash.to_string()),
                _ => {}
            }
        }
        Some(Hashes { js: js?, wasm: wasm?, css: css? })
    }

    /// Reads `hash.txt` beside the running executable, where Leptos looks for it too.
    pub fn of_this_build() -> Option<Hashes> {
        static HASHES: OnceLock<Option<Hashes>> = OnceLock::new();
        HASHES
            .get_or_init(|| {
                let exe = std::env::current_exe().ok()?;
                let text = std::fs::read_to_string(exe.parent()?.join(HASH_FILE)).ok()?;
                Hashes::parse(&text)
            })
            .clone()
    }
}

/// The file cargo-leptos writes the hashes to (Leptos's default name).
pub const HASH_FILE: &str = "hash.txt";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Whether a `/pkg` file name carries a content hash: `name.<hash>.ext` with a hash of at least
/// eight letters, digits, `-` or `_` (cargo-leptos writes 22), optionally followed by `.br`/`.gz`.
pub fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let name = name.strip_suffix(".br").or_else(|| name.strip_suffix(".gz")).unwrap_or(name);
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 3
        && parts[1].len() >= 8
        && parts[1].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Caching headers for `/pkg`: a year for content-hashed names, revalidation for the rest; the
/// answer depends on `Accept-Encoding` (precompressed siblings).
pub async fn pkg_headers(req: Request, next: Next) -> Response {
    let hashed = is_hashed(req.uri().path());
    let mut resp = next.run(req).await;
    if resp.status().is_success() || resp.status() == StatusCode::NOT_MODIFIED {
        let value = if hashed { IMMUTABLE } else { "no-cache" };
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
        resp.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    resp
}

/// The extensions worth compressing (the wasm module compresses to about a third).
fn compressible(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("wasm" | "js" | "css" | "mjs" | "json" | "svg" | "map"))
}

/// Writes `.br` and `.gz` beside each compressible file under `dir` (and its subdirectories) that
/// lacks an up-to-date one. Returns how many were written. Each is written to a temporary name and
/// renamed, so a request never sees half a file.
pub fn precompress(dir: &Path) -> std::io::Result<usize> {
    let mut written = 0;
    let mut stack = vec![dir.to_path_buf()];
    // A bundle is a handful of files; the cap keeps a misconfigured site root from being walked.
    let mut budget = 10_000usize;
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            budget = budget.saturating_sub(1);
            if budget == 0 {
                return Ok(written);
            }
            let entry = entry?;
            let path = entry.path();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(path);
                continue;
            }
            if !kind.is_file() || !compressible(&path) {
                continue;
            }
            let modified = entry.metadata()?.modified()?;
            // Read once, for whichever siblings are missing or older than the file.
            let mut data: Option<Vec<u8>> = None;
            for (ext, compress) in [("br", brotli_bytes as fn(&[u8]) -> std::io::Result<Vec<u8>>), ("gz", gzip_bytes)] {
                let target = sibling(&path, ext);
                let fresh = std::fs::metadata(&target).and_then(|m| m.modified()).is_ok_and(|t| t >= modified);
                if fresh {
                    continue;
                }
                let bytes = match &data {
                    Some(d) => d,
                    None => data.insert(std::fs::read(&path)?),
                };
                let packed = compress(bytes)?;
                let tmp = sibling(&path, &format!("{ext}.tmp{}", std::process::id()));
                std::fs::write(&tmp, &packed)?;
                std::fs::rename(&tmp, &target)?;
                written += 1;
            }
        }
    }
    Ok(written)
}

fn sibling(path: &Path, ext: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

fn brotli_bytes(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() / 3);
    {
        // Quality 11 (the smallest) once per release; a 3.5 MB module takes some seconds.
        let mut w = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        w.write_all(data)?;
        w.flush()?;
    }
    Ok(out)
}

fn gzip_bytes(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut w = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 3), flate2::Compression::best());
    w.write_all(data)?;
    w.finish()
}

/// Starts writing the precompressed siblings on a background thread (a read-only site root is
/// logged and served uncompressed).
pub fn precompress_in_background(dir: PathBuf) {
    let spawned = std::thread::Builder::new().name("precompress".into()).spawn(move || {
        let start = std::time::Instant::now();
        match precompress(&dir) {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, ms = start.elapsed().as_millis() as u64, dir = %dir.display(), "precompressed the site bundle"),
            Err(e) => tracing::warn!(error = %e, dir = %dir.display(), "cannot precompress the site bundle; serving it uncompressed"),
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the precompression thread");
    }
}

/// The service worker with the bundle's names of this build substituted for the plain ones, and
/// a cache name that changes with them. Read once; `None` when the site root has no `sw.js`.
fn service_worker(site_root: &Path, hashes: Option<&Hashes>) -> Option<String> {
    let text = std::fs::read_to_string(site_root.join("sw.js")).ok()?;
    Some(rewrite_service_worker(&text, hashes))
}

/// Substitutes the hashed bundle names and a versioned cache name into the service worker's text.
pub fn rewrite_service_worker(text: &str, hashes: Option<&Hashes>) -> String {
    let Some(h) = hashes else { return text.to_string() };
    let version = format!("cardcrm-shell-{}", &h.wasm[..h.wasm.len().min(12)]);
    text.replace("\"/pkg/cardcrm.css\"", &format!("\"/pkg/cardcrm.{}.css\"", h.css))
        .replace("\"/pkg/cardcrm.js\"", &format!("\"/pkg/cardcrm.{}.js\"", h.js))
        .replace("\"/pkg/cardcrm.wasm\"", &format!("\"/pkg/cardcrm.{}.wasm\"", h.wasm))
        .replace("\"cardcrm-shell-v1\"", &format!("\"{version}\""))
}

/// `GET /sw.js`: always revalidated, so a new release reaches installed apps on their next visit.
pub async fn sw_js(axum::extract::State(st): axum::extract::State<crate::state::AppState>) -> Response {
    static SW: OnceLock<Option<String>> = OnceLock::new();
    let text = SW.get_or_init(|| {
        service_worker(Path::new(st.leptos_options.site_root.as_ref()), Hashes::of_this_build().as_ref())
    });
    match text {
        Some(t) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            t.clone(),
        )
            .into_response(),
        None => crate::api::detail(StatusCode::NOT_FOUND, "no service worker in this build"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_files_parse_and_reject_junk() {
        let h = Hashes::parse("js: abcDEF0123456789_-xyz\nwasm: W4sMh4sh0123456789ab\ncss: Cssh4sh0123456789abc\n")
            .unwrap();
        assert_eq!(h.js, "abcDEF0123456789_-xyz");
        assert_eq!(h.wasm, "W4sMh4sh0123456789ab");
        assert!(Hashes::parse("js: a\nwasm: b\n").is_none(), "css missing");
        assert!(Hashes::parse("js: ../../etc\nwasm: b\ncss: c").is_none(), "not a hash");
    }

    #[test]
    fn only_content_hashed_names_are_immutable() {
        assert!(is_hashed("/pkg/cardcrm.W4sMh4sh0123456789ab.wasm"));
        assert!(is_hashed("/pkg/cardcrm.W4sMh4sh0123456789ab.wasm.br"));
        assert!(!is_hashed("/pkg/cardcrm.wasm"));
        assert!(!is_hashed("/pkg/cardcrm.wasm.br"));
        assert!(!is_hashed("/pkg/cardcrm.x.js"));
        assert!(!is_hashed("/pkg/snippets/a.b.c.d.js"));
    }

    #[test]
    fn the_service_worker_learns_the_hashed_names() {
        let sw = "const VERSION = \"cardcrm-shell-v1\";\nconst SHELL = [\"/pkg/cardcrm.css\", \"/pkg/cardcrm.js\", \"/pkg/cardcrm.wasm\"];";
        let h = Hashes { js: "J".repeat(22), wasm: "W".repeat(22), css: "C".repeat(22) };
        let out = rewrite_service_worker(sw, Some(&h));
        assert!(out.contains(&format!("\"/pkg/cardcrm.{}.wasm\"", "W".repeat(22))), "{out}");
        assert!(out.contains(&format!("\"/pkg/cardcrm.{}.js\"", "J".repeat(22))), "{out}");
        assert!(out.contains(&format!("\"/pkg/cardcrm.{}.css\"", "C".repeat(22))), "{out}");
        assert!(out.contains("\"cardcrm-shell-WWWWWWWWWWWW\""), "{out}");
        assert_eq!(rewrite_service_worker(sw, None), sw);
    }

    #[test]
    fn precompressed_siblings_decompress_to_the_file_and_are_written_once() {
        let dir = std::env::temp_dir().join(format!("cardcrm-pkg-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("snippets")).unwrap();
        let body: Vec<u8> = (0..200_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        std::fs::write(dir.join("cardcrm.wasm"), &body).unwrap();
        std::fs::write(dir.join("snippets/x.js"), b"export const x = 1;".repeat(100)).unwrap();
        std::fs::write(dir.join("logo.png"), [0u8; 100]).unwrap();
        assert_eq!(precompress(&dir).unwrap(), 4);
        assert_eq!(precompress(&dir).unwrap(), 0, "up to date");
        let gz = std::fs::read(dir.join("cardcrm.wasm.gz")).unwrap();
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut plain).unwrap();
        assert_eq!(plain, body);
        let br = std::fs::read(dir.join("cardcrm.wasm.br")).unwrap();
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut brotli::Decompressor::new(&br[..], 4096), &mut plain).unwrap();
        assert_eq!(plain, body);
        assert!(br.len() < body.len() / 2);
        assert!(!dir.join("logo.png.br").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
