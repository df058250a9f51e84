//! Writing from a phone: PUT and DELETE with ETags, and bad requests answered with a 4xx.

use super::*;

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
