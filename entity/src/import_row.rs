//! What an import did (or, in a preview, would do) with one row of its file.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_rows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub import_id: i64,
    /// Where the row starts in the file (1-based; the sheet row for XLSX).
    pub line: i64,
    /// create | update | skip | invalid
    pub action: String,
    /// The contact created or updated.
    pub contact_id: Option<i64>,
    /// The stored contact (or earlier row's contact) the row matched.
    pub match_id: Option<i64>,
    /// The row's display name, for the preview table.
    pub name: String,
    pub detail: String,
    /// For an update: the contact's fields before (a JSON `ContactInput`), for undo.
    pub before: Option<String>,
    /// For an update: the version the import left, so undo sees whether someone edited since.
    pub version_after: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
