//! The worker: claims queued scans (several instances may share the queue), reads them with the
//! OCR pipeline off the async runtime, heartbeats, re-queues what a dead process left.

use super::upload::redis_store_result;
use super::*;

/// Put scans a dead process left `processing` back in the queue: those whose worker has not
/// touched them for `stale` (a live worker touches its scan every [`HEARTBEAT`]). Safe with several
/// instances: one conditional update, and a scan still being read is left alone. Returns how many.
pub async fn requeue_stale(svc: &Services, stale: Duration) -> AppResult<u64> {
    let now = Utc::now();
    let cutoff = now - chrono::Duration::from_std(stale).unwrap_or(chrono::Duration::zero());
    let res = card_scan::Entity::update_many()
        .col_expr(card_scan::Column::Status, Expr::value(QUEUED))
        .col_expr(card_scan::Column::UpdatedAt, Expr::value(now))
        .filter(card_scan::Column::Status.eq(PROCESSING))
        .filter(card_scan::Column::UpdatedAt.lt(cutoff))
        .exec(&svc.db)
        .await?;
    Ok(res.rows_affected)
}

/// The claim a worker holds: the scan, still `processing` with the attempt count it claimed.
fn still_ours(job: &card_scan::Model) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(card_scan::Column::Id.eq(job.id))
        .add(card_scan::Column::Status.eq(PROCESSING))
        .add(card_scan::Column::Attempts.eq(job.attempts))
}

/// Proves the worker reading `job` is alive, so no sweep re-queues it.
async fn heartbeat(svc: &Services, job: &card_scan::Model) {
    let touched = card_scan::Entity::update_many()
        .col_expr(card_scan::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(still_ours(job))
        .exec(&svc.db)
        .await;
    if let Err(e) = touched {
        tracing::warn!(scan = job.id, error = %e, "cannot touch the scan being read");
    }
}

/// Take the oldest queued scan, marking it `processing`.
async fn claim(svc: &Services) -> AppResult<Option<card_scan::Model>> {
    let now = Utc::now();
    match svc.db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let stmt = Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "UPDATE card_scans SET status = 'processing', attempts = attempts + 1, started_at = $1, updated_at = $1 \
                 WHERE id = (SELECT id FROM card_scans WHERE status = 'queued' ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) \
                 RETURNING *",
                [now.into()],
            );
            Ok(card_scan::Entity::find().from_raw_sql(stmt).one(&svc.db).await?)
        }
        _ => {
            // SQLite: one claimer per process; the conditional update keeps two processes on one file apart.
            let txn = crate::platform::db::begin_write(&svc.db).await?;
            let Some(m) = card_scan::Entity::find()
                .filter(card_scan::Column::Status.eq(QUEUED))
                .order_by_asc(card_scan::Column::Id)
                .one(&txn)
                .await?
            else {
                txn.commit().await?;
                return Ok(None);
            };
            let res = card_scan::Entity::update_many()
                .col_expr(card_scan::Column::Status, Expr::value(PROCESSING))
                .col_expr(card_scan::Column::Attempts, Expr::value(m.attempts + 1))
                .col_expr(card_scan::Column::StartedAt, Expr::value(Some(now)))
                .col_expr(card_scan::Column::UpdatedAt, Expr::value(now))
                .filter(card_scan::Column::Id.eq(m.id))
                .filter(card_scan::Column::Status.eq(QUEUED))
                .exec(&txn)
                .await?;
            txn.commit().await?;
            if res.rows_affected == 0 {
                return Ok(None);
            }
            Ok(Some(card_scan::Model {
                status: PROCESSING.into(),
                attempts: m.attempts + 1,
                started_at: Some(now),
                updated_at: now,
                ..m
            }))
        }
    }
}

