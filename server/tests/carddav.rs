//! CardDAV through the real router: discovery, sign-in with app passwords, PROPFIND, multiget,
//! query, sync-collection (initial, incremental, paged; creates, edits, trash and merges made in
//! cardcrm), PUT and DELETE with ETags, and bad input answered with a 4xx.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use base64::Engine;
use common::{app, Resp, TestApp};
use serde_json::{json, Value};

const BOOK: &str = "/dav/addressbooks/admin/contacts/";

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

struct Dav<'a> {
    app: &'a TestApp,
    auth: String,
}

impl Dav<'_> {
    async fn req(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Resp {
        let mut r = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path)
            .header(header::AUTHORIZATION, &self.auth);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        self.app.raw(r.body(Body::from(body.to_string())).unwrap()).await
    }

    async fn propfind(&self, path: &str, depth: &str, props: &str) -> Resp {
        let body = format!(
            r#"<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/"><d:prop>{props}</d:prop></d:propfind>"#
        );
        self.req("PROPFIND", path, &[("depth", depth), ("content-type", "application/xml")], &body).await
    }

    async fn sync(&self, token: &str, limit: Option<u32>) -> (Vec<(String, String)>, String, bool) {
        self.sync_in(BOOK, token, limit).await
    }

    /// A `sync-collection` of one address book: (href, ETag or "removed") per change, the new
    /// token, and whether the answer was truncated.
    async fn sync_in(&self, book: &str, token: &str, limit: Option<u32>) -> (Vec<(String, String)>, String, bool) {
        let limit = limit.map(|n| format!("<d:limit><d:nresults>{n}</d:nresults></d:limit>")).unwrap_or_default();
        let body = format!(
            r#"<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>{limit}<d:prop><d:getetag/></d:prop></d:sync-collection>"#
        );
        let r = self.req("REPORT", book, &[("depth", "0")], &body).await;
        assert_eq!(r.status, StatusCode::MULTI_STATUS, "{}", text(&r));
        let t = text(&r);
        let token = between(&t, "<D:sync-token>", "</D:sync-token>").expect("a sync token").to_string();
        let mut items = Vec::new();
        let mut truncated = false;
        for resp in t.split("<D:response>").skip(1) {
            let href = between(resp, "<D:href>", "</D:href>").unwrap().to_string();
            if href == book {
                assert!(resp.contains("507"), "{resp}");
                truncated = true;
                continue;
            }
            let state = if resp.contains("<D:getetag>") {
                between(resp, "<D:getetag>", "</D:getetag>").unwrap().to_string()
            } else {
                assert!(resp.contains("404 Not Found"), "{resp}");
                "removed".to_string()
            };
            items.push((href, state));
        }
        (items, token, truncated)
    }
}

