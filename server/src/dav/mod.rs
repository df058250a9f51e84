//! The CardDAV door (RFC 6352 with RFC 6578 `sync-collection`), at `/dav/`:
//!
//! ```text
//! /.well-known/carddav                  → 301 to /dav/
//! /dav/                                 the root (current-user-principal for discovery)
//! /dav/principals/<user>/               the signed-in user's principal (addressbook-home-set)
//! /dav/addressbooks/<user>/             the address-book home
//! /dav/addressbooks/<user>/contacts/    the team's live contacts (every user sees the team's)
//! /dav/addressbooks/<user>/contacts/<name>.vcf   one contact as a vCard
//! /dav/addressbooks/<user>/group-<id>/  a group's live members, for each group the user chose
//! /dav/addressbooks/<user>/group-<id>/<name>.vcf (Profile → Contacts on your phone)
//! ```
//!
//! HTTP Basic with the cardcrm username and an app password (`service::accounts::app_passwords`); the
//! account password never works here. Methods: OPTIONS, PROPFIND (depth 0/1), REPORT
//! (`addressbook-multiget`, `addressbook-query`, `sync-collection`), GET/HEAD, PUT, DELETE. The
//! rules and the change numbers live in `service::transfer::carddav`; this module is HTTP and XML only.
//! Every body is capped (XML 512 KB, a vCard 1 MB), multiget at 1,000 hrefs, sync and query
//! answers are paged; bad XML, unknown methods and paths get a 4xx, never a 500.

pub mod xml;

use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use service::transfer::carddav::{
    self, Book, Change, Conditions, DavError, Filter, MatchType, Member, PropFilter, TextMatch,
};
use service::transfer::dav_books;
use service::{Actor, AppError};
use xml::{El, CALSERVER, CARDDAV, DAV};

/// Characters kept as they are in a resource name within an href.
const NAME_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'@');

const ALLOW: &str = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, REPORT";

/// `/.well-known/carddav` (RFC 6764): the service lives at `/dav/`. A 301, the status RFC 6764
/// names and every client (iOS included) follows with its PROPFIND.
pub async fn well_known() -> Response {
    (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/dav/")]).into_response()
}

/// `OPTIONS` under `/dav` (RFC 4918 §10.1: the `DAV` header tells a client this is a CardDAV
/// server), answered before the CORS layer, which would take any OPTIONS for a preflight.
pub async fn options(req: Request, next: axum::middleware::Next) -> Response {
    let p = req.uri().path();
    if req.method() == Method::OPTIONS && (p == "/dav" || p.starts_with("/dav/") || p == "/.well-known/carddav") {
        return (StatusCode::OK, [(header::ALLOW, ALLOW), (HeaderName::from_static("dav"), "1, 3, addressbook")])
            .into_response();
    }
    next.run(req).await
}

/// What a request path names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Root,
    Principals,
    Principal(String),
    Home(String),
    Book(String, Book),
    Card(String, Book, String),
}

fn parse_path(path: &str) -> Option<Target> {
    let rest = path.strip_prefix("/dav")?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let mut segs = Vec::new();
    for s in rest.split('/').filter(|s| !s.is_empty()) {
        segs.push(percent_decode_str(s).decode_utf8().ok()?.into_owned());
    }
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    Some(match s.as_slice() {
        [] => Target::Root,
        ["principals"] => Target::Principals,
        ["principals", u] => Target::Principal(u.to_string()),
        ["addressbooks", u] => Target::Home(u.to_string()),
        ["addressbooks", u, b] => Target::Book(u.to_string(), dav_books::parse_segment(b)?),
        ["addressbooks", u, b, name] => Target::Card(u.to_string(), dav_books::parse_segment(b)?, name.to_string()),
        _ => return None,
    })
}

fn principal_href(user: &str) -> String {
    format!("/dav/principals/{}/", utf8_percent_encode(user, NAME_SET))
}
fn home_href(user: &str) -> String {
    format!("/dav/addressbooks/{}/", utf8_percent_encode(user, NAME_SET))
}
fn book_href(user: &str, book: Book) -> String {
    format!("{}{}/", home_href(user), dav_books::segment(book))
}
fn card_href(user: &str, book: Book, name: &str) -> String {
    format!("{}{}", book_href(user, book), utf8_percent_encode(name, NAME_SET))
}

fn text(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], msg.into()).into_response()
}

fn unauthorized(msg: &str) -> Response {
    let mut r = text(StatusCode::UNAUTHORIZED, msg);
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"cardcrm\", charset=\"UTF-8\""));
    r
}