/// Decode, read (the requested engine or the pipeline's choice) and parse one image. Blocking.
fn read_image(
    ctx: &ScanContext,
    bytes: &[u8],
    engine: Option<&str>,
    hints: &ocr::ParseHints,
    order: &[String],
    vision: Option<&crate::scans::vision::VisionConfig>,
) -> Result<(String, ocr::CardReading), ocr::OcrError> {
    // A re-read with a named local engine needs every engine of the build, whatever the order
    // setting says; one with `google` falls back to the local engines when it fails, as in an order.
    let google = [crate::scans::vision::GOOGLE.to_string()];
    let pipeline = match engine {
        Some(crate::scans::vision::GOOGLE) => ctx.pipeline(&google, vision)?,
        Some(_) => ctx.pipeline(&[], None)?,
        None => ctx.pipeline(order, vision)?,
    };
    let t0 = Instant::now();
    let img = ocr::decode_image(bytes, &ocr::Limits::default())?;
    let decode_ms = t0.elapsed().as_millis() as u64;
    let t1 = Instant::now();
    let mut reading = match engine {
        Some(e) if e != crate::scans::vision::GOOGLE => pipeline.read_with(&img, e)?,
        _ => pipeline.read(&img)?,
    };
    let ocr_ms = t1.elapsed().as_millis() as u64;
    let t2 = Instant::now();
    let mut parsed = ocr::parse_card(&reading.lines, hints);
    let parse_ms = t2.elapsed().as_millis() as u64;
    let t3 = Instant::now();
    if let Some(qr) = ocr::decode_qr(&img) {
        ocr::merge_qr(&mut parsed, qr);
    }
    let qr_ms = t3.elapsed().as_millis() as u64;
    reading.elapsed_ms = t0.elapsed().as_millis() as u64;
    let size = ocr::ImageSize { width: img.width(), height: img.height() };
    let timings = ocr::Timings { decode_ms, ocr_ms, parse_ms, qr_ms, total_ms: reading.elapsed_ms, queued_ms: None };
    let result = ocr::card_reading(&parsed, &reading, size, hints, timings);
    Ok((reading.engine, result))
}

/// "500 ms", "2 s", "1.5 min" for messages.
fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 120_000 {
        format!("{} s", ms as f64 / 1000.0)
    } else {
        format!("{} min", ms as f64 / 60_000.0)
    }
}

/// Run one claimed scan to `done` or `failed`, reading it in `turn` (see [`ScanLimits`]).
async fn process(svc: &Services, job: card_scan::Model, turn: OwnedSemaphorePermit) -> AppResult<()> {
    let id = job.id;
    let outcome: Result<(String, ocr::CardReading), String> = if job.attempts > MAX_ATTEMPTS {
        Err(format!("gave up after {MAX_ATTEMPTS} attempts"))
    } else {
        let path = svc.scans.data_dir.join(&job.image_path);
        match tokio::fs::read(&path).await {
            Err(e) => Err(format!("the stored image cannot be read: {e}")),
            Ok(bytes) => {
                let engine = job.engine.clone();
                // What users corrected before; parsing without it beats not reading the card.
                let hints = crate::scans::corrections::hints(svc).await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "cannot load parse hints");
                    ocr::ParseHints::default()
                });
                let order = crate::scans::engine_order::ocr_engine_order(svc).await.unwrap_or_default();
                // Not configured (or not readable now): `google` is left out and never called.
                let vision = crate::scans::vision::config(svc).await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "cannot read the Google Vision settings; not using it");
                    None
                });
                let limit = svc.scans.limits.time_limit;
                let reading = svc.scans.run_with_turn(turn, move |ctx| {
                    read_image(ctx, &bytes, engine.as_deref(), &hints, &order, vision.as_ref())
                });
                tokio::pin!(reading);
                let deadline = tokio::time::sleep(limit);
                tokio::pin!(deadline);
                let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
                let read = loop {
                    tokio::select! {
                        r = &mut reading => break Some(r),
                        _ = &mut deadline => break None,
                        _ = beat.tick() => heartbeat(svc, &job).await,
                    }
                };
                match read {
                    Some(Ok(Ok(r))) => Ok(r),
                    Some(Ok(Err(e))) => Err(e.to_string()),
                    Some(Err(e)) => {
                        tracing::error!(scan = id, error = %e, "OCR task panicked");
                        Err("internal error while reading the image".into())
                    }
                    None => {
                        // The reading cannot be interrupted: it goes on in the background, keeping
                        // its turn, and its result is dropped; this scan is answered now.
                        metrics::counter!("ocr_processing_total", "engine" => job.engine.clone().unwrap_or_else(|| "auto".into()), "outcome" => "timeout")
                            .increment(1);
                        Err(format!(
                            "reading this image took longer than the time limit of {} (CARDCRM_SCAN_TIME_LIMIT); \
                             a smaller or simpler photo may work",
                            human(limit)
                        ))
                    }
                }
            }
        }
    };
    let now = Utc::now();
    let queued_ms = job.started_at.map(|s| (s - job.created_at).num_milliseconds().max(0)).unwrap_or(0);
    let write = card_scan::Entity::update_many()
        .col_expr(card_scan::Column::UpdatedAt, Expr::value(now))
        .col_expr(card_scan::Column::FinishedAt, Expr::value(Some(now)))
        .filter(still_ours(&job));
    let (write, stored_result) = match outcome {
        Ok((engine, mut result)) => {
            result.timings.queued_ms = Some(queued_ms as u64);
            metrics::counter!("ocr_processing_total", "engine" => engine.clone(), "outcome" => "done").increment(1);
            tracing::info!(scan = id, engine = %engine, "scan read");
            let result = serde_json::to_string(&result).unwrap_or_default();
            let write = write
                .col_expr(card_scan::Column::Status, Expr::value(DONE))
                .col_expr(card_scan::Column::Engine, Expr::value(Some(engine.clone())))
                .col_expr(card_scan::Column::Result, Expr::value(Some(result.clone())))
                .col_expr(card_scan::Column::Error, Expr::value(Option::<String>::None));
            (write, Some((engine, result)))
        }
        Err(e) => {
            let engine = job.engine.clone().unwrap_or_else(|| "auto".into());
            metrics::counter!("ocr_processing_total", "engine" => engine, "outcome" => "failed").increment(1);
            tracing::warn!(scan = id, error = %e, "scan failed");
            let write = write
                .col_expr(card_scan::Column::Status, Expr::value(FAILED))
                .col_expr(card_scan::Column::Error, Expr::value(Some(e)));
            (write, None)
        }
    };
    if write.exec(&svc.db).await?.rows_affected == 0 {
        // Re-queued meanwhile (this worker looked dead) and maybe claimed again: the newer claim wins.
        tracing::warn!(scan = id, "the scan was re-queued while this worker read it; its result is dropped");
        return Ok(());
    }
    if let Some((engine, result)) = stored_result {
        redis_store_result(svc, &job.image_sha256, &engine, &result).await;
    }
    Ok(())
}

