//! Contacts over the REST API: CRUD, versioning, validation, trash, search, filters, history.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{app, app_with};
use serde_json::{json, Value};

fn anna() -> Value {
    json!({
        "first_name": "Anna", "last_name": "Petrova", "company": "Acme GmbH", "position": "Head of Sales",
        "phones": [{"kind": "mobile", "number": "+7 916 123-45-67"}, {"kind": "work", "number": "+49 30 1234567"}],
        "emails": [{"kind": "work", "address": "Anna.Petrova@acme.com"}],
        "tags": ["vip", "conference"], "groups": ["Berlin 2026"], "website": "acme.com"
    })
}

#[tokio::test]
async fn create_read_update_delete_restore() {
    let app = app().await;
    let t = app.admin().await;
    let r = app.post("/api/v1/contacts", Some(&t), anna()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let c = r.body;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["full_name"], "Anna Petrova");
    assert_eq!(c["version"], 1);
    assert_eq!(c["source"], "manual");
    assert_eq!(c["sequence_number"], id);
    assert_eq!(c["phones"][0]["e164"], "+79161234567");
    assert_eq!(c["phones"][1]["e164"], "+49301234567");
    assert_eq!(c["phones"][1]["number"], "+49 30 1234567", "the typed text is kept");
    assert_eq!(c["tags"].as_array().unwrap().len(), 2);
    assert!(c["tags"][0]["color"].as_str().unwrap().starts_with('#'));
    assert_eq!(c["groups"][0]["name"], "Berlin 2026");
    assert!(c["uid"].as_str().unwrap().len() >= 32);

    let r = app.get(&format!("/api/v1/contacts/{id}"), &t).await;
    assert_eq!(r.body, c);

    let mut edit = anna();
    edit["company"] = json!("Acme AG");
    edit["phones"] = json!([{"kind": "mobile", "number": "+7 916 123-45-67"}]);
    edit["version"] = json!(1);
    let r = app.put(&format!("/api/v1/contacts/{id}"), &t, edit.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["company"], "Acme AG");
    assert_eq!(r.body["phones"].as_array().unwrap().len(), 1);

    // A stale version is a conflict and changes nothing.
    edit["company"] = json!("Stale Inc");
    let r = app.put(&format!("/api/v1/contacts/{id}"), &t, edit.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body["detail"].as_str().unwrap().contains("version"));
    assert_eq!(app.get(&format!("/api/v1/contacts/{id}"), &t).await.body["company"], "Acme AG");
    // No version at all is a validation error naming it.
    edit.as_object_mut().unwrap().remove("version");
    let r = app.put(&format!("/api/v1/contacts/{id}"), &t, edit).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["detail"].as_str().unwrap().starts_with("version"));

    let r = app.call(Method::DELETE, &format!("/api/v1/contacts/{id}"), Some(&t), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["deleted_at"].is_string());
    assert_eq!(app.get("/api/v1/contacts", &t).await.body["total"], 0);
    let trash = app.get("/api/v1/contacts?trash=true", &t).await;
    assert_eq!(trash.body["total"], 1);
    let r = app.post(&format!("/api/v1/contacts/{id}/restore"), Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["deleted_at"].is_null());
    assert_eq!(app.get("/api/v1/contacts", &t).await.body["total"], 1);

    for path in ["/api/v1/contacts/999999", "/api/v1/contacts/999999/history"] {
        let r = app.get(path, &t).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r.body["detail"].is_string());
    }
    let r = app.call(Method::DELETE, "/api/v1/contacts/999999", Some(&t), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_input_gets_clear_4xx() {
    let app = app().await;
    let t = app.admin().await;
    let cases = [
        (json!({"first_name": "A", "emails": [{"address": "nope"}]}), 422, "emails[0].address"),
        (json!({"first_name": "A", "phones": [{"kind": "pager", "number": "+1 917 857 0839"}]}), 422, "phones[0].kind"),
        (json!({"first_name": "A", "phones": [{"number": "call me maybe"}]}), 422, "phones[0].number"),
        (json!({}), 422, "full_name"),
        (json!({"first_name": "A", "website": "not a site"}), 422, "website"),
        (json!({"first_name": "x".repeat(300)}), 422, "first_name"),
        (json!({"first_name": 5}), 422, "first_name"),
        (json!({"first_name": "A", "source": "fax machine"}), 422, "source"),
    ];
    for (body, status, field) in cases {
        let r = app.post("/api/v1/contacts", Some(&t), body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{body} → {}", r.body);
        assert!(r.body["detail"].as_str().unwrap().contains(field), "{body} → {}", r.body);
    }
    let malformed = Request::post("/api/v1/contacts")
        .header(header::AUTHORIZATION, format!("Bearer {t}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"first_name\": "))
        .unwrap();
    let r = app.raw(malformed).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["detail"].is_string());
    let huge = json!({"first_name": "A", "notes": "n".repeat(200 * 1024)});
    let r = app.post("/api/v1/contacts", Some(&t), huge).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body["detail"].is_string());
    let r = app.get("/api/v1/contacts/abc", &t).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["detail"].is_string());
    let r = app.get("/api/v1/contacts?sort=shoe_size", &t).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.get("/api/v1/contacts?page=-3", &t).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing was stored by any of it.
    assert_eq!(app.get("/api/v1/contacts", &t).await.body["total"], 0);
}