/// A DAV `error` body (RFC 4918 §16) naming the failed precondition.
fn precondition(status: StatusCode, ns: &str, name: &str, inner: &str, msg: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:carddav\">\
         {}<D:responsedescription>{}</D:responsedescription></D:error>\n",
        if inner.is_empty() { xml::empty(ns, name) } else {
            format!("<{p}:{name}>{inner}</{p}:{name}>", p = xml::prefix(ns).unwrap_or("D"))
        },
        xml::esc(msg)
    );
    (status, [(header::CONTENT_TYPE, "application/xml; charset=utf-8")], body).into_response()
}

fn app_error(e: AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let msg = match &e {
        AppError::Internal(_) => "internal error".to_string(),
        other => other.to_string(),
    };
    let mut r = text(status, msg);
    if let AppError::RateLimited { retry_after } = e {
        if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    r
}

fn dav_error(e: DavError, user: &str) -> Response {
    match e {
        DavError::App(e) => app_error(e),
        DavError::PreconditionFailed(m) => text(StatusCode::PRECONDITION_FAILED, m),
        DavError::UidConflict(name) => precondition(
            StatusCode::CONFLICT,
            CARDDAV,
            "no-uid-conflict",
            &format!("<D:href>{}</D:href>", xml::esc(&card_href(user, Book::Team, &name))),
            "another card already has this UID",
        ),
        DavError::BadCard(m) => precondition(StatusCode::BAD_REQUEST, CARDDAV, "valid-address-data", "", &m),
        DavError::InvalidSyncToken => precondition(
            StatusCode::FORBIDDEN,
            DAV,
            "valid-sync-token",
            "",
            "this sync token is not valid here; sync again from the start",
        ),
    }
}

/// The Basic credentials of a request, if any (undecodable ones count as none).
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") || b64.len() > 4096 {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

async fn body_bytes(body: Body, limit: usize) -> Result<axum::body::Bytes, Response> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| text(StatusCode::PAYLOAD_TOO_LARGE, format!("the request body is larger than {limit} bytes")))
}

/// Every request under `/dav`.
pub async fn handle(State(st): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let method = parts.method.clone();
    if method == Method::OPTIONS {
        return (StatusCode::OK, [(header::ALLOW, ALLOW), (HeaderName::from_static("dav"), "1, 3, addressbook")])
            .into_response();
    }
    let Some(target) = parse_path(parts.uri.path()) else {
        return text(StatusCode::NOT_FOUND, "no such CardDAV resource");
    };
    let Some((user, password)) = basic(&parts.headers) else {
        return unauthorized("sign in with your cardcrm username and an app password (Profile → App passwords)");
    };
    let ip = app::session::client_ip(&parts.extensions);
    let actor = match service::accounts::app_passwords::authenticate(&st.svc, &user, &password, &ip).await {
        Ok(a) => a,
        Err(AppError::Unauthorized(m)) => return unauthorized(&m),
        Err(e) => return app_error(e),
    };
    if let Some(resp) = crate::limits::over_user_api_limit(&st, actor.user_id).await {
        return resp;
    }
    // The paths of another user are not this user's to browse (the contacts are the same anyway).
    let owner = match &target {
        Target::Principal(u) | Target::Home(u) | Target::Book(u, _) | Target::Card(u, _, _) => Some(u.as_str()),
        _ => None,
    };
    if owner.is_some_and(|u| u != actor.username) {
        return text(StatusCode::FORBIDDEN, "these are another user's CardDAV paths; use your own");
    }
    // The user's books: the team's and the groups they chose. Any other group's book is not here.
    let mut groups = Vec::new();
    match &target {
        Target::Home(_) => match dav_books::shared(&st.svc, &actor).await {
            Ok(g) => groups = g,
            Err(e) => return app_error(e),
        },
        Target::Book(_, Book::Group(id)) | Target::Card(_, Book::Group(id), _) => {
            match dav_books::shared_group(&st.svc, &actor, *id).await {
                Ok(Some(g)) => groups.push(g),
                Ok(None) => {
                    return text(StatusCode::NOT_FOUND, "no such address book: choose the group on your profile page")
                }
                Err(e) => return app_error(e),
            }
        }
        _ => {}
    }
    let ctx = Ctx { st: &st, actor: &actor, headers: &parts.headers, groups };
    match method.as_str() {
        "PROPFIND" => match body_bytes(body, xml::MAX_XML_BYTES).await {
            Ok(b) => ctx.propfind(&target, &b).await,
            Err(r) => r,
        },
        "REPORT" => match body_bytes(body, xml::MAX_XML_BYTES).await {
            Ok(b) => ctx.report(&target, &b).await,
            Err(r) => r,
        },
        "GET" | "HEAD" => ctx.get(&target, method == Method::HEAD).await,
        "PUT" => match body_bytes(body, carddav::MAX_CARD_BYTES).await {
            Ok(b) => ctx.put(&target, &b).await,
            Err(r) => r,
        },
        "DELETE" => ctx.delete(&target).await,
        "PROPPATCH" | "MKCOL" | "MKCALENDAR" | "COPY" | "MOVE" | "LOCK" | "UNLOCK" | "POST" | "ACL" => {
            text(StatusCode::FORBIDDEN, format!("{method} is not allowed here: the address book is managed by cardcrm"))
        }
        _ => {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, format!("{method} is not supported"));
            r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(ALLOW));
            r
        }
    }
}

