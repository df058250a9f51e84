//! One run of a scheduled maintenance job; `(job, period)` is unique, so inserting the row is how
//! one instance claims the run for a period.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "maintenance_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub job: String,
    pub period: String,
    pub instance: String,
    pub started_at: ChronoDateTimeUtc,
    pub finished_at: Option<ChronoDateTimeUtc>,
    /// `running`, `ok`, `failed` or `skipped`.
    pub outcome: String,
    /// How many rows and files the run removed.
    pub removed: i64,
    pub detail: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
