//! A client's writes: PUT of a vCard (create or update, with its conditions and photo) and DELETE,
//! each a contact write as every other door makes it.

use super::*;

/// A client's UID worth keeping as the contact's uid: printable, not too long.
fn usable_uid(uid: &str) -> Option<&str> {
    let uid = uid.trim();
    (!uid.is_empty() && uid.chars().count() <= MAX_NAME_CHARS && !uid.chars().any(char::is_control)).then_some(uid)
}

/// The result of a PUT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Put {
    Created(Member),
    Updated(Member),
}

/// The conditions of a write (`If-Match`, `If-None-Match`), as sent.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
}

pub(super) fn etag_matches(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|t| t == "*" || t == etag || t.strip_prefix("W/") == Some(etag))
}

/// Creates or replaces the contact at `name` from a vCard, through the same service calls as the
/// UI (`contacts::create_in` / `contacts::update`: validation, history, duplicate pairs, audit,
/// metrics). A new contact keeps the client's resource name and UID. Replacing needs `If-Match`
/// with the current ETag (412 otherwise, as for a stale one); `If-None-Match: *` on an existing
/// resource is 412. Groups are not in most clients' view of a card, so an update keeps them; a
/// card created in a group's book is put in that group. A name taken by a contact outside the
/// group is 412 in the group's book (the client's view of it is stale).
pub async fn put(
    svc: &Services,
    actor: &Actor,
    book: Book,
    name: &str,
    body: &[u8],
    cond: &Conditions,
) -> DavResult<Put> {
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(DavError::App(AppError::BadRequest(format!(
            "a resource name must be 1 to {MAX_NAME_CHARS} printable characters"
        ))));
    }
    if body.len() > MAX_CARD_BYTES {
        return Err(DavError::App(AppError::PayloadTooLarge(format!("a vCard may be at most {MAX_CARD_BYTES} bytes"))));
    }
    let limits =
        interchange::Limits { max_file_bytes: MAX_CARD_BYTES, max_card_bytes: MAX_CARD_BYTES, ..Default::default() };
    let mut record = interchange::read_single_vcard(body, &limits).map_err(|e| DavError::BadCard(e.to_string()))?;
    let photo = card_photo(&mut record).await?;
    let mut input = record_to_input(&record);
    input.source = Some("carddav".into());
    let existing = resolve(&svc.db, name).await?;
    match existing {
        Some((m, true)) if !in_book(&svc.db, book, m.contact_id).await? => {
            Err(DavError::PreconditionFailed("this card is no longer in this group's address book".into()))
        }
        Some((m, true)) => {
            if cond.if_none_match.as_deref().is_some_and(|v| v.trim() == "*" || etag_matches(v, &m.etag)) {
                return Err(DavError::PreconditionFailed("the resource exists (If-None-Match)".into()));
            }
            match cond.if_match.as_deref() {
                None => {
                    return Err(DavError::PreconditionFailed(
                        "replacing a card needs If-Match with its current ETag".into(),
                    ))
                }
                Some(v) if !etag_matches(v, &m.etag) => {
                    return Err(DavError::PreconditionFailed("the card changed since it was read (ETag)".into()))
                }
                Some(_) => {}
            }
            let before = contacts::load_one(&svc.db, m.contact_id).await?;
            input.groups = before.groups.iter().map(|g| NameRef::Name(g.name.clone())).collect();
            input.source = None;
            input.version = Some(before.version);
            // As `contacts::update`, with the photo in the same transaction.
            let region = crate::platform::settings::default_region(svc).await?;
            let c = contacts::clean(input, &region)?;
            let match_settings = crate::contacts::matching::match_settings(svc).await?;
            let txn = crate::platform::db::begin_write(&svc.db).await?;
            match contacts::update_in(&txn, actor, m.contact_id, &c, before.version, &match_settings, None).await {
                Ok(_) => {}
                // The version moved between the ETag check and the write: someone else's edit.
                Err(AppError::Conflict(_)) => {
                    return Err(DavError::PreconditionFailed("the card changed since it was read (ETag)".into()))
                }
                Err(e) => return Err(e.into()),
            }
            write_photo(&txn, actor, m.contact_id, photo).await?;
            txn.commit().await?;
            svc.contacts_changed();
            let m = member(svc, book, name).await?.ok_or_else(|| AppError::not_found("card"))?;
            Ok(Put::Updated(m))
        }
        stale => {
            if cond.if_match.is_some() {
                return Err(DavError::PreconditionFailed("there is no card at this name to match (If-Match)".into()));
            }
            let uid = usable_uid(&record.uid).map(str::to_string);
            // A live contact with this UID is another resource: the client must not make a
            // second copy of it. A trashed or merged-away one gives the UID up (it gets a new one).
            let mut retire: Option<i64> = None;
            if let Some(uid) = &uid {
                if let Some(holder) =
                    contact::Entity::find().filter(contact::Column::Uid.eq(uid.clone())).one(&svc.db).await?
                {
                    if holder.deleted_at.is_none() && holder.merged_into_id.is_none() {
                        let holder_name = resolve_name_of(&svc.db, holder.id, &holder.uid).await?;
                        return Err(DavError::UidConflict(holder_name));
                    }
                    retire = Some(holder.id);
                }
            }
            let mut new = contacts::prepare(svc, input).await?;
            let txn = crate::platform::db::begin_write(&svc.db).await?;
            let backend = txn.get_database_backend();
            if let Book::Group(group_id) = book {
                // Read in the write transaction: a rename cannot slip in and make a second group.
                new.join_group_in(&txn, group_id).await?;
            }
            if let Some((old, _)) = &stale {
                // The name belonged to a contact now in the trash or merged away: it is reused.
                txn.execute_raw(stmt(
                    backend,
                    "DELETE FROM dav_names WHERE contact_id = ?",
                    vec![old.contact_id.into()],
                ))
                .await?;
            }
            if let Some(id) = retire {
                let fresh = uuid::Uuid::new_v4().to_string();
                txn.execute_raw(stmt(
                    backend,
                    "UPDATE contacts SET uid = ? WHERE id = ?",
                    vec![fresh.into(), id.into()],
                ))
                .await?;
            }
            let created = contacts::create_in(&txn, actor, new).await?;
            write_photo(&txn, actor, created.id, photo).await?;
            if let Some(uid) = &uid {
                txn.execute_raw(stmt(
                    backend,
                    "UPDATE contacts SET uid = ? WHERE id = ?",
                    vec![uid.clone().into(), created.id.into()],
                ))
                .await?;
            }
            txn.execute_raw(stmt(
                backend,
                "INSERT INTO dav_names (contact_id, name) VALUES (?, ?)",
                vec![created.id.into(), name.into()],
            ))
            .await?;
            txn.commit().await?;
            contacts::created_committed(svc, &created);
            let m = member(svc, book, name).await?.ok_or_else(|| AppError::not_found("card"))?;
            Ok(Put::Created(m))
        }
    }
}

