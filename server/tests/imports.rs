//! `/api/v1/imports` and `/api/v1/export` through the real router (SQLite, or PostgreSQL with
//! `TEST_DATABASE_URL`): every fixture format previewed and applied, idempotent re-imports,
//! duplicates skipped / merged / created anyway (against stored contacts and earlier rows of the
//! same file), per-row overrides, invalid rows with their lines, all-or-nothing, bad files, undo,
//! and exports that import back into an empty cardcrm as the same contacts.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{app, Resp, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tower::ServiceExt;

const BOUNDARY: &str = "cardcrm-import-boundary";

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/import").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

async fn upload_parts(app: &TestApp, token: &str, query: &str, parts: &[(&str, &str, &[u8])]) -> Resp {
    let mut body = Vec::new();
    for (part, file_name, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{part}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/imports{query}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body))
        .expect("request");
    app.raw(req).await
}

async fn upload(app: &TestApp, token: &str, query: &str, file_name: &str, bytes: &[u8]) -> Resp {
    upload_parts(app, token, query, &[("file", file_name, bytes)]).await
}

async fn wait(app: &TestApp, token: &str, id: i64) -> Value {
    let start = Instant::now();
    loop {
        let r = app.get(&format!("/api/v1/imports/{id}?limit=200"), token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let status = r.body["status"].as_str().unwrap_or_default().to_string();
        if ["done", "failed", "undone"].contains(&status.as_str()) {
            return r.body;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "import {id} still {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Uploads and waits: the finished import.
async fn import(app: &TestApp, token: &str, query: &str, file_name: &str, bytes: &[u8]) -> Value {
    let r = upload(app, token, query, file_name, bytes).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{file_name}: {}", r.body);
    wait(app, token, r.body["id"].as_i64().expect("id")).await
}

async fn contacts(app: &TestApp, token: &str, query: &str) -> Value {
    let r = app.get(&format!("/api/v1/contacts?limit=200{query}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

fn n(v: &Value, k: &str) -> i64 {
    v[k].as_i64().unwrap_or(-1)
}

fn rows_with<'a>(job: &'a Value, action: &str) -> Vec<&'a Value> {
    job["rows"].as_array().into_iter().flatten().filter(|r| r["action"] == action).collect()
}

#[tokio::test]
async fn every_fixture_format_is_previewed_then_applied_and_a_second_import_changes_nothing() {
    // Everything read, in one cardcrm at the end (the fixtures share people, so each file is first
    // checked in a cardcrm of its own).
    let all_app = app().await;
    let all_t = all_app.admin().await;
    for (file, expect_format, at_least) in [
        ("google_new.csv", "csv", 2),
        ("google_old.csv", "csv", 1),
        ("outlook_utf16le.csv", "csv", 2),
        ("excel_cp1251_semicolon.csv", "csv", 2),
        ("excel_cp1252_german.csv", "csv", 2),
        ("embedded_newlines.csv", "csv", 2),
        ("iphone_v30.vcf", "vcf", 2),
        ("android_v21_qp.vcf", "vcf", 2),
        ("v40_folded.vcf", "vcf", 1),
        ("sales_sheet.xlsx", "xlsx", 2),
        ("sample.jsonl", "jsonl", 2),
    ] {
        let app = app().await;
        let t = app.admin().await;
        let bytes = fixture(file);
        let before = n(&contacts(&app, &t, "").await, "total");
        // Preview: actions for every row, nothing written.
        let preview = import(&app, &t, "?dry_run=true", file, &bytes).await;
        assert_eq!(preview["status"], "done", "{file}: {preview}");
        assert_eq!(preview["format"], expect_format, "{file}");
        assert_eq!(preview["dry_run"], true);
        assert!(n(&preview, "created") >= at_least, "{file}: {preview}");
        assert_eq!(n(&preview, "total"), n(&preview, "rows_total"), "{file}: one row outcome per row");
        assert_eq!(n(&contacts(&app, &t, "").await, "total"), before, "{file}: a preview writes nothing");
        // Apply the preview: the rows are written.
        let id = n(&preview, "id");
        let r = app.post(&format!("/api/v1/imports/{id}/apply"), Some(&t), json!({})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{file}: {}", r.body);
        let done = wait(&app, &t, id).await;
        assert_eq!(done["status"], "done", "{file}: {done}");
        assert_eq!(done["dry_run"], false);
        assert_eq!(n(&done, "created"), n(&preview, "created"), "{file}: applying does what the preview said");
        let after = n(&contacts(&app, &t, "").await, "total");
        assert_eq!(after, before + n(&done, "created"), "{file}");
        for row in rows_with(&done, "create") {
            assert!(row["contact_id"].as_i64().is_some(), "{file}: {row}");
        }
        // The same file again: every row finds the contact it made.
        let again = import(&app, &t, "", file, &bytes).await;
        assert_eq!(again["status"], "done", "{file}: {again}");
        assert_eq!(n(&again, "created"), 0, "{file}: a re-import creates nothing: {again}");
        assert_eq!(n(&again, "updated"), 0, "{file}: {again}");
        assert_eq!(n(&contacts(&app, &t, "").await, "total"), after, "{file}");
        // Applying twice is refused.
        let r = app.post(&format!("/api/v1/imports/{id}/apply"), Some(&t), json!({})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let into_all = import(&all_app, &all_t, "?on_duplicate=create", file, &bytes).await;
        assert_eq!(into_all["status"], "done", "{file}: {into_all}");
    }
    let (app, t) = (all_app, all_t);
    // What was read survives into the contacts: names in Cyrillic from Windows-1251, German umlauts
    // from Windows-1252, Google labels as tags.
    let all = contacts(&app, &t, "").await;
    let names: Vec<String> =
        all["items"].as_array().unwrap().iter().map(|c| c["full_name"].as_str().unwrap_or("").to_string()).collect();
    assert!(
        names.iter().any(|n| n.chars().any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap()))),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.contains('ü') || n.contains('ö') || n.contains('ä') || n.contains('ß')),
        "{names:?}"
    );
    let anna = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["first_name"] == "Anna" && c["company"] == "Acme GmbH")
        .expect("Anna from Google");
    let tags: Vec<&str> = anna["tags"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(tags.contains(&"VIP") && tags.contains(&"Friends"), "{anna}");
    assert!(anna["phones"].as_array().unwrap().len() >= 2, "{anna}");
    // Every created contact has its history entry.
    let id = anna["id"].as_i64().unwrap();
    let h = app.get(&format!("/api/v1/contacts/{id}/history"), &t).await;
    assert_eq!(h.status, StatusCode::OK);
    assert!(h.body.as_array().is_some_and(|a| a.iter().any(|e| e["action"] == "create")), "{}", h.body);
}

const PEOPLE: &str = "First Name,Last Name,E-mail Address,Mobile Phone,Company,Job Title\n\
Ivan,Petrov,ivan.petrov@example.com,+7 916 123-45-67,Romashka,Engineer\n\
Maria,Ivanova,maria@example.com,,Lotos,Director\n\
Ivan,Petrov,ivan.petrov@example.com,,,\n\
Oleg,Sidorov,,,Vector,\n";

#[tokio::test]
async fn duplicates_are_skipped_merged_or_created_as_asked_and_rows_can_be_overridden() {
    let app = app().await;
    let t = app.admin().await;
    // A stored contact the file's Ivan matches (same e-mail), with a value the file lacks.
    let r = app
        .post(
            "/api/v1/contacts",
            Some(&t),
            json!({"first_name": "Ivan", "last_name": "Petrov", "emails": [{"kind": "work", "address": "ivan.petrov@example.com"}],
                   "notes": "met in Kazan", "position": "Lead engineer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ivan = r.body["id"].as_i64().unwrap();

    // skip (default): Ivan (twice) skipped as a duplicate of the stored one, the others created.
    let preview = import(&app, &t, "?dry_run=true", "people.csv", PEOPLE.as_bytes()).await;
    assert_eq!((n(&preview, "created"), n(&preview, "skipped")), (2, 2), "{preview}");
    let skipped = rows_with(&preview, "skip");
    assert!(skipped.iter().all(|r| r["match_id"] == ivan), "{preview}");
    assert!(skipped[0]["detail"].as_str().unwrap().contains("looks like"), "{preview}");

    // merge: applied with a per-row override that creates Oleg's row… as skip.
    let id = n(&preview, "id");
    let oleg_line =
        preview["rows"].as_array().unwrap().iter().find(|r| r["name"] == "Oleg Sidorov").unwrap()["line"].clone();
    let r = app
        .post(
            &format!("/api/v1/imports/{id}/apply"),
            Some(&t),
            json!({"on_duplicate": "merge", "tag": "Imported from Outlook", "overrides": [{"line": oleg_line, "action": "skip"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let done = wait(&app, &t, id).await;
    assert_eq!(done["status"], "done", "{done}");
    // Ivan updated once (his phone and company added); the second Ivan row adds nothing new.
    assert_eq!(n(&done, "updated"), 1, "{done}");
    let c = app.get(&format!("/api/v1/contacts/{ivan}"), &t).await.body;
    assert_eq!(c["company"], "Romashka", "a missing value is filled in: {c}");
    assert_eq!(c["position"], "Lead engineer", "a stored value is never overwritten: {c}");
    assert_eq!(c["notes"], "met in Kazan", "{c}");
    assert_eq!(c["phones"].as_array().unwrap().len(), 1, "{c}");
    assert!(c["tags"].as_array().unwrap().iter().any(|t| t["name"] == "Imported from Outlook"), "{c}");
    // The override held: Oleg was not created; Maria was, with the tag.
    let all = contacts(&app, &t, "").await;
    assert!(!all["items"].as_array().unwrap().iter().any(|c| c["last_name"] == "Sidorov"), "{all}");
    let tagged = contacts(&app, &t, "&tag=Imported%20from%20Outlook").await;
    assert_eq!(n(&tagged, "total"), 2, "Ivan (updated) and Maria (created): {tagged}");

    // create: a duplicate created anyway is recorded as a pending pair for review.
    let again =
        "First Name,Last Name,E-mail Address\nMaria,Ivanova,maria@example.com\nMaria,Ivanova,maria@example.com\n";
    let created = import(&app, &t, "?on_duplicate=create", "again.csv", again.as_bytes()).await;
    // The second row is the same content as the first (the same fingerprint): one contact, not two.
    assert_eq!(n(&created, "created"), 1, "{created}");
    assert!(rows_with(&created, "create")[0]["detail"].as_str().unwrap().contains("created anyway"), "{created}");
    let pairs = app.get("/api/v1/duplicates?status=pending", &t).await;
    assert_eq!(pairs.status, StatusCode::OK);
    assert!(n(&pairs.body, "total") >= 1, "{}", pairs.body);
}

#[tokio::test]
async fn rows_of_one_file_are_matched_against_each_other() {
    let app = app().await;
    let t = app.admin().await;
    let file = "First Name,Last Name,E-mail Address,Mobile Phone\n\
        Anna,Berg,anna@berg.example,\n\
        Anna,Berg,anna@berg.example,+49 170 5555555\n";
    let skip = import(&app, &t, "?dry_run=true", "f.csv", file.as_bytes()).await;
    assert_eq!((n(&skip, "created"), n(&skip, "skipped")), (1, 1), "{skip}");
    assert!(rows_with(&skip, "skip")[0]["detail"].as_str().unwrap().contains("line 2"), "{skip}");
    // merge folds the second row into the first: one contact with the phone.
    let merged = import(&app, &t, "?on_duplicate=merge", "f.csv", file.as_bytes()).await;
    assert_eq!(n(&merged, "created"), 1, "{merged}");
    let all = contacts(&app, &t, "").await;
    assert_eq!(n(&all, "total"), 1);
    assert_eq!(all["items"][0]["phones"].as_array().unwrap().len(), 1, "{all}");
}

#[tokio::test]
async fn broken_rows_are_reported_with_their_lines_and_all_or_nothing_writes_nothing() {
    let app = app().await;
    let t = app.admin().await;
    let file = "First Name,Last Name,E-mail Address,Web Page\n\
        Good,One,good@example.com,\n\
        Bad,Mail,not-an-address,\n\
        Bad,Site,,not a site\n\
        Good,Two,two@example.com,\n";
    let strict = import(&app, &t, "?all_or_nothing=true", "f.csv", file.as_bytes()).await;
    assert_eq!(strict["status"], "failed", "{strict}");
    assert!(strict["error"].as_str().unwrap().contains("line 3"), "{strict}");
    assert_eq!(n(&contacts(&app, &t, "").await, "total"), 0, "all or nothing: nothing");
    let lenient = import(&app, &t, "", "f.csv", file.as_bytes()).await;
    assert_eq!(lenient["status"], "done", "{lenient}");
    assert_eq!(n(&lenient, "created"), 2, "{lenient}");
    assert_eq!(n(&lenient, "invalid"), 2, "{lenient}");
    let invalid = app.get(&format!("/api/v1/imports/{}?action=invalid", n(&lenient, "id")), &t).await.body;
    let lines: Vec<i64> = invalid["rows"].as_array().unwrap().iter().map(|r| r["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, vec![3, 4], "{invalid}");
    assert!(invalid["rows"][0]["detail"].as_str().unwrap().contains("emails"), "{invalid}");
    // Files that are broken as a whole, too.
    for (name, bytes) in [
        ("broken.vcf", fixture("broken.vcf")),
        ("broken.csv", fixture("broken.csv")),
        ("broken.jsonl", fixture("broken.jsonl")),
    ] {
        let job = import(&app, &t, "?dry_run=true", name, &bytes).await;
        assert_eq!(job["status"], "done", "{name}: {job}");
        assert!(n(&job, "invalid") >= 1, "{name}: {job}");
        for r in rows_with(&job, "invalid") {
            assert!(r["line"].as_i64().unwrap() >= 1 && !r["detail"].as_str().unwrap().is_empty(), "{name}: {r}");
        }
    }
}

#[tokio::test]
async fn files_that_are_not_contacts_get_a_clear_answer_and_nothing_is_stored() {
    let app = app().await;
    let t = app.admin().await;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    for (name, bytes, words) in [
        ("card.png", png, "PNG"),
        ("empty.csv", Vec::new(), "empty"),
        ("book.xlsx", fixture("broken_not_workbook.xlsx"), "xlsx"),
        ("x.csv", b"%PDF-1.7 whatever".to_vec(), "PDF"),
    ] {
        let r = upload(&app, &t, "", name, &bytes).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {}", r.body);
        let d = r.body["detail"].as_str().unwrap_or_default().to_lowercase();
        assert!(d.contains(&words.to_lowercase()), "{name}: {d}");
    }
    for (query, field) in
        [("?on_duplicate=replace", "on_duplicate"), ("?format=pdf", "format"), ("?dry_run=maybe", "dry_run")]
    {
        let r = upload(&app, &t, query, "a.csv", b"Name\nA\n").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {}", r.body);
        assert!(r.body["detail"].as_str().unwrap().contains(field), "{query}: {}", r.body);
    }
    let r = upload_parts(&app, &t, "", &[("photo", "a.csv", b"Name\nA\n")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = upload_parts(&app, &t, "", &[("file", "a.csv", b"Name\nA\n"), ("mapping", "", b"not json")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r =
        upload_parts(&app, &t, "", &[("file", "a.csv", b"Name\nA\n"), ("mapping", "", b"[\"no_such_field\"]")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let list = app.get("/api/v1/imports", &t).await;
    assert_eq!(n(&list.body, "total"), 0, "refused files leave no import behind: {}", list.body);
}

#[tokio::test]
async fn a_custom_header_is_mapped_by_the_person_and_remembered() {
    let app = app().await;
    let t = app.admin().await;
    let file = "Kunde,Telefonnummer,Notiz\nHans Meier,+49 30 1234567,VIP\n";
    let mapping = br#"["full_name", "phone:work", "notes"]"#;
    let r =
        upload_parts(&app, &t, "?dry_run=true", &[("file", "k.csv", file.as_bytes()), ("mapping", "", mapping)]).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let preview = wait(&app, &t, n(&r.body, "id")).await;
    assert_eq!(preview["mapping"], json!(["full_name", "phone:work", "notes"]), "{preview}");
    let id = n(&preview, "id");
    let r = app
        .post(
            &format!("/api/v1/imports/{id}/apply"),
            Some(&t),
            json!({"mapping": ["full_name", "phone:work", "notes"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    wait(&app, &t, id).await;
    let c = &contacts(&app, &t, "").await["items"][0];
    assert_eq!(c["full_name"], "Hans Meier");
    assert_eq!(c["phones"][0]["number"], "+49 30 1234567");
    assert_eq!(c["notes"], "VIP");
    // The next file with the same header is read with the remembered mapping.
    let next =
        import(&app, &t, "?dry_run=true", "k2.csv", "Kunde,Telefonnummer,Notiz\nEva Lang,+49 30 7654321,\n".as_bytes())
            .await;
    assert_eq!(next["mapping"], json!(["full_name", "phone:work", "notes"]), "{next}");
}

#[tokio::test]
async fn an_import_is_undone_and_only_its_owner_or_an_admin_sees_it() {
    let app = app().await;
    let admin = app.admin().await;
    let u = app.user(&admin, "sales").await;
    let r = app
        .post(
            "/api/v1/contacts",
            Some(&u),
            json!({"full_name": "Ivan Petrov", "emails": [{"kind": "work", "address": "ivan.petrov@example.com"}]}),
        )
        .await;
    let ivan = r.body["id"].as_i64().unwrap();
    let job = import(&app, &u, "?on_duplicate=merge&tag=batch", "people.csv", PEOPLE.as_bytes()).await;
    assert_eq!((n(&job, "created"), n(&job, "updated")), (2, 1), "{job}");
    assert_eq!(job["can_undo"], true);
    let id = n(&job, "id");
    // Someone else's import is not there for another user; the admin sees it.
    let other = app.user(&admin, "other").await;
    assert_eq!(app.get(&format!("/api/v1/imports/{id}"), &other).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.post(&format!("/api/v1/imports/{id}/undo"), Some(&other), json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&format!("/api/v1/imports/{id}"), &admin).await.status, StatusCode::OK);
    // Undo: created → trash, updated → as before.
    let r = app.post(&format!("/api/v1/imports/{id}/undo"), Some(&u), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((n(&r.body, "trashed"), n(&r.body, "reverted")), (2, 1), "{}", r.body);
    assert_eq!(n(&contacts(&app, &u, "").await, "total"), 1);
    assert_eq!(n(&contacts(&app, &u, "&trash=true").await, "total"), 2);
    let c = app.get(&format!("/api/v1/contacts/{ivan}"), &u).await.body;
    assert_eq!(c["company"], "", "{c}");
    assert!(c["tags"].as_array().unwrap().is_empty(), "{c}");
    let h = app.get(&format!("/api/v1/contacts/{ivan}/history"), &u).await.body;
    assert!(h.as_array().unwrap().len() >= 3, "create, import update, undo: {h}");
    let again = app.post(&format!("/api/v1/imports/{id}/undo"), Some(&u), json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(app.get(&format!("/api/v1/imports/{id}"), &u).await.body["status"], "undone");

    // An update edited after the import is left alone by the undo.
    let job = import(&app, &u, "?on_duplicate=merge", "people.csv", PEOPLE.as_bytes()).await;
    let c = app.get(&format!("/api/v1/contacts/{ivan}"), &u).await.body;
    let mut edit = c.clone();
    edit["notes"] = json!("edited by hand");
    let r = app.put(&format!("/api/v1/contacts/{ivan}"), &u, edit).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.post(&format!("/api/v1/imports/{}/undo", n(&job, "id")), Some(&u), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(n(&r.body, "reverted"), 0, "{}", r.body);
    assert_eq!(r.body["kept"].as_array().unwrap().len(), 1, "{}", r.body);
    let c = app.get(&format!("/api/v1/contacts/{ivan}"), &u).await.body;
    assert_eq!(c["notes"], "edited by hand");
}

async fn download(app: &TestApp, token: &str, query: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let req = Request::builder()
        .uri(format!("/api/v1/export{query}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 << 20).await.unwrap().to_vec();
    (status, headers, bytes)
}

/// What a round trip must keep of a contact.
fn essence(c: &Value) -> Value {
    let mut phones: Vec<String> =
        c["phones"].as_array().unwrap().iter().map(|p| format!("{}:{}", p["kind"], p["number"])).collect();
    phones.sort();
    let mut emails: Vec<String> =
        c["emails"].as_array().unwrap().iter().map(|p| format!("{}:{}", p["kind"], p["address"])).collect();
    emails.sort();
    let mut tags: Vec<String> =
        c["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect();
    tags.sort();
    let mut groups: Vec<String> =
        c["groups"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect();
    groups.sort();
    json!({"full_name": c["full_name"], "first_name": c["first_name"], "last_name": c["last_name"],
           "company": c["company"], "position": c["position"], "department": c["department"],
           "website": c["website"], "address": c["address"], "notes": c["notes"],
           "phones": phones, "emails": emails, "tags": tags, "groups": groups})
}

#[tokio::test]
async fn an_export_imports_into_an_empty_cardcrm_as_the_same_contacts() {
    let a = app().await;
    let ta = a.admin().await;
    for c in [
        json!({"first_name": "Анна", "last_name": "Смирнова", "company": "Ромашка; ООО", "position": "Директор",
               "department": "Продажи", "phones": [{"kind": "mobile", "number": "+7 916 000-11-22"}, {"kind": "work", "number": "+7 495 123-45-67"}],
               "emails": [{"kind": "work", "address": "anna@romashka.ru"}], "tags": ["VIP", "Москва"], "groups": ["Клиенты"],
               "notes": "line one\nline two, with a comma", "website": "https://romashka.ru", "address": "ул. Ленина, 1, Москва"}),
        json!({"full_name": "John Doe", "company": "Doe, Inc.", "emails": [{"kind": "home", "address": "john@doe.com"}]}),
        json!({"company": "Only A Company Ltd"}),
    ] {
        let r = a.post("/api/v1/contacts", Some(&ta), c).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let original: Vec<Value> =
        contacts(&a, &ta, "&sort=id&order=asc").await["items"].as_array().unwrap().iter().map(essence).collect();
    for (query, file, content_type) in [
        ("?format=vcf", "x.vcf", "text/vcard"),
        ("?format=vcf&version=3.0", "x.vcf", "text/vcard"),
        ("?format=csv", "x.csv", "text/csv"),
        ("?format=xlsx", "x.xlsx", "application/vnd.openxmlformats"),
        ("?format=jsonl", "x.jsonl", "application/x-ndjson"),
    ] {
        let (status, headers, bytes) = download(&a, &ta, query).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with(content_type), "{query}");
        assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("attachment"), "{query}");
        let b = app().await;
        let tb = b.admin().await;
        let job = import(&b, &tb, "", file, &bytes).await;
        assert_eq!(job["status"], "done", "{query}: {job}");
        assert_eq!(n(&job, "created"), 3, "{query}: {job}");
        let copy: Vec<Value> =
            contacts(&b, &tb, "&sort=id&order=asc").await["items"].as_array().unwrap().iter().map(essence).collect();
        assert_eq!(copy, original, "{query}: the round trip keeps the contacts");
    }
    // Filters and selections narrow the export; bad parameters are a 422 naming them.
    let (_, _, vcf) = download(&a, &ta, "?tag=VIP").await;
    assert_eq!(String::from_utf8_lossy(&vcf).matches("BEGIN:VCARD").count(), 1);
    let first = contacts(&a, &ta, "&sort=id&order=asc").await["items"][1]["id"].as_i64().unwrap();
    let (_, _, vcf) = download(&a, &ta, &format!("?ids={first}")).await;
    assert!(String::from_utf8_lossy(&vcf).contains("John Doe"));
    assert_eq!(String::from_utf8_lossy(&vcf).matches("BEGIN:VCARD").count(), 1);
    for (query, field) in [("?format=pdf", "format"), ("?version=2.1", "version"), ("?ids=1,x", "ids")] {
        let r = a.get(&format!("/api/v1/export{query}"), &ta).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {}", r.body);
        assert!(r.body["detail"].as_str().unwrap().contains(field), "{query}");
    }
    let r = a.call(Method::GET, "/api/v1/export", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_preview_left_for_a_day_loses_its_file_and_cannot_be_applied() {
    use sea_orm::ConnectionTrait;
    let app = app().await;
    let t = app.admin().await;
    let preview = import(&app, &t, "?dry_run=true", "p.csv", PEOPLE.as_bytes()).await;
    let id = n(&preview, "id");
    // A fresh preview keeps its file through maintenance.
    assert_eq!(service::transfer::imports::purge_files(&app.svc).await.unwrap(), 0);
    let backend = app.svc.db.get_database_backend();
    let old = chrono::Utc::now() - chrono::Duration::hours(25);
    app.svc
        .db
        .execute_raw(service::platform::db::statement(
            backend,
            "UPDATE imports SET updated_at = ? WHERE id = ?",
            vec![old.into(), id.into()],
        ))
        .await
        .unwrap();
    assert_eq!(service::transfer::imports::purge_files(&app.svc).await.unwrap(), 1);
    let r = app.post(&format!("/api/v1/imports/{id}/apply"), Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains("no longer kept"), "{}", r.body);
    // An applied import's file goes at once.
    let done = import(&app, &t, "", "p.csv", PEOPLE.as_bytes()).await;
    assert_eq!(done["status"], "done");
    assert_eq!(service::transfer::imports::purge_files(&app.svc).await.unwrap(), 0, "nothing left to remove");
}

#[tokio::test]
async fn tags_and_groups_in_cyrillic_are_found_again_on_every_database() {
    let app = app().await;
    let t = app.admin().await;
    for name in ["Анна", "Борис"] {
        let r = app
            .post("/api/v1/contacts", Some(&t), json!({"full_name": name, "tags": ["Клиенты"], "groups": ["Москва"]}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "the second contact with the same Cyrillic tag: {}", r.body);
    }
    assert_eq!(n(&contacts(&app, &t, "&tag=%D0%9A%D0%BB%D0%B8%D0%B5%D0%BD%D1%82%D1%8B").await, "total"), 2);
    assert_eq!(n(&contacts(&app, &t, "&group=%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0").await, "total"), 2);
}

#[tokio::test]
async fn progress_is_streamed_as_events_until_the_import_ends() {
    let app = app().await;
    let t = app.admin().await;
    let mut file = String::from("First Name,Last Name,E-mail Address\n");
    for i in 0..3000 {
        file.push_str(&format!("Person{i},Family{i},p{i}@example.com\n"));
    }
    let r = upload(&app, &t, "", "many.csv", file.as_bytes()).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = n(&r.body, "id");
    let events = app.get(&format!("/api/v1/imports/{id}/events"), &t).await;
    assert_eq!(events.status, StatusCode::OK);
    assert!(events.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/event-stream"));
    let text = events.body.as_str().unwrap_or_default().to_string();
    assert!(text.contains("event: done"), "{text}");
    assert!(text.contains("\"created\":3000"), "{}", &text[text.len().saturating_sub(400)..]);
    let job = wait(&app, &t, id).await;
    assert_eq!(n(&job, "created"), 3000);
    assert_eq!(n(&contacts(&app, &t, "").await, "total"), 3000);
    // Search finds an imported contact by name and by e-mail.
    let s = app.get("/api/v1/contacts/search?q=Family2999", &t).await;
    assert_eq!(s.status, StatusCode::OK);
    assert!(s.body.as_array().is_some_and(|a| !a.is_empty()), "{}", s.body);
}

/// `cardcrm demo`'s contacts import cleanly: every row created, tags and groups made, and the
/// people entered twice waiting as duplicate pairs.
#[tokio::test]
async fn the_demo_data_imports_with_tags_groups_and_pairs_to_review() {
    let app = app().await;
    let t = app.admin().await;
    let file = server::demo::contacts_jsonl(300, 7).unwrap();
    let rows = String::from_utf8_lossy(&file).lines().count() as i64;
    let job = import(&app, &t, "?on_duplicate=create", "demo.jsonl", &file).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(n(&job, "created"), rows, "{job}");
    assert_eq!(n(&job, "invalid"), 0, "{job}");
    let tags = app.get("/api/v1/tags", &t).await.body;
    assert!(tags.as_array().is_some_and(|a| a.len() >= 5), "{tags}");
    let groups = app.get("/api/v1/groups", &t).await.body;
    assert!(groups.as_array().is_some_and(|a| a.len() >= 3), "{groups}");
    let pairs = app.get("/api/v1/duplicates?status=pending&limit=100", &t).await.body;
    let twice = rows - 300;
    let found = n(&pairs, "total");
    assert!(found >= twice * 8 / 10, "{found} pairs for {twice} people entered twice: {pairs}");
    assert_eq!(n(&contacts(&app, &t, "").await, "total"), rows);
}

/// A count from raw SQL (`?` placeholders).
async fn count(app: &TestApp, text: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let backend = app.svc.db.get_database_backend();
    let row = app.svc.db.query_one_raw(service::platform::db::statement(backend, text, vec![])).await.expect(text);
    row.expect("a row").try_get_by_index::<i64>(0).expect(text)
}

/// What the database keeps for contacts by trigger (the search table or index, CardDAV's change
/// numbers) must hold for contacts an import writes with multi-row inserts, across chunks: the
/// search finds rows of the first and of the last chunk, a CardDAV `sync-collection` from nothing
/// lists every imported contact, and on PostgreSQL `contact_search` holds exactly the contacts,
/// also after a multi-row delete (its insert and delete triggers work per statement).
#[tokio::test]
async fn imported_contacts_are_found_by_search_and_listed_by_a_carddav_sync() {
    use base64::Engine;
    let app = app().await;
    let t = app.admin().await;
    let r = app.post("/api/v1/auth/app-passwords", Some(&t), json!({"name": "phone"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("admin:{}", r.body["password"].as_str().expect("password")))
    );
    let rows = 2500; // more than one chunk
    let mut file = String::from("First Name,Last Name,E-mail Address\n");
    for i in 0..rows {
        file.push_str(&format!("Person{i},Qw{i}x,p{i}@example.com\n"));
    }
    let job = import(&app, &t, "", "many.csv", file.as_bytes()).await;
    assert_eq!(n(&job, "created"), rows, "{job}");
    for i in [0, 7, rows - 1] {
        let s = app.get(&format!("/api/v1/contacts/search?q=Qw{i}x&limit=50"), &t).await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        let want = format!("Person{i} Qw{i}x");
        assert!(
            s.body.as_array().is_some_and(|a| a.iter().any(|c| c["full_name"] == want.as_str())),
            "{want} not found: {}",
            s.body
        );
    }
    // CardDAV: a sync from no token, page by page, lists every contact once.
    let mut token = String::new();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..100 {
        let body = format!(
            r#"<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"#
        );
        let req = Request::builder()
            .method(Method::from_bytes(b"REPORT").expect("method"))
            .uri("/dav/addressbooks/admin/contacts/")
            .header(header::AUTHORIZATION, &auth)
            .header("depth", "0")
            .body(Body::from(body))
            .expect("request");
        let r = app.raw(req).await;
        assert_eq!(r.status, StatusCode::MULTI_STATUS, "{}", r.body);
        let text = r.body.as_str().map(str::to_string).unwrap_or_else(|| r.body.to_string());
        let mut truncated = false;
        for resp in text.split("<D:response>").skip(1) {
            let href = resp.split("<D:href>").nth(1).and_then(|s| s.split("</D:href>").next()).expect("href");
            if href.ends_with(".vcf") {
                assert!(resp.contains("<D:getetag>"), "{resp}");
                assert!(seen.insert(href.to_string()), "{href} listed twice");
            } else {
                truncated = true;
            }
        }
        token = text
            .split("<D:sync-token>")
            .nth(1)
            .and_then(|s| s.split("</D:sync-token>").next())
            .expect("a sync token")
            .to_string();
        if !truncated {
            break;
        }
    }
    assert_eq!(seen.len() as i64, rows);
    if common::backend() == "postgres" {
        let search = "SELECT count(*) FROM contacts c JOIN contact_search s ON s.id = c.id \
                      AND s.search_text = c.search_text AND s.state = 0";
        assert_eq!(count(&app, search).await, rows);
        assert_eq!(count(&app, "SELECT count(*) FROM contact_search").await, rows);
        use sea_orm::ConnectionTrait;
        app.svc
            .db
            .execute_unprepared("DELETE FROM contacts WHERE id IN (SELECT id FROM contacts ORDER BY id LIMIT 100)")
            .await
            .expect("delete");
        assert_eq!(count(&app, "SELECT count(*) FROM contact_search").await, rows - 100);
        assert_eq!(count(&app, search).await, rows - 100);
    }
}
