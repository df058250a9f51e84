//! What a card sent to a bot becomes (a contact, or a duplicate found) and the chat replies:
//! the card read back, search answers, a scan's state.

use super::*;

/// What became of one card (a scan or a shared contact).
#[derive(Clone, Debug)]
pub enum CardOutcome {
    /// A new contact was saved.
    Created { contact: dto::Contact, similar: Option<ContactSummary> },
    /// The person is already in cardcrm (score at or above the duplicate threshold): nothing saved.
    Duplicate { existing: ContactSummary, input: ContactInput },
    /// Nothing usable: no name, company, phone or e-mail, or a field the CRM refuses.
    Unusable(String),
}

impl CardOutcome {
    pub fn label(&self) -> &'static str {
        match self {
            CardOutcome::Created { .. } => "contact_created",
            CardOutcome::Duplicate { .. } => "duplicate",
            CardOutcome::Unusable(_) => "unreadable",
        }
    }
}

/// A card's fields as read, as a contact to save (`source` = the bot): phone kinds the CRM does
/// not know become `other`, e-mails are `work`; no tags, groups or notes.
pub fn input_from_fields(fields: &card_reading::ReadFields, source: &str) -> ContactInput {
    let mut input = ContactInput {
        phones: fields
            .phones
            .iter()
            .map(|p| PhoneInput {
                kind: if CONTACT_KINDS.contains(&p.kind.as_str()) { p.kind.clone() } else { "other".into() },
                number: p.number.clone(),
            })
            .collect(),
        emails: fields.emails.iter().map(|e| EmailInput { kind: "work".into(), address: e.address.clone() }).collect(),
        source: Some(source.to_string()),
        ..ContactInput::default()
    };
    for f in ContactField::ALL {
        f.set(&mut input, fields.text(f.name()).unwrap_or_default().to_string());
    }
    input
}

/// Saves `input` for `actor` unless the person is already known: the same check-on-create the
/// editor uses, and the same `contacts::create` (audit, keys, duplicate pairs, metrics).
pub async fn save_card(svc: &Services, actor: &Actor, input: ContactInput) -> AppResult<CardOutcome> {
    let check =
        duplicates::check(svc, actor, dto::CheckDuplicatesInput { draft: input.clone(), exclude_id: None }).await;
    let candidates = match check {
        Ok(c) => c,
        Err(AppError::Validation { field, message }) => {
            return Ok(CardOutcome::Unusable(format!("{field}: {message}")))
        }
        Err(e) => return Err(e),
    };
    let s = crate::contacts::matching::match_settings(svc).await?;
    if let Some(top) = candidates.first().filter(|c| c.score >= s.threshold) {
        return Ok(CardOutcome::Duplicate { existing: top.contact.clone(), input });
    }
    match contacts::create(svc, actor, input).await {
        Ok(contact) => Ok(CardOutcome::Created { contact, similar: candidates.first().map(|c| c.contact.clone()) }),
        Err(AppError::Validation { field, message }) => Ok(CardOutcome::Unusable(format!("{field}: {message}"))),
        Err(e) => Err(e),
    }
}

/// Marks the scan as the source of the contact made from it.
pub async fn attach_scan(svc: &Services, scan_id: i64, contact_id: i64) -> AppResult<()> {
    card_scan::Entity::update_many()
        .col_expr(card_scan::Column::ContactId, Expr::value(Some(contact_id)))
        .filter(card_scan::Column::Id.eq(scan_id))
        .exec(&svc.db)
        .await?;
    Ok(())
}

/// The fields read, one per line, for a chat reply.
pub fn describe(input: &ContactInput) -> String {
    let mut lines = Vec::new();
    let name = if input.full_name.trim().is_empty() {
        [&input.first_name, &input.middle_name, &input.last_name]
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        input.full_name.trim().to_string()
    };
    for (label, v) in [
        ("Name", name.as_str()),
        ("Position", input.position.trim()),
        ("Company", input.company.trim()),
        ("Department", input.department.trim()),
    ] {
        if !v.is_empty() {
            lines.push(format!("{label}: {v}"));
        }
    }
    for p in &input.phones {
        lines.push(format!("Phone ({}): {}", p.kind, p.number.trim()));
    }
    for e in &input.emails {
        lines.push(format!("E-mail: {}", e.address.trim()));
    }
    for (label, v) in [("Website", input.website.trim()), ("Address", input.address.trim())] {
        if !v.is_empty() {
            lines.push(format!("{label}: {v}"));
        }
    }
    lines.join("\n")
}