fn text(r: &Resp) -> String {
    match &r.body {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> Option<&'a str> {
    let i = s.find(a)? + a.len();
    let j = s[i..].find(b)? + i;
    Some(&s[i..j])
}

/// The app with an administrator; its access token and an app password.
async fn setup() -> (TestApp, String, String) {
    let app = app().await;
    let t = app.admin().await;
    let r = app.post("/api/v1/auth/app-passwords", Some(&t), json!({"name": "phone"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let pw = r.body["password"].as_str().unwrap().to_string();
    (app, t, pw)
}

async fn contact(app: &TestApp, t: &str, name: &str) -> Value {
    let r = app
        .post("/api/v1/contacts", Some(t), json!({"full_name": name, "emails": [{"kind": "work", "address": format!("{}@example.com", name.to_lowercase().replace(' ', "."))}]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

fn href(uid: &Value) -> String {
    format!("{BOOK}{}.vcf", uid.as_str().unwrap())
}

#[tokio::test]
async fn discovery_finds_the_address_book_from_the_bare_host() {
    let (app, _t, pw) = setup().await;
    let dav = Dav { app: &app, auth: basic("admin", &pw) };
    let r = app.raw(Request::get("/.well-known/carddav").body(Body::empty()).unwrap()).await;
    assert!(r.status.is_redirection(), "{}", r.status);
    assert_eq!(r.headers[header::LOCATION], "/dav/");

    let r = dav.req("OPTIONS", "/dav/", &[], "").await;
    assert!(r.headers["dav"].to_str().unwrap().contains("addressbook"));

    let r = dav.propfind("/dav/", "0", "<d:current-user-principal/>").await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    assert!(text(&r).contains("<D:current-user-principal><D:href>/dav/principals/admin/</D:href>"), "{}", text(&r));

    let r = dav
        .propfind("/dav/principals/admin/", "0", "<c:addressbook-home-set/><d:displayname/><d:quota-used-bytes/>")
        .await;
    let t = text(&r);
    assert!(t.contains("<C:addressbook-home-set><D:href>/dav/addressbooks/admin/</D:href>"), "{t}");
    // An unknown property is listed under 404, the rest under 200.
    assert!(t.contains("<D:quota-used-bytes/></D:prop><D:status>HTTP/1.1 404 Not Found"), "{t}");

    let r = dav
        .propfind("/dav/addressbooks/admin/", "1", "<d:resourcetype/><d:displayname/><cs:getctag/><d:sync-token/><d:supported-report-set/><d:current-user-privilege-set/>")
        .await;
    let t = text(&r);
    assert!(t.contains(&format!("<D:href>{BOOK}</D:href>")), "{t}");
    assert!(t.contains("<C:addressbook/>"), "{t}");
    assert!(t.contains("<D:sync-collection/>") && t.contains("<C:addressbook-multiget/>"), "{t}");
    assert!(t.contains("<D:sync-token>urn:cardcrm:sync:"), "{t}");
    assert!(t.contains("<D:write-content/>"), "{t}");

    // Another user's paths are not browsed.
    let r = dav.propfind("/dav/addressbooks/someone/contacts/", "0", "<d:getetag/>").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = dav.req("PROPFIND", "/dav/nowhere/", &[], "").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_app_passwords_sign_in_and_revoked_ones_stop_at_once() {
    let (app, t, pw) = setup().await;
    let probe = |auth: Option<String>| {
        let app = &app;
        async move {
            let mut r = Request::builder().method("PROPFIND").uri("/dav/").header("depth", "0");
            if let Some(a) = auth {
                r = r.header(header::AUTHORIZATION, a);
            }
            app.raw(r.body(Body::empty()).unwrap()).await
        }
    };
    let r = probe(None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers[header::WWW_AUTHENTICATE].to_str().unwrap().split(',').next().unwrap(),
        "Basic realm=\"cardcrm\""
    );
    // The account password never works here.
    let r = probe(Some(basic("admin", "correct horse battery"))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.headers.contains_key(header::WWW_AUTHENTICATE));
    // A Bearer token is not CardDAV's sign-in either.
    let r = probe(Some(format!("Bearer {t}"))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(probe(Some(basic("admin", &pw))).await.status, StatusCode::MULTI_STATUS);
    // Typing it without dashes, in capitals, works too.
    assert_eq!(probe(Some(basic("admin", &pw.replace('-', "").to_uppercase()))).await.status, StatusCode::MULTI_STATUS);

    // Another user's app password does not open this account.
    let other = app.user(&t, "bob").await;
    let r = app.post("/api/v1/auth/app-passwords", Some(&other), json!({"name": "bob's phone"})).await;
    let bob_pw = r.body["password"].as_str().unwrap().to_string();
    assert_eq!(probe(Some(basic("admin", &bob_pw))).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(probe(Some(basic("bob", &bob_pw))).await.status, StatusCode::MULTI_STATUS);

    // Listed without the password, with its last use; revoked, it stops working.
    let r = app.get("/api/v1/auth/app-passwords", &t).await;
    assert_eq!(r.status, StatusCode::OK);
    let list = r.body.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].get("password").is_none() && !r.body.to_string().contains(&pw));
    assert!(list[0]["last_used_at"].is_string(), "{}", r.body);
    let id = list[0]["id"].as_i64().unwrap();
    // Bob cannot revoke the administrator's password.
    let r = app.call(Method::DELETE, &format!("/api/v1/auth/app-passwords/{id}"), Some(&other), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.call(Method::DELETE, &format!("/api/v1/auth/app-passwords/{id}"), Some(&t), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(probe(Some(basic("admin", &pw))).await.status, StatusCode::UNAUTHORIZED);
    let r = app.call(Method::DELETE, &format!("/api/v1/auth/app-passwords/{id}"), Some(&t), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/auth/app-passwords", &t).await.body, json!([]));

    // A deactivated user's app passwords stop working at once.
    let bob_id = app.get("/api/v1/auth/me", &other).await.body["id"].as_i64().unwrap();
    let r = app
        .call(Method::PATCH, &format!("/api/v1/auth/users/{bob_id}"), Some(&t), Some(json!({"is_active": false})))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_ne!(probe(Some(basic("bob", &bob_pw))).await.status, StatusCode::MULTI_STATUS);

    // Bad names are 422.
    for name in ["", "   ", "\u{feff}", "a\u{0}b", "tab\there", &"x".repeat(101)] {
        let r = app.post("/api/v1/auth/app-passwords", Some(&t), json!({ "name": name })).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
    }
    // Without signing in, nothing.
    let r = app.call(Method::GET, "/api/v1/auth/app-passwords", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn failed_basic_sign_ins_are_throttled_before_they_are_checked() {
    let (app, _t, pw) = setup().await;
    let wrong = Dav { app: &app, auth: basic("admin", "not-the-password") };
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(wrong.req("PROPFIND", "/dav/", &[("depth", "0")], "").await.status);
    }
    assert!(statuses[..20].iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    // The right password from that address and name waits its turn too (counted before the check).
    let right = Dav { app: &app, auth: basic("admin", &pw) };
    let r = right.req("PROPFIND", "/dav/", &[("depth", "0")], "").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn propfind_lists_live_contacts_and_multiget_returns_their_cards() {
    let (app, t, pw) = setup().await;
    let dav = Dav { app: &app, auth: basic("admin", &pw) };
    let a = contact(&app, &t, "Anna Petrova").await;
    let b = contact(&app, &t, "Boris Ivanov").await;
    let c = contact(&app, &t, "Clara Schmidt").await;
    let r = app.call(Method::DELETE, &format!("/api/v1/contacts/{}", c["id"]), Some(&t), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let r = dav.propfind(BOOK, "1", "<d:getetag/><d:getcontenttype/><d:resourcetype/>").await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    let t1 = text(&r);
    assert!(t1.contains(&href(&a["uid"])) && t1.contains(&href(&b["uid"])), "{t1}");
    assert!(!t1.contains(&href(&c["uid"])), "a contact in the trash is not listed: {t1}");
    assert!(t1.contains("text/vcard"));

    let body = format!(
        r#"<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><c:address-data/></d:prop><d:href>{}</d:href><d:href>http://example.com{}</d:href><d:href>{BOOK}nope.vcf</d:href><d:href>{}</d:href></c:addressbook-multiget>"#,
        href(&a["uid"]),
        href(&b["uid"]),
        href(&c["uid"])
    );
    let r = dav.req("REPORT", BOOK, &[("depth", "1")], &body).await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    let m = text(&r);
    assert!(m.contains("FN:Anna Petrova") && m.contains("FN:Boris Ivanov"), "{m}");
    assert!(m.contains(&format!("UID:{}", a["uid"].as_str().unwrap())), "{m}");
    assert_eq!(m.matches("404 Not Found").count(), 2, "{m}");

    // GET one card, with its ETag; HEAD the same without a body.
    let r = dav.req("GET", &href(&a["uid"]), &[], "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(text(&r).starts_with("BEGIN:VCARD\r\nVERSION:3.0"), "{}", text(&r));
    assert!(
        text(&r).contains("EMAIL;TYPE=WORK,INTERNET:anna.petrova@example.com")
            || text(&r).contains("anna.petrova@example.com")
    );
    let etag = r.headers[header::ETAG].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"));
    assert!(m.contains(&etag.replace('"', "&quot;")), "the multiget's ETag is the GET's: {m}");
    assert_eq!(dav.req("GET", &href(&c["uid"]), &[], "").await.status, StatusCode::NOT_FOUND);
    let r = dav.req("HEAD", &href(&a["uid"]), &[], "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::ETAG].to_str().unwrap(), etag);
    // vCard 4.0 when asked for, by Accept or by address-data's version.
    let r = dav.req("GET", &href(&a["uid"]), &[("accept", "text/vcard; version=4.0")], "").await;
    assert!(text(&r).starts_with("BEGIN:VCARD\r\nVERSION:4.0"), "{}", text(&r));
    let body = format!(
        r#"<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><c:address-data content-type="text/vcard" version="4.0"/></d:prop><d:href>{}</d:href></c:addressbook-multiget>"#,
        href(&a["uid"])
    );
    assert!(text(&dav.req("REPORT", BOOK, &[], &body).await).contains("VERSION:4.0"));

    // addressbook-query: a text-match on EMAIL.
    let q = r#"<c:addressbook-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop><c:filter><c:prop-filter name="EMAIL"><c:text-match match-type="starts-with">boris</c:text-match></c:prop-filter></c:filter></c:addressbook-query>"#;
    let r = dav.req("REPORT", BOOK, &[("depth", "1")], q).await;
    let qt = text(&r);
    assert!(qt.contains(&href(&b["uid"])) && !qt.contains(&href(&a["uid"])), "{qt}");
    // LIKE's wildcards in the text are literal characters; FN is matched case-insensitively.
    for (needle, hits) in [("%", 0), ("_", 0), ("PETROVA", 1), ("Ivan", 1)] {
        let q = format!(
            r#"<c:addressbook-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop><c:filter><c:prop-filter name="FN"><c:text-match>{needle}</c:text-match></c:prop-filter></c:filter></c:addressbook-query>"#
        );
        let qt = text(&dav.req("REPORT", BOOK, &[("depth", "1")], &q).await);
        assert_eq!(qt.matches("<D:getetag>").count(), hits, "{needle}: {qt}");
    }
    let q = r#"<c:addressbook-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop><c:limit><c:nresults>1</c:nresults></c:limit></c:addressbook-query>"#;
    let qt = text(&dav.req("REPORT", BOOK, &[("depth", "1")], q).await);
    assert_eq!(qt.matches("<D:getetag>").count(), 1, "{qt}");
    assert!(qt.contains("507 Insufficient Storage"), "{qt}");
}

#[tokio::test]
async fn sync_collection_reports_creates_edits_trash_and_merges_once() {
    let (app, t, pw) = setup().await;
    let dav = Dav { app: &app, auth: basic("admin", &pw) };
    let a = contact(&app, &t, "Anna Petrova").await;
    let b = contact(&app, &t, "Boris Ivanov").await;
    let c = contact(&app, &t, "Clara Schmidt").await;
    let d = contact(&app, &t, "Dmitri Orlov").await;

    let (first, t1, truncated) = dav.sync("", None).await;
    assert!(!truncated);
    assert_eq!(first.len(), 4, "{first:?}");
    // Nothing changed: nothing reported, the same token.
    let (none, t1b, _) = dav.sync(&t1, None).await;
    assert!(none.is_empty(), "{none:?}");
    assert_eq!(t1, t1b);

    // In cardcrm: a new contact, an edit, one to the trash, and D merged into C.
    let e = contact(&app, &t, "Eva Braun").await;
    let mut edit = a.clone();
    edit["company"] = json!("Acme");
    let r = app.put(&format!("/api/v1/contacts/{}", a["id"]), &t, edit).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.call(Method::DELETE, &format!("/api/v1/contacts/{}", b["id"]), Some(&t), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let versions = json!({ c["id"].to_string(): c["version"], d["id"].to_string(): d["version"] });
    let r = app
        .post(
            "/api/v1/contacts/merge",
            Some(&t),
            json!({"ids": [c["id"], d["id"]], "survivor_id": c["id"], "versions": versions}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let (changes, t2, _) = dav.sync(&t1, None).await;
    let get = |h: &str| changes.iter().filter(|(x, _)| x == h).map(|(_, s)| s.clone()).collect::<Vec<_>>();
    assert_eq!(changes.len(), 5, "each changed resource once: {changes:?}");
    assert_eq!(get(&href(&e["uid"])).len(), 1);
    assert_ne!(get(&href(&a["uid"])), vec!["removed".to_string()]);
    assert_eq!(get(&href(&b["uid"])), vec!["removed".to_string()]);
    assert_eq!(get(&href(&d["uid"])), vec!["removed".to_string()], "the merged contact is gone");
    assert_ne!(get(&href(&c["uid"])), vec!["removed".to_string()], "the survivor changed");
    // The ETags reported are the ones GET gives now.
    for (h, etag) in changes.iter().filter(|(_, s)| s != "removed") {
        let r = dav.req("GET", h, &[], "").await;
        assert_eq!(r.headers[header::ETAG].to_str().unwrap().replace('"', "&quot;"), *etag);
    }
    let merge_id = r.body["merge_id"].as_i64().unwrap();
    let (none, _, _) = dav.sync(&t2, None).await;
    assert!(none.is_empty(), "{none:?}");
    // Undoing the merge brings D back and changes C again.
    let r = app.post(&format!("/api/v1/merges/{merge_id}/undo"), Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (undone, t2, _) = dav.sync(&t2, None).await;
    let mut undone_hrefs: Vec<String> = undone.iter().filter(|x| x.1 != "removed").map(|x| x.0.clone()).collect();
    undone_hrefs.sort();
    let mut expect = vec![href(&c["uid"]), href(&d["uid"])];
    expect.sort();
    assert_eq!(undone_hrefs, expect, "{undone:?}");
    let r = app.call(Method::DELETE, &format!("/api/v1/contacts/{}", d["id"]), Some(&t), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (_, t2, _) = dav.sync(&t2, None).await;

    // Restoring from the trash brings it back; a tag rename changes the cards that carry it.
    let r = app.post(&format!("/api/v1/contacts/{}/restore", b["id"]), Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (back, t3, _) = dav.sync(&t2, None).await;
    assert_eq!(back.len(), 1);
    assert_ne!(back[0].1, "removed");
    let mut tagged = app.get(&format!("/api/v1/contacts/{}", e["id"]), &t).await.body;
    tagged["tags"] = json!(["vip"]);
    assert_eq!(app.put(&format!("/api/v1/contacts/{}", e["id"]), &t, tagged).await.status, StatusCode::OK);
    let (_, t4, _) = dav.sync(&t3, None).await;
    let tags = app.get("/api/v1/tags", &t).await.body;
    let tag_id = tags.as_array().unwrap().iter().find(|x| x["name"] == "vip").unwrap()["id"].clone();
    let r = app.put(&format!("/api/v1/tags/{tag_id}"), &t, json!({"name": "VIP clients"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (renamed, _, _) = dav.sync(&t4, None).await;
    assert_eq!(renamed.iter().map(|x| x.0.clone()).collect::<Vec<_>>(), vec![href(&e["uid"])]);
    let card = text(&dav.req("GET", &href(&e["uid"]), &[], "").await);
    assert!(card.contains("CATEGORIES:VIP clients"), "{card}");

    // Paged: at most `limit` a time, 507 for the collection, then the rest from the new token.
    let (p1, pt, truncated) = dav.sync("", Some(2)).await;
    assert!(truncated && p1.len() == 2, "{p1:?}");
    let (p2, pt2, truncated2) = dav.sync(&pt, Some(2)).await;
    assert!(truncated2 && p2.len() == 2, "{p2:?}");
    let (p3, _, truncated3) = dav.sync(&pt2, Some(2)).await;
    assert!(!truncated3);
    let mut all: Vec<String> =
        p1.iter().chain(&p2).chain(&p3).filter(|x| x.1 != "removed").map(|x| x.0.clone()).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 4, "A, B, C and E are live: {all:?}");

    // A token this server did not give: 403 valid-sync-token.
    for bad in ["urn:cardcrm:sync:999999", "http://example.com/sync/1"] {
        let body = format!(
            r#"<d:sync-collection xmlns:d="DAV:"><d:sync-token>{bad}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"#
        );
        let r = dav.req("REPORT", BOOK, &[], &body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{bad}");
        assert!(text(&r).contains("valid-sync-token"));
    }
}

const CARD: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-made-1\r\nFN:Greta Lind\r\nN:Lind;Greta;;;\r\nTEL;TYPE=CELL:+49 170 1234567\r\nEMAIL:greta@example.com\r\nEND:VCARD\r\n";

#[tokio::test]
async fn put_creates_and_updates_with_etags_and_delete_moves_to_the_trash() {
    let (app, t, pw) = setup().await;
    let dav = Dav { app: &app, auth: basic("admin", &pw) };
    let (_, t0, _) = dav.sync("", None).await;
    // The client's own resource name is kept.
    let name = format!("{BOOK}Client%20Name-1.vcf");
    let r = dav.req("PUT", &name, &[("if-none-match", "*"), ("content-type", "text/vcard")], CARD).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", text(&r));
    // Again with If-None-Match: * → 412, no second copy.
    let r = dav.req("PUT", &name, &[("if-none-match", "*"), ("content-type", "text/vcard")], CARD).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    // The same UID under another name is a conflict, not a second copy.
    let r = dav.req("PUT", &format!("{BOOK}other.vcf"), &[("if-none-match", "*")], CARD).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(text(&r).contains("no-uid-conflict") && text(&r).contains("Client%20Name-1.vcf"), "{}", text(&r));

    let list = app.get("/api/v1/contacts?q=greta", &t).await.body;
    assert_eq!(list["total"], 1, "{list}");
    let stored = &list["items"][0];
    assert_eq!(stored["source"], "carddav");
    assert_eq!(stored["uid"], "phone-made-1");
    let r = dav.req("GET", &name, &[], "").await;
    assert_eq!(r.status, StatusCode::OK);
    let etag = r.headers[header::ETAG].to_str().unwrap().to_string();
    assert!(text(&r).contains("UID:phone-made-1"));
    let (changes, t1, _) = dav.sync(&t0, None).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].0, name, "listed under the name the client wrote");
    let listing = text(&dav.propfind(BOOK, "1", "<d:getetag/>").await);
    assert!(listing.contains(&name), "{listing}");

    // Update: If-Match is required, a stale one is 412, the current one writes.
    let edited = CARD.replace("FN:Greta Lind", "FN:Greta Lind-Berg").replace("N:Lind;", "N:Lind-Berg;");
    let r = dav.req("PUT", &name, &[], &edited).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    let r = dav.req("PUT", &name, &[("if-match", "\"1-1\"")], &edited).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    let r = dav.req("PUT", &name, &[("if-match", &etag)], &edited).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", text(&r));
    let id = stored["id"].as_i64().unwrap();
    let c = app.get(&format!("/api/v1/contacts/{id}"), &t).await.body;
    assert_eq!(c["full_name"], "Greta Lind-Berg");
    let h = app.get(&format!("/api/v1/contacts/{id}/history"), &t).await.body;
    assert!(h.to_string().contains("Greta Lind-Berg"), "the phone's edit is in the history: {h}");
    // The old ETag is stale now.
    let r = dav.req("PUT", &name, &[("if-match", &etag)], CARD).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    let (changes, t2, _) = dav.sync(&t1, None).await;
    assert_eq!(changes.len(), 1);

    // Bad cards and bodies: 4xx, nothing written.
    let r = dav.req("PUT", &format!("{BOOK}bad.vcf"), &[("if-none-match", "*")], "hello").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(text(&r).contains("valid-address-data"));
    let r = dav.req("PUT", &format!("{BOOK}empty.vcf"), &[], "BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n").await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let huge = format!("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nNOTE:{}\r\nEND:VCARD\r\n", "a".repeat(9 * 1024 * 1024));
    let r = dav.req("PUT", &format!("{BOOK}huge.vcf"), &[], &huge).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let r = dav.req("PUT", BOOK, &[], CARD).await;
    assert!(r.status.is_client_error());
    let (nothing, _, _) = dav.sync(&t2, None).await;
    assert!(nothing.is_empty(), "{nothing:?}");

    // DELETE: a stale If-Match is 412; then the contact goes to the trash.
    let etag = dav.req("GET", &name, &[], "").await.headers[header::ETAG].to_str().unwrap().to_string();
    let r = dav.req("DELETE", &name, &[("if-match", "\"9-9\"")], "").await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    let r = dav.req("DELETE", &name, &[("if-match", &etag)], "").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(dav.req("GET", &name, &[], "").await.status, StatusCode::NOT_FOUND);
    assert_eq!(dav.req("DELETE", &name, &[], "").await.status, StatusCode::NOT_FOUND);
    let c = app.get(&format!("/api/v1/contacts/{id}"), &t).await.body;
    assert!(c["deleted_at"].is_string(), "in the trash: {c}");
    let (gone, _, _) = dav.sync(&t2, None).await;
    assert_eq!(gone, vec![(name.clone(), "removed".to_string())]);
    // The client may create a card under that name again (the trashed one gives its UID up).
    let r = dav.req("PUT", &name, &[("if-none-match", "*")], CARD).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", text(&r));
}

#[tokio::test]
async fn bad_requests_are_4xx_never_5xx() {
    let (app, _t, pw) = setup().await;
    let dav = Dav { app: &app, auth: basic("admin", &pw) };
    for body in ["<not xml", "<a><b></a>", "<!DOCTYPE x [<!ENTITY e \"x\">]><x>&e;</x>", "<p:x/>", "\u{0}\u{1}"] {
        let r = dav.req("PROPFIND", BOOK, &[("depth", "0")], body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body:?}");
        let r = dav.req("REPORT", BOOK, &[], body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body:?}");
    }
    let r = dav.req("REPORT", BOOK, &[], r#"<x:unknown xmlns:x="urn:x"/>"#).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let huge = format!("<d:propfind xmlns:d=\"DAV:\">{}</d:propfind>", " ".repeat(600 * 1024));
    assert_eq!(dav.req("PROPFIND", BOOK, &[], &huge).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    let many: String = (0..1001).map(|i| format!("<d:href>{BOOK}{i}.vcf</d:href>")).collect();
    let body = format!(
        r#"<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop>{many}</c:addressbook-multiget>"#
    );
    assert_eq!(dav.req("REPORT", BOOK, &[], &body).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(dav.req("FROB", BOOK, &[], "").await.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(dav.req("MKCOL", "/dav/addressbooks/admin/other/", &[], "").await.status, StatusCode::NOT_FOUND);
    assert_eq!(dav.req("PROPPATCH", BOOK, &[], "").await.status, StatusCode::FORBIDDEN);
    assert_eq!(dav.req("DELETE", BOOK, &[], "").await.status, StatusCode::FORBIDDEN);
    assert_eq!(dav.req("GET", BOOK, &[], "").await.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = dav.req("PUT", &format!("{BOOK}x.vcf"), &[("content-type", "application/json")], CARD).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = dav.req("GET", &format!("{BOOK}{}", "%61".repeat(300)), &[], "").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let mut bad =
        Request::builder().method("PROPFIND").uri("/dav/").header(header::AUTHORIZATION, "Basic !!!notbase64");
    bad = bad.header("depth", "0");
    assert_eq!(app.raw(bad.body(Body::empty()).unwrap()).await.status, StatusCode::UNAUTHORIZED);
}

/// Writers racing a syncing phone: every change is seen by one of the syncs, none is skipped
/// because a later number committed first (on PostgreSQL the triggers' advisory lock orders the
/// commits; SQLite has one writer at a time).
#[tokio::test]
async fn concurrent_writes_are_never_skipped_by_a_sync() {
    let (app, _t, _pw) = setup().await;
    let actor = service::accounts::auth::actor_by_username(&app.svc, "admin").await.unwrap();
    let first = service::transfer::carddav::changes(&app.svc, service::transfer::carddav::Book::Team, None, None)
        .await
        .ok()
        .unwrap();
    let mut token = first.token;
    let mut writers = Vec::new();
    for w in 0..6 {
        let (svc, actor) = (app.svc.clone(), actor.clone());
        writers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..6 {
                let input =
                    service::dto::ContactInput { full_name: format!("Writer {w} card {i}"), ..Default::default() };
                ids.push(service::contacts::create(&svc, &actor, input).await.unwrap().uid);
            }
            ids
        }));
    }
    let mut seen = std::collections::HashSet::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while writers.iter().any(|w| !w.is_finished()) && std::time::Instant::now() < deadline {
        let page =
            service::transfer::carddav::changes(&app.svc, service::transfer::carddav::Book::Team, Some(token), None)
                .await
                .ok()
                .unwrap();
        for c in page.changes {
            if let service::transfer::carddav::Change::Changed(m) = c {
                seen.insert(m.name);
            }
        }
        token = page.token;
        tokio::task::yield_now().await;
    }
    let mut made = Vec::new();
    for w in writers {
        made.extend(w.await.unwrap());
    }
    loop {
        let page =
            service::transfer::carddav::changes(&app.svc, service::transfer::carddav::Book::Team, Some(token), None)
                .await
                .ok()
                .unwrap();
        for c in page.changes {
            if let service::transfer::carddav::Change::Changed(m) = c {
                seen.insert(m.name);
            }
        }
        token = page.token;
        if !page.truncated {
            break;
        }
    }
    for uid in &made {
        assert!(seen.contains(&format!("{uid}.vcf")), "{uid} was never reported ({})", common::backend());
    }
    assert_eq!(made.len(), 36);
}

/// An import (the other door that writes contacts in bulk) moves the phones' sync state with no
/// call of its own: created and merged-into contacts are reported changed, and undoing the import
/// reports its new contacts removed.
#[tokio::test]
async fn imports_and_their_undo_reach_the_phone() {
    let (app, t, pw) = setup().await;
    let dav = Dav { app: &app, auth: basic("admin", &pw) };
    let ivan = contact(&app, &t, "Ivan Petrov").await;
    let (_, t0, _) = dav.sync("", None).await;
    let file = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ivan Petrov\r\nN:Petrov;Ivan;;;\r\nEMAIL:ivan.petrov@example.com\r\nORG:Acme\r\nEND:VCARD\r\n\
                BEGIN:VCARD\r\nVERSION:3.0\r\nUID:imported-1\r\nFN:Olga Smirnova\r\nEMAIL:olga@example.com\r\nEND:VCARD\r\n\
                BEGIN:VCARD\r\nVERSION:3.0\r\nUID:imported-2\r\nFN:Pavel Sokolov\r\nTEL:+7 916 000-11-22\r\nEND:VCARD\r\n";
    let boundary = "cardcrm-dav-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.vcf\"\r\n\
         Content-Type: text/vcard\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/imports?on_duplicate=merge")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header(header::AUTHORIZATION, format!("Bearer {t}"))
        .body(Body::from(body))
        .unwrap();
    let r = app.raw(req).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let started = std::time::Instant::now();
    let job = loop {
        let r = app.get(&format!("/api/v1/imports/{id}"), &t).await;
        if ["done", "failed"].contains(&r.body["status"].as_str().unwrap_or_default()) {
            break r.body;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "{}", r.body);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(job["status"], "done", "{job}");
    let (changed, t1, _) = dav.sync(&t0, None).await;
    let mut names: Vec<String> = changed.iter().filter(|x| x.1 != "removed").map(|x| x.0.clone()).collect();
    names.sort();
    let mut expect = vec![href(&ivan["uid"]), format!("{BOOK}imported-1.vcf"), format!("{BOOK}imported-2.vcf")];
    expect.sort();
    assert_eq!(names, expect, "created and merged-into contacts: {changed:?} ({job})");
    let card = text(&dav.req("GET", &href(&ivan["uid"]), &[], "").await);
    assert!(card.contains("ORG:Acme"), "the merge is on the phone: {card}");

    let r = app.post(&format!("/api/v1/imports/{id}/undo"), Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (undone, _, _) = dav.sync(&t1, None).await;
    let get = |h: &str| undone.iter().find(|x| x.0 == h).map(|x| x.1.clone());
    assert_eq!(get(&format!("{BOOK}imported-1.vcf")).as_deref(), Some("removed"), "{undone:?}");
    assert_eq!(get(&format!("{BOOK}imported-2.vcf")).as_deref(), Some("removed"), "{undone:?}");
    assert!(get(&href(&ivan["uid"])).is_some_and(|s| s != "removed"), "{undone:?}");
}

#[tokio::test]
async fn a_group_the_user_chooses_is_an_address_book_of_its_own() {
    let (app, t, pw) = setup().await;
    let dav = Dav { app: &app, auth: basic("admin", &pw) };
    let g = app.post("/api/v1/groups", Some(&t), json!({"name": "Fair 2026"})).await;
    assert_eq!(g.status, StatusCode::CREATED, "{}", g.body);
    let gid = g.body["id"].as_i64().unwrap();
    let group_book = format!("/dav/addressbooks/admin/group-{gid}/");
    let r = app.post("/api/v1/contacts", Some(&t), json!({"full_name": "Ada Member", "groups": ["Fair 2026"]})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ada = r.body;
    let bob = contact(&app, &t, "Bob Outside").await;
    let ada_card = format!("{group_book}{}.vcf", ada["uid"].as_str().unwrap());
    let bob_card = format!("{group_book}{}.vcf", bob["uid"].as_str().unwrap());

    // Not chosen yet: the home lists the team's book only, the group's book is not there.
    let home = text(&dav.propfind("/dav/addressbooks/admin/", "1", "<d:displayname/>").await);
    assert!(!home.contains("group-"), "{home}");
    assert_eq!(dav.propfind(&group_book, "0", "<d:displayname/>").await.status, StatusCode::NOT_FOUND);
    let setup0 = app.get("/api/v1/auth/carddav", &t).await;
    assert_eq!(setup0.status, StatusCode::OK, "{}", setup0.body);
    assert_eq!(setup0.body["books"].as_array().unwrap().len(), 1, "{}", setup0.body);

    // Choosing: unknown ids and too many are refused, naming the problem; nothing is kept.
    let r = app.put("/api/v1/auth/carddav/groups", &t, json!({"group_ids": [gid, 999_999]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains("999999"), "{}", r.body);
    let many: Vec<i64> = (1..=101).collect();
    let r = app.put("/api/v1/auth/carddav/groups", &t, json!({"group_ids": many})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(dav.propfind(&group_book, "0", "<d:displayname/>").await.status, StatusCode::NOT_FOUND);
    let r = app.put("/api/v1/auth/carddav/groups", &t, json!({"group_ids": [gid, gid]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let books = r.body["books"].as_array().unwrap().clone();
    assert_eq!(books.len(), 2, "{}", r.body);
    assert_eq!(books[1]["name"], "Fair 2026");
    assert_eq!(books[1]["group_id"], gid);
    assert!(books[1]["url"].as_str().unwrap().ends_with(&group_book), "{}", r.body);

    // Discovery lists it by the group's name; it holds the members only.
    let home = text(&dav.propfind("/dav/addressbooks/admin/", "1", "<d:displayname/><d:resourcetype/>").await);
    assert!(home.contains(&format!("<D:href>{group_book}</D:href>")), "{home}");
    assert!(home.contains("<D:displayname>Fair 2026</D:displayname>"), "{home}");
    let listing = text(&dav.propfind(&group_book, "1", "<d:getetag/>").await);
    assert!(listing.contains(&ada_card), "{listing}");
    assert!(!listing.contains(bob["uid"].as_str().unwrap()), "{listing}");
    let (first, t0, _) = dav.sync_in(&group_book, "", None).await;
    assert_eq!(first.iter().map(|(h, _)| h.as_str()).collect::<Vec<_>>(), vec![ada_card.as_str()]);
    assert_eq!(dav.req("GET", &ada_card, &[], "").await.status, StatusCode::OK);
    assert_eq!(dav.req("GET", &bob_card, &[], "").await.status, StatusCode::NOT_FOUND);
    // A multiget names hrefs of this book only.
    let body = format!(
        r#"<?xml version="1.0"?><c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><c:address-data/></d:prop><d:href>{ada_card}</d:href><d:href>{bob_card}</d:href><d:href>{}</d:href></c:addressbook-multiget>"#,
        href(&ada["uid"])
    );
    let got = text(&dav.req("REPORT", &group_book, &[("depth", "1")], &body).await);
    assert!(got.contains("FN:Ada Member"), "{got}");
    assert_eq!(got.matches("404 Not Found").count(), 2, "{got}");

    // Membership changes made in cardcrm reach the book: Bob joins, Ada leaves.
    let mut b = bob.clone();
    b["groups"] = json!(["Fair 2026"]);
    let r = app.put(&format!("/api/v1/contacts/{}", bob["id"]), &t, b).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut a = ada.clone();
    a["groups"] = json!([]);
    let r = app.put(&format!("/api/v1/contacts/{}", ada["id"]), &t, a).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (changes, t1, _) = dav.sync_in(&group_book, &t0, None).await;
    assert!(changes.contains(&(ada_card.clone(), "removed".into())), "{changes:?}");
    assert!(changes.iter().any(|(h, s)| h == &bob_card && s != "removed"), "{changes:?}");
    // Ada is still in the team's book.
    assert_eq!(dav.req("GET", &href(&ada["uid"]), &[], "").await.status, StatusCode::OK);

    // A card made on the phone in the group's book joins the group (and the team's book).
    let made = format!("{group_book}made-in-group.vcf");
    let r = dav.req("PUT", &made, &[("if-none-match", "*")], CARD).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", text(&r));
    let list = app.get("/api/v1/contacts?q=greta", &t).await.body;
    assert_eq!(list["total"], 1, "{list}");
    let greta = &list["items"][0];
    assert_eq!(greta["groups"][0]["name"], "Fair 2026", "{greta}");
    assert_eq!(dav.req("GET", &format!("{BOOK}made-in-group.vcf"), &[], "").await.status, StatusCode::OK);
    // Editing it there is an edit of the contact; it stays in the group.
    let etag = dav.req("GET", &made, &[], "").await.headers[header::ETAG].to_str().unwrap().to_string();
    let edited = CARD.replace("FN:Greta Lind", "FN:Greta Lind-Berg").replace("N:Lind;", "N:Lind-Berg;");
    let r = dav.req("PUT", &made, &[("if-match", &etag)], &edited).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", text(&r));
    let gid_greta = greta["id"].as_i64().unwrap();
    let c = app.get(&format!("/api/v1/contacts/{gid_greta}"), &t).await.body;
    assert_eq!(c["full_name"], "Greta Lind-Berg");
    assert_eq!(c["groups"][0]["name"], "Fair 2026", "{c}");
    // A card of the team's book outside the group cannot be written through the group's book.
    let ada_in_group_path = format!("{group_book}{}.vcf", ada["uid"].as_str().unwrap());
    let r = dav
        .req("PUT", &ada_in_group_path, &[("if-match", "*")], CARD.replace("phone-made-1", "other-uid").as_str())
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", text(&r));

    // DELETE in the group's book takes the contact out of the group, not out of cardcrm.
    let etag = dav.req("GET", &made, &[], "").await.headers[header::ETAG].to_str().unwrap().to_string();
    let r = dav.req("DELETE", &made, &[("if-match", &etag)], "").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", text(&r));
    let c = app.get(&format!("/api/v1/contacts/{gid_greta}"), &t).await.body;
    assert!(c["deleted_at"].is_null(), "not in the trash: {c}");
    assert_eq!(c["groups"], json!([]), "{c}");
    let h = app.get(&format!("/api/v1/contacts/{gid_greta}/history"), &t).await.body;
    assert!(h.to_string().contains("Fair 2026"), "the group change is in the history: {h}");
    assert_eq!(dav.req("GET", &made, &[], "").await.status, StatusCode::NOT_FOUND);
    assert_eq!(dav.req("GET", &format!("{BOOK}made-in-group.vcf"), &[], "").await.status, StatusCode::OK);
    // A contact that never was in the group is not in the group's sync, changed or not.
    let carl = contact(&app, &t, "Carl Never").await;
    let (changes, _, _) = dav.sync_in(&group_book, &t1, None).await;
    assert!(changes.contains(&(made.clone(), "removed".into())), "{changes:?}");
    assert!(!changes.iter().any(|(h, _)| h.contains(carl["uid"].as_str().unwrap())), "{changes:?}");
    let (team_changes, _, _) = dav.sync(&t1, None).await;
    assert!(team_changes.iter().any(|(h, _)| h.contains(carl["uid"].as_str().unwrap())), "{team_changes:?}");

    // A renamed group's book carries the new name; a deleted group's book is gone.
    let r = app.put(&format!("/api/v1/groups/{gid}"), &t, json!({"name": "Fair 2027", "description": ""})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = text(&dav.propfind(&group_book, "0", "<d:displayname/>").await);
    assert!(p.contains("<D:displayname>Fair 2027</D:displayname>"), "{p}");
    let r = app.call(Method::DELETE, &format!("/api/v1/groups/{gid}"), Some(&t), None).await;
    assert!(r.status.is_success(), "{}", r.status);
    assert_eq!(dav.propfind(&group_book, "0", "<d:displayname/>").await.status, StatusCode::NOT_FOUND);
    let home = text(&dav.propfind("/dav/addressbooks/admin/", "1", "<d:displayname/>").await);
    assert!(!home.contains("group-"), "{home}");
    assert_eq!(app.get("/api/v1/auth/carddav", &t).await.body["books"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn another_users_group_choice_is_their_own() {
    let (app, t, _pw) = setup().await;
    let g = app.post("/api/v1/groups", Some(&t), json!({"name": "Board"})).await;
    let gid = g.body["id"].as_i64().unwrap();
    let r = app.put("/api/v1/auth/carddav/groups", &t, json!({"group_ids": [gid]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let other = app.user(&t, "bruno").await;
    let r = app.post("/api/v1/auth/app-passwords", Some(&other), json!({"name": "phone"})).await;
    let pw = r.body["password"].as_str().unwrap().to_string();
    let dav = Dav { app: &app, auth: basic("bruno", &pw) };
    let home = text(&dav.propfind("/dav/addressbooks/bruno/", "1", "<d:displayname/>").await);
    assert!(home.contains("/dav/addressbooks/bruno/contacts/") && !home.contains("group-"), "{home}");
    let path = format!("/dav/addressbooks/bruno/group-{gid}/");
    assert_eq!(dav.propfind(&path, "0", "<d:displayname/>").await.status, StatusCode::NOT_FOUND);
    let r = dav.propfind(&format!("/dav/addressbooks/admin/group-{gid}/"), "0", "<d:displayname/>").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_merge_shows_in_a_group_book_once() {
    let (app, t, pw) = setup().await;
    let dav = Dav { app: &app, auth: basic("admin", &pw) };
    let g = app.post("/api/v1/groups", Some(&t), json!({"name": "Clients"})).await;
    let gid = g.body["id"].as_i64().unwrap();
    app.put("/api/v1/auth/carddav/groups", &t, json!({"group_ids": [gid]})).await;
    let book = format!("/dav/addressbooks/admin/group-{gid}/");
    let x =
        app.post("/api/v1/contacts", Some(&t), json!({"full_name": "Xenia Loser", "groups": ["Clients"]})).await.body;
    let y = contact(&app, &t, "Xenia Survivor").await;
    let (first, t0, _) = dav.sync_in(&book, "", None).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let versions = json!({ x["id"].to_string(): x["version"], y["id"].to_string(): y["version"] });
    let r = app
        .post(
            "/api/v1/contacts/merge",
            Some(&t),
            json!({"ids": [x["id"], y["id"]], "survivor_id": y["id"], "versions": versions}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The survivor takes the group over (a merge keeps every group of the merged contacts).
    let survivor = app.get(&format!("/api/v1/contacts/{}", y["id"]), &t).await.body;
    assert!(survivor["groups"].as_array().unwrap().iter().any(|g| g["name"] == "Clients"), "{survivor}");
    let (changes, _, _) = dav.sync_in(&book, &t0, None).await;
    let x_href = format!("{book}{}.vcf", x["uid"].as_str().unwrap());
    let y_href = format!("{book}{}.vcf", y["uid"].as_str().unwrap());
    assert!(changes.contains(&(x_href, "removed".into())), "the merged-away contact leaves: {changes:?}");
    // The survivor appears once, as changed — never two copies.
    let y_changes: Vec<_> = changes.iter().filter(|(h, _)| *h == y_href).collect();
    assert_eq!(y_changes.len(), 1, "{changes:?}");
    assert_ne!(y_changes[0].1, "removed");
    let listing = text(&dav.propfind(&book, "1", "<d:getetag/>").await);
    assert!(!listing.contains(x["uid"].as_str().unwrap()), "{listing}");
    assert!(listing.contains(y["uid"].as_str().unwrap()), "{listing}");
}
