//! Merging duplicates over the REST API: preview, merge of two or three contacts with a choice per
//! field, tags/groups/scans/history moving to the survivor, the others hidden but kept, the
//! version check (409 under a concurrent edit), and undo restoring the database exactly.

mod common;

use axum::http::{Method, StatusCode};
use common::{app, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{json, Value};

async fn create(app: &TestApp, t: &str, body: Value) -> Value {
    let r = app.post("/api/v1/contacts", Some(t), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

fn anna_cyrillic() -> Value {
    json!({"first_name": "Анна", "last_name": "Петрова", "company": "ООО Акме", "position": "CTO",
           "phones": [{"kind": "mobile", "number": "+7 916 123-45-67"}], "tags": ["vip"], "groups": ["Expo 2026"]})
}

fn anna_latin() -> Value {
    json!({"first_name": "Anna", "last_name": "Petrova", "company": "Acme", "address": "Moscow, Tverskaya 1",
           "phones": [{"kind": "work", "number": "+79161234567"}, {"kind": "work", "number": "+7 495 765-43-21"}],
           "emails": [{"address": "anna.petrova@acme.com"}], "tags": ["lead"]})
}

fn anna_third() -> Value {
    json!({"first_name": "Anna", "last_name": "Petrova", "company": "Acme Ltd",
           "emails": [{"address": "Anna.Petrova@acme.com"}, {"address": "anna@petrova.me"}], "groups": ["Partners"]})
}

/// Everything a merge may touch, straight from the database, in a comparable form.
#[derive(Debug, PartialEq)]
struct State {
    contacts: Vec<entity::contact::Model>,
    phones: Vec<entity::contact_phone::Model>,
    emails: Vec<entity::contact_email::Model>,
    tags: Vec<(i64, i64)>,
    groups: Vec<(i64, i64)>,
    keys: Vec<(i64, String)>,
    pairs: Vec<entity::duplicate_pair::Model>,
    scans: Vec<(i64, Option<i64>)>,
    /// History rows that existed before (id → contact), ignoring the merge's own entries.
    history: Vec<(i64, Option<i64>)>,
}

async fn state(app: &TestApp, history_upto: i64) -> State {
    use entity::*;
    let db = &app.svc.db;
    let mut tags: Vec<(i64, i64)> =
        contact_tag::Entity::find().all(db).await.unwrap().into_iter().map(|t| (t.contact_id, t.tag_id)).collect();
    tags.sort();
    let mut groups: Vec<(i64, i64)> = contact_group_member::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|g| (g.contact_id, g.group_id))
        .collect();
    groups.sort();
    let mut keys: Vec<(i64, String)> =
        contact_key::Entity::find().all(db).await.unwrap().into_iter().map(|k| (k.contact_id, k.key)).collect();
    keys.sort();
    State {
        contacts: contact::Entity::find().order_by_asc(contact::Column::Id).all(db).await.unwrap(),
        phones: contact_phone::Entity::find().order_by_asc(contact_phone::Column::Id).all(db).await.unwrap(),
        emails: contact_email::Entity::find().order_by_asc(contact_email::Column::Id).all(db).await.unwrap(),
        tags,
        groups,
        keys,
        pairs: duplicate_pair::Entity::find().order_by_asc(duplicate_pair::Column::Id).all(db).await.unwrap(),
        scans: card_scan::Entity::find()
            .order_by_asc(card_scan::Column::Id)
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.id, s.contact_id))
            .collect(),
        history: audit_log::Entity::find()
            .filter(audit_log::Column::Id.lte(history_upto))
            .order_by_asc(audit_log::Column::Id)
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.id, a.contact_id))
            .collect(),
    }
}

async fn last_audit_id(app: &TestApp) -> i64 {
    use entity::audit_log;
    audit_log::Entity::find().order_by_desc(audit_log::Column::Id).one(&app.svc.db).await.unwrap().map_or(0, |a| a.id)
}

/// A card scan row linked to `contact` (as the scans service leaves it once a card is saved).
async fn scan_for(app: &TestApp, contact: i64) -> i64 {
    use entity::{card_scan, user};
    use sea_orm::ActiveModelTrait;
    let owner = user::Entity::find().one(&app.svc.db).await.unwrap().expect("a user").id;
    let now = chrono::Utc::now();
    card_scan::ActiveModel {
        uid: Set(format!("scan-{contact}")),
        status: Set("done".into()),
        image_sha256: Set("00".repeat(32)),
        image_path: Set("scans/x.jpg".into()),
        content_type: Set("image/jpeg".into()),
        size_bytes: Set(10),
        engine: Set(None),
        result: Set(None),
        error: Set(None),
        attempts: Set(1),
        owner_id: Set(owner),
        contact_id: Set(Some(contact)),
        created_at: Set(now),
        updated_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(&app.svc.db)
    .await
    .expect("insert scan")
    .id
}

/// A contact's history as the UI shows it, without the entries a merge and its undo add.
async fn history(app: &TestApp, t: &str, id: i64) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/contacts/{id}/history"), t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| !["merge", "merged", "unmerge"].contains(&h["action"].as_str().unwrap_or("")))
        .cloned()
        .collect()
}