use axum::http::HeaderName;

struct Ctx<'a> {
    st: &'a AppState,
    actor: &'a Actor,
    headers: &'a HeaderMap,
    /// The groups whose books this request may name (their names are the books' names).
    groups: Vec<service::dto::GroupRef>,
}

/// A property name asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PName {
    ns: String,
    name: String,
}

impl PName {
    fn new(ns: &str, name: &str) -> Self {
        PName { ns: ns.into(), name: name.into() }
    }
}

/// What a PROPFIND asked for.
enum Ask {
    All,
    Names,
    Props(Vec<PName>),
}

fn props_of(el: Option<&El>) -> Vec<PName> {
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

/// One `<D:response>`: found properties (already rendered) and the names of missing ones.
fn response(href: &str, found: &[String], missing: &[PName]) -> String {
    let mut s = format!("<D:response><D:href>{}</D:href>", xml::esc(href));
    if !found.is_empty() {
        s.push_str("<D:propstat><D:prop>");
        for f in found {
            s.push_str(f);
        }
        s.push_str("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>");
    }
    if !missing.is_empty() {
        s.push_str("<D:propstat><D:prop>");
        for m in missing {
            s.push_str(&xml::empty(&m.ns, &m.name));
        }
        s.push_str("</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>");
    }
    if found.is_empty() && missing.is_empty() {
        s.push_str("<D:propstat><D:prop/><D:status>HTTP/1.1 200 OK</D:status></D:propstat>");
    }
    s.push_str("</D:response>");
    s
}

fn status_response(href: &str, status: &str) -> String {
    format!("<D:response><D:href>{}</D:href><D:status>HTTP/1.1 {status}</D:status></D:response>", xml::esc(href))
}

fn multistatus(body: String) -> Response {
    let mut s = String::with_capacity(body.len() + 256);
    s.push_str(xml::MULTISTATUS_OPEN);
    s.push_str(&body);
    s.push_str(xml::MULTISTATUS_CLOSE);
    (StatusCode::MULTI_STATUS, [(header::CONTENT_TYPE, "application/xml; charset=utf-8")], s).into_response()
}

const READ_PRIVS: &str = "<D:current-user-privilege-set><D:privilege><D:read/></D:privilege>\
    <D:privilege><D:read-current-user-privilege-set/></D:privilege></D:current-user-privilege-set>";
const WRITE_PRIVS: &str = "<D:current-user-privilege-set><D:privilege><D:read/></D:privilege>\
    <D:privilege><D:read-current-user-privilege-set/></D:privilege><D:privilege><D:write/></D:privilege>\
    <D:privilege><D:write-content/></D:privilege><D:privilege><D:bind/></D:privilege>\
    <D:privilege><D:unbind/></D:privilege></D:current-user-privilege-set>";

/// The parameters a `vCard` is rendered with: version from `address-data` or `Accept`.
fn asked_version(el: Option<&El>, headers: &HeaderMap) -> carddav::VcardVersion {
    let from_body = el.and_then(|e| e.attr("version")).map(str::to_string);
    let from_accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.contains("text/vcard") && v.contains("version=4.0"))
        .map(|_| "4.0".to_string());
    carddav::version_for(from_body.or(from_accept).as_deref())
}

fn content_type(v: carddav::VcardVersion) -> &'static str {
    match v {
        carddav::VcardVersion::V4 => "text/vcard; charset=utf-8; version=4.0",
        _ => "text/vcard; charset=utf-8",
    }
}