async fn seed(app: &common::TestApp, t: &str) {
    let people = [
        json!({"first_name": "Anna", "last_name": "Petrova", "company": "Acme", "position": "Sales", "tags": ["vip"],
               "phones": [{"number": "+7 916 123-45-67"}], "emails": [{"address": "anna@acme.com"}]}),
        json!({"first_name": "Анна", "last_name": "Смирнова", "company": "Ромашка", "groups": ["Moscow"]}),
        json!({"first_name": "Bob", "last_name": "Stone", "company": "Initech", "position": "Engineer", "groups": ["Moscow"],
               "emails": [{"address": "bob@initech.io"}]}),
        json!({"first_name": "Carla", "last_name": "Diaz", "company": "acme", "tags": ["vip", "partner"]}),
    ];
    for p in people {
        let r = app.post("/api/v1/contacts", Some(t), p).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
}

fn names(v: &Value) -> Vec<String> {
    let items = v.get("items").unwrap_or(v);
    items.as_array().unwrap().iter().map(|c| c["full_name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn search_is_indexed_and_tolerant() {
    let app = app().await;
    let t = app.admin().await;
    seed(&app, &t).await;
    tolerant_search(&app, &t).await;
}

/// The same searches answered by the embedded index (`service::search::contact_index`), which the
/// server opens by default; the database answers what it finds nothing for.
#[tokio::test]
async fn search_with_the_embedded_index_is_as_tolerant() {
    let app = app_with(|svc| {
        svc.with_search_index(service::search::contact_index::ContactIndex::open(None).expect("index in memory"))
    })
    .await;
    let t = app.admin().await;
    seed(&app, &t).await;
    tolerant_search(&app, &t).await;
    let index = app.svc.index.as_ref().expect("an index");
    let live = app.get("/api/v1/contacts?limit=1", &t).await.body["total"].as_u64().unwrap();
    assert_eq!(index.contacts(), live, "the index holds every live contact");
    assert!(index.change_number() > 0);
}

async fn tolerant_search(app: &common::TestApp, t: &str) {
    let search = |q: &str| format!("/api/v1/contacts/search?q={}", q.replace(' ', "%20"));
    for (q, expect) in [
        ("petrova", "Anna Petrova"),
        ("initech", "Bob Stone"),
        ("bob@initech", "Bob Stone"),
        ("916 123", "Anna Petrova"),
        ("engineer", "Bob Stone"),
        ("Petorva", "Anna Petrova"),
        ("Smirnova", "Анна Смирнова"),
        ("смирнова", "Анна Смирнова"),
        ("Bo", "Bob Stone"),
    ] {
        let r = app.get(&search(q), t).await;
        assert_eq!(r.status, StatusCode::OK);
        let got = names(&r.body);
        assert!(got.first().map(String::as_str) == Some(expect), "search {q:?} gave {got:?}");
    }
    assert!(names(&app.get(&search("zzzzqqq"), t).await.body).is_empty());
    // The list endpoint searches too, combined with filters.
    let r = app.get("/api/v1/contacts?q=acme&tag=vip", t).await;
    assert_eq!(r.body["total"], 2);
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let app = app().await;
    let t = app.admin().await;
    seed(&app, &t).await;
    let r = app.get("/api/v1/contacts?tag=VIP&sort=name", &t).await;
    assert_eq!(names(&r.body), vec!["Anna Petrova", "Carla Diaz"]);
    let r = app.get("/api/v1/contacts?group=moscow&sort=name&order=desc", &t).await;
    assert_eq!(names(&r.body), vec!["Анна Смирнова", "Bob Stone"]);
    let r = app.get("/api/v1/contacts?company=ACME&sort=name", &t).await;
    assert_eq!(names(&r.body), vec!["Anna Petrova", "Carla Diaz"]);
    let r = app.get("/api/v1/contacts?limit=3&page=2&sort=name", &t).await;
    assert_eq!(r.body["total"], 4);
    assert_eq!(r.body["pages"], 2);
    assert_eq!(r.body["page"], 2);
    assert_eq!(r.body["limit"], 3);
    assert_eq!(names(&r.body), vec!["Анна Смирнова"]);
    // By default the newest changes come first (ties: the newest contact); pages neither repeat
    // nor skip a contact; `order=asc` turns the whole order round.
    let first = names(&app.get("/api/v1/contacts?limit=3", &t).await.body);
    let second = names(&app.get("/api/v1/contacts?limit=3&page=2", &t).await.body);
    assert_eq!([first, second].concat(), vec!["Carla Diaz", "Bob Stone", "Анна Смирнова", "Anna Petrova"]);
    let r = app.get("/api/v1/contacts?sort=updated_at&order=asc", &t).await;
    assert_eq!(names(&r.body), vec!["Anna Petrova", "Анна Смирнова", "Bob Stone", "Carla Diaz"]);
    let tags = app.get("/api/v1/tags", &t).await.body;
    let vip = tags.as_array().unwrap().iter().find(|x| x["name"] == "vip").unwrap();
    assert_eq!(vip["contacts"], 2);
}

fn ids(v: &Value) -> Vec<i64> {
    v["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn list_pages_by_cursor_in_every_sort() {
    let app = app().await;
    let t = app.admin().await;
    // Ties on purpose: names that differ only in case, four companies (one empty) shared by many.
    let companies = ["Acme", "acme", "", "Borealis", ""];
    for i in 0..23 {
        let first = if i % 4 == 0 { "ann" } else { "Ann" };
        let body = json!({"first_name": first, "last_name": format!("Lee{}", i % 5), "company": companies[i % 5],
                          "emails": [{"kind": "work", "address": format!("p{i}@example.com")}]});
        assert_eq!(app.post("/api/v1/contacts", Some(&t), body).await.status, StatusCode::CREATED);
    }
    for sort in ["name", "company", "created_at", "updated_at", "id"] {
        for order in ["asc", "desc"] {
            let base = format!("/api/v1/contacts?sort={sort}&order={order}&limit=4");
            let all = ids(&app.get(&format!("/api/v1/contacts?sort={sort}&order={order}&limit=200"), &t).await.body);
            assert_eq!(all.len(), 23);
            // By number: every page, the back half read from the far end of the index.
            let mut by_number = Vec::new();
            for p in 1..=6 {
                let r = app.get(&format!("{base}&page={p}"), &t).await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                assert_eq!(r.body["pages"], 6);
                by_number.extend(ids(&r.body));
            }
            assert_eq!(by_number, all, "{sort} {order} by page number");
            // Forwards by `next`, with the page numbers counted on.
            let mut r = app.get(&base, &t).await.body;
            assert!(r.get("previous").is_none(), "the first page has no previous: {r}");
            let mut forward = ids(&r);
            let mut page = 1;
            while let Some(next) = r.get("next").and_then(Value::as_str).map(str::to_string) {
                r = app.get(&format!("{base}&after={next}"), &t).await.body;
                page += 1;
                assert_eq!(r["page"], page, "{sort} {order}");
                assert!(r["previous"].is_string());
                forward.extend(ids(&r));
            }
            assert_eq!(page, 6);
            assert_eq!(forward, all, "{sort} {order} by cursor");
            // Backwards from the last page by `previous`.
            let mut r = app.get(&format!("{base}&page=6"), &t).await.body;
            assert!(r.get("next").is_none(), "the last page has no next: {r}");
            let mut backward = vec![ids(&r)];
            while let Some(prev) = r.get("previous").and_then(Value::as_str).map(str::to_string) {
                r = app.get(&format!("{base}&before={prev}"), &t).await.body;
                assert!(r["next"].is_string());
                backward.push(ids(&r));
            }
            assert_eq!(r["page"], 1);
            backward.reverse();
            assert_eq!(backward.concat(), all, "{sort} {order} backwards");
            assert_eq!(backward[0].len(), 4, "the first page is full");
        }
    }
    // A cursor stays good when its contact changes: the page after it is still the next rows.
    let first = app.get("/api/v1/contacts?sort=name&limit=4", &t).await.body;
    let next = first["next"].as_str().unwrap().to_string();
    let second = ids(&app.get(&format!("/api/v1/contacts?sort=name&limit=4&after={next}"), &t).await.body);
    let last = first["items"][3]["id"].as_i64().unwrap();
    let r = app.call(Method::DELETE, &format!("/api/v1/contacts/{last}"), Some(&t), None).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(ids(&app.get(&format!("/api/v1/contacts?sort=name&limit=4&after={next}"), &t).await.body), second);
    // Where the list ends, the page number is put right: with four contacts gone from the first
    // page, the page after the old fifth page is the last of five, not a sixth.
    let fifth = app.get("/api/v1/contacts?sort=name&limit=4&page=5", &t).await.body;
    let after_fifth = fifth["next"].as_str().unwrap().to_string();
    for c in first["items"].as_array().unwrap().iter().take(3) {
        let r = app.call(Method::DELETE, &format!("/api/v1/contacts/{}", c["id"]), Some(&t), None).await;
        assert!(r.status.is_success(), "{}", r.body);
    }
    let r = app.get(&format!("/api/v1/contacts?sort=name&limit=4&after={after_fifth}"), &t).await.body;
    assert_eq!((r["page"].as_u64(), r["pages"].as_u64()), (Some(5), Some(5)), "{r}");
    assert!(r.get("next").is_none());
    // Empty cursors are no cursors, as empty filters are no filters.
    let r = app.get("/api/v1/contacts?sort=name&limit=4&page=2&after=&before=&q=&tag=", &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["page"], 2);
    // Past the end by number: an empty page, not an error.
    let r = app.get("/api/v1/contacts?sort=name&limit=4&page=999", &t).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(ids(&r.body).is_empty());

    // Cursors that cannot be followed are refused, naming the parameter.
    for (url, field) in [
        (format!("/api/v1/contacts?sort=company&limit=4&after={next}"), "after"),
        (format!("/api/v1/contacts?sort=name&order=desc&limit=4&before={next}"), "before"),
        (format!("/api/v1/contacts?sort=name&page=2&after={next}"), "page"),
        (format!("/api/v1/contacts?sort=name&after={next}&before={next}"), "after"),
        (format!("/api/v1/contacts?q=ann&after={next}"), "after"),
        ("/api/v1/contacts?sort=name&after=not-a-cursor".to_string(), "after"),
        ("/api/v1/contacts?sort=name&after=e30".to_string(), "after"),
        (format!("/api/v1/contacts?sort=name&after={}", "A".repeat(9000)), "after"),
    ] {
        let r = app.get(&url, &t).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {}", r.body);
        assert!(r.body["detail"].as_str().unwrap().contains(field), "{url}: {}", r.body);
    }
}

#[tokio::test]
async fn history_records_who_changed_what() {
    let app = app().await;
    let t = app.admin().await;
    let c = app.post("/api/v1/contacts", Some(&t), anna()).await.body;
    let id = c["id"].as_i64().unwrap();
    let mut edit = anna();
    edit["position"] = json!("CEO");
    edit["version"] = c["version"].clone();
    assert_eq!(app.put(&format!("/api/v1/contacts/{id}"), &t, edit).await.status, StatusCode::OK);
    app.call(Method::DELETE, &format!("/api/v1/contacts/{id}"), Some(&t), None).await;
    let h = app.get(&format!("/api/v1/contacts/{id}/history"), &t).await.body;
    let actions: Vec<&str> = h.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["delete", "update", "create"]);
    let update = &h[1];
    assert_eq!(update["user"], "admin");
    assert_eq!(update["changes"], json!([{"field": "position", "from": "Head of Sales", "to": "CEO"}]));
    assert!(h[2]["changes"].as_array().unwrap().iter().any(|c| c["field"] == "phones"));
}

#[tokio::test]
async fn tags_and_groups_crud() {
    let app = app().await;
    let t = app.admin().await;
    let r = app.post("/api/v1/tags", Some(&t), json!({"name": "Hot lead", "color": "#ff0000"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(app.post("/api/v1/tags", Some(&t), json!({"name": "hot LEAD"})).await.status, StatusCode::CONFLICT);
    assert_eq!(
        app.post("/api/v1/tags", Some(&t), json!({"name": "x", "color": "red"})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = app.put(&format!("/api/v1/tags/{id}"), &t, json!({"name": "Warm lead", "color": "#ffaa00"})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["name"], "Warm lead");
    assert_eq!(
        app.call(Method::DELETE, &format!("/api/v1/tags/{id}"), Some(&t), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call(Method::DELETE, &format!("/api/v1/tags/{id}"), Some(&t), None).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app.post("/api/v1/groups", Some(&t), json!({"name": "Partners", "description": "Resellers"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(app.get("/api/v1/groups", &t).await.body[0]["description"], "Resellers");
}

/// Tags and groups share one implementation: each kind keeps its own words in the answers and
/// the audit log, and its own second field (a tag's colour, a group's description).
#[tokio::test]
async fn tags_and_groups_answer_and_audit_in_their_own_words() {
    let app = app().await;
    let t = app.admin().await;
    // (path, noun, second field, given, stored, a bad value, its message)
    let long = "d".repeat(1001);
    let kinds = [
        ("tags", "tag", "color", " #FFAA00 ", "#ffaa00", "red", "color: must be a colour like #2563eb"),
        (
            "groups",
            "group",
            "description",
            " Resellers ",
            "Resellers",
            long.as_str(),
            "description: must be at most 1000 characters",
        ),
    ];
    for (path, noun, field, given, stored, bad, bad_message) in kinds {
        let base = format!("/api/v1/{path}");
        let r = app.post(&base, Some(&t), json!({"name": " First "})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{path}");
        let (id, first_extra) = (r.body["id"].as_i64().unwrap(), r.body[field].clone());
        assert_eq!((r.body["name"].clone(), r.body["contacts"].clone()), (json!("First"), json!(0)), "{path}");
        let r = app.post(&base, Some(&t), json!({"name": "fIRST"})).await;
        assert_eq!(
            (r.status, r.body["detail"].clone()),
            (StatusCode::CONFLICT, json!(format!("a {noun} named 'fIRST' already exists")))
        );
        let r = app.post(&base, Some(&t), json!({"name": "x", field: bad})).await;
        assert_eq!((r.status, r.body["detail"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!(bad_message)));
        let r = app.post(&base, Some(&t), json!({"name": " "})).await;
        assert_eq!(r.body["detail"], "name: must be 1 to 50 characters", "{path}");
        let r = app.put(&format!("{base}/999999"), &t, json!({"name": "y"})).await;
        assert_eq!((r.status, r.body["detail"].clone()), (StatusCode::NOT_FOUND, json!(format!("{noun} not found"))));

        // A contact naming a label that does not exist yet makes it; the count follows.
        let r = app
            .post(
                "/api/v1/contacts",
                Some(&t),
                json!({"full_name": format!("Carrier {path}"), path: ["first", "Made"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{path}");
        let list = app.get(&base, &t).await.body;
        let names: Vec<_> =
            list.as_array().unwrap().iter().map(|l| (l["name"].clone(), l["contacts"].clone())).collect();
        assert_eq!(names, [(json!("First"), json!(1)), (json!("Made"), json!(1))], "{path}");

        let r = app.put(&format!("{base}/{id}"), &t, json!({"name": "Second", field: given})).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.body, json!({"id": id, "name": "Second", field: stored, "contacts": 1}), "{path}");
        assert_eq!(
            app.call(Method::DELETE, &format!("{base}/{id}"), Some(&t), None).await.status,
            StatusCode::NO_CONTENT
        );
        let r = app.call(Method::DELETE, &format!("{base}/{id}"), Some(&t), None).await;
        assert_eq!((r.status, r.body["detail"].clone()), (StatusCode::NOT_FOUND, json!(format!("{noun} not found"))));

        let audit = app.get(&format!("/api/v1/admin/audit?entity={noun}"), &t).await.body;
        let diff = |action: &str| {
            let items = audit["items"].as_array().unwrap();
            items.iter().find(|e| e["action"] == action && e["diff"]["id"] == id).map(|e| e["diff"].clone())
        };
        assert_eq!(diff("create"), Some(json!({"id": id, "name": "First"})), "{path}");
        let from = json!({"name": "First", field: first_extra});
        let to = json!({"name": "Second", field: stored});
        assert_eq!(diff("update"), Some(json!({"id": id, "from": from, "to": to})), "{path}");
        assert_eq!(diff("delete"), Some(json!({"id": id, "name": "Second"})), "{path}");
    }
}

#[tokio::test]
async fn openapi_and_docs_are_served() {
    let app = app().await;
    let r = app.call(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["paths"]["/api/v1/contacts/{id}"]["put"].is_object());
    let r = app.call(Method::GET, "/docs", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.as_str().unwrap().contains("/api/v1/contacts"));
}

/// Imports JSON lines through the import job as `cardcrm import` does; the finished job.
/// Every row is created (`on_duplicate=create`): these tests are about what the rows hold, not
/// about the matcher (which takes "Filler Bulk12" and "Filler Bulk21" for one person).
async fn import_lines(app: &common::TestApp, actor: &service::Actor, data: &str) -> service::import_dto::ImportJob {
    let opts = service::import_dto::ImportOptions {
        format: Some("jsonl".into()),
        on_duplicate: "create".into(),
        ..Default::default()
    };
    let id =
        service::transfer::imports::create_job(&app.svc, actor, data.as_bytes().to_vec(), Some("c.jsonl"), opts, None)
            .await
            .unwrap();
    service::transfer::imports::run(&app.svc, actor, id).await.unwrap();
    service::transfer::imports::get(&app.svc, actor, id, 1, 200, None).await.unwrap()
}

#[tokio::test]
async fn import_creates_good_lines_and_reports_bad_ones() {
    let app = app().await;
    let t = app.admin().await;
    let actor = service::accounts::auth::actor_by_username(&app.svc, "admin").await.unwrap();
    let data = concat!(
        r#"{"id": 1, "cluster": 7, "first_name": "Ida", "last_name": "Lind", "company": "Nordic AB", "emails": ["ida@nordic.se"], "phones": ["+46 8 123 456 78"]}"#,
        "\n",
        "{not json\n",
        r#"{"first_name": "Bad", "emails": ["not-an-address"]}"#,
        "\n\n",
        r#"{"full_name": "Олег Иванов", "phones": ["+7 495 123-45-67"]}"#,
        "\n"
    );
    let job = import_lines(&app, &actor, data).await;
    assert_eq!(job.created, 2);
    let invalid: Vec<(i64, String)> =
        job.rows.iter().filter(|r| r.action == "invalid").map(|r| (r.line, r.detail.clone())).collect();
    assert_eq!(invalid.iter().map(|r| r.0).collect::<Vec<_>>(), vec![2, 3]);
    assert!(invalid[1].1.contains("emails[0].address"));
    let r = app.get("/api/v1/contacts?sort=name", &t).await;
    assert_eq!(names(&r.body), vec!["Ida Lind", "Олег Иванов"]);
    assert_eq!(r.body["items"][0]["source"], "import");
    assert_eq!(r.body["items"][0]["phones"][0]["e164"], "+46812345678");
}

/// The search box's answers are the newest matches whether a word is rare or common, also past
/// the newest thousand contacts (PostgreSQL looks there first, then through the trigram index).
#[tokio::test]
async fn search_finds_the_newest_matches_of_rare_and_common_words() {
    let app = app().await;
    let t = app.admin().await;
    let actor = service::accounts::auth::actor_by_username(&app.svc, "admin").await.unwrap();
    let line = |first: &str, last: &str| format!("{{\"first_name\": \"{first}\", \"last_name\": \"{last}\"}}\n");
    let first = ["Ada", "Ben", "Cyd", "Dee", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jon", "Kit", "Lou"];
    let mut data = line("Rhea", "Quillfeather");
    for f in &first[..5] {
        data += &line(f, "Tarnwick");
    }
    for i in 0..1150 {
        data += &line("Filler", &format!("Bulk{i}"));
        if i % 200 == 100 {
            data += &line(first[5 + i / 200], "Tarnwick");
        }
    }
    for f in first {
        data += &line(f, "Hollowmere");
    }
    let job = import_lines(&app, &actor, &data).await;
    assert_eq!(job.created, 1 + 5 + 1150 + 6 + 12, "{:?}", job.rows);
    let search = |q: &str| format!("/api/v1/contacts/search?q={q}&limit=10");
    // PostgreSQL answers first without trigram counts (the walk of the newest contacts comes
    // first for every word), then with them (rare words go to the trigram index at once): the
    // same answers. SQLite has no counts.
    let pg = service::search::search_index::trigram_counts_stale(&app.svc.db).await.unwrap();
    assert_eq!(pg, common::backend() == "postgres", "no counts yet");
    for counted in [false, true] {
        if counted {
            assert_eq!(service::search::search_index::refresh_trigram_counts(&app.svc.db).await.unwrap(), pg);
            assert!(!service::search::search_index::trigram_counts_stale(&app.svc.db).await.unwrap());
        }
        // Rare, and older than the newest thousand.
        assert_eq!(names(&app.get(&search("quillfeather"), &t).await.body), vec!["Rhea Quillfeather"]);
        assert_eq!(names(&app.get(&search("quilfeather"), &t).await.body), vec!["Rhea Quillfeather"]);
        // Common among the newest: the ten newest of twelve, newest first.
        let expect: Vec<String> = first[2..].iter().rev().map(|f| format!("{f} Hollowmere")).collect();
        assert_eq!(names(&app.get(&search("hollowmere"), &t).await.body), expect, "counted: {counted}");
        // Five among the newest thousand (ids above max - 1000), six older (Ada to Fay): ten of
        // the eleven, all but the oldest, newest first.
        let expect: Vec<String> = first[1..11].iter().rev().map(|f| format!("{f} Tarnwick")).collect();
        assert_eq!(names(&app.get(&search("tarnwick"), &t).await.body), expect, "counted: {counted}");
        // Common everywhere (1,150 fillers): the ten newest, by the walk.
        let bulk = names(&app.get(&search("filler"), &t).await.body);
        let expect: Vec<String> = (1140..1150).rev().map(|i| format!("Filler Bulk{i}")).collect();
        assert_eq!(bulk, expect, "counted: {counted}");
        assert!(names(&app.get(&search("zzyzxq"), &t).await.body).is_empty());
    }
    if pg {
        // The counts bound what a word can match: `tarnwick` is in 11 contacts, `filler` in 1,150.
        use sea_orm::ConnectionTrait;
        for (w, n) in [("tarnwick", 11i64), ("filler", 1150), ("zzyzxq", 0)] {
            let bound = service::search::search_index::match_bound(&format!("'{w}'"));
            let stmt = sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Postgres, bound);
            let row = app.svc.db.query_one_raw(stmt).await.unwrap().unwrap();
            assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), n, "{w}");
        }
        // Writes make the counts stale only after enough of them (500 here).
        app.post("/api/v1/contacts", Some(&t), json!({"first_name": "Nova", "last_name": "Tarnwick"})).await;
        assert!(!service::search::search_index::trigram_counts_stale(&app.svc.db).await.unwrap());
        // A word added since the counts were made is still found (its trigrams count 0, so the
        // index is read at once).
        app.post("/api/v1/contacts", Some(&t), json!({"first_name": "Zed", "last_name": "Brandnewname"})).await;
        assert_eq!(names(&app.get(&search("brandnewname"), &t).await.body), vec!["Zed Brandnewname"]);
    }
}

/// List pages are cached between requests; every kind of write must show in the very next list.
#[tokio::test]
async fn list_shows_every_write_at_once() {
    let app = app().await;
    let t = app.admin().await;
    let id = app.post("/api/v1/contacts", Some(&t), anna()).await.body["id"].as_i64().unwrap();
    let first = |b: &Value| b["items"][0].clone();
    let list = app.get("/api/v1/contacts", &t).await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(first(&list.body)["company"], "Acme GmbH");

    // An edit.
    let mut edit = anna();
    edit["company"] = json!("Acme AG");
    edit["version"] = json!(1);
    assert_eq!(app.put(&format!("/api/v1/contacts/{id}"), &t, edit).await.status, StatusCode::OK);
    assert_eq!(first(&app.get("/api/v1/contacts", &t).await.body)["company"], "Acme AG");

    // A tag renamed elsewhere shows on the contact in the list.
    let tags = app.get("/api/v1/tags", &t).await.body;
    let vip = tags.as_array().unwrap().iter().find(|x| x["name"] == "vip").unwrap().clone();
    let r = app
        .call(Method::PUT, &format!("/api/v1/tags/{}", vip["id"]), Some(&t), Some(json!({"name": "key account"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let names: Vec<Value> = first(&app.get("/api/v1/contacts", &t).await.body)["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].clone())
        .collect();
    assert!(names.contains(&json!("key account")), "{names:?}");

    // A new contact, then the trash.
    app.post("/api/v1/contacts", Some(&t), json!({"first_name": "Boris", "last_name": "Kuznetsov"})).await;
    assert_eq!(app.get("/api/v1/contacts", &t).await.body["total"], 2);
    assert_eq!(
        app.call(Method::DELETE, &format!("/api/v1/contacts/{id}"), Some(&t), None).await.status,
        StatusCode::OK
    );
    let list = app.get("/api/v1/contacts", &t).await.body;
    assert_eq!(list["total"], 1);
    assert_eq!(first(&list)["first_name"], "Boris");
}

#[tokio::test]
async fn the_search_box_gets_short_rows_that_follow_every_write() {
    let app = app().await;
    let t = app.admin().await;
    let search = |q: &str| format!("/api/v1/contacts/search?q={}", q.replace(' ', "%20"));
    let anna = app.post("/api/v1/contacts", Some(&t), anna()).await.body;
    // A short row: what the search box shows, the first phone and e-mail by position.
    let r = app.get(&search("petrova"), &t).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        json!([{"id": anna["id"], "full_name": "Anna Petrova", "company": "Acme GmbH", "position": "Head of Sales",
                "email": "Anna.Petrova@acme.com", "phone": "+7 916 123-45-67"}])
    );
    // No phone, no e-mail: nulls, as before.
    app.post("/api/v1/contacts", Some(&t), json!({"full_name": "Zoe Quill", "company": "Quillworks"})).await;
    let r = app.get(&search("quill"), &t).await;
    assert_eq!(r.body[0]["phone"], Value::Null);
    assert_eq!(r.body[0]["email"], Value::Null);
    // A typo finds the row through the trigram step, with the same short fields.
    let r = app.get(&search("Petorva"), &t).await;
    assert_eq!(r.body[0]["id"], anna["id"], "{}", r.body);
    assert_eq!(r.body[0]["phone"], "+7 916 123-45-67");

    // Newest first, at most `limit`.
    for i in 0..3 {
        app.post("/api/v1/contacts", Some(&t), json!({"full_name": format!("Twin Harlow {i}")})).await;
    }
    let r = app.get("/api/v1/contacts/search?q=harlow&limit=2", &t).await;
    assert_eq!(names(&r.body), vec!["Twin Harlow 2", "Twin Harlow 1"]);

    // Answers are kept for a moment, but every write drops them: an unknown name asked twice,
    // then created, renamed, trashed and restored is seen at once each time.
    assert!(names(&app.get(&search("Zedkowski"), &t).await.body).is_empty());
    assert!(names(&app.get(&search("Zedkowski"), &t).await.body).is_empty());
    let z = app.post("/api/v1/contacts", Some(&t), json!({"full_name": "Ida Zedkowski"})).await.body;
    let id = z["id"].as_i64().unwrap();
    assert_eq!(names(&app.get(&search("Zedkowski"), &t).await.body), vec!["Ida Zedkowski"]);
    let r =
        app.put(&format!("/api/v1/contacts/{id}"), &t, json!({"full_name": "Ida Zedd", "version": z["version"]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(names(&app.get(&search("Zedkowski"), &t).await.body).is_empty());
    assert_eq!(names(&app.get(&search("zedd"), &t).await.body), vec!["Ida Zedd"]);
    app.call(Method::DELETE, &format!("/api/v1/contacts/{id}"), Some(&t), None).await;
    assert!(names(&app.get(&search("zedd"), &t).await.body).is_empty());
    app.post(&format!("/api/v1/contacts/{id}/restore"), Some(&t), json!({})).await;
    assert_eq!(names(&app.get(&search("zedd"), &t).await.body), vec!["Ida Zedd"]);
    // The trash search of the list still finds trashed contacts only.
    app.call(Method::DELETE, &format!("/api/v1/contacts/{id}"), Some(&t), None).await;
    assert_eq!(names(&app.get("/api/v1/contacts?q=zedd&trash=true", &t).await.body), vec!["Ida Zedd"]);
    assert!(names(&app.get("/api/v1/contacts?q=petrova&trash=true", &t).await.body).is_empty());
}

#[tokio::test]
async fn settings_are_read_once_not_per_write_and_changes_show() {
    let app = app().await;
    let t = app.admin().await;
    let me = app.get("/api/v1/auth/me", &t).await.body;
    let admin = service::Actor { user_id: me["id"].as_i64().unwrap(), username: "admin".into(), is_admin: true };
    let phone = |n: &str| json!({"full_name": "Region Probe", "phones": [{"kind": "work", "number": n}]});
    let e164 = |c: &Value| c["phones"][0]["e164"].as_str().map(str::to_string);

    let r = app.post("/api/v1/contacts", Some(&t), phone("(212) 555-0199")).await;
    assert_eq!(e164(&r.body).as_deref(), Some("+12125550199"), "{}", r.body);
    // Writes read the settings from memory: five creates, at most one read of the table.
    let loads = app.svc.settings.loads();
    for _ in 0..5 {
        assert_eq!(app.post("/api/v1/contacts", Some(&t), phone("(212) 555-0199")).await.status, StatusCode::CREATED);
    }
    assert!(app.svc.settings.loads() - loads <= 1, "{} reads", app.svc.settings.loads() - loads);

    // A change through this instance applies to the very next write.
    let r = app
        .put("/api/v1/admin/settings", &t, json!({"default_phone_region": "DE", "ocr_engine_order": ["paddle"]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.post("/api/v1/contacts", Some(&t), phone("030 1234567")).await;
    assert_eq!(e164(&r.body).as_deref(), Some("+49301234567"), "{}", r.body);

    // A change made by another instance (its own caches, the same database) shows here within the TTL.
    let mut other = app.svc.clone();
    other.settings = Default::default();
    service::platform::settings::set(&other, &admin, service::platform::settings::DEFAULT_REGION, json!("GB"))
        .await
        .unwrap();
    assert_eq!(service::platform::settings::default_region(&other).await.unwrap(), "GB");
    assert_eq!(service::platform::settings::default_region(&app.svc).await.unwrap(), "DE", "cached here meanwhile");
    tokio::time::sleep(service::platform::settings::SettingsCache::TTL + std::time::Duration::from_millis(100)).await;
    assert_eq!(service::platform::settings::default_region(&app.svc).await.unwrap(), "GB");
    let r = app.post("/api/v1/contacts", Some(&t), phone("020 7946 0958")).await;
    assert_eq!(e164(&r.body).as_deref(), Some("+442079460958"), "{}", r.body);
}

#[tokio::test]
async fn search_corrects_typos_from_the_stored_words() {
    use sea_orm::ConnectionTrait;
    let app = app().await;
    let t = app.admin().await;
    let search = |q: &str| format!("/api/v1/contacts/search?q={}", q.replace(' ', "%20"));
    let mut ids = Vec::new();
    for p in [
        json!({"full_name": "John Smith", "company": "Initech"}),
        json!({"full_name": "Jane Smit", "company": "Globex", "position": "Engineer"}),
        json!({"full_name": "Otto Schmidt", "company": "Initech", "emails": [{"address": "o.schmidt@hooli.example"}]}),
        json!({"first_name": "Сергей", "last_name": "Иванов", "company": "Ромашка"}),
        json!({"full_name": "Karl Bauer"}),
        json!({"full_name": "Karl Baur"}),
    ] {
        let r = app.post("/api/v1/contacts", Some(&t), p).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.body["id"].clone());
    }
    // Swapped neighbours, a letter missing, one too many, one replaced; in names, companies,
    // e-mail parts and (typed in either script) transliterated Cyrillic names.
    for (q, expect) in [
        ("Schmdit", vec!["Otto Schmidt"]),
        ("ivaonv", vec!["Сергей Иванов"]),
        ("Иваонв", vec!["Сергей Иванов"]),
        ("hooil", vec!["Otto Schmidt"]),
        ("globx", vec!["Jane Smit"]),
        ("engineeer", vec!["Jane Smit"]),
        ("otto initehc", vec!["Otto Schmidt"]),
        ("jhon initech", vec!["John Smith"]),
        // The query word itself first, then the stored words close to it.
        ("baur", vec!["Karl Baur", "Karl Bauer"]),
        ("zzzzqqq", vec![]),
        ("qwertyuiop", vec![]),
    ] {
        let r = app.get(&search(q), &t).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(names(&r.body), expect, "search {q:?}");
    }
    let got = names(&app.get(&search("smiht"), &t).await.body);
    assert!(got.contains(&"John Smith".to_string()) && got.contains(&"Jane Smit".to_string()), "{got:?}");
    // The list's search (and its trash search) corrects typos the same way.
    assert_eq!(names(&app.get("/api/v1/contacts?q=Schmdit", &t).await.body), vec!["Otto Schmidt"]);

    // Words written by an update are known at once.
    let jane = app.get(&format!("/api/v1/contacts/{}", ids[1]), &t).await.body;
    let r = app
        .put(
            &format!("/api/v1/contacts/{}", ids[1]),
            &t,
            json!({"full_name": "Jane Quagmire", "company": "Globex", "version": jane["version"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(names(&app.get(&search("quagmier"), &t).await.body), vec!["Jane Quagmire"]);
    // A stale word (nobody is called Smit any more) leads nowhere.
    assert_eq!(names(&app.get(&search("smitt"), &t).await.body), vec!["John Smith"]);
    app.call(Method::DELETE, &format!("/api/v1/contacts/{}", ids[1]), Some(&t), None).await;
    assert!(names(&app.get(&search("quagmier"), &t).await.body).is_empty());
    assert_eq!(names(&app.get("/api/v1/contacts?q=quagmier&trash=true", &t).await.body), vec!["Jane Quagmire"]);

    // Contacts stored before the vocabulary existed: the migration's backfill finds their words.
    let words = |db: sea_orm::DatabaseConnection| async move {
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT DISTINCT word FROM search_words ORDER BY word",
            ))
            .await
            .unwrap();
        rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect::<Vec<_>>()
    };
    let before = words(app.svc.db.clone()).await;
    assert!(before.contains(&"smit".to_string()) && before.contains(&"schmidt".to_string()), "{before:?}");
    app.svc.db.execute_unprepared("DELETE FROM search_words").await.unwrap();
    app.svc.contacts_changed();
    assert!(names(&app.get(&search("Schmdit"), &t).await.body).is_empty());
    let n = migration::search_words::backfill(&app.svc.db).await.unwrap();
    app.svc.contacts_changed();
    let after = words(app.svc.db.clone()).await;
    assert_eq!(after.len(), n);
    assert!(after.iter().all(|w| before.contains(w)), "{after:?}");
    assert!(after.contains(&"quagmire".to_string()) && !after.contains(&"smit".to_string()), "{after:?}");
    assert_eq!(names(&app.get(&search("Schmdit"), &t).await.body), vec!["Otto Schmidt"]);
}

/// Searches take turns for the database (two here): many at once, misspelt ones included, all
/// wait for a turn and each gets its own answer, in the search box and the list alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_searches_at_once_take_turns_and_each_gets_its_answer() {
    let app = std::sync::Arc::new(app_with(|svc| svc.with_search_turns(2)).await);
    let t = app.admin().await;
    for (first, last, company) in [
        ("John", "Smith", "Initech"),
        ("Otto", "Schmidt", "Hooli"),
        ("Maria", "Garcia", "Globex"),
        ("Pierre", "Dubois", "Acme"),
        ("Sergey", "Ivanov", "Umbrella"),
    ] {
        let r = app
            .post("/api/v1/contacts", Some(&t), json!({"first_name": first, "last_name": last, "company": company}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let asks = [
        ("/api/v1/contacts/search?q=smith", "John Smith"),
        ("/api/v1/contacts/search?q=smiht", "John Smith"),
        ("/api/v1/contacts/search?q=hooli", "Otto Schmidt"),
        ("/api/v1/contacts/search?q=schmdit", "Otto Schmidt"),
        ("/api/v1/contacts/search?q=garcia", "Maria Garcia"),
        ("/api/v1/contacts/search?q=gracia", "Maria Garcia"),
        ("/api/v1/contacts/search?q=acme", "Pierre Dubois"),
        ("/api/v1/contacts/search?q=ivaonv", "Sergey Ivanov"),
        ("/api/v1/contacts?q=umbrella", "Sergey Ivanov"),
        ("/api/v1/contacts?q=dubios", "Pierre Dubois"),
    ];
    let mut tasks = Vec::new();
    for round in 0..3 {
        for (path, expect) in asks {
            let (app, t) = (app.clone(), t.clone());
            tasks.push(tokio::spawn(async move {
                let r = app.get(path, &t).await;
                assert_eq!(r.status, StatusCode::OK, "{path} (round {round}): {}", r.body);
                assert_eq!(names(&r.body), vec![expect.to_string()], "{path} (round {round})");
            }));
        }
    }
    for task in tasks {
        task.await.expect("a search task panicked");
    }
}

#[tokio::test]
async fn search_index_merges_its_pieces_and_still_finds_everything() {
    let app = app().await;
    let t = app.admin().await;
    let search = |q: &str| format!("/api/v1/contacts/search?limit=50&q={q}");
    for i in 0..40 {
        let r = app
            .post(
                "/api/v1/contacts",
                Some(&t),
                json!({"full_name": format!("Piece Person{i:02}"), "company": "Segmentworks"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let before = names(&app.get(&search("segmentworks"), &t).await.body);
    assert_eq!(before.len(), 40);
    // One transaction per contact left many index segments on SQLite; PostgreSQL has none to merge.
    let steps = service::search::search_index::merge(&app.svc.db).await.unwrap();
    if common::backend() == "sqlite" {
        assert!(steps > 0, "nothing was merged");
    } else {
        assert_eq!(steps, 0);
    }
    assert_eq!(service::search::search_index::merge(&app.svc.db).await.unwrap(), 0, "a second pass found work");
    app.svc.contacts_changed();
    // The merged index answers as before: every contact, newest first, exact words and typos.
    assert_eq!(names(&app.get(&search("segmentworks"), &t).await.body), before);
    // (then its neighbours one edit away, person10 … person19, from the typo step)
    assert_eq!(names(&app.get(&search("person17"), &t).await.body)[0], "Piece Person17");
    assert_eq!(names(&app.get(&search("segmnetworks"), &t).await.body).len(), 40);
    // Writes after the merge land in new pieces and are found at once.
    app.post("/api/v1/contacts", Some(&t), json!({"full_name": "Late Piece", "company": "Segmentworks"})).await;
    assert_eq!(names(&app.get(&search("segmentworks"), &t).await.body)[0], "Late Piece");
}

/// PostgreSQL searches a table of its own (`contact_search`, kept by triggers). On a database
/// that held contacts before that table existed, the migration fills it from them: nothing stored
/// goes unfound after an upgrade, trashed contacts included, and later writes keep it.
#[tokio::test]
async fn search_table_is_filled_from_the_stored_contacts_on_upgrade() {
    use migration::MigratorTrait;
    if common::backend() != "postgres" {
        return; // SQLite's search index is unchanged by that migration
    }
    let app = app().await;
    let t = app.admin().await;
    let me = app.get("/api/v1/auth/me", &t).await.body["id"].as_i64().unwrap();
    let actor = service::Actor { user_id: me, username: "admin".into(), is_admin: true };
    // Back to before `search_table`: it, the trigram counts and the migrations after them
    // (the users' token version, maintenance runs, imports, CardDAV, photos, CardDAV group books, per-statement search triggers, photos for phones, bot updates' scans). Without the token version no access token can
    // be checked, so the contacts of the old database are written through the service directly.
    let after = [
        "m20261130_000013_search_trigram_counts",
        "m20261206_000014_token_version",
        "m20261206_000015_maintenance",
        "m20261206_000016_imports",
        "m20261206_000017_carddav",
        "m20261207_000018_contact_photos",
        "m20261207_000019_dav_group_seen",
        "m20261207_000020_search_statement_triggers",
        "m20261208_000021_photo_for_phones",
        "m20261208_000022_bot_update_scans",
    ];
    let later = <migration::Migrator as MigratorTrait>::migrations()
        .iter()
        .rev()
        .take_while(|m| m.name() != "m20261129_000012_search_table")
        .count();
    assert_eq!(later, after.len(), "migrations after search_table changed: update this test");
    migration::Migrator::down(&app.svc.db, Some(later as u32 + 1)).await.unwrap();
    let gone = "SELECT to_regclass('contact_search') IS NULL AND to_regclass('search_trigram_counts') IS NULL";
    let stmt = sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Postgres, gone);
    use sea_orm::ConnectionTrait;
    assert!(app.svc.db.query_one_raw(stmt).await.unwrap().unwrap().try_get_by_index::<bool>(0).unwrap());
    // Today's service reads `contact_photos` with every contact; a stand-in while the old schema
    // is in place (dropped before migrating up again).
    app.svc.db.execute_unprepared("CREATE TABLE contact_photos (contact_id BIGINT PRIMARY KEY)").await.unwrap();
    let mut ids = Vec::new();
    for name in ["Orla Brennock", "Pim Brennock", "Kit Brennock"] {
        let input =
            service::dto::ContactInput { full_name: name.into(), company: "Fathomline".into(), ..Default::default() };
        ids.push(service::contacts::create(&app.svc, &actor, input).await.unwrap().id);
    }
    service::contacts::delete(&app.svc, &actor, ids[1]).await.unwrap();
    app.svc.db.execute_unprepared("DROP TABLE contact_photos").await.unwrap();
    migration::Migrator::up(&app.svc.db, None).await.unwrap();
    app.svc.contacts_changed();

    let search = |q: &str| format!("/api/v1/contacts/search?q={q}");
    assert_eq!(names(&app.get(&search("brennock"), &t).await.body), vec!["Kit Brennock", "Orla Brennock"]);
    assert_eq!(names(&app.get(&search("fathomlnie"), &t).await.body), vec!["Kit Brennock", "Orla Brennock"]);
    assert_eq!(names(&app.get("/api/v1/contacts?q=brennock&trash=true", &t).await.body), vec!["Pim Brennock"]);
    // The triggers keep it from here on: a rename, a restore.
    let kit = app.get(&format!("/api/v1/contacts/{}", ids[2]), &t).await.body;
    let r = app
        .put(&format!("/api/v1/contacts/{}", ids[2]), &t, json!({"full_name": "Kit Darrow", "version": kit["version"]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.post(&format!("/api/v1/contacts/{}/restore", ids[1]), Some(&t), json!({})).await;
    assert_eq!(names(&app.get(&search("brennock"), &t).await.body), vec!["Pim Brennock", "Orla Brennock"]);
    assert_eq!(names(&app.get(&search("darrow"), &t).await.body), vec!["Kit Darrow"]);
}

/// A search ranked by relevance keeps its rank through a filter and through pages: the pages put
/// together are the whole ranked list, each contact once, and a filter only leaves contacts out.
#[tokio::test]
async fn a_ranked_search_keeps_its_order_through_filters_and_pages() {
    let app = app().await;
    let t = app.admin().await;
    let people = [
        ("Ann", "Berg", "Annex Ltd", true),
        ("Anna", "Kowalski", "Berg & Co", false),
        ("Joanna", "Annis", "Acme", true),
        ("Hanna", "Berg", "Annex Ltd", false),
        ("Annika", "Lund", "Nordic", true),
        ("Marianne", "Ann", "Acme", false),
        ("Bob", "Annan", "Annex Ltd", true),
    ];
    for (first, last, company, vip) in people {
        let tags = if vip { json!(["vip"]) } else { json!([]) };
        let body = json!({"first_name": first, "last_name": last, "company": company, "tags": tags});
        let r = app.post("/api/v1/contacts", Some(&t), body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let all = app.get("/api/v1/contacts?q=ann&limit=100", &t).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let ranked = ids(&all.body);
    assert!(ranked.len() >= 5, "{}", all.body);
    let unique: std::collections::HashSet<i64> = ranked.iter().copied().collect();
    assert_eq!(unique.len(), ranked.len(), "each contact once: {ranked:?}");
    // Page by page, in the same order.
    let mut paged = Vec::new();
    for page in 1..=ranked.len().div_ceil(2) {
        let r = app.get(&format!("/api/v1/contacts?q=ann&limit=2&page={page}"), &t).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["total"], ranked.len(), "{}", r.body);
        paged.extend(ids(&r.body));
    }
    assert_eq!(paged, ranked);
    // With a filter: the ranked list without the others, in the same order.
    let vip = app.get("/api/v1/contacts?q=ann&tag=vip&limit=100", &t).await;
    let vip_ids = ids(&vip.body);
    let tagged: std::collections::HashSet<i64> = vip.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["tags"].as_array().is_some_and(|t| t.iter().any(|x| x["name"] == "vip")))
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(tagged.len(), vip_ids.len(), "only tagged contacts: {}", vip.body);
    let expected: Vec<i64> = ranked.iter().copied().filter(|id| tagged.contains(id)).collect();
    assert_eq!(vip_ids, expected);
    assert_eq!(vip.body["total"], expected.len());
    let second = app.get("/api/v1/contacts?q=ann&tag=vip&limit=2&page=2", &t).await;
    assert_eq!(ids(&second.body), expected.iter().copied().skip(2).take(2).collect::<Vec<_>>());
}
