//! The draft being checked: the fields as slots linked to the text blocks they came from, and
//! what assigning, joining and editing does to them ([`Editor`]).

use super::*;

/// A text block: the side (0 front, 1 back) and the index of the line on that side.
pub(super) type BlockRef = (u8, usize);

pub(super) fn block_label(b: BlockRef) -> String {
    if b.0 == 0 {
        format!("{}", b.1 + 1)
    } else {
        format!("B{}", b.1 + 1)
    }
}

/// One editable field: its value, the blocks it came from and (phones, e-mails) its kind.
#[derive(Clone, Copy)]
pub(super) struct Slot {
    pub(super) key: usize,
    pub(super) field: &'static str,
    pub(super) kind: RwSignal<String>,
    pub(super) value: RwSignal<String>,
    pub(super) blocks: RwSignal<Vec<BlockRef>>,
}

impl Slot {
    pub(super) fn new(key: usize, field: &'static str) -> Self {
        Slot {
            key,
            field,
            kind: RwSignal::new("work".into()),
            value: RwSignal::new(String::new()),
            blocks: RwSignal::new(Vec::new()),
        }
    }

    /// How the texts of several blocks are joined in this field.
    pub(super) fn separator(&self) -> &'static str {
        match self.field {
            "address" => ", ",
            "email" | "website" => "",
            _ => " ",
        }
    }
}

/// The text fields the editor shows, in the contact's order.
fn text_fields() -> impl Iterator<Item = ContactField> {
    ContactField::ALL.into_iter().filter(|f| f.scanned())
}

/// The editor's state; every part is a signal, so the whole thing is `Copy`.
#[derive(Clone, Copy)]
pub(super) struct Editor {
    pub(super) front: RwSignal<Option<ScanDraft>>,
    pub(super) back: RwSignal<Option<ScanDraft>>,
    pub(super) texts: StoredValue<Vec<Slot>>,
    pub(super) phones: RwSignal<Vec<Slot>>,
    pub(super) emails: RwSignal<Vec<Slot>>,
    pub(super) selected: RwSignal<Vec<BlockRef>>,
    /// The field under the pointer or keyboard focus: its blocks light up on the photo.
    pub(super) hovered: RwSignal<Option<usize>>,
    pub(super) next_key: StoredValue<usize>,
    /// The engine chosen for "Read again" (empty: automatic).
    pub(super) engine: RwSignal<String>,
    /// A card read on this device (photos and readings; the drafts' ids are negative), kept for
    /// the save; `None` for a server scan.
    pub(super) local: StoredValue<Option<super::device::LocalCard>, LocalStorage>,
    /// Send the photos read on the device with the contact, as its card images.
    pub(super) keep_photos: RwSignal<bool>,
}

impl Editor {
    pub(super) fn new() -> Self {
        let texts = text_fields().enumerate().map(|(i, f)| Slot::new(i + 1, f.name())).collect();
        Editor {
            front: RwSignal::new(None),
            back: RwSignal::new(None),
            texts: StoredValue::new(texts),
            phones: RwSignal::new(Vec::new()),
            emails: RwSignal::new(Vec::new()),
            selected: RwSignal::new(Vec::new()),
            hovered: RwSignal::new(None),
            next_key: StoredValue::new(100),
            engine: RwSignal::new(String::new()),
            local: StoredValue::new_local(None),
            keep_photos: RwSignal::new(true),
        }
    }

    /// Fill the fields from a card read on this device.
    pub(super) fn load_local(&self, card: super::device::LocalCard) {
        use super::device::{draft_of, DEVICE_BACK, DEVICE_FRONT};
        let front = draft_of(&card.front.reading, DEVICE_FRONT, "front");
        let back = card.back.as_ref().map(|b| draft_of(&b.reading, DEVICE_BACK, "back"));
        self.local.set_value(Some(card));
        self.fill(front, back);
    }

