//! A pair of contacts that look like the same person (`a_id < b_id`), its score, the per-field
//! evidence (`match_fields`, JSON text) and its review status: pending | reviewed | merged | ignored.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "duplicate_pairs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub a_id: i64,
    pub b_id: i64,
    pub score: f32,
    pub match_fields: String,
    pub status: String,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
