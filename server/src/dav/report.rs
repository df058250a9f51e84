//! REPORT: addressbook-multiget, addressbook-query and sync-collection.

use super::card::asked_version;
use super::propfind::{props_of, Ask, PName};
use super::respond::{app_error, dav_error, multistatus, precondition, status_response, text};
use super::target::{book_href, card_href, parse_path, Target};
use super::xml::{self, El, CARDDAV, DAV};
use super::Ctx;
use axum::http::StatusCode;
use axum::response::Response;
use service::transfer::carddav::{self, Book, Change, DavError, Filter, MatchType, PropFilter, TextMatch};

impl Ctx<'_> {
    pub(super) async fn report(&self, t: &Target, body: &[u8]) -> Response {
        let root = match xml::parse(body) {
            Ok(r) => r,
            Err(e) => return text(StatusCode::BAD_REQUEST, e),
        };
        let Target::Book(_, book) = t else {
            return precondition(
                StatusCode::FORBIDDEN,
                DAV,
                "supported-report",
                "",
                "reports are answered on the address book only",
            );
        };
        let book = *book;
        let props = props_of(root.child(DAV, "prop"));
        let data_el = root.child(DAV, "prop").and_then(|p| p.child(CARDDAV, "address-data"));
        let version = asked_version(data_el, self.headers);
        if root.is(CARDDAV, "addressbook-multiget") {
            self.multiget(book, &root, &props, version).await
        } else if root.is(CARDDAV, "addressbook-query") {
            self.query(book, &root, &props, version).await
        } else if root.is(DAV, "sync-collection") {
            self.sync(book, &root, &props, version).await
        } else {
            precondition(
                StatusCode::FORBIDDEN,
                DAV,
                "supported-report",
                "",
                &format!("the report {{{}}}{} is not supported", root.ns, root.name),
            )
        }
    }

    /// The resource name an href in a REPORT names, if it is a card of this address book.
    fn name_of_href(&self, book: Book, href: &str) -> Option<String> {
        let href = href.trim();
        let path = match href.find("://") {
            Some(i) => {
                let after = &href[i + 3..];
                &after[after.find('/')?..]
            }
            None => href,
        };
        match parse_path(path)? {
            Target::Card(u, b, name) if u == self.user() && b == book => Some(name),
            _ => None,
        }
    }

    async fn multiget(&self, book: Book, root: &El, props: &[PName], version: carddav::VcardVersion) -> Response {
        let hrefs: Vec<&str> = root.all(DAV, "href").map(|h| h.text.as_str()).collect();
        if hrefs.len() > carddav::MULTIGET_MAX {
            return text(
                StatusCode::BAD_REQUEST,
                format!("an addressbook-multiget may name at most {} hrefs", carddav::MULTIGET_MAX),
            );
        }
        let names: Vec<Option<String>> = hrefs.iter().map(|h| self.name_of_href(book, h)).collect();
        let asked: Vec<String> = names.iter().flatten().cloned().collect();
        let cards = match carddav::cards(&self.st.svc, book, &asked, version).await {
            Ok(c) => c,
            Err(e) => return app_error(e),
        };
        let ask = Ask::Props(props.to_vec());
        let mut out = String::new();
        let mut it = cards.into_iter();
        for (href, name) in hrefs.iter().zip(&names) {
            match name {
                Some(_) => match it.next() {
                    Some((_, Some(card))) => {
                        out.push_str(&self.card_response(book, &card.member, &ask, Some(&card.vcard)))
                    }
                    _ => out.push_str(&status_response(href.trim(), "404 Not Found")),
                },
                None => out.push_str(&status_response(href.trim(), "404 Not Found")),
            }
        }
        multistatus(out)
    }

    async fn query(&self, book: Book, root: &El, props: &[PName], version: carddav::VcardVersion) -> Response {
        let filter = match parse_filter(root.child(CARDDAV, "filter")) {
            Ok(f) => f,
            Err(m) => return precondition(StatusCode::BAD_REQUEST, CARDDAV, "supported-filter", "", &m),
        };
        let limit = root
            .child(CARDDAV, "limit")
            .and_then(|l| l.child(CARDDAV, "nresults"))
            .and_then(|n| n.text.trim().parse::<usize>().ok());
        let (cards, truncated) = match carddav::query(&self.st.svc, book, &filter, limit, version).await {
            Ok(r) => r,
            Err(e) => return app_error(e),
        };
        let ask = Ask::Props(props.to_vec());
        let mut out = String::new();
        for c in &cards {
            out.push_str(&self.card_response(book, &c.member, &ask, Some(&c.vcard)));
        }
        if truncated {
            out.push_str(&status_response(&book_href(self.user(), book), "507 Insufficient Storage"));
        }
        multistatus(out)
    }

    async fn sync(&self, book: Book, root: &El, props: &[PName], version: carddav::VcardVersion) -> Response {
        let token_text = root.child(DAV, "sync-token").map(|t| t.text.trim().to_string()).unwrap_or_default();
        let token = if token_text.is_empty() {
            None
        } else {
            match carddav::parse_sync_token(&token_text) {
                Some(n) => Some(n),
                None => return dav_error(DavError::InvalidSyncToken, self.user()),
            }
        };
        let limit = root
            .child(DAV, "limit")
            .and_then(|l| l.child(DAV, "nresults"))
            .and_then(|n| n.text.trim().parse::<u64>().ok());
        let page = match carddav::changes(&self.st.svc, book, token, limit).await {
            Ok(p) => p,
            Err(e) => return dav_error(e, self.user()),
        };
        let wants_data = props.iter().any(|p| p.ns == CARDDAV && p.name == "address-data");
        let mut cards = std::collections::HashMap::new();
        if wants_data {
            let names: Vec<String> = page
                .changes
                .iter()
                .filter_map(|c| match c {
                    Change::Changed(m) => Some(m.name.clone()),
                    Change::Removed(_) => None,
                })
                .collect();
            match carddav::cards(&self.st.svc, book, &names, version).await {
                Ok(list) => {
                    for (n, c) in list {
                        if let Some(c) = c {
                            cards.insert(n, c.vcard);
                        }
                    }
                }
                Err(e) => return app_error(e),
            }
        }
        let ask = Ask::Props(if props.is_empty() { vec![PName::new(DAV, "getetag")] } else { props.to_vec() });
        let mut out = String::new();
        for c in &page.changes {
            match c {
                Change::Changed(m) => {
                    out.push_str(&self.card_response(book, m, &ask, cards.get(&m.name).map(String::as_str)))
                }
                Change::Removed(name) => {
                    out.push_str(&status_response(&card_href(self.user(), book, name), "404 Not Found"))
                }
            }
        }
        if page.truncated {
            out.push_str(&status_response(&book_href(self.user(), book), "507 Insufficient Storage"));
        }
        out.push_str(&format!("<D:sync-token>{}</D:sync-token>", xml::esc(&carddav::sync_token(page.token))));
        multistatus(out)
    }
}

