//! Labels contacts carry: tags (coloured) and groups (a team, an event, an account; described).
//! Both kinds are a table of names, unique regardless of case, and a table joining them to
//! contacts; a [`Label`] says which tables and what the second field is (a tag's colour, a
//! group's description), and the functions below serve either kind: `list::<Tags>(svc)`.

use crate::dto::{Group, GroupInput, Tag, TagInput};
use crate::platform::text::{color_for, is_color};
use crate::{platform::audit, Actor, AppError, AppResult, Services};
use chrono::Utc;
use entity::{contact, contact_group, contact_group_member, contact_tag, tag};
use sea_orm::sea_query::ExprTrait;
use sea_orm::sea_query::{Condition, Expr, Func, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, JoinType, PrimaryKeyTrait, QueryFilter,
    QueryOrder, QuerySelect, Value,
};
use serde_json::json;
use std::collections::HashMap;

type Column<E> = <E as EntityTrait>::Column;

/// One kind of label: its tables, its second field, and its DTOs.
pub trait Label {
    /// The labels: `id`, `name`, the second field and `created_at`.
    type Table: EntityTrait<PrimaryKey: PrimaryKeyTrait<ValueType = i64>>;
    /// Which contacts carry which label: (contact id, label id).
    type Members: EntityTrait;
    type Item;
    type Input;
    /// The audit log's entity and the word in messages ("tag not found").
    const NOUN: &'static str;
    const ID: Column<Self::Table>;
    const NAME: Column<Self::Table>;
    /// The second field; its column name is also its key in the audit log.
    const EXTRA: Column<Self::Table>;
    const CREATED_AT: Column<Self::Table>;
    const MEMBER_CONTACT: Column<Self::Members>;
    const MEMBER_LABEL: Column<Self::Members>;
    /// The name and the second field as sent.
    fn fields(input: &Self::Input) -> (&str, &str);
    /// The second field as stored for a label named `name` (already trimmed); `given` empty for
    /// a label made on the fly by [`ensure`].
    fn extra(name: &str, given: &str) -> AppResult<String>;
    fn item(id: i64, name: String, extra: String, contacts: u64) -> Self::Item;
}

/// Coloured labels. The colour is `#rrggbb`, picked from the name when none is given.
pub struct Tags;

impl Label for Tags {
    type Table = tag::Entity;
    type Members = contact_tag::Entity;
    type Item = Tag;
    type Input = TagInput;
    const NOUN: &'static str = "tag";
    const ID: tag::Column = tag::Column::Id;
    const NAME: tag::Column = tag::Column::Name;
    const EXTRA: tag::Column = tag::Column::Color;
    const CREATED_AT: tag::Column = tag::Column::CreatedAt;
    const MEMBER_CONTACT: contact_tag::Column = contact_tag::Column::ContactId;
    const MEMBER_LABEL: contact_tag::Column = contact_tag::Column::TagId;

    fn fields(input: &TagInput) -> (&str, &str) {
        (&input.name, &input.color)
    }

    fn extra(name: &str, given: &str) -> AppResult<String> {
        let color = given.trim().to_lowercase();
        let color = if color.is_empty() { color_for(name) } else { color };
        if !is_color(&color) {
            return Err(AppError::validation("color", "must be a colour like #2563eb"));
        }
        Ok(color)
    }

    fn item(id: i64, name: String, color: String, contacts: u64) -> Tag {
        Tag { id, name, color, contacts }
    }
}

/// Groups of contacts, each with a free-text description (CardDAV can serve one as an address
/// book of its own, see `transfer::dav_books`).
pub struct Groups;

impl Label for Groups {
    type Table = contact_group::Entity;
    type Members = contact_group_member::Entity;
    type Item = Group;
    type Input = GroupInput;
    const NOUN: &'static str = "group";
    const ID: contact_group::Column = contact_group::Column::Id;
    const NAME: contact_group::Column = contact_group::Column::Name;
    const EXTRA: contact_group::Column = contact_group::Column::Description;
    const CREATED_AT: contact_group::Column = contact_group::Column::CreatedAt;
    const MEMBER_CONTACT: contact_group_member::Column = contact_group_member::Column::ContactId;
    const MEMBER_LABEL: contact_group_member::Column = contact_group_member::Column::GroupId;

