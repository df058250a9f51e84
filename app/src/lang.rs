//! The UI languages (English, Russian, German): the translations in `app/locales/*.json`, compiled
//! in by leptos_i18n, the language switch, and plural forms for counts.
//!
//! The locale is the `i18n_pref_locale` cookie when set, else the best match for the browser's
//! `Accept-Language`, else English; the provider in `App` writes it to `<html lang>`. The switch
//! stores the cookie and reloads the page, so every text (also those computed once) follows.

#[allow(deprecated)] // the build-script code generation does the same at the price of a build dependency
mod generated {
    leptos_i18n::load_locales!();
}

pub use generated::i18n::*;
use leptos::prelude::*;
use service::dto::ContactField;

/// The translation context (`use_i18n()`), for helpers that take it as an argument.
pub type I18n = leptos_i18n::I18nContext<Locale>;

/// The cookie leptos_i18n reads the chosen locale from (its default name).
const COOKIE: &str = "i18n_pref_locale";

/// Each language as its speakers write it.
fn native_name(l: Locale) -> &'static str {
    match l {
        Locale::en => "English",
        Locale::ru => "Русский",
        Locale::de => "Deutsch",
    }
}

/// The grammatical number a count takes: English and German know one/other, Russian one/few/many.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Plural {
    One,
    Few,
    Many,
}

pub fn plural(locale: Locale, n: u64) -> Plural {
    match locale {
        Locale::ru => match (n % 10, n % 100) {
            (1, r) if r != 11 => Plural::One,
            (2..=4, r) if !(12..=14).contains(&r) => Plural::Few,
            _ => Plural::Many,
        },
        _ if n == 1 => Plural::One,
        _ => Plural::Many,
    }
}

/// Puts values into a translated text: each `{name}` becomes its value. (leptos_i18n's own
/// `{{ name }}` interpolation in strings needs its build-script code generation; this keeps the
/// translations plain strings.)
pub fn fill_in(template: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |text, (name, value)| text.replace(&format!("{{{name}}}"), &value.to_string()))
}

/// A count with its noun in the current language: `count_text!(i18n, n, contacts_one,
/// contacts_few, contacts_many)` picks one of those keys under `count` (each with `{count}`).
macro_rules! count_text {
    ($i18n:ident, $n:expr, $one:ident, $few:ident, $many:ident) => {{
        let n: u64 = $n as u64;
        let template = match $crate::lang::plural($i18n.get_locale_untracked(), n) {
            $crate::lang::Plural::One => $crate::lang::t_string!($i18n, count.$one),
            $crate::lang::Plural::Few => $crate::lang::t_string!($i18n, count.$few),
            $crate::lang::Plural::Many => $crate::lang::t_string!($i18n, count.$many),
        };
        $crate::lang::fill_in(template, &[("count", &n)])
    }};
}
pub(crate) use count_text;

/// Stores the chosen language for this browser and reloads the page in it.
#[cfg(feature = "hydrate")]
fn choose(code: &str) {
    let cookie = format!("{COOKIE}={code}; Path=/; Max-Age=31536000; SameSite=Lax");
    let _ = js_sys::Reflect::set(&document(), &"cookie".into(), &cookie.into());
    let _ = window().location().reload();
}

#[cfg(not(feature = "hydrate"))]
fn choose(_: &str) {
    let _ = COOKIE;
}

/// The language switch: a small select, in the top bar and on the sign-in pages.
#[component]
pub fn LanguageSwitch(#[prop(optional)] class: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let current = i18n.get_locale_untracked();
    view! {
        <select
            name="lang"
            class=format!("lang-switch {class}")
            aria-label=move || t_string!(i18n, nav.language)
            title=move || t_string!(i18n, nav.language)
            on:change=move |ev| choose(&event_target_value(&ev))
        >
            {Locale::get_all().iter().map(|l| {
                let l = *l;
                view! { <option value=l.as_str() selected=l == current>{native_name(l)}</option> }
            }).collect_view()}
        </select>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_plurals() {
        let forms: Vec<Plural> =
            [0, 1, 2, 4, 5, 11, 12, 21, 22, 25, 101, 111].iter().map(|n| plural(Locale::ru, *n)).collect();
        use Plural::*;
        assert_eq!(forms, [Many, One, Few, Few, Many, Many, Many, One, Few, Many, One, Many]);
        assert_eq!(plural(Locale::de, 1), One);
        assert_eq!(plural(Locale::en, 0), Many);
    }

    /// Every `{name}` of a text appears in each language's version of it (a typo would show the
    /// placeholder to the user instead of the value).
    #[test]
    fn translations_have_the_same_placeholders() {
        fn placeholders(text: &str) -> Vec<&str> {
            let mut names: Vec<&str> =
                text.split('{').skip(1).filter_map(|s| s.split_once('}')).map(|(n, _)| n).collect();
            names.sort_unstable();
            names
        }
        fn flat(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
            match v {
                serde_json::Value::Object(m) => m.iter().for_each(|(k, v)| flat(&format!("{prefix}.{k}"), v, out)),
                other => out.push((prefix.to_string(), other.as_str().unwrap_or_default().to_string())),
            }
        }
        let load = |text: &str| {
            let mut out = Vec::new();
            flat("", &serde_json::from_str(text).expect("locale file is JSON"), &mut out);
            out.sort();
            out
        };
        let en = load(include_str!("../locales/en.json"));
        for other in [load(include_str!("../locales/ru.json")), load(include_str!("../locales/de.json"))] {
            assert_eq!(en.len(), other.len());
            for ((key, a), (key2, b)) in en.iter().zip(&other) {
                assert_eq!(key, key2);
                assert_eq!(placeholders(a), placeholders(b), "{key}");
                assert!(!b.trim().is_empty(), "{key} is empty");
            }
        }
    }
}

/// A contact field's label in the current language (`None` for a field name it does not know).
pub fn field_label(l: Locale, field: &str) -> Option<&'static str> {
    if let Some(f) = ContactField::parse(field) {
        return text_field_label(l, f);
    }
    Some(match field {
        "phone" => td_string!(l, field.phone),
        "phones" => td_string!(l, field.phones),
        "email" => td_string!(l, field.email),
        "emails" => td_string!(l, field.emails),
        _ => return None,
    })
}

/// A text field's label in the current language; the full name has none (the forms show its
/// parts, the pages the name itself).
pub fn text_field_label(l: Locale, f: ContactField) -> Option<&'static str> {
    use ContactField as F;
    Some(match f {
        F::Prefix => td_string!(l, field.prefix),
        F::FirstName => td_string!(l, field.first_name),
        F::MiddleName => td_string!(l, field.middle_name),
        F::LastName => td_string!(l, field.last_name),
        F::FullName => return None,
        F::Company => td_string!(l, field.company),
        F::Position => td_string!(l, field.position),
        F::Department => td_string!(l, field.department),
        F::Website => td_string!(l, field.website),
        F::Address => td_string!(l, field.address),
        F::Notes => td_string!(l, field.notes),
    })
}