/// An `addressbook-query` filter (RFC 6352 §10.5): prop-filters with text-matches.
fn parse_filter(el: Option<&El>) -> Result<Filter, String> {
    let Some(el) = el else { return Ok(Filter::default()) };
    let mut f = Filter { all: el.attr("test") == Some("allof"), props: Vec::new() };
    for p in el.all(CARDDAV, "prop-filter") {
        let name = p.attr("name").ok_or("a prop-filter needs a name")?.trim().to_ascii_uppercase();
        let mut pf = PropFilter {
            name,
            all: p.attr("test") == Some("allof"),
            is_not_defined: p.child(CARDDAV, "is-not-defined").is_some(),
            matches: Vec::new(),
        };
        if p.child(CARDDAV, "param-filter").is_some() {
            return Err("param-filter is not supported".into());
        }
        for m in p.all(CARDDAV, "text-match") {
            let match_type = match m.attr("match-type").unwrap_or("contains") {
                "equals" => MatchType::Equals,
                "contains" => MatchType::Contains,
                "starts-with" => MatchType::StartsWith,
                "ends-with" => MatchType::EndsWith,
                other => return Err(format!("unknown match-type '{other}'")),
            };
            if let Some(c) = m.attr("collation") {
                if c != "i;unicode-casemap" && c != "i;ascii-casemap" && c != "i;octet" {
                    return Err(format!("unsupported collation '{c}'"));
                }
            }
            pf.matches.push(TextMatch {
                text: m.text.clone(),
                match_type,
                negate: m.attr("negate-condition") == Some("yes"),
            });
        }
        f.props.push(pf);
    }
    Ok(f)
}
