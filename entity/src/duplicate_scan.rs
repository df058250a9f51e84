//! A full duplicate scan (the row is the job): status queued → running → done | failed, the
//! current phase with `done` of `total` steps for a progress bar, and what it found.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "duplicate_scans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub status: String,
    /// keys | normalize | block | score | record | done
    pub phase: String,
    pub done: i64,
    pub total: i64,
    /// Live contacts scanned.
    pub contacts: i64,
    /// Contacts that had no duplicate keys yet (created before the keys existed) and got them.
    pub keys_backfilled: i64,
    pub pairs_found: i64,
    /// Pairs not stored before (existing pairs keep their status: an ignored pair stays ignored).
    pub pairs_new: i64,
    pub error: Option<String>,
    pub user_id: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub finished_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
