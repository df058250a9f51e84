//! Tabular writers: CSV in Google Contacts' column set and XLSX with chosen visible columns.

use crate::mapping::MULTI_SEPARATOR;
use crate::record::{ContactRecord, Kind};
use crate::ExportError;
use std::io::{Seek, Write};

/// How many numbered groups the CSV has; values past the last group are joined into it with
/// ` ::: ` (Google's own multi-value separator), so nothing is dropped.
#[derive(Clone, Debug)]
pub struct CsvOptions {
    /// Write a UTF-8 byte order mark first (Excel on Windows needs it to see UTF-8).
    pub bom: bool,
    pub phones: usize,
    pub emails: usize,
    pub addresses: usize,
    pub websites: usize,
    /// Append cardcrm's own columns (`Full Name`, `UID`, `Groups`, `Revision`) after Google's;
    /// Google Contacts keeps unknown columns as custom fields, so turn this off for a pure
    /// Google file.
    pub cardcrm_columns: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { bom: false, phones: 5, emails: 3, addresses: 2, websites: 2, cardcrm_columns: true }
    }
}

/// The label Google Contacts shows for a kind.
fn google_label(k: Kind) -> &'static str {
    match k {
        Kind::Mobile => "Mobile",
        Kind::Work => "Work",
        Kind::Home => "Home",
        Kind::Fax => "Work Fax",
        Kind::Other => "Other",
    }
}

