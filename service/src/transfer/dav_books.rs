//! Which groups a user has on the phone as CardDAV address books of their own, beside the team's
//! book ("one per group they choose to share"). The choice is the user's own: a per-user
//! preference (`user_prefs`, key `dav_groups`, a JSON list of group ids). A group deleted since
//! drops out by itself; its book answers 404 and leaves the phone on the next sync.

use crate::dav_dto::{DavBook, DAV_GROUPS_MAX};
use crate::dto::GroupRef;
use crate::transfer::carddav::Book;
use crate::{Actor, AppError, AppResult, Services};
use entity::{contact_group, user_pref};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

const KEY: &str = "dav_groups";

async fn stored_ids(svc: &Services, actor: &Actor) -> AppResult<Vec<i64>> {
    let stored = user_pref::Entity::find_by_id((actor.user_id, KEY.to_string())).one(&svc.db).await?;
    Ok(stored.and_then(|p| serde_json::from_str::<Vec<i64>>(&p.value).ok()).unwrap_or_default())
}

/// The groups the user has as address books (those that still exist), by name.
pub async fn shared(svc: &Services, actor: &Actor) -> AppResult<Vec<GroupRef>> {
    let ids = stored_ids(svc, actor).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let groups = contact_group::Entity::find()
        .filter(contact_group::Column::Id.is_in(ids))
        .order_by_asc(contact_group::Column::Name)
        .all(&svc.db)
        .await?;
    Ok(groups.into_iter().map(|g| GroupRef { id: g.id, name: g.name }).collect())
}

/// One group the user has as an address book, if it is one (and still exists).
pub async fn shared_group(svc: &Services, actor: &Actor, group_id: i64) -> AppResult<Option<GroupRef>> {
    Ok(shared(svc, actor).await?.into_iter().find(|g| g.id == group_id))
}

/// Replaces the user's choice. Every id must be an existing group (422 naming the first that is
/// not); at most [`DAV_GROUPS_MAX`] ids; repeats count once.
pub async fn set_shared(svc: &Services, actor: &Actor, group_ids: &[i64]) -> AppResult<()> {
    if group_ids.len() > DAV_GROUPS_MAX {
        return Err(AppError::validation("group_ids", format!("choose at most {DAV_GROUPS_MAX} groups")));
    }
    let mut ids: Vec<i64> = Vec::with_capacity(group_ids.len());
    for id in group_ids {
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    if !ids.is_empty() {
        let found: Vec<i64> = contact_group::Entity::find()
            .filter(contact_group::Column::Id.is_in(ids.clone()))
            .all(&svc.db)
            .await?
            .into_iter()
            .map(|g| g.id)
            .collect();
        if let Some(missing) = ids.iter().find(|id| !found.contains(id)) {
            return Err(AppError::validation("group_ids", format!("there is no group with id {missing}")));
        }
    }
    crate::accounts::prefs::store(svc, actor.user_id, KEY, serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
        .await
}

/// A book's path segment under the user's address-book home: `contacts`, or `group-<id>`.
pub fn segment(book: Book) -> String {
    match book {
        Book::Team => "contacts".into(),
        Book::Group(id) => format!("group-{id}"),
    }
}

/// The book a path segment names ([`segment`] read back).
pub fn parse_segment(segment: &str) -> Option<Book> {
    if segment == "contacts" {
        return Some(Book::Team);
    }
    segment.strip_prefix("group-")?.parse::<i64>().ok().filter(|id| *id > 0).map(Book::Group)
}

/// Every book of the user, the team's first, with URLs under `home` (the address-book home URL,
/// ending in `/`).
pub async fn books(svc: &Services, actor: &Actor, home: &str) -> AppResult<Vec<DavBook>> {
    let mut out =
        vec![DavBook { group_id: None, name: TEAM_BOOK_NAME.into(), url: format!("{home}{}/", segment(Book::Team)) }];
    for g in shared(svc, actor).await? {
        out.push(DavBook { group_id: Some(g.id), url: format!("{home}{}/", segment(Book::Group(g.id))), name: g.name });
    }
    Ok(out)
}

/// The team book's name on the phone.
pub const TEAM_BOOK_NAME: &str = "cardcrm contacts";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_segments_round_trip_and_refuse_others() {
        assert_eq!(parse_segment(&segment(Book::Group(42))), Some(Book::Group(42)));
        assert_eq!(parse_segment(&segment(Book::Team)), Some(Book::Team));
        assert_eq!(parse_segment("group-0"), None);
        assert_eq!(parse_segment("group--3"), None);
        assert_eq!(parse_segment("group-x"), None);
        assert_eq!(parse_segment("other"), None);
    }
}
