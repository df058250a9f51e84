//! A contact's photo: the image bytes as sent, their sniffed media type and length. Kept apart from
//! `contacts` so lists never carry image data; `import_id` / `merge_id` name the import or merge
//! that added it (undo removes it only while it is still that one).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_photos")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub contact_id: i64,
    pub media_type: String,
    pub data: Vec<u8>,
    pub bytes: i32,
    pub updated_at: ChronoDateTimeUtc,
    pub import_id: Option<i64>,
    pub merge_id: Option<i64>,
    /// The photo as phones get it over CardDAV (JPEG, at most 720 px a side), made on first use;
    /// NULL when the photo as sent is small enough, or not made yet (`service::contacts::photos`).
    pub phone_data: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
