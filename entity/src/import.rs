//! An import of a contact file (the row is the job): status queued → running → done | failed, and
//! later undone; `done` of `total` rows for the progress bar, and what happened to them.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: Option<i64>,
    pub status: String,
    /// A preview: nothing is written but the rows' actions.
    pub dry_run: bool,
    /// skip | merge | create
    pub on_duplicate: String,
    pub all_or_nothing: bool,
    pub tag: String,
    pub file_name: String,
    pub file_bytes: i64,
    /// vcf | csv | xlsx | jsonl, once read
    pub format: String,
    pub encoding: String,
    /// JSON: the column mapping, per-row overrides and the format hint (`ImportOptions`).
    pub options: String,
    pub total: i64,
    pub done: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub invalid: i64,
    pub error: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub finished_at: Option<ChronoDateTimeUtc>,
    pub undone_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
