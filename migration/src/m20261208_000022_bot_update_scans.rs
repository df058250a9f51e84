//! A bot photo of several cards (issue 22): `bot_updates.scan_ids`, every scan the update's photo
//! became (a JSON array of scan ids, in reading order). `scan_id` stays the first of them, so
//! rows written before this column (NULL here) are one card, as they always were.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("bot_updates"))
                    .add_column(ColumnDef::new(Alias::new("scan_ids")).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Alias::new("bot_updates")).drop_column(Alias::new("scan_ids")).to_owned())
            .await
    }
}