/// What a `PUT` says about the photo: the card is the whole contact as the client has it.
enum CardPhoto {
    /// A `PHOTO` we keep: set it (unless it is the stored one, or the small copy of it phones
    /// get, byte for byte).
    Set(&'static str, Vec<u8>),
    /// No `PHOTO`: the person removed it on the phone.
    Absent,
    /// A `PHOTO` we do not keep (a link, over the cap, not a JPEG/PNG/GIF/WebP, undecodable):
    /// the stored photo stays as it is; the next sync gives the client the card as kept.
    Ignored,
}

async fn card_photo(record: &mut ContactRecord) -> AppResult<CardPhoto> {
    let dropped = record.warnings.iter().any(|w| w.starts_with("PHOTO"));
    Ok(match record.photo.take() {
        Some(p) => match crate::contacts::photos::check(p.bytes).await {
            Ok((bytes, media_type)) => CardPhoto::Set(media_type, bytes),
            Err(AppError::Validation { .. }) | Err(AppError::PayloadTooLarge(_)) => CardPhoto::Ignored,
            Err(e) => return Err(e),
        },
        None if dropped => CardPhoto::Ignored,
        None => CardPhoto::Absent,
    })
}

/// Writes what a `PUT` said about the photo, in the caller's transaction.
async fn write_photo<C: ConnectionTrait>(db: &C, actor: &Actor, id: i64, photo: CardPhoto) -> AppResult<()> {
    use crate::contacts::photos::Origin;
    match photo {
        CardPhoto::Set(media_type, bytes) => {
            // The photo as stored, or the small copy phones were given of it: unchanged.
            let same = entity::contact_photo::Entity::find_by_id(id)
                .one(db)
                .await?
                .is_some_and(|p| p.data == bytes || p.phone_data.as_deref() == Some(bytes.as_slice()));
            if !same {
                crate::contacts::photos::put_in(db, Some(actor.user_id), id, media_type, &bytes, Origin::Person, false)
                    .await?;
            }
        }
        CardPhoto::Absent => {
            crate::contacts::photos::remove_in(db, Some(actor.user_id), id, None).await?;
        }
        CardPhoto::Ignored => {}
    }
    Ok(())
}

async fn resolve_name_of<C: ConnectionTrait>(db: &C, id: i64, uid: &str) -> AppResult<String> {
    let backend = db.get_database_backend();
    let row =
        db.query_one_raw(stmt(backend, "SELECT name FROM dav_names WHERE contact_id = ?", vec![id.into()])).await?;
    Ok(match row {
        Some(r) => r.try_get_by_index::<String>(0)?,
        None => default_name(uid),
    })
}

/// In the team's book, moves the contact at `name` to the trash (`contacts::delete`: history,
/// audit, restorable); in a group's book, takes it out of the group (`contacts::update`: history,
/// audit), and it stays in the team's book. `If-Match`, when sent, must be the current ETag.
pub async fn delete(svc: &Services, actor: &Actor, book: Book, name: &str, if_match: Option<&str>) -> DavResult<()> {
    let m = member(svc, book, name).await?.ok_or_else(|| AppError::not_found("card"))?;
    if let Some(v) = if_match {
        if !etag_matches(v, &m.etag) {
            return Err(DavError::PreconditionFailed("the card changed since it was read (ETag)".into()));
        }
    }
    match book {
        Book::Team => {
            contacts::delete(svc, actor, m.contact_id).await?;
        }
        Book::Group(group_id) => {
            let c = contacts::load_one(&svc.db, m.contact_id).await?;
            let mut input = crate::dto::ContactInput::from(&c);
            input.groups =
                c.groups.iter().filter(|g| g.id != group_id).map(|g| NameRef::Name(g.name.clone())).collect();
            input.source = None;
            match contacts::update(svc, actor, m.contact_id, input).await {
                Ok(_) => {}
                Err(AppError::Conflict(_)) => {
                    return Err(DavError::PreconditionFailed("the card changed since it was read (ETag)".into()))
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}