    fn fields(input: &GroupInput) -> (&str, &str) {
        (&input.name, &input.description)
    }

    fn extra(_name: &str, given: &str) -> AppResult<String> {
        // Counted as sent (as the API document's maxLength does), then trimmed.
        if given.chars().count() > 1000 {
            return Err(AppError::validation("description", "must be at most 1000 characters"));
        }
        Ok(given.trim().to_string())
    }

    fn item(id: i64, name: String, description: String, contacts: u64) -> Group {
        Group { id, name, description, contacts }
    }
}

/// A stored label: id, name, second field.
type Row = (i64, String, String);

/// The name as given, or the same name in other letter case. Both: SQLite's `lower()` folds only
/// ASCII letters, so a Cyrillic name is found by its exact spelling there (PostgreSQL folds all).
fn name_is<L: Label>(name: &str) -> Condition {
    let column = Expr::col((L::Table::default(), L::NAME));
    let lower: SimpleExpr = Func::lower(column.clone()).into();
    Condition::any().add(column.eq(name)).add(Expr::expr(lower).eq(name.to_lowercase()))
}

async fn find<L: Label, C: ConnectionTrait>(db: &C, cond: Condition) -> AppResult<Option<Row>> {
    Ok(L::Table::find()
        .filter(cond)
        .select_only()
        .column(L::ID)
        .column(L::NAME)
        .column(L::EXTRA)
        .into_tuple::<Row>()
        .one(db)
        .await?)
}

async fn find_by_id<L: Label, C: ConnectionTrait>(db: &C, id: i64) -> AppResult<Row> {
    find::<L, C>(db, Condition::all().add(L::ID.eq(id))).await?.ok_or_else(|| AppError::not_found(L::NOUN))
}

/// A fresh row of `E` with the given columns set.
fn active<E: EntityTrait>(values: impl IntoIterator<Item = (E::Column, Value)>) -> E::ActiveModel {
    let mut am = <E::ActiveModel as ActiveModelTrait>::default();
    for (column, value) in values {
        am.set(column, value);
    }
    am
}

async fn insert<L: Label, C: ConnectionTrait>(db: &C, name: &str, extra: &str) -> AppResult<i64> {
    let am = active::<L::Table>([(L::NAME, name.into()), (L::EXTRA, extra.into()), (L::CREATED_AT, Utc::now().into())]);
    Ok(L::Table::insert(am).exec(db).await?.last_insert_id)
}

/// Ids of the named labels, creating the ones that do not exist yet.
pub async fn ensure<L: Label, C: ConnectionTrait>(db: &C, names: &[String]) -> AppResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let id = match find::<L, C>(db, name_is::<L>(name)).await? {
            Some((id, _, _)) => id,
            None => insert::<L, C>(db, name, &L::extra(name, "")?).await?,
        };
        ids.push(id);
    }
    Ok(ids)
}

/// Makes the contact carry exactly the given labels.
pub async fn set_for_contact<L: Label, C: ConnectionTrait>(db: &C, contact_id: i64, ids: &[i64]) -> AppResult<()> {
    L::Members::delete_many().filter(L::MEMBER_CONTACT.eq(contact_id)).exec(db).await?;
    if !ids.is_empty() {
        L::Members::insert_many(
            ids.iter().map(|id| {
                active::<L::Members>([(L::MEMBER_CONTACT, contact_id.into()), (L::MEMBER_LABEL, (*id).into())])
            }),
        )
        .exec(db)
        .await?;
    }
    Ok(())
}

/// `SELECT contact_id FROM <members> JOIN <labels> … WHERE lower(name) = ?` for list filters.
pub fn members_query<L: Label>(name: &str) -> SelectStatement {
    let (labels, members) = (L::Table::default(), L::Members::default());
    Query::select()
        .column((members, L::MEMBER_CONTACT))
        .from(members)
        .inner_join(labels, Expr::col((labels, L::ID)).equals((members, L::MEMBER_LABEL)))
        .cond_where(name_is::<L>(name))
        .to_owned()
}

