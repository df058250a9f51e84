//! Duplicates over the REST API: check-on-create, stored pairs and their review status, the
//! keys following a contact into and out of the trash, and clear 4xx answers.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{app, TestApp};
use serde_json::{json, Value};

async fn create(app: &TestApp, t: &str, body: Value) -> i64 {
    let r = app.post("/api/v1/contacts", Some(t), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["id"].as_i64().expect("id")
}

fn anna_cyrillic() -> Value {
    json!({"first_name": "Анна", "last_name": "Петрова", "company": "ООО Акме",
           "phones": [{"kind": "mobile", "number": "+7 916 123-45-67"}]})
}

fn anna_latin() -> Value {
    json!({"first_name": "Anna", "last_name": "Petrova", "company": "Acme",
           "phones": [{"kind": "work", "number": "+79161234567"}], "emails": [{"address": "anna.petrova@acme.com"}]})
}

/// A namesake: same name, another company, another phone and e-mail.
fn anna_globex() -> Value {
    json!({"first_name": "Anna", "last_name": "Petrova", "company": "Globex",
           "phones": [{"number": "+1 212 555 0142"}], "emails": [{"address": "apetrova@globex.com"}]})
}

fn ids(candidates: &Value) -> Vec<i64> {
    candidates.as_array().expect("a list").iter().filter_map(|c| c["contact"]["id"].as_i64()).collect()
}

async fn check(app: &TestApp, t: &str, body: Value) -> Value {
    let r = app.post("/api/v1/contacts/check-duplicates", Some(t), body).await;
    assert_eq!(r.status, StatusCode::OK, "{} ({})", r.body, common::backend());
    r.body
}

#[tokio::test]
async fn check_finds_the_transliterated_contact_and_not_the_namesake() {
    let app = app().await;
    let t = app.admin().await;
    let cyr = create(&app, &t, anna_cyrillic()).await;
    let globex = create(&app, &t, anna_globex()).await;

    let found = check(&app, &t, anna_latin()).await;
    assert_eq!(ids(&found), vec![cyr], "{found}");
    let best = &found[0];
    assert!(best["score"].as_f64().unwrap_or(0.0) > 0.9, "{best}");
    assert_eq!(best["contact"]["full_name"], "Анна Петрова");
    assert_eq!(best["contact"]["phone"], "+7 916 123-45-67");
    let fields: Vec<&str> =
        best["match_fields"].as_array().unwrap().iter().filter_map(|f| f["field"].as_str()).collect();
    assert!(fields.iter().any(|f| f.contains("phone")), "{fields:?}");
    assert!(fields.iter().any(|f| f.contains("name")), "{fields:?}");

    // Editing the contact itself: it is not its own duplicate.
    let mut own = anna_cyrillic();
    own["exclude_id"] = json!(cyr);
    assert!(!ids(&check(&app, &t, own).await).contains(&cyr));
    // A draft like nobody.
    let nobody = json!({"first_name": "Zed", "last_name": "Quill", "phones": [{"number": "+44 20 7946 0018"}]});
    assert_eq!(check(&app, &t, nobody).await, json!([]));
    // The namesake is found by its own phone, not by the name alone.
    assert_eq!(ids(&check(&app, &t, anna_globex()).await), vec![globex]);
}

#[tokio::test]
async fn trash_and_edits_keep_the_keys_in_step() {
    let app = app().await;
    let t = app.admin().await;
    let cyr = create(&app, &t, anna_cyrillic()).await;
    assert_eq!(ids(&check(&app, &t, anna_latin()).await), vec![cyr]);

    let r = app.call(Method::DELETE, &format!("/api/v1/contacts/{cyr}"), Some(&t), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(check(&app, &t, anna_latin()).await, json!([]), "a contact in the trash is no candidate");
    let r = app.post(&format!("/api/v1/contacts/{cyr}/restore"), Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(ids(&check(&app, &t, anna_latin()).await), vec![cyr]);

    // After an edit the old keys are gone and the new ones answer.
    let mut edit = json!({"first_name": "Boris", "last_name": "Ivanov", "phones": [{"number": "+7 495 111-22-33"}]});
    edit["version"] = r.body["version"].clone();
    let r = app.put(&format!("/api/v1/contacts/{cyr}"), &t, edit).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(check(&app, &t, anna_latin()).await, json!([]));
    let boris = json!({"first_name": "Борис", "last_name": "Иванов", "phones": [{"number": "+74951112233"}]});
    assert_eq!(ids(&check(&app, &t, boris).await), vec![cyr]);
}

#[tokio::test]
async fn create_records_pairs_and_an_ignored_pair_stays_ignored() {
    let app = app().await;
    let t = app.admin().await;
    let a = create(&app, &t, anna_cyrillic()).await;
    create(&app, &t, anna_globex()).await;
    let b = create(&app, &t, anna_latin()).await;

    let r = app.get("/api/v1/duplicates?status=pending", &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["total"], 1, "only the real duplicate: {}", r.body);
    let pair = &r.body["items"][0];
    let pair_id = pair["id"].as_i64().unwrap();
    assert_eq!((pair["a"]["id"].as_i64(), pair["b"]["id"].as_i64()), (Some(a), Some(b)));
    assert_eq!(pair["status"], "pending");
    assert_eq!(pair["a"]["full_name"], "Анна Петрова");
    assert_eq!(pair["b"]["emails"][0]["address"], "anna.petrova@acme.com");
    assert!(pair["score"].as_f64().unwrap_or(0.0) > 0.9);
    assert!(!pair["match_fields"].as_array().unwrap().is_empty());
    assert_eq!(app.get("/api/v1/duplicates", &t).await.body["total"], 1);
    assert_eq!(app.get("/api/v1/duplicates?status=ignored", &t).await.body["total"], 0);

    let r = app.put(&format!("/api/v1/duplicates/{pair_id}/status"), &t, json!({"status": "ignored"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "ignored");
    assert_eq!(app.get("/api/v1/duplicates?status=pending", &t).await.body["total"], 0);
    assert_eq!(app.get("/api/v1/duplicates?status=ignored", &t).await.body["total"], 1);

    // A third Anna makes new pairs with both, but the ignored one does not come back.
    let c = create(&app, &t, anna_latin()).await;
    let pending = app.get("/api/v1/duplicates?status=pending&limit=50", &t).await.body;
    let pairs: Vec<(i64, i64)> = pending["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["a"]["id"].as_i64().unwrap(), p["b"]["id"].as_i64().unwrap()))
        .collect();
    assert!(pairs.contains(&(a, c)) && pairs.contains(&(b, c)), "{pairs:?}");
    assert!(!pairs.contains(&(a, b)), "{pairs:?}");
    let ignored = app.get("/api/v1/duplicates?status=ignored", &t).await.body;
    assert_eq!(ignored["total"], 1);
    assert_eq!(ignored["items"][0]["id"], pair_id);

    // Reviewed, and back to pending; a pair with a contact in the trash is not listed.
    let r = app.put(&format!("/api/v1/duplicates/{pair_id}/status"), &t, json!({"status": "reviewed"})).await;
    assert_eq!(r.body["status"], "reviewed");
    assert_eq!(app.get("/api/v1/duplicates?status=reviewed", &t).await.body["total"], 1);
    app.call(Method::DELETE, &format!("/api/v1/contacts/{c}"), Some(&t), None).await;
    assert_eq!(app.get("/api/v1/duplicates?status=pending", &t).await.body["total"], 0);

    // Paging answers like the contact list.
    let history = app.get("/api/v1/duplicates?page=1&limit=1", &t).await.body;
    assert_eq!(history["limit"], 1);
    assert_eq!(history["pages"], 1);
}

#[tokio::test]
async fn bad_input_gets_clear_4xx() {
    let app = app().await;
    let t = app.admin().await;
    create(&app, &t, anna_cyrillic()).await;
    create(&app, &t, anna_latin()).await;
    let pair_id = app.get("/api/v1/duplicates", &t).await.body["items"][0]["id"].as_i64().expect("a pair");

    let cases = [
        (json!({}), 422, "full_name"),
        (json!({"first_name": "A", "emails": [{"address": "nope"}]}), 422, "emails[0].address"),
        (json!({"first_name": "A", "phones": [{"number": "call me maybe"}]}), 422, "phones[0].number"),
        (json!({"first_name": "A", "exclude_id": "seven"}), 422, "exclude_id"),
        (json!({"first_name": "A", "exclude_id": 999999}), 404, "contact"),
    ];
    for (body, status, field) in cases {
        let r = app.post("/api/v1/contacts/check-duplicates", Some(&t), body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{body} → {}", r.body);
        assert!(r.body["detail"].as_str().unwrap_or("").contains(field), "{body} → {}", r.body);
    }
    let r = app.post("/api/v1/contacts/check-duplicates", Some(&t), json!({"first_name": 5})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["detail"].is_string());

    let put = |status: Value| json!({ "status": status });
    let path = format!("/api/v1/duplicates/{pair_id}/status");
    for (body, code, text) in [
        (put(json!("bogus")), 422, "status"),
        (put(json!("merged")), 422, "status"),
        (put(json!(3)), 422, "status"),
        (json!({}), 422, "status"),
    ] {
        let r = app.put(&path, &t, body.clone()).await;
        assert_eq!(r.status.as_u16(), code, "{body} → {}", r.body);
        assert!(r.body["detail"].as_str().unwrap_or("").contains(text), "{body} → {}", r.body);
    }
    let r = app.put("/api/v1/duplicates/999999/status", &t, put(json!("ignored"))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body["detail"].as_str().unwrap_or("").contains("duplicate pair"));
    let r = app.put("/api/v1/duplicates/abc/status", &t, put(json!("ignored"))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["detail"].is_string());
    for path in ["/api/v1/duplicates?status=maybe", "/api/v1/duplicates?page=-1", "/api/v1/duplicates?limit=x"] {
        let r = app.get(path, &t).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path} → {}", r.body);
        assert!(r.body["detail"].is_string());
    }
    // Nothing changed the pair, and signed-out callers get 401.
    assert_eq!(app.get("/api/v1/duplicates?status=pending", &t).await.body["total"], 1);
    let r = app.call(Method::GET, "/api/v1/duplicates", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.post("/api/v1/contacts/check-duplicates", None, anna_latin()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn openapi_lists_the_duplicate_endpoints() {
    let app = app().await;
    let t = app.admin().await;
    let doc = app.get("/api/v1/openapi.json", &t).await.body;
    for path in [
        "/api/v1/contacts/check-duplicates",
        "/api/v1/duplicates",
        "/api/v1/duplicates/{id}/status",
        "/api/v1/duplicates/scan",
        "/api/v1/duplicates/scan/{id}",
        "/api/v1/duplicates/settings",
        "/api/v1/contacts/merge",
        "/api/v1/merges/{id}/undo",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["DuplicateCandidate"].is_object());
}

/// The Duplicates page's server functions check the session like the REST API does.
#[tokio::test]
async fn server_functions_list_and_mark_pairs() {
    let app = app().await;
    let t = app.admin().await;
    create(&app, &t, anna_cyrillic()).await;
    create(&app, &t, anna_latin()).await;
    let sfn = |path: &str, token: Option<&str>, content_type: &str, body: String| {
        let mut req = Request::post(path).header(header::CONTENT_TYPE, content_type);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        req.body(Body::from(body)).expect("request")
    };
    let json = "application/json";
    let form = "application/x-www-form-urlencoded";
    let list = r#"{"query":{"status":"pending"}}"#.to_string();
    let r = app.raw(sfn("/api/list_duplicates", None, json, list.clone())).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.raw(sfn("/api/list_duplicates", Some(&t), json, list.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["total"], 1);
    let id = r.body["items"][0]["id"].as_i64().expect("pair id");

    let r = app.raw(sfn("/api/set_duplicate_status", None, form, format!("id={id}&status=ignored"))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.raw(sfn("/api/set_duplicate_status", Some(&t), form, format!("id={id}&status=nonsense"))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app.raw(sfn("/api/set_duplicate_status", Some(&t), form, format!("id={id}&status=ignored"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "ignored");
    let r = app.raw(sfn("/api/list_duplicates", Some(&t), json, list)).await;
    assert_eq!(r.body["total"], 0);
}

/// Polls a scan until it is done (or failed), as the Duplicates page does.
async fn wait_for_scan(app: &TestApp, t: &str, id: i64) -> Value {
    for _ in 0..400 {
        let r = app.get(&format!("/api/v1/duplicates/scan/{id}"), t).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        if r.body["status"] == "done" || r.body["status"] == "failed" {
            return r.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("scan {id} did not finish");
}

async fn scan(app: &TestApp, t: &str) -> Value {
    let r = app.post("/api/v1/duplicates/scan", Some(t), json!({})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let done = wait_for_scan(app, t, r.body["id"].as_i64().expect("scan id")).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["progress"], 1.0);
    done
}

/// Contacts stored before the duplicate keys existed (or written straight into the database):
/// no keys and no pairs. A full scan gives them keys and finds their pairs.
#[tokio::test]
async fn a_scan_backfills_keys_and_finds_the_pairs() {
    use sea_orm::EntityTrait;
    let app = app().await;
    let t = app.admin().await;
    let a = create(&app, &t, anna_cyrillic()).await;
    create(&app, &t, anna_globex()).await;
    let b = create(&app, &t, anna_latin()).await;
    let boris = json!({"first_name": "Boris", "last_name": "Ivanov", "emails": [{"address": "b.ivanov@initech.com"}]});
    let c = create(&app, &t, boris.clone()).await;
    let d = create(
        &app,
        &t,
        json!({"first_name": "Борис", "last_name": "Иванов", "company": "Initech",
                                     "emails": [{"address": "B.Ivanov@initech.com"}]}),
    )
    .await;
    entity::contact_key::Entity::delete_many().exec(&app.svc.db).await.expect("drop keys");
    entity::duplicate_pair::Entity::delete_many().exec(&app.svc.db).await.expect("drop pairs");
    assert_eq!(check(&app, &t, anna_latin()).await, json!([]), "no keys: nothing is found");

    let done = scan(&app, &t).await;
    assert_eq!(done["contacts"], 5, "{done}");
    assert_eq!(done["keys_backfilled"], 5, "{done}");
    assert_eq!(done["pairs_new"], 2, "{done}");
    assert_eq!(done["pairs_found"], 2, "{done}");
    let pending = app.get("/api/v1/duplicates?status=pending", &t).await.body;
    let mut pairs: Vec<(i64, i64)> = pending["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["a"]["id"].as_i64().unwrap(), p["b"]["id"].as_i64().unwrap()))
        .collect();
    pairs.sort();
    assert_eq!(pairs, vec![(a, b), (c, d)], "{pending}");
    assert!(!pending["items"][0]["match_fields"].as_array().unwrap().is_empty());
    // Check-on-create answers again.
    let found = ids(&check(&app, &t, anna_latin()).await);
    assert!(found.contains(&a) && found.contains(&b), "{found:?}");
    assert!(ids(&check(&app, &t, boris).await).contains(&c));
    // The latest scan is what the Duplicates page shows first.
    let latest = app.get("/api/v1/duplicates/scan", &t).await.body;
    assert_eq!(latest["id"], done["id"]);

    // Run again: nothing new; the same job is also what `cardcrm dedup scan` runs.
    let again = server::dedup_cli::scan(&app.svc).await.expect("cli scan");
    assert_eq!((again.keys_backfilled, again.pairs_found, again.pairs_new), (0, 2, 0));
}

/// An ignored pair stays ignored through new contacts, edits and full scans.
#[tokio::test]
async fn an_ignored_pair_never_comes_back() {
    let app = app().await;
    let t = app.admin().await;
    create(&app, &t, anna_cyrillic()).await;
    let b = create(&app, &t, anna_latin()).await;
    let pair = app.get("/api/v1/duplicates?status=pending", &t).await.body["items"][0]["id"].as_i64().expect("pair");
    let r = app.put(&format!("/api/v1/duplicates/{pair}/status"), &t, json!({"status": "ignored"})).await;
    assert_eq!(r.status, StatusCode::OK);

    scan(&app, &t).await;
    // An edit of one of them re-keys it; a check finds the other; still no pending pair.
    let current = app.get(&format!("/api/v1/contacts/{b}"), &t).await.body;
    let mut edit = anna_latin();
    edit["position"] = json!("CFO");
    edit["version"] = current["version"].clone();
    assert_eq!(app.put(&format!("/api/v1/contacts/{b}"), &t, edit).await.status, StatusCode::OK);
    scan(&app, &t).await;
    assert_eq!(app.get("/api/v1/duplicates?status=pending", &t).await.body["total"], 0);
    let ignored = app.get("/api/v1/duplicates?status=ignored", &t).await.body;
    assert_eq!(ignored["total"], 1);
    assert_eq!(ignored["items"][0]["id"], pair);
    assert_eq!(server::dedup_cli::scan(&app.svc).await.expect("cli scan").pairs_new, 0);
    assert_eq!(app.get("/api/v1/duplicates?status=pending", &t).await.body["total"], 0);
}

#[tokio::test]
async fn only_admins_scan_and_change_the_thresholds() {
    let app = app().await;
    let admin = app.admin().await;
    let user = app.user(&admin, "carol").await;
    let r = app.post("/api/v1/duplicates/scan", Some(&user), json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains("administrators"));
    let r = app.get("/api/v1/duplicates/settings", &user).await;
    assert_eq!(r.status, StatusCode::OK, "everyone may read the settings: {}", r.body);
    let defaults = r.body.clone();
    assert_eq!(defaults["threshold"].as_f64().map(|v| (v * 100.0).round()), Some(55.0));
    assert!(defaults["weights"]["phone_match"].as_f64().unwrap() > 0.0);
    let mut changed = defaults.clone();
    changed["threshold"] = json!(1.0);
    let r = app.put("/api/v1/duplicates/settings", &user, changed.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .raw(
            Request::post("/api/start_duplicate_scan")
                .header(header::AUTHORIZATION, format!("Bearer {user}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "the server function refuses alike: {}", r.body);
    assert_eq!(app.get("/api/v1/duplicates/settings", &admin).await.body, defaults);

    // Bad values name the field.
    for (patch, field) in [
        (json!({"threshold": 1.5}), "threshold"),
        (json!({"candidate_threshold": -0.1}), "candidate_threshold"),
        (json!({"weights": {"shoe_size": 1.0}}), "weights.shoe_size"),
        (json!({"weights": {"phone_match": 1000.0}}), "weights.phone_match"),
    ] {
        let mut body = defaults.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app.put("/api/v1/duplicates/settings", &admin, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{patch} → {}", r.body);
        assert!(r.body["detail"].as_str().unwrap().contains(field), "{patch} → {}", r.body);
    }

    // The admin raises the threshold: a new near-duplicate no longer makes a pair, and a
    // candidate threshold of 1 silences the editor's warning; back to the defaults, both return.
    let r = app.put("/api/v1/duplicates/settings", &admin, changed).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["threshold"], 1.0);
    let mut weights = json!({"phone_match": 0.0});
    weights["name_exact"] = json!(0.0);
    let mut strict = r.body.clone();
    strict["candidate_threshold"] = json!(1.0);
    strict["weights"] = weights;
    let r = app.put("/api/v1/duplicates/settings", &admin, strict).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["weights"]["phone_match"], 0.0);
    assert_eq!(r.body["weights"]["email_match"], defaults["weights"]["email_match"], "others keep their value");
    create(&app, &admin, anna_cyrillic()).await;
    create(&app, &admin, anna_latin()).await;
    assert_eq!(app.get("/api/v1/duplicates", &admin).await.body["total"], 0);
    assert_eq!(check(&app, &admin, anna_latin()).await, json!([]));
    assert_eq!(app.put("/api/v1/duplicates/settings", &admin, defaults).await.status, StatusCode::OK);
    assert_eq!(check(&app, &admin, anna_latin()).await.as_array().map(Vec::len), Some(2));
    assert_eq!(scan(&app, &admin).await["pairs_new"], 1);
}

/// The blocking keys the dedup crate gives a contact (phones already in E.164, as the CRM stores them).
fn keys_of(c: &Value) -> Vec<String> {
    let text = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    let list = |k: &str, f: &str| -> Vec<String> {
        c[k].as_array()
            .map(|a| a.iter().filter_map(|x| x[f].as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let input = dedup::ContactInput {
        id: 1,
        first_name: text("first_name"),
        last_name: text("last_name"),
        company: text("company"),
        website: text("website"),
        emails: list("emails", "address"),
        phones: list("phones", "number")
            .iter()
            .map(|p| p.chars().filter(|ch| *ch == '+' || ch.is_ascii_digit()).collect())
            .collect(),
        ..Default::default()
    };
    dedup::blocking_keys(&dedup::normalize(&input, &dedup::Settings::default()))
}

fn kinds(keys: &[String]) -> Vec<&str> {
    let mut k: Vec<&str> = keys.iter().filter_map(|k| k.split_once(':').map(|x| x.0)).collect();
    k.sort_unstable();
    k.dedup();
    k
}

#[tokio::test]
async fn check_finds_a_candidate_through_each_kind_of_key() {
    let app = app().await;
    let t = app.admin().await;
    // Every contact that shares a key is scored; a threshold of 0 returns them all, so this is
    // about the lookups, not the weights.
    let mut s = app.get("/api/v1/duplicates/settings", &t).await.body;
    s["candidate_threshold"] = json!(0.0);
    assert_eq!(app.put("/api/v1/duplicates/settings", &t, s).await.status, StatusCode::OK);
    // (key kinds shared, stored contact, draft): each draft shares only those kinds with its contact.
    let cases = [
        (
            "e",
            json!({"first_name": "Olga", "last_name": "Ivanova", "emails": [{"address": "olga.ivanova@gmail.com"}]}),
            json!({"full_name": "", "company": "x", "emails": [{"address": " OLGA.Ivanova@gmail.com"}]}),
        ),
        (
            "p p7",
            json!({"first_name": "Boris", "last_name": "Sokolov", "phones": [{"number": "+79165551234"}]}),
            json!({"company": "x", "phones": [{"number": "+79165551234"}]}),
        ),
        (
            "p7",
            json!({"first_name": "Gleb", "last_name": "Orlov", "phones": [{"number": "+79037654321"}]}),
            json!({"company": "x", "phones": [{"number": "+12127654321"}]}),
        ),
        (
            "t",
            json!({"first_name": "Dmitry", "last_name": "Volkov", "company": "Initech"}),
            json!({"first_name": "Volkov", "last_name": "Dmitry"}),
        ),
        (
            "d",
            json!({"first_name": "Irina", "last_name": "Lebedeva", "website": "https://hooli-example.com"}),
            json!({"company": "x", "website": "hooli-example.com"}),
        ),
        (
            "n",
            json!({"first_name": "Ekaterina", "last_name": "Morozova"}),
            json!({"first_name": "Elena", "last_name": "Morozova"}),
        ),
        (
            "c",
            json!({"first_name": "Ivan", "last_name": "Kuznetsov", "company": "Vector Labs"}),
            json!({"first_name": "Ivan", "last_name": "Belov", "company": "Vector Labs"}),
        ),
        (
            "d n t w",
            json!({"first_name": "Pavel", "last_name": "Zaitsev", "emails": [{"address": "pavel@zaitsev-example.org"}]}),
            json!({"first_name": "Pavel", "last_name": "Zaitsev", "website": "www.zaitsev-example.org"}),
        ),
    ];
    for (want, stored, draft) in cases {
        let (ks, kd) = (keys_of(&stored), keys_of(&draft));
        let shared: Vec<String> = ks.iter().filter(|k| kd.contains(k)).cloned().collect();
        assert_eq!(kinds(&shared).join(" "), want, "stored {ks:?}, draft {kd:?}");
        let id = create(&app, &t, stored).await;
        let found = check(&app, &t, draft.clone()).await;
        assert!(ids(&found).contains(&id), "{want}: {draft} → {found} ({})", common::backend());
    }
    // Nobody shares a key with this draft: nothing is looked up as a candidate.
    let nobody = json!({"first_name": "Zed", "last_name": "Quill", "phones": [{"number": "+442079460018"}]});
    assert_eq!(check(&app, &t, nobody).await, json!([]));
}

#[tokio::test]
async fn check_on_create_reads_the_database_in_one_query() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let app = app().await;
    let t = app.admin().await;
    let cyr = create(&app, &t, anna_cyrillic()).await;
    create(&app, &t, anna_globex()).await;
    let token = service::accounts::auth::authenticate(&app.svc, &t).await.expect("actor");
    let statements = Arc::new(AtomicUsize::new(0));
    let mut svc = app.svc.clone();
    let counter = statements.clone();
    svc.db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let input: service::dto::CheckDuplicatesInput = serde_json::from_value(anna_latin()).expect("draft");
    let found = service::duplicates::check(&svc, &token, input).await.expect("check");
    assert_eq!(found.first().map(|c| c.contact.id), Some(cyr));
    assert_eq!(found[0].contact.phone.as_deref(), Some("+7 916 123-45-67"));
    // The settings (matching + default region) come from the in-memory snapshot the creates above
    // filled; ONE statement does the keys' lookups with the candidates' rows, phones and e-mails.
    assert_eq!(statements.load(Ordering::SeqCst), 1, "{}", common::backend());
}

/// After an upgrade that changes how keys are made (`dedup::KEYS_VERSION`), the stored keys are
/// recomputed by a background scan; a contact known only by name and postal address is then found
/// by check-on-create.
#[tokio::test]
async fn keys_from_an_older_version_are_recomputed_and_name_and_address_find_the_contact() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = app().await;
    let t = app.admin().await;
    let id = create(
        &app,
        &t,
        json!({"first_name": "Katharina", "last_name": "Weber", "address": "Lindenallee 17, 50667 Köln"}),
    )
    .await;
    // As a database of the previous version: only the old key kinds, version 1 on record.
    let db = &app.svc.db;
    let backend = db.get_database_backend();
    let new_kinds = "substr(key, 1, 2) NOT IN ('e:', 'p:', 'p7', 't:', 'n:', 'c:', 'd:', 'w:')";
    db.execute_raw(Statement::from_string(backend, format!("DELETE FROM contact_keys WHERE {new_kinds}")))
        .await
        .unwrap();
    db.execute_raw(Statement::from_string(
        backend,
        "INSERT INTO settings (key, value, updated_at) VALUES ('duplicate_keys_version', '1', CURRENT_TIMESTAMP) \
         ON CONFLICT (key) DO UPDATE SET value = '1'"
            .to_string(),
    ))
    .await
    .unwrap();
    app.svc.settings.invalidate();
    let new_keys = || async {
        let sql = format!("SELECT COUNT(*) FROM contact_keys WHERE {new_kinds}");
        let row = db.query_one_raw(Statement::from_string(backend, sql)).await.unwrap().unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    };
    let before = new_keys().await;
    assert_eq!(before, 0);

    let scan = service::duplicates::duplicate_scans::rekey_if_outdated(&app.svc).await.unwrap().expect("a scan starts");
    let started = std::time::Instant::now();
    loop {
        let r = app.get(&format!("/api/v1/duplicates/scan/{scan}"), &t).await;
        if r.body["status"] == "done" {
            break;
        }
        assert_ne!(r.body["status"], "failed", "{}", r.body);
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "{}", r.body);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let after = new_keys().await;
    assert!(after > 0, "the new key kinds were added");
    assert!(
        service::duplicates::duplicate_scans::rekey_if_outdated(&app.svc).await.unwrap().is_none(),
        "up to date now"
    );
    // The same person typed again with a typo and no phone or e-mail is found.
    let found = check(
        &app,
        &t,
        json!({"first_name": "Katharina", "last_name": "Webber", "address": "Lindenallee 17, 50667 Köln"}),
    )
    .await;
    assert_eq!(ids(&found), vec![id], "{found}");
}
