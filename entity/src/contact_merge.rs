//! One merge of duplicate contacts: the survivor, the contacts merged into it (JSON list of ids),
//! the full before-snapshot of everything the merge changed (JSON text, read by
//! `service::duplicates::merges`), the survivor's version right after the merge (an undo is refused once it
//! has moved on) and, once undone, when and by whom.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_merges")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub survivor_id: i64,
    pub merged_ids: String,
    pub snapshot: String,
    pub survivor_version: i32,
    pub user_id: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
    pub undone_at: Option<ChronoDateTimeUtc>,
    pub undone_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
