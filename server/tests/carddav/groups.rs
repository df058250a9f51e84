//! Group address books: one per group a user chooses, their own choice, merges shown once.

use super::*;

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