fn who(c: &ContactSummary) -> String {
    match (c.full_name.trim(), c.company.trim()) {
        ("", "") => format!("contact #{}", c.id),
        (n, "") => n.to_string(),
        ("", co) => co.to_string(),
        (n, co) => format!("{n} ({co})"),
    }
}

/// The chat reply for one card. A saved contact is linked (its page shows the card photo); when
/// nothing was saved, `scan_id` links the scan page, which opens the card in the block editor.
pub fn reply_for(cfg: &IntegrationConfig, outcome: &CardOutcome, read: &ContactInput, scan_id: Option<i64>) -> String {
    let mut text = String::new();
    let fields = describe(read);
    let saved = matches!(outcome, CardOutcome::Created { .. });
    let open_scan = scan_id
        .filter(|_| !saved)
        .map(|id| format!("\nCheck and save the card: {}", cfg.link(&format!("/scan?id={id}"))));
    match outcome {
        CardOutcome::Created { contact, similar } => {
            text.push_str("Read from the card:\n");
            text.push_str(&fields);
            text.push_str(&format!("\n\nSaved to cardcrm: {}", cfg.link(&format!("/contacts/{}", contact.id))));
            if let Some(s) = similar {
                text.push_str(&format!(
                    "\nIt looks a little like {}: {}",
                    who(s),
                    cfg.link(&format!("/contacts/{}", s.id))
                ));
            }
        }
        CardOutcome::Duplicate { existing, .. } => {
            text.push_str("Read from the card:\n");
            text.push_str(&fields);
            text.push_str(&format!(
                "\n\nAlready in cardcrm as {}: {}\nNothing new was saved.",
                who(existing),
                cfg.link(&format!("/contacts/{}", existing.id))
            ));
        }
        CardOutcome::Unusable(why) => {
            text.push_str("I could not find a name, company, phone or e-mail to save");
            if !fields.is_empty() {
                text.push_str(" (");
                text.push_str(why);
                text.push_str(").\nRead:\n");
                text.push_str(&fields);
            } else {
                text.push('.');
            }
        }
    }
    if let Some(link) = open_scan {
        text.push_str(&link);
    }
    text
}

/// The reply to `/search NAME`: up to five matches with links.
pub async fn search_reply(svc: &Services, actor: &Actor, cfg: &IntegrationConfig, query: &str) -> AppResult<String> {
    let q = query.trim();
    if q.is_empty() {
        return Ok("Write a name after /search, e.g. /search Anna Petrova".into());
    }
    let hits = crate::search::hits(svc, actor, q, 5).await?;
    if hits.is_empty() {
        return Ok(format!("No contacts match \"{q}\"."));
    }
    let mut text = format!("Contacts matching \"{q}\":");
    for h in hits {
        let mut line =
            format!("\n• {}", if h.full_name.is_empty() { format!("#{}", h.id) } else { h.full_name.clone() });
        if !h.company.is_empty() {
            line.push_str(&format!(", {}", h.company));
        }
        if let Some(p) = &h.phone {
            line.push_str(&format!(", {p}"));
        }
        if let Some(e) = &h.email {
            line.push_str(&format!(", {e}"));
        }
        line.push_str(&format!("\n  {}", cfg.link(&format!("/contacts/{}", h.id))));
        text.push_str(&line);
    }
    Ok(text)
}

/// A scan row as the processor reads it (the server crate does not name `entity`).
pub type ScanRow = card_scan::Model;

/// The scan an update fed, as the processor needs it.
pub async fn scan_state(svc: &Services, scan_id: i64) -> AppResult<Option<ScanRow>> {
    Ok(card_scan::Entity::find_by_id(scan_id).one(&svc.db).await?)
}
