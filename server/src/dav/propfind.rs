//! PROPFIND: the properties of collections and cards, and the listing of a collection.

use super::respond::{app_error, multistatus, response, text};
use super::target::{book_href, card_href, home_href, principal_href, Target};
use super::xml::{self, El, CALSERVER, CARDDAV, DAV};
use super::Ctx;
use axum::http::StatusCode;
use axum::response::Response;
use service::transfer::carddav::{self, Book, Member};
use service::transfer::dav_books;
use service::AppError;

/// A property name asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PName {
    pub(super) ns: String,
    pub(super) name: String,
}

impl PName {
    pub(super) fn new(ns: &str, name: &str) -> Self {
        PName { ns: ns.into(), name: name.into() }
    }
}

/// What a PROPFIND asked for.
pub(super) enum Ask {
    All,
    Names,
    Props(Vec<PName>),
}

pub(super) fn props_of(el: Option<&El>) -> Vec<PName> {
    el.map(|p| p.children.iter().map(|c| PName::new(&c.ns, &c.name)).collect()).unwrap_or_default()
}

/// The properties `allprop` returns for a kind of resource.
fn all_props(card: bool) -> Vec<PName> {
    let mut v = vec![
        PName::new(DAV, "resourcetype"),
        PName::new(DAV, "displayname"),
        PName::new(DAV, "current-user-principal"),
        PName::new(DAV, "current-user-privilege-set"),
    ];
    if card {
        v.push(PName::new(DAV, "getetag"));
        v.push(PName::new(DAV, "getcontenttype"));
    } else {
        v.push(PName::new(DAV, "supported-report-set"));
        v.push(PName::new(DAV, "sync-token"));
        v.push(PName::new(CALSERVER, "getctag"));
        v.push(PName::new(CARDDAV, "addressbook-home-set"));
    }
    v
}

const READ_PRIVS: &str = "<D:current-user-privilege-set><D:privilege><D:read/></D:privilege>\
    <D:privilege><D:read-current-user-privilege-set/></D:privilege></D:current-user-privilege-set>";
const WRITE_PRIVS: &str = "<D:current-user-privilege-set><D:privilege><D:read/></D:privilege>\
    <D:privilege><D:read-current-user-privilege-set/></D:privilege><D:privilege><D:write/></D:privilege>\
    <D:privilege><D:write-content/></D:privilege><D:privilege><D:bind/></D:privilege>\
    <D:privilege><D:unbind/></D:privilege></D:current-user-privilege-set>";