/// CSV in Google Contacts' current column set (what its export writes and its import reads), plus
/// cardcrm's columns (see [`CsvOptions::cardcrm_columns`]). Streams: one row per `write`.
pub struct CsvWriter<W: Write> {
    w: csv::Writer<W>,
    opts: CsvOptions,
    row: Vec<String>,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the BOM (if asked) and the header row.
    pub fn new(mut w: W, opts: CsvOptions) -> Result<Self, ExportError> {
        if opts.bom {
            w.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut w = csv::WriterBuilder::new().flexible(false).from_writer(w);
        w.write_record(Self::headers(&opts))?;
        Ok(CsvWriter { w, opts, row: Vec::new() })
    }

    /// The header row for these options.
    pub fn headers(o: &CsvOptions) -> Vec<String> {
        let mut h: Vec<String> = [
            "First Name",
            "Middle Name",
            "Last Name",
            "Name Prefix",
            "Name Suffix",
            "Organization Name",
            "Organization Title",
            "Organization Department",
            "Notes",
            "Labels",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for i in 1..=o.emails {
            h.push(format!("E-mail {i} - Label"));
            h.push(format!("E-mail {i} - Value"));
        }
        for i in 1..=o.phones {
            h.push(format!("Phone {i} - Label"));
            h.push(format!("Phone {i} - Value"));
        }
        for i in 1..=o.addresses {
            for part in [
                "Label",
                "Formatted",
                "Street",
                "City",
                "PO Box",
                "Region",
                "Postal Code",
                "Country",
                "Extended Address",
            ] {
                h.push(format!("Address {i} - {part}"));
            }
        }
        for i in 1..=o.websites {
            h.push(format!("Website {i} - Label"));
            h.push(format!("Website {i} - Value"));
        }
        if o.cardcrm_columns {
            for s in ["Full Name", "UID", "Groups", "Revision"] {
                h.push(s.to_string());
            }
        }
        h
    }

    pub fn write(&mut self, r: &ContactRecord) -> Result<(), ExportError> {
        let row = &mut self.row;
        row.clear();
        for s in [
            &r.first_name,
            &r.middle_name,
            &r.last_name,
            &r.prefix,
            &r.suffix,
            &r.company,
            &r.position,
            &r.department,
            &r.notes,
        ] {
            row.push(s.clone());
        }
        row.push(r.tags.join(MULTI_SEPARATOR));
        // (label, value) slots; the last slot takes any overflow.
        fn slots<'a, T>(
            row: &mut Vec<String>,
            n: usize,
            items: &'a [T],
            label: impl Fn(&'a T) -> String,
            value: impl Fn(&'a T) -> &'a str,
        ) {
            for i in 0..n {
                if i < items.len() {
                    row.push(label(&items[i]));
                    if i + 1 == n && items.len() > n {
                        row.push(items[i..].iter().map(&value).collect::<Vec<_>>().join(MULTI_SEPARATOR));
                    } else {
                        row.push(value(&items[i]).to_string());
                    }
                } else {
                    row.push(String::new());
                    row.push(String::new());
                }
            }
        }
        let lbl =
            |kind: Kind, label: &str| if label.is_empty() { google_label(kind).to_string() } else { label.to_string() };
        slots(row, self.opts.emails, &r.emails, |e| lbl(e.kind, &e.label), |e| &e.address);
        slots(row, self.opts.phones, &r.phones, |p| lbl(p.kind, &p.label), |p| &p.number);
        for i in 0..self.opts.addresses {
            match r.addresses.get(i) {
                Some(a) => {
                    row.push(lbl(a.kind, &a.label));
                    for s in [
                        &a.formatted,
                        &a.street,
                        &a.city,
                        &a.po_box,
                        &a.region,
                        &a.postal_code,
                        &a.country,
                        &a.extended,
                    ] {
                        row.push(s.clone());
                    }
                }
                None => row.extend(std::iter::repeat_n(String::new(), 9)),
            }
        }
        slots(row, self.opts.websites, &r.websites, |w| lbl(w.kind, &w.label), |w| &w.url);
        if self.opts.cardcrm_columns {
            row.push(r.full_name.clone());
            row.push(r.uid.clone());
            row.push(r.groups.join(MULTI_SEPARATOR));
            row.push(r.rev.clone());
        }
        self.w.write_record(&*row)?;
        Ok(())
    }

    pub fn finish(self) -> Result<W, ExportError> {
        self.w.into_inner().map_err(|e| ExportError::Io(e.into_error()))
    }
}

/// A column of the XLSX export (the contact list's visible columns).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Column {
    Uid,
    FullName,
    Prefix,
    FirstName,
    MiddleName,
    LastName,
    Suffix,
    Company,
    Department,
    Position,
    /// Phones of one kind, one per line in the cell.
    Phone(Kind),
    /// Every phone, one per line.
    Phones,
    /// E-mails of one kind (work, home, other), one per line.
    Email(Kind),
    /// Every e-mail, one per line.
    Emails,
    Websites,
    /// The first address, flattened.
    Address,
    Notes,
    Tags,
    Groups,
    Rev,
}

impl Column {
    /// Every column, kinds split so that reading the file back keeps them.
    pub const ALL: [Column; 23] = [
        Column::FullName,
        Column::Prefix,
        Column::FirstName,
        Column::MiddleName,
        Column::LastName,
        Column::Suffix,
        Column::Company,
        Column::Department,
        Column::Position,
        Column::Phone(Kind::Mobile),
        Column::Phone(Kind::Work),
        Column::Phone(Kind::Home),
        Column::Phone(Kind::Fax),
        Column::Phone(Kind::Other),
        Column::Email(Kind::Work),
        Column::Email(Kind::Home),
        Column::Email(Kind::Other),
        Column::Websites,
        Column::Address,
        Column::Notes,
        Column::Tags,
        Column::Groups,
        Column::Uid,
    ];

    /// The header text; [`crate::propose_mapping`] maps each back to its field.
    pub fn header(self) -> &'static str {
        match self {
            Column::Uid => "UID",
            Column::FullName => "Full Name",
            Column::Prefix => "Prefix",
            Column::FirstName => "First Name",
            Column::MiddleName => "Middle Name",
            Column::LastName => "Last Name",
            Column::Suffix => "Suffix",
            Column::Company => "Company",
            Column::Department => "Department",
            Column::Position => "Position",
            Column::Phone(Kind::Mobile) => "Mobile Phone",
            Column::Phone(Kind::Work) => "Work Phone",
            Column::Phone(Kind::Home) => "Home Phone",
            Column::Phone(Kind::Fax) => "Fax",
            Column::Phone(Kind::Other) => "Other Phone",
            Column::Phones => "Phones",
            Column::Email(Kind::Home) => "Home E-mail",
            Column::Email(Kind::Other) => "Other E-mail",
            Column::Email(_) => "Work E-mail",
            Column::Emails => "E-mails",
            Column::Websites => "Websites",
            Column::Address => "Address",
            Column::Notes => "Notes",
            Column::Tags => "Tags",
            Column::Groups => "Groups",
            Column::Rev => "Revision",
        }
    }

    /// The id an API parameter uses: `full_name`, `phone:mobile`, `emails`, …
    pub fn id(self) -> String {
        match self {
            Column::Phone(k) => format!("phone:{}", k.as_str()),
            Column::Email(k) => format!("email:{}", k.as_str()),
            other => match other {
                Column::Uid => "uid",
                Column::FullName => "full_name",
                Column::Prefix => "prefix",
                Column::FirstName => "first_name",
                Column::MiddleName => "middle_name",
                Column::LastName => "last_name",
                Column::Suffix => "suffix",
                Column::Company => "company",
                Column::Department => "department",
                Column::Position => "position",
                Column::Phones => "phones",
                Column::Emails => "emails",
                Column::Websites => "websites",
                Column::Address => "address",
                Column::Notes => "notes",
                Column::Tags => "tags",
                Column::Groups => "groups",
                Column::Rev => "rev",
                Column::Phone(_) | Column::Email(_) => unreachable!(),
            }
            .to_string(),
        }
    }

    /// Parses [`Column::id`].
    pub fn parse(id: &str) -> Option<Column> {
        let id = id.trim();
        if let Some(k) = id.strip_prefix("phone:") {
            return Kind::parse(k).map(Column::Phone);
        }
        if let Some(k) = id.strip_prefix("email:") {
            return Kind::parse(k).map(Column::Email);
        }
        [Column::Phones, Column::Emails, Column::Rev]
            .into_iter()
            .chain(Column::ALL)
            .find(|c| !matches!(c, Column::Phone(_) | Column::Email(_)) && c.id() == id)
    }

    /// The cell text for a record (lists one per line).
    pub fn value(self, r: &ContactRecord) -> String {
        let lines = |it: Vec<&str>| it.join("\n");
        match self {
            Column::Uid => r.uid.clone(),
            Column::FullName => r.full_name.clone(),
            Column::Prefix => r.prefix.clone(),
            Column::FirstName => r.first_name.clone(),
            Column::MiddleName => r.middle_name.clone(),
            Column::LastName => r.last_name.clone(),
            Column::Suffix => r.suffix.clone(),
            Column::Company => r.company.clone(),
            Column::Department => r.department.clone(),
            Column::Position => r.position.clone(),
            Column::Phone(k) => lines(r.phones.iter().filter(|p| p.kind == k).map(|p| p.number.as_str()).collect()),
            Column::Phones => lines(r.phones.iter().map(|p| p.number.as_str()).collect()),
            Column::Email(k) => lines(
                r.emails
                    .iter()
                    .filter(|e| e.kind == k || (k == Kind::Work && matches!(e.kind, Kind::Mobile | Kind::Fax)))
                    .map(|e| e.address.as_str())
                    .collect(),
            ),
            Column::Emails => lines(r.emails.iter().map(|e| e.address.as_str()).collect()),
            Column::Websites => lines(r.websites.iter().map(|w| w.url.as_str()).collect()),
            Column::Address => r.address(),
            Column::Notes => r.notes.clone(),
            Column::Tags => r.tags.join(MULTI_SEPARATOR),
            Column::Groups => r.groups.join(MULTI_SEPARATOR),
            Column::Rev => r.rev.clone(),
        }
    }
}

impl From<Column> for String {
    fn from(c: Column) -> String {
        c.id()
    }
}

impl TryFrom<String> for Column {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Column::parse(&s).ok_or_else(|| format!("unknown column `{s}`"))
    }
}

