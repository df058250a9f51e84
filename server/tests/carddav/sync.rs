//! Reading and syncing: PROPFIND, multiget, sync-collection, with writers and imports racing a phone.

use super::*;

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
