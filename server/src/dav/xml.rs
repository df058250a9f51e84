//! The little XML CardDAV needs: request bodies read into a small namespace-resolved tree (with
//! caps on size, depth and element count, no DTDs, so no entity expansion), and answers written
//! as text with escaping.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

pub const DAV: &str = "DAV:";
pub const CARDDAV: &str = "urn:ietf:params:xml:ns:carddav";
pub const CALSERVER: &str = "http://calendarserver.org/ns/";

/// Largest XML request body read (a multiget of 1,000 hrefs is about 100 KB).
pub const MAX_XML_BYTES: usize = 512 * 1024;
const MAX_DEPTH: usize = 32;
const MAX_ELEMENTS: usize = 20_000;

/// An element: namespace, local name, attributes (by local name), children and its own text.
#[derive(Clone, Debug, Default)]
pub struct El {
    pub ns: String,
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<El>,
    pub text: String,
}

impl El {
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }
    pub fn child(&self, ns: &str, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.is(ns, name))
    }
    pub fn all<'a>(&'a self, ns: &'a str, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn namespace(r: &ResolveResult<'_>) -> Result<String, String> {
    match r {
        ResolveResult::Bound(ns) => Ok(ns.into_inner().to_string()),
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Unknown(p) => Err(format!("unknown namespace prefix '{p}'")),
    }
}

fn element(ns: String, e: &quick_xml::events::BytesStart<'_>) -> Result<El, String> {
    let name = e.local_name().as_ref().to_string();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| format!("bad attribute: {e}"))?;
        let key = a.key.local_name().as_ref().to_string();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| format!("bad attribute value: {e}"))?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(El { ns, name, attrs, children: Vec::new(), text: String::new() })
}

/// Parses a request body into its root element. Errors say what is wrong (a 400 for the client).
pub fn parse(body: &[u8]) -> Result<El, String> {
    if body.len() > MAX_XML_BYTES {
        return Err(format!("the XML body is larger than {MAX_XML_BYTES} bytes"));
    }
    let text = std::str::from_utf8(body).map_err(|_| "the XML body is not UTF-8".to_string())?;
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<El> = Vec::new();
    let mut root: Option<El> = None;
    let mut count = 0usize;
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|e| format!("malformed XML: {e}"))?;
        let ns = match &event {
            Event::Start(_) | Event::Empty(_) => Some(namespace(&ns)?),
            _ => None,
        };
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                let _ = e;
                return Err("content after the root element".into());
            }
            Event::Start(e) => {
                count += 1;
                if count > MAX_ELEMENTS || stack.len() >= MAX_DEPTH {
                    return Err("the XML body is too large or too deeply nested".into());
                }
                stack.push(element(ns.unwrap_or_default(), &e)?);
            }
            Event::Empty(e) => {
                count += 1;
                if count > MAX_ELEMENTS || stack.len() >= MAX_DEPTH {
                    return Err("the XML body is too large or too deeply nested".into());
                }
                let el = element(ns.unwrap_or_default(), &e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else { return Err("unbalanced end tag".into()) };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.xml10_content());
                } else if !t.xml10_content().trim().is_empty() {
                    return Err("text outside the root element".into());
                }
            }
            Event::CData(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let ch = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(|e| format!("bad character reference: {e}"))?
                } else {
                    match r.into_inner().as_ref() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        other => return Err(format!("unknown entity '&{other};'")),
                    }
                };
                if let (Some(el), Some(c)) = (stack.last_mut(), ch) {
                    el.text.push(c);
                }
            }
            Event::DocType(_) => return Err("document type declarations are not accepted".into()),
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err("the XML body ends inside an element".into());
    }
    root.ok_or_else(|| "the XML body has no element".into())
}

/// Text escaped for an element or an attribute value.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The prefix used for a namespace in answers, or `None` for one written with a local `xmlns`.
pub fn prefix(ns: &str) -> Option<&'static str> {
    match ns {
        DAV => Some("D"),
        CARDDAV => Some("C"),
        CALSERVER => Some("CS"),
        _ => None,
    }
}

/// An empty element for a property name (as listed under a 404 propstat).
pub fn empty(ns: &str, name: &str) -> String {
    match prefix(ns) {
        Some(p) => format!("<{p}:{name}/>"),
        None => format!("<{name} xmlns=\"{}\"/>", esc(ns)),
    }
}

/// The opening of every multistatus answer.
pub const MULTISTATUS_OPEN: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\" \
    xmlns:C=\"urn:ietf:params:xml:ns:carddav\" xmlns:CS=\"http://calendarserver.org/ns/\">";
pub const MULTISTATUS_CLOSE: &str = "</D:multistatus>\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_entities_and_refuses_dtds() {
        let el = parse(
            br#"<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:x="urn:x"><d:prop><d:getetag/><x:odd/></d:prop><d:href>a&amp;b&#33;</d:href></d:propfind>"#,
        )
        .unwrap();
        assert!(el.is(DAV, "propfind"));
        let prop = el.child(DAV, "prop").unwrap();
        assert!(prop.children[0].is(DAV, "getetag"));
        assert!(prop.children[1].is("urn:x", "odd"));
        assert_eq!(el.child(DAV, "href").unwrap().text, "a&b!");
        assert!(parse(b"<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>").is_err());
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"<p:x/>").is_err());
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn escapes() {
        assert_eq!(esc("a<b>&\"'\u{1}"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(empty("urn:x", "y"), "<y xmlns=\"urn:x\"/>");
    }
}
