//! Scheduled maintenance: each job removes what it should and nothing else; a run is claimed by
//! exactly one of several instances; the admin status page shows the last run of each job; the
//! nightly duplicate scan follows its admin setting.

mod common;

use chrono::{Duration as ChronoDuration, Utc};
use common::{app, backend, TestApp};
use entity::{card_scan, refresh_token};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, Value};
use serde_json::json;
use service::admin::maintenance::{self, MaintenanceOptions};
use service::integrations as integ;
use std::collections::HashMap;
use std::time::Duration;

/// Runs SQL with `?` placeholders on either backend (the service's own rewriter, `db::statement`).
async fn sql(app: &TestApp, text: &str, values: Vec<Value>) -> u64 {
    let backend = app.svc.db.get_database_backend();
    let stmt = service::platform::db::statement(backend, text, values);
    app.svc.db.execute_raw(stmt).await.expect(text).rows_affected()
}

fn opts(instance: &str) -> MaintenanceOptions {
    MaintenanceOptions {
        file_grace: Duration::ZERO,
        draft_retention: Duration::from_secs(30 * 86400),
        instance: instance.into(),
        ..MaintenanceOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_refresh_tokens_and_link_codes_are_removed_and_nothing_else() {
    let app = app().await;
    app.admin().await; // signing in stores a live refresh token
    let admin = service::accounts::auth::actor_by_username(&app.svc, "admin").await.expect("admin");
    let now = Utc::now();
    refresh_token::ActiveModel {
        user_id: Set(admin.user_id),
        token_hash: Set("expired-token-hash".into()),
        family: Set("old-family".into()),
        expires_at: Set(now - ChronoDuration::days(1)),
        revoked_at: Set(None),
        created_at: Set(now - ChronoDuration::days(31)),
        ..Default::default()
    }
    .insert(&app.svc.db)
    .await
    .expect("expired token");
    let live = refresh_token::Entity::find().filter(refresh_token::Column::ExpiresAt.gt(now)).count(&app.svc.db).await;
    let live = live.expect("count");
    assert!(live >= 1);

    let (n, detail) = maintenance::remove_expired_refresh_tokens(&app.svc, now).await.expect("run");
    assert_eq!(n, 1, "{detail} ({})", backend());
    assert_eq!(refresh_token::Entity::find().count(&app.svc.db).await.expect("count"), live);
    let gone = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq("expired-token-hash"))
        .count(&app.svc.db)
        .await
        .expect("count");
    assert_eq!(gone, 0);

    // Two live codes; one is made expired.
    integ::create_link_code(&app.svc, &admin, integ::TELEGRAM, None).await.expect("telegram code");
    integ::create_link_code(&app.svc, &admin, integ::WHATSAPP, Some("+49 151 23456789")).await.expect("whatsapp code");
    let past = now - ChronoDuration::minutes(1);
    assert_eq!(
        sql(&app, "UPDATE integration_link_codes SET expires_at = ? WHERE integration = 'telegram'", vec![past.into()])
            .await,
        1
    );
    let (n, _) = maintenance::remove_expired_link_codes(&app.svc, now).await.expect("run");
    assert_eq!(n, 1);
    let left = integ::mine(&app.svc, &admin).await.expect("mine");
    assert!(left.pending_whatsapp.is_some(), "the live code stays");
    let (n, _) = maintenance::remove_expired_link_codes(&app.svc, now).await.expect("run again");
    assert_eq!(n, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handled_bot_updates_older_than_30_days_are_pruned_and_pending_ones_kept() {
    let app = app().await;
    let now = Utc::now();
    // (external id, status, age in days, kept)
    let rows = [
        ("old-done", "done", 31, false),
        ("old-failed", "failed", 45, false),
        ("recent-done", "done", 5, true),
        ("old-pending", "pending", 40, true),
    ];
    for (key, status, age, _) in rows {
        let update = integ::NewUpdate {
            integration: integ::TELEGRAM,
            external_id: key,
            kind: integ::kind::REPLY,
            payload: json!({}),
            chat_id: "1",
            user_id: None,
            reply_text: Some("hi".into()),
            outcome: None,
        };
        assert!(integ::record_update(&app.svc.db, update).await.expect("record"));
        let at = now - ChronoDuration::days(age);
        sql(
            &app,
            "UPDATE bot_updates SET status = ?, updated_at = ? WHERE external_id = ?",
            vec![status.into(), at.into(), key.into()],
        )
        .await;
    }
    let (n, detail) = maintenance::prune_bot_updates(&app.svc, now).await.expect("run");
    assert_eq!(n, 2, "{detail} ({})", backend());
    let left: Vec<String> =
        integ::updates(&app.svc).await.expect("updates").into_iter().map(|u| u.external_id).collect();
    let kept: Vec<String> = rows.iter().filter(|r| r.3).map(|r| r.0.to_string()).collect();
    assert_eq!(left, kept);
}

/// A scan row as the upload would have stored it, with its image file on disk.
async fn scan_row(
    app: &TestApp,
    owner: i64,
    file: &str,
    status: &str,
    contact: Option<i64>,
    age_days: i64,
) -> card_scan::Model {
    let dir = app.svc.scans.data_dir().join("scans");
    std::fs::create_dir_all(&dir).expect("scans dir");
    std::fs::write(dir.join(file), b"image bytes").expect("image file");
    let at = Utc::now() - ChronoDuration::days(age_days);
    card_scan::ActiveModel {
        uid: Set(uuid_like()),
        status: Set(status.into()),
        image_sha256: Set(file.split('.').next().unwrap_or_default().into()),
        image_path: Set(format!("scans/{file}")),
        content_type: Set("image/jpeg".into()),
        size_bytes: Set(11),
        engine: Set(None),
        result: Set(None),
        error: Set(None),
        attempts: Set(1),
        owner_id: Set(owner),
        contact_id: Set(contact),
        side: Set("front".into()),
        created_at: Set(at),
        updated_at: Set(at),
        started_at: Set(None),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(&app.svc.db)
    .await
    .expect("scan row")
}

fn uuid_like() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn file_exists(app: &TestApp, file: &str) -> bool {
    app.svc.scans.data_dir().join("scans").join(file).is_file()
}

async fn scan_exists(app: &TestApp, id: i64) -> bool {
    card_scan::Entity::find_by_id(id).one(&app.svc.db).await.expect("scan").is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphaned_scans_and_images_are_removed_and_nothing_else() {
    let app = app().await;
    let token = app.admin().await;
    let admin = service::accounts::auth::actor_by_username(&app.svc, "admin").await.expect("admin");
    let contact = |name: &'static str| {
        let (app, token) = (&app, &token);
        async move {
            let r = app.post("/api/v1/contacts", Some(token), json!({"first_name": name, "last_name": "Scan"})).await;
            assert_eq!(r.status.as_u16(), 201, "{}", r.body);
            r.body["id"].as_i64().expect("contact id")
        }
    };
    let saved_id = contact("Saved").await;
    let trashed_id = contact("Trashed").await;
    let purged_id = contact("Purged").await;
    let r = app.call(axum::http::Method::DELETE, &format!("/api/v1/contacts/{trashed_id}"), Some(&token), None).await;
    assert!(r.status.is_success(), "{}", r.body);

    let u = admin.user_id;
    let saved = scan_row(&app, u, "aa01.jpg", "done", Some(saved_id), 400).await;
    let trashed = scan_row(&app, u, "aa02.jpg", "done", Some(trashed_id), 400).await;
    let purged = scan_row(&app, u, "aa03.jpg", "done", Some(purged_id), 400).await;
    let old_draft = scan_row(&app, u, "aa04.jpg", "done", None, 40).await;
    let old_failed = scan_row(&app, u, "aa05.jpg", "failed", None, 40).await;
    let fresh_draft = scan_row(&app, u, "aa06.jpg", "done", None, 2).await;
    let old_queued = scan_row(&app, u, "aa07.jpg", "queued", None, 40).await;
    // An old draft of the same image as the saved card: the row goes, the file stays.
    let same_image = scan_row(&app, u, "aa01.jpg", "done", None, 40).await;
    // Files no scan refers to: an orphan and a half-written upload.
    let dir = app.svc.scans.data_dir().join("scans");
    std::fs::write(dir.join("ffff.png"), b"orphan").expect("orphan");
    std::fs::write(dir.join("aa08.jpg.123.tmp"), b"half").expect("tmp");
    // The contact is purged (deleted for good, as a purge of the trash or by hand would).
    assert_eq!(sql(&app, "DELETE FROM contacts WHERE id = ?", vec![purged_id.into()]).await, 1);

    // Files younger than the grace period are left for the next run; the rows go at once.
    let patient = MaintenanceOptions { file_grace: Duration::from_secs(3600), ..opts("a") };
    let (n, detail) = maintenance::remove_orphaned_scans(&app.svc, &patient, Utc::now()).await.expect("run");
    assert_eq!(n, 4, "{detail} ({})", backend());
    for f in ["aa03.jpg", "aa04.jpg", "aa05.jpg", "ffff.png", "aa08.jpg.123.tmp"] {
        assert!(file_exists(&app, f), "{f} is younger than the grace period");
    }

    let (n, detail) = maintenance::remove_orphaned_scans(&app.svc, &opts("a"), Utc::now()).await.expect("run");
    assert_eq!(n, 5, "{detail}");
    assert!(detail.contains("5 image files"), "{detail}");
    for (scan, kept) in [
        (&saved, true),
        (&trashed, true),
        (&purged, false),
        (&old_draft, false),
        (&old_failed, false),
        (&fresh_draft, true),
        (&old_queued, true),
        (&same_image, false),
    ] {
        assert_eq!(scan_exists(&app, scan.id).await, kept, "scan {} ({})", scan.image_path, scan.status);
    }
    for (f, kept) in [
        ("aa01.jpg", true),
        ("aa02.jpg", true),
        ("aa03.jpg", false),
        ("aa04.jpg", false),
        ("aa05.jpg", false),
        ("aa06.jpg", true),
        ("aa07.jpg", true),
        ("ffff.png", false),
        ("aa08.jpg.123.tmp", false),
    ] {
        assert_eq!(file_exists(&app, f), kept, "{f}");
    }
    // The kept card images are still served.
    let r = app.get(&format!("/api/v1/scans/{}/image", saved.id), &token).await;
    assert_eq!(r.status.as_u16(), 200);
    // Nothing more to do.
    let (n, _) = maintenance::remove_orphaned_scans(&app.svc, &opts("a"), Utc::now()).await.expect("run");
    assert_eq!(n, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_instances_claiming_the_same_run_exactly_one_wins() {
    let app = app().await;
    let now = Utc::now();
    let claims = (0..8).map(|i| {
        let svc = app.svc.clone();
        tokio::spawn(async move {
            maintenance::claim(&svc, maintenance::SCAN_IMAGES, "3600s#1", &format!("instance-{i}"), now).await
        })
    });
    let results = futures_util::future::join_all(claims).await;
    let won: Vec<i64> = results.into_iter().filter_map(|r| r.expect("join").expect("claim")).collect();
    assert_eq!(won.len(), 1, "{won:?} ({})", backend());
    // The next period is free again; another job's run of the same period too.
    assert!(maintenance::claim(&app.svc, maintenance::SCAN_IMAGES, "3600s#2", "instance-0", now)
        .await
        .expect("claim")
        .is_some());
    assert!(maintenance::claim(&app.svc, maintenance::LINK_CODES, "3600s#1", "instance-0", now)
        .await
        .expect("claim")
        .is_some());
    assert!(maintenance::claim(&app.svc, maintenance::SCAN_IMAGES, "3600s#1", "instance-9", now)
        .await
        .expect("claim")
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_run_each_job_once_and_the_status_page_shows_the_last_runs() {
    let app = app().await;
    let token = app.admin().await;
    let now = Utc::now();
    let (a, b) = (opts("instance-a"), opts("instance-b"));
    let (mut la, mut lb) = (HashMap::new(), HashMap::new());
    let (ran_a, ran_b) = tokio::join!(
        maintenance::run_due(&app.svc, &a, now, &mut la),
        maintenance::run_due(&app.svc, &b, now, &mut lb)
    );
    let mut jobs: Vec<&str> = ran_a.iter().chain(ran_b.iter()).map(|(j, _)| *j).collect();
    jobs.sort_unstable();
    let mut expected = vec![
        maintenance::BOT_UPDATES,
        maintenance::LINK_CODES,
        maintenance::REFRESH_TOKENS,
        maintenance::SCAN_IMAGES,
        maintenance::IMPORT_FILES,
    ];
    expected.sort_unstable();
    assert_eq!(jobs, expected, "each interval job once, the nightly scan not (off); {ran_a:?} {ran_b:?}");
    assert!(ran_a.iter().chain(ran_b.iter()).all(|(_, o)| o == "ok"), "{ran_a:?} {ran_b:?}");
    // The same period again: nothing to do on either.
    assert!(maintenance::run_due(&app.svc, &a, now, &mut la).await.is_empty());
    assert!(maintenance::run_due(&app.svc, &b, now, &mut HashMap::new()).await.is_empty());

    let r = app.get("/api/v1/admin/status", &token).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let jobs = r.body["maintenance"].as_array().expect("maintenance jobs");
    assert_eq!(jobs.len(), maintenance::JOBS.len());
    for j in jobs {
        if j["job"] == maintenance::DUPLICATE_SCAN {
            assert_eq!(j["enabled"], false);
            assert!(j["last"].is_null());
        } else {
            assert_eq!(j["last"]["outcome"], "ok", "{j}");
            assert!(j["last"]["finished_at"].is_string(), "{j}");
            assert!(j["last"]["instance"].as_str().is_some_and(|i| i.starts_with("instance-")), "{j}");
            assert!(j["last"]["removed"].is_i64());
        }
    }
    assert_eq!(r.body["maintenance_interval_secs"], 3600);
    let user = app.user(&token, "plain").await;
    assert_eq!(app.get("/api/v1/admin/status", &user).await.status.as_u16(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nightly_duplicate_scan_follows_its_setting() {
    let app = app().await;
    let token = app.admin().await;
    for (first, last) in [("Anna", "Petrova"), ("Anna", "Petrova"), ("Boris", "Ivanov")] {
        let r = app
            .post(
                "/api/v1/contacts",
                Some(&token),
                json!({"first_name": first, "last_name": last, "emails": [{"address": "anna@example.com"}]}),
            )
            .await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    }
    let night = MaintenanceOptions { nightly_hour: 0, ..opts("a") };
    let now = Utc::now();
    let mut last = HashMap::new();
    let ran = maintenance::run_due(&app.svc, &night, now, &mut last).await;
    assert!(ran.iter().all(|(j, _)| *j != maintenance::DUPLICATE_SCAN), "off by default: {ran:?}");

    let r = app.get("/api/v1/admin/settings", &token).await;
    assert_eq!(r.body["nightly_duplicate_scan"], false, "{}", r.body);
    let mut settings = r.body.clone();
    settings["nightly_duplicate_scan"] = json!(true);
    let r = app.put("/api/v1/admin/settings", &token, settings).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["nightly_duplicate_scan"], true);

    let ran = maintenance::run_due(&app.svc, &night, now, &mut last).await;
    assert_eq!(ran, vec![(maintenance::DUPLICATE_SCAN, "ok".to_string())]);
    let status = app.get("/api/v1/admin/status", &token).await;
    let job = status.body["maintenance"]
        .as_array()
        .and_then(|a| a.iter().find(|j| j["job"] == maintenance::DUPLICATE_SCAN).cloned())
        .expect("duplicate scan job");
    assert_eq!(job["enabled"], true);
    let detail = job["last"]["detail"].as_str().unwrap_or_default();
    assert!(detail.starts_with("duplicate scan #") && detail.contains("3 contacts"), "{detail}");
    // Once a night: the same day does not run it again.
    assert!(maintenance::run_due(&app.svc, &night, now, &mut HashMap::new()).await.is_empty());
}
