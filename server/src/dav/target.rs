//! What a request path names, and the hrefs of the resources.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use service::transfer::carddav::Book;
use service::transfer::dav_books;

/// Characters kept as they are in a resource name within an href.
const NAME_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'@');

/// What a request path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    Root,
    Principals,
    Principal(String),
    Home(String),
    Book(String, Book),
    Card(String, Book, String),
}

pub(super) fn parse_path(path: &str) -> Option<Target> {
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

pub(super) fn principal_href(user: &str) -> String {
    format!("/dav/principals/{}/", utf8_percent_encode(user, NAME_SET))
}
pub(super) fn home_href(user: &str) -> String {
    format!("/dav/addressbooks/{}/", utf8_percent_encode(user, NAME_SET))
}
pub(super) fn book_href(user: &str, book: Book) -> String {
    format!("{}{}/", home_href(user), dav_books::segment(book))
}
pub(super) fn card_href(user: &str, book: Book, name: &str) -> String {
    format!("{}{}", book_href(user, book), utf8_percent_encode(name, NAME_SET))
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
