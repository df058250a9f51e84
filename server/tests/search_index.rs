//! The embedded contact index (`service::search::contact_index`) follows every write — edits, the trash,
//! restores, merges and their undo, another instance's writes, an import larger than a search
//! catches up itself — and is built again when it is ahead of the database.

mod common;

use axum::http::{Method, StatusCode};
use common::{app_with, TestApp};
use serde_json::{json, Value};
use service::search::contact_index::{ContactIndex, INLINE_GAP};
use std::time::Duration;

fn with_index(svc: service::Services) -> service::Services {
    svc.with_search_index(ContactIndex::open(None).expect("index in memory"))
}

fn found(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|c| c["full_name"].as_str().unwrap().to_string()).collect()
}

async fn search(app: &TestApp, t: &str, q: &str) -> Vec<String> {
    let r = app.get(&format!("/api/v1/contacts/search?q={}", q.replace(' ', "%20")), t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    found(&r.body)
}

async fn create(app: &TestApp, t: &str, body: Value) -> Value {
    let r = app.post("/api/v1/contacts", Some(t), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

/// Whether the index (not the database) can answer `q` with the contact `id` first.
async fn index_finds(app: &TestApp, q: &str, id: i64) -> bool {
    let index = app.svc.index.as_ref().expect("an index");
    match index.ids(&app.svc.db, q, 10).await.expect("index search") {
        Some(ids) => ids.first() == Some(&id),
        None => false,
    }
}

#[tokio::test]
async fn the_index_follows_edits_the_trash_restores_and_merges() {
    let app = app_with(with_index).await;
    let t = app.admin().await;
    let anna = create(
        &app,
        &t,
        json!({"first_name": "Anna", "last_name": "Petrova", "company": "Northwind Traders",
               "phones": [{"number": "+7 916 123-45-67"}], "emails": [{"address": "anna.petrova@northwind.example"}]}),
    )
    .await;
    let id = anna["id"].as_i64().unwrap();
    create(&app, &t, json!({"first_name": "Иван", "last_name": "Кузнецов", "company": "Ромашка"})).await;

    // As typed, with a typo, by phone digits, by e-mail, Cyrillic typed in Latin letters.
    assert!(index_finds(&app, "petr", id).await);
    for q in ["petr", "Petorva", "northw", "1234567", "anna.petrova@northwind", "kuznetsov"] {
        assert!(!search(&app, &t, q).await.is_empty(), "{q}");
    }
    assert_eq!(search(&app, &t, "kuznetsov").await, ["Иван Кузнецов"]);

    // An edit: the new company is found at once, the old one no longer.
    let mut edit = anna.clone();
    edit["company"] = json!("Contoso Shipping");
    let r = app.put(&format!("/api/v1/contacts/{id}"), &t, edit).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(index_finds(&app, "contoso", id).await);
    assert_eq!(search(&app, &t, "contoso").await, ["Anna Petrova"]);
    assert!(search(&app, &t, "northwind traders").await.is_empty());

    // The trash: gone from the search box at once; restored: back.
    let r = app.call(Method::DELETE, &format!("/api/v1/contacts/{id}"), Some(&t), None).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert!(search(&app, &t, "petrova").await.is_empty());
    assert!(!index_finds(&app, "petrova", id).await);
    let r = app.post(&format!("/api/v1/contacts/{id}/restore"), Some(&t), json!({})).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(search(&app, &t, "petrova").await, ["Anna Petrova"]);

    // A merge: the merged contact disappears, the survivor carries its phone; undo brings it back.
    let twin = create(
        &app,
        &t,
        json!({"first_name": "Anya", "last_name": "Petrova", "company": "Contoso Shipping",
               "phones": [{"number": "+7 903 555-01-02"}]}),
    )
    .await;
    let twin_id = twin["id"].as_i64().unwrap();
    let current = app.get(&format!("/api/v1/contacts/{id}"), &t).await.body;
    let versions = json!({ id.to_string(): current["version"], twin_id.to_string(): twin["version"] });
    let r = app
        .post(
            "/api/v1/contacts/merge",
            Some(&t),
            json!({"ids": [id, twin_id], "survivor_id": id, "keep_all_phones": true, "versions": versions,
                   "fields": {"first_name": id, "last_name": id, "company": id}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let merge_id = r.body["merge_id"].as_i64().unwrap();
    assert_eq!(search(&app, &t, "petrova").await, ["Anna Petrova"]);
    assert!(index_finds(&app, "5550102", id).await, "the survivor holds the merged phone");
    let r = app.post(&format!("/api/v1/merges/{merge_id}/undo"), Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut after_undo = search(&app, &t, "petrova").await;
    after_undo.sort();
    assert_eq!(after_undo, ["Anna Petrova", "Anya Petrova"]);

    let index = app.svc.index.as_ref().unwrap();
    assert_eq!(index.contacts(), 3, "live contacts only");
}

/// Another instance's write (the same database, its own index) is seen by the next search once
/// the last look at the change log is older than the recheck bound (0 here).
#[tokio::test]
async fn another_instances_writes_are_seen() {
    let app = app_with(with_index).await;
    let t = app.admin().await;
    let other = app.svc.clone().with_search_index(ContactIndex::open(None).unwrap().with_recheck(Duration::ZERO));
    let actor = service::accounts::auth::actor_by_username(&app.svc, "admin").await.unwrap();
    let none = service::search::hits(&other, &actor, "wojcik", 10).await.unwrap();
    assert!(none.is_empty());
    let c = create(&app, &t, json!({"first_name": "Zofia", "last_name": "Wójcik", "company": "Fabrikam"})).await;
    // `other` answers from its own index, which catches up from the change log first.
    let hits = service::search::hits(&other, &actor, "wojcik", 10).await.unwrap();
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), [c["id"].as_i64().unwrap()]);
    let index = other.index.as_ref().unwrap();
    assert_eq!(index.contacts(), 1);
}

/// More changes than a search catches up itself: the database answers meanwhile (nothing is
/// missed), and the follower's catch-up brings the index up to date.
#[tokio::test]
async fn a_large_import_is_answered_by_the_database_until_the_index_caught_up() {
    let app = app_with(with_index).await;
    let t = app.admin().await;
    let actor = service::accounts::auth::actor_by_username(&app.svc, "admin").await.unwrap();
    let n = INLINE_GAP as usize + 50;
    let lines: String = (0..n)
        .map(|i| {
            format!(
                "{}\n",
                json!({"first_name": format!("Person{i}"), "last_name": "Bulkimport", "company": format!("Firm {i}")})
            )
        })
        .collect();
    let opts = service::import_dto::ImportOptions {
        format: Some("jsonl".into()),
        on_duplicate: "create".into(),
        ..Default::default()
    };
    let job = service::transfer::imports::create_job(&app.svc, &actor, lines.into_bytes(), Some("p.jsonl"), opts, None)
        .await
        .unwrap();
    service::transfer::imports::run(&app.svc, &actor, job).await.unwrap();
    let index = app.svc.index.as_ref().unwrap();
    assert_eq!(index.ids(&app.svc.db, "bulkimport", 5).await.unwrap(), None, "too far behind to answer");
    assert_eq!(search(&app, &t, "bulkimport").await.len(), 10, "the database answers meanwhile");
    let done = index.catch_up(&app.svc.db, 10).await.unwrap();
    assert!(done.current);
    assert_eq!(index.contacts(), n as u64);
    let ids = index.ids(&app.svc.db, "person7 bulkimport", 5).await.unwrap().expect("current");
    assert!(!ids.is_empty());
}

/// An index holding a change number the database has not reached (the database was replaced or
/// restored from an older backup) is emptied and built again from the database.
#[tokio::test]
async fn an_index_ahead_of_the_database_is_built_again() {
    let dir = std::env::temp_dir().join(format!("cardcrm-index-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let first = app_with(|svc| svc).await;
        let t = first.admin().await;
        for i in 0..5 {
            create(&first, &t, json!({"first_name": format!("Old{i}"), "last_name": "Database"})).await;
        }
        let index = ContactIndex::open(Some(&dir)).unwrap();
        assert!(index.catch_up(&first.svc.db, 10).await.unwrap().current);
        assert_eq!(index.contacts(), 5);
    }
    let second = app_with(|svc| svc).await;
    let t = second.admin().await;
    let c = create(&second, &t, json!({"first_name": "New", "last_name": "Database"})).await;
    let index = ContactIndex::open(Some(&dir)).unwrap();
    assert!(index.change_number() > 1, "the old index remembers the old database's changes");
    let ids = index.ids(&second.svc.db, "database", 10).await.unwrap();
    assert_eq!(ids, None, "never answers from an index ahead of the database");
    assert!(index.catch_up(&second.svc.db, 10).await.unwrap().current);
    assert_eq!(index.contacts(), 1);
    assert_eq!(index.ids(&second.svc.db, "database", 10).await.unwrap(), Some(vec![c["id"].as_i64().unwrap()]));
    drop(index);
    let _ = std::fs::remove_dir_all(&dir);
}
