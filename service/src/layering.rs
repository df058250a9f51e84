//! The rule of the crate's layout (see the top of `lib.rs`): a domain's sources name only the
//! domains below it. Reads every `.rs` file under `src/<domain>/` and collects the domains it
//! reaches through `crate::…` paths (also inside `use crate::{…}` groups), comments left out.

use std::path::Path;

/// Lowest first; domains on one level may not use each other.
const LAYERS: &[&[&str]] = &[
    &["platform"],
    &["accounts"],
    &["search"],
    &["contacts"],
    &["duplicates"],
    &["scans", "transfer"],
    &["integrations"],
    &["admin"],
];

fn level(domain: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&domain))
}

fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The first path segment of each top-level item of a `{…}` group that starts `s` (after `{`).
fn group_heads(s: &str, out: &mut Vec<String>) {
    let mut depth = 0usize;
    let mut start = true;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return,
            '}' => depth -= 1,
            ',' if depth == 0 => start = true,
            c if start && !c.is_whitespace() => {
                if depth == 0 {
                    out.push(ident(&s[i..]).to_string());
                }
                start = false;
            }
            _ => {}
        }
    }
}

/// Every domain (first segment after `crate::`) the code of `source` names.
fn reached(source: &str) -> Vec<String> {
    let code: String = source
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| l.split(" // ").next().unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            group_heads(group, &mut out);
        } else {
            out.push(ident(rest).to_string());
        }
    }
    out
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src dir") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn parses_paths_and_groups() {
    let src = "use crate::{platform::audit, contacts, Actor};\n// crate::admin in a comment\nlet x = crate::search::hits(y); // crate::scans\n";
    assert_eq!(reached(src), ["platform", "contacts", "Actor", "search"]);
}

#[test]
fn each_domain_uses_only_the_domains_below_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    let mut seen = 0;
    for domain in LAYERS.iter().flat_map(|l| l.iter()) {
        let mine = level(domain).expect("a layer");
        let mut files = Vec::new();
        sources(&root.join(domain), &mut files);
        assert!(!files.is_empty(), "no sources under src/{domain}");
        for f in files {
            seen += 1;
            let text = std::fs::read_to_string(&f).expect("read source");
            for other in reached(&text) {
                if other == *domain {
                    continue;
                }
                if let Some(theirs) = level(&other) {
                    if theirs >= mine {
                        wrong.push(format!("{} uses crate::{other}", f.strip_prefix(&root).unwrap_or(&f).display()));
                    }
                }
            }
        }
    }
    assert!(seen > 30, "only {seen} files read");
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "a domain uses one beside or above it:\n{}", wrong.join("\n"));
}