fn list_ids(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap().iter().filter_map(|c| c["id"].as_i64()).collect()
}

#[tokio::test]
async fn merge_then_undo_restores_everything_exactly() {
    let app = app().await;
    let t = app.admin().await;
    let a = create(&app, &t, anna_cyrillic()).await;
    let b = create(&app, &t, anna_latin()).await;
    let c = create(&app, &t, anna_third()).await;
    let (a_id, b_id, c_id) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap(), c["id"].as_i64().unwrap());
    // Some history on b (an edit), a card scan on c, and a reviewed pair.
    let mut edit = anna_latin();
    edit["position"] = json!("Head of Sales");
    edit["version"] = b["version"].clone();
    let b = app.put(&format!("/api/v1/contacts/{b_id}"), &t, edit).await.body;
    let scan = scan_for(&app, c_id).await;
    let pairs = app.get("/api/v1/duplicates?limit=50", &t).await.body;
    assert!(pairs["total"].as_u64().unwrap() >= 2, "{pairs}");
    let pair_id = pairs["items"][0]["id"].as_i64().unwrap();
    let r = app.put(&format!("/api/v1/duplicates/{pair_id}/status"), &t, json!({"status": "reviewed"})).await;
    assert_eq!(r.status, StatusCode::OK);

    let upto = last_audit_id(&app).await;
    let before = state(&app, upto).await;
    let histories_before =
        [history(&app, &t, a_id).await, history(&app, &t, b_id).await, history(&app, &t, c_id).await];

    let versions =
        json!({ a_id.to_string(): a["version"], b_id.to_string(): b["version"], c_id.to_string(): c["version"] });
    let body = json!({
        "ids": [a_id, b_id, c_id], "survivor_id": b_id,
        "fields": {"first_name": a_id, "last_name": a_id, "company": c_id, "position": b_id, "notes": "met at the expo"},
        "keep_all_phones": true, "keep_all_emails": true, "versions": versions, "dry_run": true,
    });
    // A dry run previews and changes nothing.
    let r = app.post("/api/v1/contacts/merge", Some(&t), body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["merge_id"], Value::Null);
    let preview = r.body["survivor"].clone();
    assert_eq!(preview["id"], b_id);
    assert_eq!(preview["full_name"], "Анна Петрова");
    assert_eq!(preview["company"], "Acme Ltd");
    assert_eq!(preview["position"], "Head of Sales");
    assert_eq!(preview["notes"], "met at the expo");
    assert_eq!(state(&app, upto).await, before, "a dry run must not change anything");

    let mut real = body.clone();
    real["dry_run"] = json!(false);
    let r = app.post("/api/v1/contacts/merge", Some(&t), real.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let merge_id = r.body["merge_id"].as_i64().expect("merge id");
    let s = &r.body["survivor"];
    for field in ["full_name", "company", "position", "notes"] {
        assert_eq!(s[field], preview[field], "{field}: the merge gives what the preview showed");
    }
    let phones: Vec<&str> = s["phones"].as_array().unwrap().iter().filter_map(|p| p["e164"].as_str()).collect();
    assert_eq!(phones, vec!["+79161234567", "+74957654321"], "every distinct phone, once");
    let emails: Vec<&str> = s["emails"].as_array().unwrap().iter().filter_map(|e| e["address"].as_str()).collect();
    assert_eq!(emails, vec!["anna.petrova@acme.com", "anna@petrova.me"]);
    let tags: Vec<&str> = s["tags"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(tags, vec!["lead", "vip"]);
    let groups: Vec<&str> = s["groups"].as_array().unwrap().iter().filter_map(|g| g["name"].as_str()).collect();
    assert_eq!(groups, vec!["Expo 2026", "Partners"]);
    let mut merged = r.body["merged_ids"].as_array().unwrap().iter().filter_map(Value::as_i64).collect::<Vec<_>>();
    merged.sort();
    assert_eq!(merged, vec![a_id, c_id]);

    // The others are hidden from the list and search, kept, and cannot be edited on their own.
    let list = app.get("/api/v1/contacts?limit=50", &t).await.body;
    assert_eq!(list_ids(&list), vec![b_id], "{list}");
    let found = app.get("/api/v1/contacts?q=petrova", &t).await.body;
    assert_eq!(list_ids(&found), vec![b_id]);
    let r = app.get(&format!("/api/v1/contacts/{a_id}"), &t).await;
    assert_eq!(r.status, StatusCode::OK);
    let mut edit = anna_cyrillic();
    edit["version"] = r.body["version"].clone();
    let r = app.put(&format!("/api/v1/contacts/{a_id}"), &t, edit).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains("merged into"), "{}", r.body);
    // The card scan and the history moved; the pairs among them are merged.
    let db_scan = entity::card_scan::Entity::find_by_id(scan).one(&app.svc.db).await.unwrap().unwrap();
    assert_eq!(db_scan.contact_id, Some(b_id));
    let h = app.get(&format!("/api/v1/contacts/{b_id}/history"), &t).await.body;
    let actions: Vec<&str> = h.as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions.first(), Some(&"merge"), "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "create").count(), 3, "the others' history shows on the survivor");
    let merged_pairs = app.get("/api/v1/duplicates?status=merged&limit=50", &t).await.body;
    assert!(merged_pairs["total"].as_u64().unwrap() >= 2, "{merged_pairs}");
    assert_eq!(app.get("/api/v1/duplicates?status=pending", &t).await.body["total"], 0);
    // The survivor's merges, from either side.
    let m = app.get(&format!("/api/v1/contacts/{a_id}/merges"), &t).await.body;
    assert_eq!(m["merged_into"]["id"], b_id, "{m}");
    assert_eq!(m["merges"][0]["id"], merge_id);
    assert_eq!(m["merges"][0]["can_undo"], true);
    // Merging a merged contact again is refused.
    let r = app.post("/api/v1/contacts/merge", Some(&t), real).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    let r = app.post(&format!("/api/v1/merges/{merge_id}/undo"), Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(state(&app, upto).await, before, "undo restores every row exactly ({})", common::backend());
    let histories_after = [history(&app, &t, a_id).await, history(&app, &t, b_id).await, history(&app, &t, c_id).await];
    assert_eq!(histories_after, histories_before);
    let mut ids = list_ids(&app.get("/api/v1/contacts?limit=50", &t).await.body);
    ids.sort();
    assert_eq!(ids, vec![a_id, b_id, c_id]);
    let r = app.post(&format!("/api/v1/merges/{merge_id}/undo"), Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body["detail"].as_str().unwrap().contains("already undone"), "{}", r.body);
}

#[tokio::test]
async fn undo_is_refused_once_the_survivor_was_edited() {
    let app = app().await;
    let t = app.admin().await;
    let a = create(&app, &t, anna_cyrillic()).await;
    let b = create(&app, &t, anna_latin()).await;
    let (a_id, b_id) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let body = json!({"ids": [a_id, b_id], "survivor_id": a_id,
                      "versions": {a_id.to_string(): a["version"], b_id.to_string(): b["version"]}});
    let r = app.post("/api/v1/contacts/merge", Some(&t), body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let merge_id = r.body["merge_id"].as_i64().unwrap();
    let mut edit = r.body["survivor"].clone();
    edit["position"] = json!("CEO");
    let r = app.put(&format!("/api/v1/contacts/{a_id}"), &t, edit).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let upto = last_audit_id(&app).await;
    let before = state(&app, upto).await;
    let r = app.post(&format!("/api/v1/merges/{merge_id}/undo"), Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let detail = r.body["detail"].as_str().unwrap();
    assert!(detail.contains("edited after the merge"), "{detail}");
    assert_eq!(state(&app, upto).await, before, "a refused undo changes nothing");
    let m = app.get(&format!("/api/v1/contacts/{a_id}/merges"), &t).await.body;
    assert_eq!(m["merges"][0]["can_undo"], false);
    assert!(m["merges"][0]["undo_blocked"].as_str().unwrap().contains("edited after the merge"));
}

#[tokio::test]
async fn a_concurrent_edit_makes_the_merge_409_and_changes_nothing() {
    let app = app().await;
    let t = app.admin().await;
    let a = create(&app, &t, anna_cyrillic()).await;
    let b = create(&app, &t, anna_latin()).await;
    let (a_id, b_id) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    // Someone edits b after the merging user read it.
    let mut edit = anna_latin();
    edit["company"] = json!("Acme International");
    edit["version"] = b["version"].clone();
    assert_eq!(app.put(&format!("/api/v1/contacts/{b_id}"), &t, edit).await.status, StatusCode::OK);
    let upto = last_audit_id(&app).await;
    let before = state(&app, upto).await;
    let stale = json!({"ids": [a_id, b_id], "fields": {"company": b_id},
                       "versions": {a_id.to_string(): a["version"], b_id.to_string(): b["version"]}});
    let r = app.post("/api/v1/contacts/merge", Some(&t), stale).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains(&format!("contact {b_id}")), "{}", r.body);
    assert_eq!(state(&app, upto).await, before);
    assert_eq!(last_audit_id(&app).await, upto, "no audit entry for a refused merge");
}

#[tokio::test]
async fn bad_merge_requests_get_clear_4xx() {
    let app = app().await;
    let t = app.admin().await;
    let a = create(&app, &t, anna_cyrillic()).await;
    let b = create(&app, &t, anna_latin()).await;
    let gone = create(&app, &t, json!({"full_name": "Old Friend", "phones": [{"number": "+1 212 555 0199"}]})).await;
    let (a_id, b_id, gone_id) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap(), gone["id"].as_i64().unwrap());
    app.call(Method::DELETE, &format!("/api/v1/contacts/{gone_id}"), Some(&t), None).await;
    let v = |ids: &[i64]| -> Value {
        ids.iter().map(|i| (i.to_string(), json!(1))).collect::<serde_json::Map<_, _>>().into()
    };
    let cases = [
        (json!({"ids": [a_id], "versions": v(&[a_id])}), 422, "ids"),
        (json!({"ids": [a_id, a_id], "versions": v(&[a_id])}), 422, "ids"),
        (json!({"ids": [a_id, b_id]}), 422, "version"),
        (
            json!({"ids": [a_id, b_id], "versions": v(&[a_id, b_id]), "fields": {"shoe_size": a_id}}),
            422,
            "fields.shoe_size",
        ),
        (json!({"ids": [a_id, b_id], "versions": v(&[a_id, b_id]), "fields": {"company": 999}}), 422, "fields.company"),
        (
            json!({"ids": [a_id, b_id], "versions": v(&[a_id, b_id]), "fields": {"phones": "+1 555"}}),
            422,
            "fields.phones",
        ),
        (
            json!({"ids": [a_id, b_id], "versions": v(&[a_id, b_id]), "fields": {"website": "not a site"}}),
            422,
            "website",
        ),
        (json!({"ids": [a_id, b_id], "versions": v(&[a_id, b_id]), "survivor_id": 5}), 422, "survivor_id"),
        (json!({"ids": [a_id, 999999], "versions": v(&[a_id, 999999])}), 404, "999999"),
        (json!({"ids": [a_id, gone_id], "versions": v(&[a_id, gone_id])}), 409, "trash"),
        (json!({"ids": "all"}), 422, "ids"),
    ];
    for (body, status, text) in cases {
        let r = app.post("/api/v1/contacts/merge", Some(&t), body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{body} → {}", r.body);
        assert!(r.body["detail"].as_str().unwrap_or("").contains(text), "{body} → {}", r.body);
    }
    for (path, status) in [("/api/v1/merges/999/undo", 404), ("/api/v1/merges/x/undo", 400)] {
        let r = app.post(path, Some(&t), json!({})).await;
        assert_eq!(r.status.as_u16(), status, "{path} → {}", r.body);
        assert!(r.body["detail"].is_string());
    }
    let r = app.post("/api/v1/contacts/merge", None, json!({"ids": [a_id, b_id]})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/contacts/999999/merges", &t).await.status, StatusCode::NOT_FOUND);
    // Nothing was merged along the way.
    let mut ids = list_ids(&app.get("/api/v1/contacts?limit=50", &t).await.body);
    ids.sort();
    assert_eq!(ids, vec![a_id, b_id]);
}

/// Any signed-in user may merge (as they may edit); the Leptos server function refuses like REST.
#[tokio::test]
async fn a_user_merges_and_undoes_through_the_server_functions() {
    use axum::body::Body;
    use axum::http::{header, Request};
    let app = app().await;
    let admin = app.admin().await;
    let t = app.user(&admin, "bob").await;
    let a = create(&app, &t, anna_cyrillic()).await;
    let b = create(&app, &t, anna_latin()).await;
    let (a_id, b_id) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let input = json!({"input": {"ids": [a_id, b_id], "fields": {"company": a_id},
                       "versions": {a_id.to_string(): a["version"], b_id.to_string(): b["version"]}}});
    let call = |path: &str, token: Option<&str>, body: String| {
        let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        req.body(Body::from(body)).expect("request")
    };
    let r = app.raw(call("/api/merge_contacts", None, input.to_string())).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.raw(call("/api/merge_contacts", Some(&t), input.to_string())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["survivor"]["company"], "ООО Акме");
    let merge_id = r.body["merge_id"].as_i64().unwrap();
    let r = app.raw(call("/api/undo_merge", Some(&t), json!({"id": merge_id}).to_string())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut ids = list_ids(&app.get("/api/v1/contacts?limit=50", &t).await.body);
    ids.sort();
    assert_eq!(ids, vec![a_id, b_id]);
}