    /// The photo of a side of the draft: the server's copy, or the device's for a card read here.
    pub(super) fn image_src(&self, d: &ScanDraft, side: u8) -> String {
        if !super::device::is_device(d) {
            return format!("/api/v1/scans/{}/image", d.id);
        }
        self.local
            .with_value(|c| {
                c.as_ref().and_then(|c| {
                    if side == 0 {
                        Some(c.front.url.clone())
                    } else {
                        c.back.as_ref().map(|b| b.url.clone())
                    }
                })
            })
            .unwrap_or_default()
    }

    pub(super) fn text(&self, field: &str) -> Option<Slot> {
        self.texts.with_value(|t| t.iter().find(|s| s.field == field).copied())
    }

    pub(super) fn all_slots(&self) -> Vec<Slot> {
        let mut v = self.texts.get_value();
        v.extend(self.phones.get_untracked());
        v.extend(self.emails.get_untracked());
        v
    }

    pub(super) fn new_slot(&self, field: &'static str) -> Slot {
        self.next_key.update_value(|k| *k += 1);
        Slot::new(self.next_key.get_value(), field)
    }

    pub(super) fn block_text(&self, b: BlockRef) -> String {
        let draft = if b.0 == 0 { self.front } else { self.back };
        draft
            .with_untracked(|d| d.as_ref().and_then(|d| d.lines.get(b.1)).map(|l| l.text.trim().to_string()))
            .unwrap_or_default()
    }

    /// Fill the fields from a server scan's reading (front, and the back if any).
    pub(super) fn load(&self, front: ScanDraft, back: Option<ScanDraft>) {
        self.local.set_value(None);
        self.fill(front, back);
    }

    /// Fill the fields from the front's reading, taking what the front lacks from the back.
    fn fill(&self, front: ScanDraft, back: Option<ScanDraft>) {
        let sides: Vec<(u8, ScanFields)> =
            std::iter::once((0u8, front.fields.clone())).chain(back.iter().map(|b| (1u8, b.fields.clone()))).collect();
        for slot in self.texts.get_value() {
            let found = sides.iter().find_map(|(side, f)| f.get(slot.field).map(|v| (*side, v.clone())));
            let (value, blocks) = match found {
                Some((side, v)) => (v.value, v.blocks.into_iter().map(|b| (side, b)).collect()),
                None => (String::new(), Vec::new()),
            };
            slot.value.set(value);
            slot.blocks.set(blocks);
        }
        let mut phones: Vec<Slot> = Vec::new();
        let mut emails: Vec<Slot> = Vec::new();
        for (side, f) in &sides {
            for p in &f.phones {
                if phones.iter().any(|s| s.value.get_untracked() == p.number) {
                    continue;
                }
                let s = self.new_slot("phone");
                s.kind.set(p.kind.clone());
                s.value.set(p.number.clone());
                s.blocks.set(p.blocks.iter().map(|b| (*side, *b)).collect());
                phones.push(s);
            }
            for e in &f.emails {
                if emails.iter().any(|s| s.value.get_untracked().eq_ignore_ascii_case(&e.value)) {
                    continue;
                }
                let s = self.new_slot("email");
                s.value.set(e.value.clone());
                s.blocks.set(e.blocks.iter().map(|b| (*side, *b)).collect());
                emails.push(s);
            }
        }
        if phones.is_empty() {
            phones.push(self.new_slot("phone"));
        }
        if emails.is_empty() {
            emails.push(self.new_slot("email"));
        }
        self.phones.set(phones);
        self.emails.set(emails);
        self.selected.set(Vec::new());
        self.front.set(Some(front));
        self.back.set(back);
    }

    pub(super) fn toggle(&self, b: BlockRef) {
        self.selected.update(|s| {
            if let Some(i) = s.iter().position(|x| *x == b) {
                s.remove(i);
            } else {
                s.push(b);
            }
        });
    }

