//! Discovery from the bare host and signing in: app passwords only, failed attempts throttled.

use super::*;

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