impl Ctx<'_> {
    /// A property of a collection (root, principals, principal, home, address book), or `None`.
    async fn collection_prop(&self, t: &Target, p: &PName, ctag: &mut Option<i64>) -> Result<Option<String>, AppError> {
        let user = self.user();
        let book = matches!(t, Target::Book(..));
        let group_name = match t {
            Target::Book(_, Book::Group(id)) => self.group_name(*id),
            _ => None,
        };
        let v = match (p.ns.as_str(), p.name.as_str()) {
            (DAV, "resourcetype") => Some(match t {
                Target::Principal(_) => "<D:resourcetype><D:collection/><D:principal/></D:resourcetype>".into(),
                Target::Book(..) => "<D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>".into(),
                _ => "<D:resourcetype><D:collection/></D:resourcetype>".into(),
            }),
            (DAV, "displayname") => Some(format!(
                "<D:displayname>{}</D:displayname>",
                xml::esc(match t {
                    Target::Root => "cardcrm",
                    Target::Principals => "Principals",
                    Target::Principal(_) => user,
                    Target::Home(_) => "Address books",
                    _ => group_name.unwrap_or(dav_books::TEAM_BOOK_NAME),
                })
            )),
            (DAV, "current-user-principal") => Some(format!(
                "<D:current-user-principal><D:href>{}</D:href></D:current-user-principal>",
                principal_href(user)
            )),
            (DAV, "principal-URL") if matches!(t, Target::Principal(_)) => {
                Some(format!("<D:principal-URL><D:href>{}</D:href></D:principal-URL>", principal_href(user)))
            }
            (DAV, "principal-collection-set") => Some(
                "<D:principal-collection-set><D:href>/dav/principals/</D:href></D:principal-collection-set>".into(),
            ),
            (DAV, "owner") if book || matches!(t, Target::Home(_)) => {
                Some(format!("<D:owner><D:href>{}</D:href></D:owner>", principal_href(user)))
            }
            (CARDDAV, "addressbook-home-set") => {
                Some(format!("<C:addressbook-home-set><D:href>{}</D:href></C:addressbook-home-set>", home_href(user)))
            }
            (DAV, "current-user-privilege-set") => Some(if book { WRITE_PRIVS.into() } else { READ_PRIVS.into() }),
            (DAV, "supported-report-set") if book => Some(
                "<D:supported-report-set>\
                 <D:supported-report><D:report><C:addressbook-multiget/></D:report></D:supported-report>\
                 <D:supported-report><D:report><C:addressbook-query/></D:report></D:supported-report>\
                 <D:supported-report><D:report><D:sync-collection/></D:report></D:supported-report>\
                 </D:supported-report-set>"
                    .into(),
            ),
            (DAV, "supported-report-set") => Some("<D:supported-report-set/>".into()),
            (DAV, "sync-token") if book => {
                let n = self.ctag(ctag).await?;
                Some(format!("<D:sync-token>{}</D:sync-token>", xml::esc(&carddav::sync_token(n))))
            }
            (CALSERVER, "getctag") if book => {
                let n = self.ctag(ctag).await?;
                Some(format!("<CS:getctag>\"{n}\"</CS:getctag>"))
            }
            (CARDDAV, "addressbook-description") if book => Some(format!(
                "<C:addressbook-description>{}</C:addressbook-description>",
                xml::esc(&match group_name {
                    Some(g) => format!("The contacts of the group \u{201c}{g}\u{201d} in cardcrm"),
                    None => "The team's contacts in cardcrm".to_string(),
                })
            )),
            (CARDDAV, "supported-address-data") if book => Some(
                "<C:supported-address-data><C:address-data-type content-type=\"text/vcard\" version=\"3.0\"/>\
                 <C:address-data-type content-type=\"text/vcard\" version=\"4.0\"/></C:supported-address-data>"
                    .into(),
            ),
            (CARDDAV, "max-resource-size") if book => {
                Some(format!("<C:max-resource-size>{}</C:max-resource-size>", carddav::MAX_CARD_BYTES))
            }
            _ => None,
        };
        Ok(v)
    }

    fn group_name(&self, id: i64) -> Option<&str> {
        self.groups.iter().find(|g| g.id == id).map(|g| g.name.as_str())
    }

    async fn ctag(&self, cache: &mut Option<i64>) -> Result<i64, AppError> {
        if let Some(n) = cache {
            return Ok(*n);
        }
        let n = carddav::current(&self.st.svc).await?;
        *cache = Some(n);
        Ok(n)
    }

    /// A property of a card resource; `card` is the rendered vCard when the caller loaded it.
    fn card_prop(&self, m: &Member, p: &PName, card: Option<&str>) -> Option<String> {
        match (p.ns.as_str(), p.name.as_str()) {
            (DAV, "resourcetype") => Some("<D:resourcetype/>".into()),
            (DAV, "getetag") => Some(format!("<D:getetag>{}</D:getetag>", xml::esc(&m.etag))),
            (DAV, "getcontenttype") => Some("<D:getcontenttype>text/vcard; charset=utf-8</D:getcontenttype>".into()),
            (DAV, "current-user-principal") => Some(format!(
                "<D:current-user-principal><D:href>{}</D:href></D:current-user-principal>",
                principal_href(self.user())
            )),
            (DAV, "current-user-privilege-set") => Some(WRITE_PRIVS.into()),
            (DAV, "getcontentlength") => card.map(|c| format!("<D:getcontentlength>{}</D:getcontentlength>", c.len())),
            (CARDDAV, "address-data") => card.map(|c| format!("<C:address-data>{}</C:address-data>", xml::esc(c))),
            _ => None,
        }
    }

    async fn collection_response(
        &self,
        t: &Target,
        href: &str,
        ask: &Ask,
        ctag: &mut Option<i64>,
    ) -> Result<String, AppError> {
        let wanted = match ask {
            Ask::Props(p) => p.clone(),
            Ask::All | Ask::Names => all_props(false),
        };
        let (mut found, mut missing) = (Vec::new(), Vec::new());
        for p in &wanted {
            match self.collection_prop(t, p, ctag).await? {
                Some(_) if matches!(ask, Ask::Names) => found.push(xml::empty(&p.ns, &p.name)),
                Some(v) => found.push(v),
                None if matches!(ask, Ask::Props(_)) => missing.push(p.clone()),
                None => {}
            }
        }
        Ok(response(href, &found, &missing))
    }

    pub(super) fn card_response(&self, book: Book, m: &Member, ask: &Ask, card: Option<&str>) -> String {
        let wanted = match ask {
            Ask::Props(p) => p.clone(),
            Ask::All | Ask::Names => all_props(true),
        };
        let (mut found, mut missing) = (Vec::new(), Vec::new());
        for p in &wanted {
            match self.card_prop(m, p, card) {
                Some(_) if matches!(ask, Ask::Names) => found.push(xml::empty(&p.ns, &p.name)),
                Some(v) => found.push(v),
                None if matches!(ask, Ask::Props(_)) => missing.push(p.clone()),
                None => {}
            }
        }
        response(&card_href(self.user(), book, &m.name), &found, &missing)
    }

    pub(super) async fn propfind(&self, t: &Target, body: &[u8]) -> Response {
        let ask = if body.iter().all(u8::is_ascii_whitespace) {
            Ask::All
        } else {
            let root = match xml::parse(body) {
                Ok(r) => r,
                Err(e) => return text(StatusCode::BAD_REQUEST, e),
            };
            if !root.is(DAV, "propfind") {
                return text(StatusCode::BAD_REQUEST, "a PROPFIND body must be a DAV:propfind element");
            }
            if let Some(p) = root.child(DAV, "prop") {
                Ask::Props(props_of(Some(p)))
            } else if root.child(DAV, "propname").is_some() {
                Ask::Names
            } else {
                Ask::All
            }
        };
        let depth = match self.headers.get("depth").and_then(|v| v.to_str().ok()).map(str::trim) {
            Some("0") => 0,
            // "1", "infinity" or none: the tree is two levels deep at most below any collection here,
            // and only one level is listed (infinity is treated as 1, which RFC 4918 allows a server).
            _ => 1,
        };
        let user = self.user().to_string();
        let mut ctag = None;
        let mut out = String::new();
        let result: Result<(), AppError> = async {
            match t {
                Target::Root => {
                    out.push_str(&self.collection_response(t, "/dav/", &ask, &mut ctag).await?);
                    if depth == 1 {
                        out.push_str(&self.collection_response(&Target::Principals, "/dav/principals/", &ask, &mut ctag).await?);
                    }
                }
                Target::Principals => {
                    out.push_str(&self.collection_response(t, "/dav/principals/", &ask, &mut ctag).await?);
                    if depth == 1 {
                        let p = Target::Principal(user.clone());
                        out.push_str(&self.collection_response(&p, &principal_href(&user), &ask, &mut ctag).await?);
                    }
                }
                Target::Principal(_) => {
                    out.push_str(&self.collection_response(t, &principal_href(&user), &ask, &mut ctag).await?);
                }
                Target::Home(_) => {
                    out.push_str(&self.collection_response(t, &home_href(&user), &ask, &mut ctag).await?);
                    if depth == 1 {
                        let books = std::iter::once(Book::Team).chain(self.groups.iter().map(|g| Book::Group(g.id)));
                        for book in books {
                            let b = Target::Book(user.clone(), book);
                            out.push_str(&self.collection_response(&b, &book_href(&user, book), &ask, &mut ctag).await?);
                        }
                    }
                }
                Target::Book(_, book) => {
                    out.push_str(&self.collection_response(t, &book_href(&user, *book), &ask, &mut ctag).await?);
                    if depth == 1 {
                        let wants_data = matches!(&ask, Ask::Props(p) if p.iter().any(|p| p.ns == CARDDAV && p.name == "address-data"));
                        if wants_data {
                            // Cards inline in a PROPFIND are not paged: send them through a REPORT.
                            return Err(AppError::Forbidden(
                                "address-data is not listed by PROPFIND; use addressbook-multiget or sync-collection".into(),
                            ));
                        }
                        for m in carddav::members(&self.st.svc, *book).await? {
                            out.push_str(&self.card_response(*book, &m, &ask, None));
                        }
                    }
                }
                Target::Card(_, book, name) => {
                    let Some(m) = carddav::member(&self.st.svc, *book, name).await? else {
                        return Err(AppError::not_found("card"));
                    };
                    out.push_str(&self.card_response(*book, &m, &ask, None));
                }
            }
            Ok(())
        }
        .await;
        match result {
            Ok(()) => multistatus(out),
            Err(e) => app_error(e),
        }
    }
}
