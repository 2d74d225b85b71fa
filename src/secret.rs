//! The API token: readable only through `expose`, never through Debug or Display; and the
//! redaction of anything that could carry it into a text: the token itself, in any case, and the
//! query values and user info of URLs.

use reqwest::Url;
use serde::Deserialize;

#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value.trim().to_owned())
    }

    pub fn expose(&self) -> &str {
        self.0.trim()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Replaces every occurrence of the secret in `text`, in any case (a server message may echo the
/// header; a host name is written lower-cased).
pub fn redact(text: &str, secret: Option<&Secret>) -> String {
    let Some(secret) = secret.map(Secret::expose).filter(|s| s.len() >= 4) else {
        return text.to_owned();
    };
    let (lower_text, lower_secret) = (text.to_ascii_lowercase(), secret.to_ascii_lowercase());
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    // ASCII lower-casing keeps every byte where it was, so positions carry over.
    for (at, _) in lower_text.match_indices(&lower_secret) {
        if at >= rest {
            out.push_str(&text[rest..at]);
            out.push_str("***");
            rest = at + secret.len();
        }
    }
    out.push_str(&text[rest..]);
    out
}

/// A URL as reports and messages show it: user info and query values replaced by `***`, no
/// fragment, since any of them may hold a token.
pub fn shown(url: &Url) -> String {
    let mut url = url.clone();
    if !url.username().is_empty() {
        let _ = url.set_username("***");
    }
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    if url.query().is_some() {
        let keys: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(keys.iter().map(|k| (k.as_str(), "***")));
    }
    url.set_fragment(None);
    url.to_string()
}

/// Text that was meant to be a URL, as messages show it: [`shown`] if it is one, else cut before
/// a query or fragment, with any user info hidden.
pub fn shown_raw(raw: &str) -> String {
    if let Ok(url) = Url::parse(raw.trim()) {
        return shown(&url);
    }
    let cut = raw.find(['?', '#']).map_or(raw, |i| &raw[..i]);
    match (cut.find("://"), cut.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}***{}", &cut[..scheme + 3], &cut[at..])
        }
        _ => cut.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_redacted_in_any_case() {
        let secret = Secret::new("dt0c01.ABCDEF.secret".into());
        assert_eq!(
            redact(
                "header Api-Token dt0c01.ABCDEF.secret; host dt0c01.abcdef.secret.example",
                Some(&secret)
            ),
            "header Api-Token ***; host ***.example"
        );
        assert_eq!(redact("nothing", Some(&secret)), "nothing");
        assert_eq!(redact("abc", Some(&Secret::new("ab".into()))), "abc");
    }

    #[test]
    fn urls_are_shown_without_query_values_user_info_or_fragment() {
        let url = Url::parse("https://user:pw@dt.example.com/e/x/api?Api-Token=dt0c01.X&a=1#frag")
            .unwrap();
        assert_eq!(
            shown(&url),
            "https://***:***@dt.example.com/e/x/api?Api-Token=***&a=***"
        );
        let plain = Url::parse("https://abc.live.dynatrace.com/api/v2/metrics/ingest").unwrap();
        assert_eq!(shown(&plain), plain.as_str());
        assert_eq!(shown_raw("ht!tp://x?api-token=dt0c01.X"), "ht!tp://x");
        assert_eq!(
            shown_raw("not a url://user:pw@host/x?token=1"),
            "not a url://***@host/x"
        );
    }
}