/// The background reader of queued scans; one per process. It reads up to
/// [`ScanLimits::concurrency`] scans at once (sharing the turns with upload checks). Stop it with
/// [`Worker::shutdown`].
pub struct Worker(Task);

impl Worker {
    /// Keep reading queued scans; re-queue, at start and every [`SWEEP`], what a dead process
    /// left `processing` (see [`requeue_stale`]).
    pub fn start(svc: Services) -> Worker {
        Worker(Task::spawn(|mut stopped| async move {
            let mut swept: Option<Instant> = None;
            let mut reading = tokio::task::JoinSet::new();
            loop {
                if *stopped.borrow() {
                    break;
                }
                while let Some(done) = reading.try_join_next() {
                    if let Err(e) = done {
                        tracing::error!(error = %e, "a scan reader stopped abnormally");
                    }
                }
                if swept.is_none_or(|at| at.elapsed() >= SWEEP) {
                    swept = Some(Instant::now());
                    match requeue_stale(&svc, STALE).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(count = n, "re-queued scans left processing by a dead process"),
                        Err(e) => tracing::warn!(error = %e, "cannot re-queue interrupted scans"),
                    }
                }
                // A turn first: a scan is claimed only when it can be read at once.
                let turn = tokio::select! {
                    t = svc.scans.turn() => t,
                    r = stopped.changed() => {
                        if r.is_err() { break }
                        continue;
                    }
                };
                let turn = match turn {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::error!(error = %e, "no scan turns; the worker stops");
                        break;
                    }
                };
                match claim(&svc).await {
                    Ok(Some(job)) => {
                        let svc = svc.clone();
                        reading.spawn(async move {
                            if let Err(e) = process(&svc, job, turn).await {
                                tracing::error!(error = %e, "cannot store a scan result");
                            }
                        });
                        continue;
                    }
                    Ok(None) => drop(turn),
                    Err(e) => {
                        drop(turn);
                        tracing::warn!(error = %e, "cannot claim a scan")
                    }
                }
                tokio::select! {
                    _ = svc.scans.wake.notified() => {}
                    _ = tokio::time::sleep(POLL) => {}
                    r = stopped.changed() => if r.is_err() { break },
                }
            }
            // The scans in hand are finished (or time out) and stored before the worker ends.
            while let Some(done) = reading.join_next().await {
                if let Err(e) = done {
                    tracing::error!(error = %e, "a scan reader stopped abnormally");
                }
            }
        }))
    }

    /// Ask the worker to stop and wait for the scans in hand (if any) to be stored.
    pub async fn shutdown(self) {
        self.0.shutdown().await
    }
}
