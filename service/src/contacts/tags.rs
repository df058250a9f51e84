//! Tags: coloured labels on contacts. Names are unique regardless of case.

use crate::dto::{Tag, TagInput};
use crate::platform::text::{color_for, is_color};
use crate::{platform::audit, Actor, AppError, AppResult, Services};
use chrono::Utc;
use entity::{contact, contact_tag, tag};
use sea_orm::sea_query::ExprTrait;
use sea_orm::sea_query::{Expr, Func, Query, SelectStatement};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;
use std::collections::HashMap;

/// The name as given, or the same name in other letter case. Both: SQLite's `lower()` folds only
/// ASCII letters, so a Cyrillic name is found by its exact spelling there (PostgreSQL folds all).
fn name_is(name: &str) -> sea_orm::sea_query::Condition {
    sea_orm::sea_query::Condition::any()
        .add(Expr::col((tag::Entity, tag::Column::Name)).eq(name))
        .add(Expr::expr(lower_name()).eq(name.to_lowercase()))
}

fn lower_name() -> sea_orm::sea_query::SimpleExpr {
    Func::lower(Expr::col((tag::Entity, tag::Column::Name))).into()
}

async fn find_by_name<C: ConnectionTrait>(db: &C, name: &str) -> AppResult<Option<tag::Model>> {
    Ok(tag::Entity::find().filter(name_is(name)).one(db).await?)
}

/// Ids of the named tags, creating the ones that do not exist yet.
pub async fn ensure<C: ConnectionTrait>(db: &C, names: &[String]) -> AppResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let id = match find_by_name(db, name).await? {
            Some(t) => t.id,
            None => {
                tag::ActiveModel {
                    name: Set(name.clone()),
                    color: Set(color_for(name)),
                    created_at: Set(Utc::now()),
                    ..Default::default()
                }
                .insert(db)
                .await?
                .id
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

pub async fn set_for_contact<C: ConnectionTrait>(db: &C, contact_id: i64, tag_ids: &[i64]) -> AppResult<()> {
    contact_tag::Entity::delete_many().filter(contact_tag::Column::ContactId.eq(contact_id)).exec(db).await?;
    if !tag_ids.is_empty() {
        contact_tag::Entity::insert_many(
            tag_ids.iter().map(|t| contact_tag::ActiveModel { contact_id: Set(contact_id), tag_id: Set(*t) }),
        )
        .exec(db)
        .await?;
    }
    Ok(())
}

/// `SELECT contact_id FROM contact_tags JOIN tags … WHERE lower(name) = ?` for list filters.
pub fn members_query(name: &str) -> SelectStatement {
    Query::select()
        .column((contact_tag::Entity, contact_tag::Column::ContactId))
        .from(contact_tag::Entity)
        .inner_join(
            tag::Entity,
            Expr::col((tag::Entity, tag::Column::Id)).equals((contact_tag::Entity, contact_tag::Column::TagId)),
        )
        .cond_where(name_is(name))
        .to_owned()
}

fn validate(input: &TagInput) -> AppResult<(String, String)> {
    let name = input.name.trim().to_string();
    // The length counts the name as sent (as the API document's maxLength does).
    if name.is_empty() || input.name.chars().count() > 50 {
        return Err(AppError::validation("name", "must be 1 to 50 characters"));
    }
    let color = input.color.trim().to_lowercase();
    let color = if color.is_empty() { color_for(&name) } else { color };
    if !is_color(&color) {
        return Err(AppError::validation("color", "must be a colour like #2563eb"));
    }
    Ok((name, color))
}

/// Every tag with the number of live contacts carrying it.
pub async fn list(svc: &Services) -> AppResult<Vec<Tag>> {
    let counts: HashMap<i64, i64> = contact_tag::Entity::find()
        .select_only()
        .column(contact_tag::Column::TagId)
        .column_as(Expr::col((contact_tag::Entity, contact_tag::Column::ContactId)).count(), "n")
        .inner_join_on_contact()
        .filter(contact::Column::DeletedAt.is_null())
        .group_by(contact_tag::Column::TagId)
        .into_tuple::<(i64, i64)>()
        .all(&svc.db)
        .await?
        .into_iter()
        .collect();
    let tags = tag::Entity::find().order_by_asc(tag::Column::Name).all(&svc.db).await?;
    Ok(tags
        .into_iter()
        .map(|t| Tag {
            contacts: counts.get(&t.id).copied().unwrap_or(0) as u64,
            id: t.id,
            name: t.name,
            color: t.color,
        })
        .collect())
}

trait JoinContact {
    fn inner_join_on_contact(self) -> Self;
}

impl JoinContact for sea_orm::Select<contact_tag::Entity> {
    fn inner_join_on_contact(self) -> Self {
        self.join(
            sea_orm::JoinType::InnerJoin,
            contact_tag::Entity::belongs_to(contact::Entity)
                .from(contact_tag::Column::ContactId)
                .to(contact::Column::Id)
                .into(),
        )
    }
}

pub async fn create(svc: &Services, actor: &Actor, input: &TagInput) -> AppResult<Tag> {
    let (name, color) = validate(input)?;
    if find_by_name(&svc.db, &name).await?.is_some() {
        return Err(AppError::Conflict(format!("a tag named '{name}' already exists")));
    }
    let t = tag::ActiveModel { name: Set(name), color: Set(color), created_at: Set(Utc::now()), ..Default::default() }
        .insert(&svc.db)
        .await?;
    audit::record(&svc.db, Some(actor.user_id), None, "tag", "create", json!({"id": t.id, "name": t.name})).await?;
    Ok(Tag { id: t.id, name: t.name, color: t.color, contacts: 0 })
}

pub async fn update(svc: &Services, actor: &Actor, id: i64, input: &TagInput) -> AppResult<Tag> {
    let (name, color) = validate(input)?;
    let t = tag::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("tag"))?;
    if let Some(other) = find_by_name(&svc.db, &name).await? {
        if other.id != id {
            return Err(AppError::Conflict(format!("a tag named '{name}' already exists")));
        }
    }
    let before = json!({"name": t.name, "color": t.color});
    let mut am: tag::ActiveModel = t.into();
    am.name = Set(name);
    am.color = Set(color);
    let t = am.update(&svc.db).await?;
    svc.contacts_changed();
    audit::record(
        &svc.db,
        Some(actor.user_id),
        None,
        "tag",
        "update",
        json!({"id": id, "from": before, "to": {"name": t.name, "color": t.color}}),
    )
    .await?;
    let contacts = list(svc).await?.into_iter().find(|x| x.id == id).map(|x| x.contacts).unwrap_or(0);
    Ok(Tag { id: t.id, name: t.name, color: t.color, contacts })
}

pub async fn delete(svc: &Services, actor: &Actor, id: i64) -> AppResult<()> {
    let t = tag::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("tag"))?;
    contact_tag::Entity::delete_many().filter(contact_tag::Column::TagId.eq(id)).exec(&svc.db).await?;
    tag::Entity::delete_by_id(id).exec(&svc.db).await?;
    svc.contacts_changed();
    audit::record(&svc.db, Some(actor.user_id), None, "tag", "delete", json!({"id": id, "name": t.name})).await?;
    Ok(())
}