impl Ctx<'_> {
    fn user(&self) -> &str {
        &self.actor.username
    }

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

    fn card_response(&self, book: Book, m: &Member, ask: &Ask, card: Option<&str>) -> String {
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

    async fn propfind(&self, t: &Target, body: &[u8]) -> Response {
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

    async fn report(&self, t: &Target, body: &[u8]) -> Response {
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

    async fn get(&self, t: &Target, head: bool) -> Response {
        let Target::Card(_, book, name) = t else {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "GET reads a card; use PROPFIND or REPORT on collections");
            r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("OPTIONS, PROPFIND, REPORT"));
            return r;
        };
        let version = asked_version(None, self.headers);
        match carddav::card(&self.st.svc, *book, name, version).await {
            Ok(Some(c)) => {
                let mut r =
                    if head { Response::new(Body::empty()) } else { Response::new(Body::from(c.vcard.clone())) };
                let h = r.headers_mut();
                h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(version)));
                if let Ok(v) = HeaderValue::from_str(&c.member.etag) {
                    h.insert(header::ETAG, v);
                }
                if head {
                    h.insert(header::CONTENT_LENGTH, HeaderValue::from(c.vcard.len()));
                }
                r
            }
            Ok(None) => text(StatusCode::NOT_FOUND, "no such card"),
            Err(e) => app_error(e),
        }
    }

    fn conditions(&self) -> Conditions {
        let h = |n: header::HeaderName| self.headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
        Conditions { if_match: h(header::IF_MATCH), if_none_match: h(header::IF_NONE_MATCH) }
    }

    async fn put(&self, t: &Target, body: &[u8]) -> Response {
        let Target::Card(_, book, name) = t else {
            return text(
                StatusCode::METHOD_NOT_ALLOWED,
                "PUT writes a card: /dav/addressbooks/<you>/contacts/<name>.vcf",
            );
        };
        let ct = self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("text/vcard");
        let ct_ok = ["text/vcard", "text/x-vcard", "text/directory", "application/octet-stream", "text/plain"]
            .iter()
            .any(|t| ct.trim().to_ascii_lowercase().starts_with(t));
        if !ct_ok {
            return precondition(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                CARDDAV,
                "supported-address-data",
                "",
                "send the card as text/vcard",
            );
        }
        match carddav::put(&self.st.svc, self.actor, *book, name, body, &self.conditions()).await {
            // No ETag in the answer: the stored card is cardcrm's rendering, not the bytes sent,
            // so the client must read it back (RFC 6352 §6.3.2.3).
            Ok(carddav::Put::Created(_)) => StatusCode::CREATED.into_response(),
            Ok(carddav::Put::Updated(_)) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => dav_error(e, self.user()),
        }
    }

    async fn delete(&self, t: &Target) -> Response {
        let Target::Card(_, book, name) = t else {
            return text(StatusCode::FORBIDDEN, "collections cannot be deleted; delete cards one by one");
        };
        let if_match = self.headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok());
        match carddav::delete(&self.st.svc, self.actor, *book, name, if_match).await {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => dav_error(e, self.user()),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(parse_path("/dav"), Some(Target::Root));
        assert_eq!(parse_path("/dav/"), Some(Target::Root));
        assert_eq!(parse_path("/davx"), None);
        assert_eq!(parse_path("/dav/principals/anna/"), Some(Target::Principal("anna".into())));
        assert_eq!(
            parse_path("/dav/addressbooks/anna/contacts/a%20b.vcf"),
            Some(Target::Card("anna".into(), Book::Team, "a b.vcf".into()))
        );
        assert_eq!(parse_path("/dav/addressbooks/anna/contacts/x/y"), None);
        assert_eq!(parse_path("/dav/addressbooks/anna/contacts/%ff"), None);
        assert_eq!(parse_path("/dav/addressbooks/anna/group-7/"), Some(Target::Book("anna".into(), Book::Group(7))));
        assert_eq!(
            parse_path("/dav/addressbooks/anna/group-7/x.vcf"),
            Some(Target::Card("anna".into(), Book::Group(7), "x.vcf".into()))
        );
        assert_eq!(parse_path("/dav/addressbooks/anna/other/"), None);
        assert_eq!(parse_path("/dav/addressbooks/anna/group-0/"), None);
        assert_eq!(card_href("anna", Book::Team, "a b/c.vcf"), "/dav/addressbooks/anna/contacts/a%20b%2Fc.vcf");
        assert_eq!(card_href("anna", Book::Group(7), "x.vcf"), "/dav/addressbooks/anna/group-7/x.vcf");
    }
}
