//! One OCR scan job: an uploaded card image, its status (queued → processing → done/failed) and,
//! once read, the result as JSON text (lines with boxes, fields with source blocks, timings).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "card_scans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub uid: String,
    /// `queued`, `processing`, `done` or `failed`.
    pub status: String,
    pub image_sha256: String,
    /// Path of the stored image relative to the data directory (`scans/<sha>.<ext>`).
    pub image_path: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub engine: Option<String>,
    /// JSON text: `ocr::card_json` plus timings.
    pub result: Option<String>,
    pub error: Option<String>,
    pub attempts: i32,
    pub owner_id: i64,
    pub contact_id: Option<i64>,
    /// `front` or `back` of the card (set when the scan is saved as a contact's card image).
    pub side: String,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub started_at: Option<ChronoDateTimeUtc>,
    pub finished_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
