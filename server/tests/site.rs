//! The site around the pages: the static bundle under `/pkg` (precompressed, cached by name), the
//! service worker, compressed pages, and protected pages sent to sign in by the server.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

async fn fetch(app: &common::TestApp, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let resp = app.router.clone().oneshot(req).await.expect("router answered");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), 64 << 20).await.expect("body").to_vec();
    (status, headers, body)
}

fn get(path: &str, accept_encoding: Option<&str>) -> Request<Body> {
    let mut r = Request::get(path);
    if let Some(e) = accept_encoding {
        r = r.header(header::ACCEPT_ENCODING, e);
    }
    r.body(Body::empty()).unwrap()
}

fn header_of<'a>(h: &'a axum::http::HeaderMap, name: header::HeaderName) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// One test (the site root is a process-wide setting read when the router is built).
#[tokio::test]
async fn the_bundle_is_precompressed_and_cached_by_name_and_pages_need_an_account() {
    let root = std::env::temp_dir().join(format!("cardcrm-site-{}", std::process::id()));
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    let wasm: Vec<u8> = (0..300_000u32).flat_map(|i| ((i / 7) % 253).to_le_bytes()).collect();
    let hashed = "cardcrm.AbCdEf0123456789_-xyzw.wasm";
    std::fs::write(root.join("pkg/cardcrm.wasm"), &wasm).unwrap();
    std::fs::write(root.join("pkg").join(hashed), &wasm).unwrap();
    std::fs::write(root.join("sw.js"), "const VERSION = \"cardcrm-shell-v1\";\n").unwrap();
    assert_eq!(server::assets::precompress(&root.join("pkg")).unwrap(), 4);
    std::env::set_var("LEPTOS_SITE_ROOT", &root);
    let app = common::app().await;

    // Brotli for browsers that take it, gzip for the others, the plain file otherwise.
    let (status, h, body) = fetch(&app, get("/pkg/cardcrm.wasm", Some("gzip, deflate, br"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&h, header::CONTENT_ENCODING), "br");
    assert!(body.len() < wasm.len() / 2, "{} of {}", body.len(), wasm.len());
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut brotli::Decompressor::new(&body[..], 4096), &mut plain).unwrap();
    assert_eq!(plain, wasm);
    assert_eq!(header_of(&h, header::CONTENT_TYPE), "application/wasm");
    assert_eq!(header_of(&h, header::CACHE_CONTROL), "no-cache", "an unhashed name is revalidated");
    assert!(header_of(&h, header::VARY).to_ascii_lowercase().contains("accept-encoding"));
    let (_, h, body) = fetch(&app, get("/pkg/cardcrm.wasm", Some("gzip"))).await;
    assert_eq!(header_of(&h, header::CONTENT_ENCODING), "gzip");
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut plain).unwrap();
    assert_eq!(plain, wasm);
    let (_, h, body) = fetch(&app, get("/pkg/cardcrm.wasm", None)).await;
    assert_eq!(header_of(&h, header::CONTENT_ENCODING), "");
    assert_eq!(body, wasm);

    // A content-hashed name is cached for a year.
    let (status, h, _) = fetch(&app, get(&format!("/pkg/{hashed}"), Some("br"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&h, header::CACHE_CONTROL), "public, max-age=31536000, immutable");
    let (status, _, _) = fetch(&app, get("/pkg/nothing.js", Some("br"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = fetch(&app, get("/pkg/../sw.js", None)).await;
    assert_ne!(status, StatusCode::OK, "no way out of /pkg");

    // The service worker is always revalidated.
    let (status, h, body) = fetch(&app, get("/sw.js", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&h, header::CACHE_CONTROL), "no-cache");
    assert!(header_of(&h, header::CONTENT_TYPE).starts_with("text/javascript"));
    assert!(String::from_utf8(body).unwrap().contains("cardcrm-shell-"));

    // Pages: signed out, a protected page is a redirect to sign in, made by the server.
    let (status, h, _) = fetch(&app, get("/", None)).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(header_of(&h, header::LOCATION), "/login");
    let (status, h, _) = fetch(&app, get("/contacts/7?tab=history", None)).await;
    assert_eq!(status, StatusCode::FOUND);
    let location = header_of(&h, header::LOCATION).to_string();
    assert!(location.starts_with("/login?next=%2Fcontacts%2F7"), "{location}");
    for path in ["/scan", "/admin/users", "/imports", "/profile"] {
        let (status, h, _) = fetch(&app, get(path, None)).await;
        assert_eq!(status, StatusCode::FOUND, "{path}");
        assert!(header_of(&h, header::LOCATION).starts_with("/login"), "{path}");
    }
    // The sign-in page itself renders, gzip-compressed for a browser that asks.
    let (status, h, body) = fetch(&app, get("/login", Some("gzip"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&h, header::CONTENT_ENCODING), "gzip");
    let mut html = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut html).unwrap();
    assert!(html.contains("<html") && html.contains("/pkg/cardcrm.css"), "{html}");
    // Signed in, the page renders.
    let token = app.admin().await;
    // A streamed export, gzipped, including one that finds nothing (the gzip layer polls the
    // stream once more after its end: it must answer, not panic — a Schemathesis finding).
    for q in ["", "&q=nothing-matches-this"] {
        let req = Request::get(format!("/api/v1/export?format=vcf{q}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap();
        let (status, h, body) = fetch(&app, req).await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert_eq!(header_of(&h, header::CONTENT_ENCODING), "gzip", "{q}");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut text).unwrap();
        assert!(!text.contains("BEGIN:VCARD") || text.contains("END:VCARD"), "{q}: {text}");
    }
    let req = Request::get("/").header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).unwrap();
    let (status, _, body) = fetch(&app, req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("<html"));
    std::fs::remove_dir_all(&root).unwrap();
}
