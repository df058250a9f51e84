//! Where to go after signing in: the `next=` parameter of `/login`. Only a path on this site is
//! followed — on the server (the no-JavaScript form's redirect) and in the hydrated page alike —
//! so a crafted link cannot send a freshly signed-in user to a script (`javascript:…`) or to
//! another site (`//evil.example`, `/\evil.example`, tab/newline tricks, percent-encoded forms).

/// The longest `next` path followed; anything longer falls back to `/`.
const MAX_NEXT: usize = 2048;

/// `raw` when it is a same-origin path (`/…`, not `//…` or `/\…`, printable ASCII only, no
/// backslash anywhere, and the same once percent-decoded), else `/`.
pub fn safe_next(raw: Option<&str>) -> String {
    match raw {
        Some(p) if is_local_path(p) => p.to_string(),
        _ => "/".to_string(),
    }
}

fn is_local_path(p: &str) -> bool {
    if p.len() > MAX_NEXT || !plain_path(p) {
        return false;
    }
    // Decoded once more, the path must still be plain: `/%2F%2Fevil.example`, `/%5Cevil.example`,
    // `/%09/evil.example` are refused rather than reasoned about.
    match percent_decode(p) {
        Some(decoded) => decoded_path_is_local(&decoded),
        None => false,
    }
}

/// The percent-decoded form: still one leading `/` and no `\` or control characters anywhere
/// (spaces and non-ASCII letters, encoded in the raw form, are fine).
fn decoded_path_is_local(p: &str) -> bool {
    let b = p.as_bytes();
    if b.first() != Some(&b'/') || matches!(b.get(1), Some(b'/') | Some(b'\\')) {
        return false;
    }
    !p.chars().any(|c| c == '\\' || c.is_control())
}

/// Starts with one `/` (the second character is neither `/` nor `\`), and holds only visible
/// ASCII other than `\` (browsers drop tabs and newlines and read `\` as `/`).
fn plain_path(p: &str) -> bool {
    let b = p.as_bytes();
    if b.first() != Some(&b'/') || matches!(b.get(1), Some(b'/') | Some(b'\\')) {
        return false;
    }
    b.iter().all(|&c| (0x21..0x7f).contains(&c) && c != b'\\')
}

fn percent_decode(p: &str) -> Option<String> {
    let b = p.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let s = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(s, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The sign-in page that comes back to `path` (a path with its query) afterwards.
pub fn login_url(path: &str) -> String {
    if path == "/" || !is_local_path(path) {
        "/login".to_string()
    } else {
        format!("/login?next={}", crate::components::encode(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_paths_are_followed() {
        for p in
            ["/", "/contacts/12", "/?tag=VIP&page=2", "/duplicates/merge?ids=1,2", "/?q=John%20Smith", "/?q=%D0%90"]
        {
            assert_eq!(safe_next(Some(p)), p, "{p}");
        }
    }

    #[test]
    fn everything_else_goes_home() {
        for p in [
            "javascript:fetch('/api/v1/auth/me')",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%09/evil.example",
            "/%zz",
            "/a\\b",
            "/caf\u{e9}",
            "",
            "contacts",
        ] {
            assert_eq!(safe_next(Some(p)), "/", "{p:?} must not be followed");
        }
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(MAX_NEXT)))), "/");
    }

    #[test]
    fn login_urls_carry_the_path_encoded() {
        assert_eq!(login_url("/"), "/login");
        assert_eq!(login_url("/contacts/5"), "/login?next=%2Fcontacts%2F5");
        assert_eq!(login_url("/?q=a b"), "/login");
        assert_eq!(login_url("//evil.example"), "/login");
    }
}
