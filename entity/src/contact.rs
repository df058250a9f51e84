//! A person from a business card. Soft-deleted via `deleted_at`; `version` guards concurrent edits;
//! `search_text` is the denormalised text the search index covers.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub uid: String,
    pub sequence_number: i64,
    pub prefix: String,
    pub first_name: String,
    pub middle_name: String,
    pub last_name: String,
    pub full_name: String,
    pub company: String,
    pub position: String,
    pub department: String,
    pub website: String,
    pub address: String,
    pub notes: String,
    pub source: String,
    pub search_text: String,
    pub version: i32,
    pub owner_id: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub deleted_at: Option<ChronoDateTimeUtc>,
    pub merged_into_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