    /// Put the selected blocks' text into `slot` (joined in the order they were picked), or add it
    /// to what is there (`join`). The blocks leave the fields they were in before.
    pub(super) fn assign(&self, slot: Slot, join: bool) {
        let picked = self.selected.get_untracked();
        if picked.is_empty() {
            return;
        }
        let sep = slot.separator();
        let text = picked.iter().map(|b| self.block_text(*b)).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(sep);
        for other in self.all_slots().into_iter().filter(|s| s.key != slot.key) {
            let had: Vec<BlockRef> =
                other.blocks.with_untracked(|bs| bs.iter().copied().filter(|b| picked.contains(b)).collect());
            if had.is_empty() {
                continue;
            }
            other.blocks.update(|bs| bs.retain(|b| !picked.contains(b)));
            if other.blocks.with_untracked(Vec::is_empty) {
                other.value.set(String::new());
            } else {
                let mut v = other.value.get_untracked();
                for b in &had {
                    v = v.replace(&self.block_text(*b), "");
                }
                let tidy = v.split(',').map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(", ");
                other.value.set(tidy.split_whitespace().collect::<Vec<_>>().join(" "));
            }
        }
        if join && !slot.value.get_untracked().trim().is_empty() {
            slot.value.update(|v| {
                v.push_str(sep);
                v.push_str(&text);
            });
            slot.blocks.update(|bs| bs.extend(picked.iter().copied().filter(|b| !bs.contains(b)).collect::<Vec<_>>()));
        } else {
            slot.value.set(text);
            slot.blocks.set(picked);
        }
        self.selected.set(Vec::new());
    }

    pub(super) fn is_linked(&self, b: BlockRef) -> bool {
        let Some(key) = self.hovered.get() else { return false };
        self.all_slots().iter().find(|s| s.key == key).is_some_and(|s| s.blocks.with(|bs| bs.contains(&b)))
    }

    pub(super) fn is_used(&self, b: BlockRef) -> bool {
        self.phones.track();
        self.emails.track();
        self.all_slots().iter().any(|s| s.blocks.with(|bs| bs.contains(&b)))
    }

    /// What the duplicate check looks at while the fields are checked: the contact as it would
    /// be saved (tracked, so the check follows every edit), once it holds enough to compare.
    pub(super) fn duplicate_draft(&self) -> Option<ContactInput> {
        self.front.track();
        self.phones.track();
        self.emails.track();
        for s in self.all_slots() {
            s.value.track();
        }
        if self.front.with(|d| d.as_ref().is_none_or(|d| d.contact_id.is_some())) {
            return None; // nothing read yet, or already saved
        }
        let mut d = self.contact();
        d.phones.retain(|p| p.number.chars().filter(char::is_ascii_digit).count() >= 7);
        d.emails.retain(|e| e.address.split_once('@').is_some_and(|(u, dom)| !u.is_empty() && dom.contains('.')));
        let enough = d.first_name.chars().count() + d.last_name.chars().count() >= 3
            || !d.phones.is_empty()
            || !d.emails.is_empty();
        enough.then_some(d)
    }

    pub(super) fn contact(&self) -> ContactInput {
        let t = |f: &str| self.text(f).map(|s| s.value.get_untracked().trim().to_string()).unwrap_or_default();
        let mut input = ContactInput {
            phones: self
                .phones
                .get_untracked()
                .iter()
                .filter(|s| !s.value.get_untracked().trim().is_empty())
                .map(|s| PhoneInput {
                    kind: s.kind.get_untracked(),
                    number: s.value.get_untracked().trim().to_string(),
                })
                .collect(),
            emails: self
                .emails
                .get_untracked()
                .iter()
                .filter(|s| !s.value.get_untracked().trim().is_empty())
                .map(|s| EmailInput {
                    kind: s.kind.get_untracked(),
                    address: s.value.get_untracked().trim().to_string(),
                })
                .collect(),
            source: Some("ocr".into()),
            ..Default::default()
        };
        for f in text_fields() {
            f.set(&mut input, t(f.name()));
        }
        input
    }
}