/// XLSX with a header row and the given columns, one row per contact, in rust_xlsxwriter's
/// constant-memory mode (rows go to a temporary file as they are written, not kept in memory).
pub struct XlsxWriter {
    wb: rust_xlsxwriter::Workbook,
    columns: Vec<Column>,
    row: u32,
}

impl XlsxWriter {
    pub fn new(columns: &[Column]) -> Result<Self, ExportError> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name("Contacts")?;
        for (i, c) in columns.iter().enumerate() {
            ws.write_string_with_format(0, i as u16, c.header(), &bold)?;
            ws.set_column_width(i as u16, if matches!(c, Column::Notes | Column::Address) { 40 } else { 20 })?;
        }
        ws.set_freeze_panes(1, 0)?;
        Ok(XlsxWriter { wb, columns: columns.to_vec(), row: 1 })
    }

    /// Appends one contact as the next row.
    pub fn write(&mut self, r: &ContactRecord) -> Result<(), ExportError> {
        if self.row >= 1_048_576 {
            return Err(ExportError::TooMany("an XLSX sheet holds at most 1,048,575 contacts".into()));
        }
        let ws = self.wb.worksheet_from_index(0)?;
        for (i, c) in self.columns.iter().enumerate() {
            let v = c.value(r);
            if !v.is_empty() {
                // Excel's cell limit is 32,767 characters.
                let v: String = if v.chars().count() > 32_767 { v.chars().take(32_767).collect() } else { v };
                ws.write_string(self.row, i as u16, v)?;
            }
        }
        self.row += 1;
        Ok(())
    }

    /// Writes the workbook (a zip) to `w`.
    pub fn finish<W: Write + Seek + Send>(mut self, w: W) -> Result<(), ExportError> {
        self.wb.save_to_writer(w)?;
        Ok(())
    }
}
