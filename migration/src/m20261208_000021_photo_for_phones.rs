//! Contact photos as phones get them (issue 20): `contact_photos.phone_data`, the photo made small
//! for CardDAV (JPEG, longest side at most 720 px), or NULL while the photo as sent is small
//! enough or its small copy is not made yet. A cache of a pure function of `data`: every write of
//! `data` sets it back to NULL and the next CardDAV answer that carries the photo makes it again.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("contact_photos"))
                    .add_column(ColumnDef::new(Alias::new("phone_data")).binary().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Alias::new("contact_photos")).drop_column(Alias::new("phone_data")).to_owned(),
            )
            .await
    }
}
