//! Undo: the contacts an import created go to the trash, those it updated are put back unless
//! edited since; and the PostgreSQL upkeep after many imported contacts.

use super::write::*;
use super::*;

/// Undoes an import (its owner or an administrator, within [`UNDO_DAYS`] days): the contacts it
/// created go to the trash, the contacts it updated are put back as they were unless edited since.
pub async fn undo(svc: &Services, actor: &Actor, id: i64) -> AppResult<ImportUndo> {
    let m = own(svc, actor, id).await?;
    if m.dry_run {
        return Err(AppError::Conflict("a preview wrote nothing; there is nothing to undo".into()));
    }
    if m.undone_at.is_some() {
        return Err(AppError::Conflict("this import was already undone".into()));
    }
    if m.status != "done" {
        return Err(AppError::Conflict(format!("the import is {}; only a finished import can be undone", m.status)));
    }
    if !can_undo(&m) {
        return Err(AppError::Conflict(format!("imports can be undone for {UNDO_DAYS} days after they finish")));
    }
    // The claim: of two parallel undos, one wins.
    let res = import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value("undoing"))
        .col_expr(import::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(import::Column::Id.eq(id))
        .filter(import::Column::Status.eq("done"))
        .exec(&svc.db)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::Conflict("this import is already being undone".into()));
    }
    match undo_inner(svc, actor, id).await {
        Ok(u) => Ok(u),
        Err(e) => {
            import::Entity::update_many()
                .col_expr(import::Column::Status, Expr::value("done"))
                .filter(import::Column::Id.eq(id))
                .exec(&svc.db)
                .await?;
            Err(e)
        }
    }
}

pub(super) async fn undo_inner(svc: &Services, actor: &Actor, id: i64) -> AppResult<ImportUndo> {
    let s = crate::contacts::matching::match_settings(svc).await?;
    let region = crate::platform::settings::default_region(svc).await?;
    let mut out = ImportUndo { id, trashed: 0, reverted: 0, kept: Vec::new() };
    // Created contacts → trash, in batches.
    let created: Vec<i64> = import_row::Entity::find()
        .select_only()
        .column(import_row::Column::ContactId)
        .filter(import_row::Column::ImportId.eq(id))
        .filter(import_row::Column::Action.eq("create"))
        .filter(import_row::Column::ContactId.is_not_null())
        .into_tuple::<Option<i64>>()
        .all(&svc.db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    for part in created.chunks(500) {
        let now = Utc::now();
        let txn = crate::platform::db::begin_write(&svc.db).await?;
        let live: Vec<i64> = contact::Entity::find()
            .select_only()
            .column(contact::Column::Id)
            .filter(contact::Column::Id.is_in(part.to_vec()))
            .filter(contact::Column::DeletedAt.is_null())
            .filter(contact::Column::MergedIntoId.is_null())
            .into_tuple()
            .all(&txn)
            .await?;
        let kept = part.len() - live.len();
        if kept > 0 {
            out.kept.push(format!("{kept} created contact(s) were already in the trash or merged into another"));
        }
        if !live.is_empty() {
            contact::Entity::update_many()
                .col_expr(contact::Column::DeletedAt, Expr::value(Some(now)))
                .col_expr(contact::Column::Version, Expr::col(contact::Column::Version).add(1))
                .col_expr(contact::Column::UpdatedAt, Expr::value(now))
                .filter(contact::Column::Id.is_in(live.clone()))
                .exec(&txn)
                .await?;
            contact_key::Entity::delete_many()
                .filter(contact_key::Column::ContactId.is_in(live.clone()))
                .exec(&txn)
                .await?;
            let change =
                json!({"changes": [{"field": "deleted", "from": false, "to": true}], "import": id}).to_string();
            let audits: Vec<audit_log::ActiveModel> = live
                .iter()
                .map(|cid| audit_log::ActiveModel {
                    user_id: Set(Some(actor.user_id)),
                    contact_id: Set(Some(*cid)),
                    entity: Set("contact".into()),
                    action: Set("delete".into()),
                    diff: Set(change.clone()),
                    created_at: Set(now),
                    ..Default::default()
                })
                .collect();
            insert_all(&txn, audits, 200, |p| audit_log::Entity::insert_many(p)).await?;
        }
        txn.commit().await?;
        out.trashed += live.len() as u64;
        metrics::gauge!("contacts_total").decrement(live.len() as f64);
    }
    // Updated contacts → as they were, unless edited since.
    let updated = import_row::Entity::find()
        .filter(import_row::Column::ImportId.eq(id))
        .filter(import_row::Column::Action.eq("update"))
        .order_by_desc(import_row::Column::Id)
        .all(&svc.db)
        .await?;
    for r in updated {
        let (Some(cid), Some(before), Some(version)) = (r.contact_id, r.before.as_deref(), r.version_after) else {
            continue;
        };
        // A photo this import added goes, while it is still that one (not replaced since).
        let txn = crate::platform::db::begin_write(&svc.db).await?;
        let origin = crate::contacts::photos::Origin::Import(id);
        if crate::contacts::photos::remove_in(&txn, Some(actor.user_id), cid, Some(origin)).await? {
            txn.commit().await?;
        } else {
            txn.rollback().await?;
        }
        let Ok(mut input) = serde_json::from_str::<ContactInput>(before) else { continue };
        input.version = Some(version);
        input.source = None;
        let c = match contacts::clean(input, &region) {
            Ok(c) => c,
            Err(e) => {
                out.kept.push(format!("#{cid}: {e}"));
                continue;
            }
        };
        let txn = crate::platform::db::begin_write(&svc.db).await?;
        match contacts::update_in(&txn, actor, cid, &c, version, &s, Some(json!({ "undo": id }))).await {
            Ok(_) => {
                txn.commit().await?;
                out.reverted += 1;
            }
            Err(AppError::Conflict(_)) | Err(AppError::NotFound(_)) => {
                out.kept.push(format!("#{cid} was changed after the import (line {}); left as it is", r.line));
            }
            Err(e) => return Err(e),
        }
    }
    import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value("undone"))
        .col_expr(import::Column::UndoneAt, Expr::value(Some(Utc::now())))
        .col_expr(import::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(import::Column::Id.eq(id))
        .exec(&svc.db)
        .await?;
    svc.contacts_changed();
    Ok(out)
}

/// PostgreSQL plans the create path's lookups (duplicate keys, search words) from table
/// statistics, which a bulk import outruns (autovacuum analyses a table once a tenth of it is new,
/// and not at all where autovacuum is off): `ANALYZE` whenever the imported contacts double, from
/// 1,000. Measured with autovacuum off, at 29,000 of 100,000 contacts: 20 contacts/s before, 90/s
/// after. At the end `VACUUM ANALYZE` also marks the new rows all-visible, so the list's
/// index-only walks skip the table: a page at OFFSET 50,000 took 69 ms before, 5 ms after (2.9 s
/// for 100,000 contacts). A failure (say, a role that does not own the tables) is reported and the
/// import goes on. Nothing on SQLite.
pub(super) async fn postgres_upkeep(svc: &Services, command: &str) {
    if svc.db.get_database_backend() == DatabaseBackend::Postgres {
        if let Err(e) = svc.db.execute_unprepared(command).await {
            tracing::warn!(error = %e, "{command} after imported contacts failed");
        }
    }
}
