//! What users corrected when they saved a scanned card: one `ocr_corrections` row per field with
//! the value the parser read and the value the user saved (the parser learns known companies and
//! job-title words from them). Also the side of a card image (`card_scans.side`: front or back).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            include_str!("sql/ocr_corrections.sqlite.sql"),
            include_str!("sql/ocr_corrections.postgres.sql"),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            include_str!("sql/ocr_corrections.down.sqlite.sql"),
            include_str!("sql/ocr_corrections.down.postgres.sql"),
        )
        .await
    }
}