/// Name and second field, checked and trimmed.
fn validate<L: Label>(input: &L::Input) -> AppResult<(String, String)> {
    let (given_name, given_extra) = L::fields(input);
    let name = given_name.trim().to_string();
    // The length counts the name as sent (as the API document's maxLength does).
    if name.is_empty() || given_name.chars().count() > 50 {
        return Err(AppError::validation("name", "must be 1 to 50 characters"));
    }
    let extra = L::extra(&name, given_extra)?;
    Ok((name, extra))
}

/// Label id -> how many live contacts carry it (labels nobody carries are missing).
async fn counts<L: Label>(db: &impl ConnectionTrait) -> AppResult<HashMap<i64, i64>> {
    let members = L::Members::default();
    Ok(L::Members::find()
        .select_only()
        .column(L::MEMBER_LABEL)
        .column_as(Expr::col((members, L::MEMBER_CONTACT)).count(), "n")
        .join(
            JoinType::InnerJoin,
            L::Members::belongs_to(contact::Entity).from(L::MEMBER_CONTACT).to(contact::Column::Id).into(),
        )
        .filter(contact::Column::DeletedAt.is_null())
        .group_by(L::MEMBER_LABEL)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Every label with the number of live contacts carrying it.
pub async fn list<L: Label>(svc: &Services) -> AppResult<Vec<L::Item>> {
    let counts = counts::<L>(&svc.db).await?;
    let rows = L::Table::find()
        .order_by_asc(L::NAME)
        .select_only()
        .column(L::ID)
        .column(L::NAME)
        .column(L::EXTRA)
        .into_tuple::<Row>()
        .all(&svc.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, extra)| L::item(id, name, extra, counts.get(&id).copied().unwrap_or(0) as u64))
        .collect())
}

fn taken<L: Label>(name: &str) -> AppError {
    AppError::Conflict(format!("a {} named '{name}' already exists", L::NOUN))
}

pub async fn create<L: Label>(svc: &Services, actor: &Actor, input: &L::Input) -> AppResult<L::Item> {
    let (name, extra) = validate::<L>(input)?;
    if find::<L, _>(&svc.db, name_is::<L>(&name)).await?.is_some() {
        return Err(taken::<L>(&name));
    }
    let id = insert::<L, _>(&svc.db, &name, &extra).await?;
    audit::record(&svc.db, Some(actor.user_id), None, L::NOUN, "create", json!({"id": id, "name": name})).await?;
    Ok(L::item(id, name, extra, 0))
}

pub async fn update<L: Label>(svc: &Services, actor: &Actor, id: i64, input: &L::Input) -> AppResult<L::Item> {
    let (name, extra) = validate::<L>(input)?;
    let (_, old_name, old_extra) = find_by_id::<L, _>(&svc.db, id).await?;
    if let Some((other, _, _)) = find::<L, _>(&svc.db, name_is::<L>(&name)).await? {
        if other != id {
            return Err(taken::<L>(&name));
        }
    }
    let am =
        active::<L::Table>([(L::ID, id.into()), (L::NAME, name.as_str().into()), (L::EXTRA, extra.as_str().into())]);
    L::Table::update(am).exec_without_returning(&svc.db).await?;
    svc.contacts_changed();
    let key = L::EXTRA.as_str();
    audit::record(
        &svc.db,
        Some(actor.user_id),
        None,
        L::NOUN,
        "update",
        json!({"id": id, "from": {"name": old_name, key: old_extra}, "to": {"name": name, key: extra}}),
    )
    .await?;
    let contacts = counts::<L>(&svc.db).await?.get(&id).copied().unwrap_or(0) as u64;
    Ok(L::item(id, name, extra, contacts))
}

pub async fn delete<L: Label>(svc: &Services, actor: &Actor, id: i64) -> AppResult<()> {
    let (_, name, _) = find_by_id::<L, _>(&svc.db, id).await?;
    L::Members::delete_many().filter(L::MEMBER_LABEL.eq(id)).exec(&svc.db).await?;
    L::Table::delete_by_id(id).exec(&svc.db).await?;
    svc.contacts_changed();
    audit::record(&svc.db, Some(actor.user_id), None, L::NOUN, "delete", json!({"id": id, "name": name})).await?;
    Ok(())
}
