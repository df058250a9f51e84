//! Groups of contacts (a team, an event, an account). Names are unique regardless of case.

use crate::dto::{Group, GroupInput};
use crate::{platform::audit, Actor, AppError, AppResult, Services};
use chrono::Utc;
use entity::{contact, contact_group, contact_group_member};
use sea_orm::sea_query::ExprTrait;
use sea_orm::sea_query::{Expr, Func, Query, SelectStatement};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;
use std::collections::HashMap;

/// The name as given, or the same name in other letter case. Both: SQLite's `lower()` folds only
/// ASCII letters, so a Cyrillic name is found by its exact spelling there (PostgreSQL folds all).
fn name_is(name: &str) -> sea_orm::sea_query::Condition {
    sea_orm::sea_query::Condition::any()
        .add(Expr::col((contact_group::Entity, contact_group::Column::Name)).eq(name))
        .add(Expr::expr(lower_name()).eq(name.to_lowercase()))
}

fn lower_name() -> sea_orm::sea_query::SimpleExpr {
    Func::lower(Expr::col((contact_group::Entity, contact_group::Column::Name))).into()
}

async fn find_by_name<C: ConnectionTrait>(db: &C, name: &str) -> AppResult<Option<contact_group::Model>> {
    Ok(contact_group::Entity::find().filter(name_is(name)).one(db).await?)
}

/// Ids of the named tags, creating the ones that do not exist yet.
pub async fn ensure<C: ConnectionTrait>(db: &C, names: &[String]) -> AppResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let id = match find_by_name(db, name).await? {
            Some(t) => t.id,
            None => {
                contact_group::ActiveModel {
                    name: Set(name.clone()),
                    description: Set(String::new()),
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

pub async fn set_for_contact<C: ConnectionTrait>(db: &C, contact_id: i64, group_ids: &[i64]) -> AppResult<()> {
    contact_group_member::Entity::delete_many()
        .filter(contact_group_member::Column::ContactId.eq(contact_id))
        .exec(db)
        .await?;
    if !group_ids.is_empty() {
        contact_group_member::Entity::insert_many(
            group_ids
                .iter()
                .map(|t| contact_group_member::ActiveModel { contact_id: Set(contact_id), group_id: Set(*t) }),
        )
        .exec(db)
        .await?;
    }
    Ok(())
}

/// `SELECT contact_id FROM contact_group_members JOIN tags … WHERE lower(name) = ?` for list filters.
pub fn members_query(name: &str) -> SelectStatement {
    Query::select()
        .column((contact_group_member::Entity, contact_group_member::Column::ContactId))
        .from(contact_group_member::Entity)
        .inner_join(
            contact_group::Entity,
            Expr::col((contact_group::Entity, contact_group::Column::Id))
                .equals((contact_group_member::Entity, contact_group_member::Column::GroupId)),
        )
        .cond_where(name_is(name))
        .to_owned()
}

fn validate(input: &GroupInput) -> AppResult<(String, String)> {
    // Lengths count the text as sent (as the API document's maxLength does), then it is trimmed.
    let name = input.name.trim().to_string();
    if name.is_empty() || input.name.chars().count() > 50 {
        return Err(AppError::validation("name", "must be 1 to 50 characters"));
    }
    let description = input.description.trim().to_string();
    if input.description.chars().count() > 1000 {
        return Err(AppError::validation("description", "must be at most 1000 characters"));
    }
    Ok((name, description))
}

/// Every tag with the number of live contacts carrying it.
pub async fn list(svc: &Services) -> AppResult<Vec<Group>> {
    let counts: HashMap<i64, i64> = contact_group_member::Entity::find()
        .select_only()
        .column(contact_group_member::Column::GroupId)
        .column_as(Expr::col((contact_group_member::Entity, contact_group_member::Column::ContactId)).count(), "n")
        .inner_join_on_contact()
        .filter(contact::Column::DeletedAt.is_null())
        .group_by(contact_group_member::Column::GroupId)
        .into_tuple::<(i64, i64)>()
        .all(&svc.db)
        .await?
        .into_iter()
        .collect();
    let tags = contact_group::Entity::find().order_by_asc(contact_group::Column::Name).all(&svc.db).await?;
    Ok(tags
        .into_iter()
        .map(|t| Group {
            contacts: counts.get(&t.id).copied().unwrap_or(0) as u64,
            id: t.id,
            name: t.name,
            description: t.description,
        })
        .collect())
}

trait JoinContact {
    fn inner_join_on_contact(self) -> Self;
}

impl JoinContact for sea_orm::Select<contact_group_member::Entity> {
    fn inner_join_on_contact(self) -> Self {
        self.join(
            sea_orm::JoinType::InnerJoin,
            contact_group_member::Entity::belongs_to(contact::Entity)
                .from(contact_group_member::Column::ContactId)
                .to(contact::Column::Id)
                .into(),
        )
    }
}

pub async fn create(svc: &Services, actor: &Actor, input: &GroupInput) -> AppResult<Group> {
    let (name, description) = validate(input)?;
    if find_by_name(&svc.db, &name).await?.is_some() {
        return Err(AppError::Conflict(format!("a group named '{name}' already exists")));
    }
    let t = contact_group::ActiveModel {
        name: Set(name),
        description: Set(description),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&svc.db)
    .await?;
    audit::record(&svc.db, Some(actor.user_id), None, "group", "create", json!({"id": t.id, "name": t.name})).await?;
    Ok(Group { id: t.id, name: t.name, description: t.description, contacts: 0 })
}

pub async fn update(svc: &Services, actor: &Actor, id: i64, input: &GroupInput) -> AppResult<Group> {
    let (name, description) = validate(input)?;
    let t = contact_group::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    if let Some(other) = find_by_name(&svc.db, &name).await? {
        if other.id != id {
            return Err(AppError::Conflict(format!("a group named '{name}' already exists")));
        }
    }
    let before = json!({"name": t.name, "description": t.description});
    let mut am: contact_group::ActiveModel = t.into();
    am.name = Set(name);
    am.description = Set(description);
    let t = am.update(&svc.db).await?;
    svc.contacts_changed();
    audit::record(
        &svc.db,
        Some(actor.user_id),
        None,
        "group",
        "update",
        json!({"id": id, "from": before, "to": {"name": t.name, "description": t.description}}),
    )
    .await?;
    let contacts = list(svc).await?.into_iter().find(|x| x.id == id).map(|x| x.contacts).unwrap_or(0);
    Ok(Group { id: t.id, name: t.name, description: t.description, contacts })
}

pub async fn delete(svc: &Services, actor: &Actor, id: i64) -> AppResult<()> {
    let t = contact_group::Entity::find_by_id(id).one(&svc.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    contact_group_member::Entity::delete_many()
        .filter(contact_group_member::Column::GroupId.eq(id))
        .exec(&svc.db)
        .await?;
    contact_group::Entity::delete_by_id(id).exec(&svc.db).await?;
    svc.contacts_changed();
    audit::record(&svc.db, Some(actor.user_id), None, "group", "delete", json!({"id": id, "name": t.name})).await?;
    Ok(())
}
