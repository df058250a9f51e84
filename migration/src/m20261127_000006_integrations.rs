//! Telegram and WhatsApp intake: integration settings (tokens), one-time link codes (hashed),
//! linked accounts (a chat or number → a cardcrm user) and `bot_updates`, the durable record of every
//! accepted update or message (the row is the job, and its unique key makes redelivery harmless).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            include_str!("sql/integrations.sqlite.sql"),
            include_str!("sql/integrations.postgres.sql"),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, include_str!("sql/integrations.down.sql"), include_str!("sql/integrations.down.sql"))
            .await
    }
}
