//! One field of a saved scan: what the card parser read and what the user saved. The parser learns
//! from these (known company names, job-title words).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ocr_corrections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub scan_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub user_id: Option<i64>,
    /// `company`, `position`, `first_name`, `phones`, `emails`, …
    pub field: String,
    pub read_value: String,
    pub saved_value: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
