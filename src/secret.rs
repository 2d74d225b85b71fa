//! The API token: readable only through `expose`, never through Debug or Display; and the
//! redaction of anything that could carry it into a text: the token itself in any case, any
//! fragment of it long enough to matter (an echo cut short, its public ID or secret part alone,
//! a `.` written as `%2E`), and the query values and user info of URLs. Once the run knows the
//! token ([`remember`]), every URL shown ([`shown`]) is redacted too, wherever it is shown.

use std::collections::HashSet;
use std::sync::Mutex;

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

/// The shortest piece of the token that is redacted on its own. A Dynatrace token is
/// `dt0c01.` + a 24-character public ID + `.` + a 64-character secret: any 8 characters of it
/// found in a text mean the text holds (part of) the token, and 8 characters are too few to
/// narrow down either part.
const FRAGMENT: usize = 8;

/// Characters a token's pieces are made of; a run of them in a text that holds a piece of the
/// token is redacted whole.
fn word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-')
}

/// Redacts every occurrence of the secret in `text`, in any case (a server message may echo the
/// header; a host name is written lower-cased), and every run of token characters that holds
/// [`FRAGMENT`] characters of it in a row: a message cut inside the token, or its parts alone.
pub fn redact(text: &str, secret: Option<&Secret>) -> String {
    let Some(secret) = secret.map(Secret::expose).filter(|s| s.len() >= 4) else {
        return text.to_owned();
    };
    let whole = redact_whole(text, secret);
    let fragments = fragments(secret);
    if fragments.is_empty() {
        return whole;
    }
    let bytes = whole.as_bytes();
    let mut out = String::with_capacity(whole.len());
    let (mut copied, mut at) = (0, 0);
    while at < bytes.len() {
        if !word(bytes[at]) {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && word(bytes[at]) {
            at += 1;
        }
        // Runs are ASCII, so their ends are character boundaries.
        let run = whole[start..at].to_ascii_lowercase();
        let holds_fragment = run.len() >= FRAGMENT
            && (0..=run.len() - FRAGMENT).any(|i| fragments.contains(&run[i..i + FRAGMENT]));
        if holds_fragment {
            out.push_str(&whole[copied..start]);
            out.push_str("***");
            copied = at;
        }
    }
    out.push_str(&whole[copied..]);
    out
}

fn redact_whole(text: &str, secret: &str) -> String {
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

/// Every [`FRAGMENT`] characters in a row of the secret's runs of token characters, lower-cased.
fn fragments(secret: &str) -> HashSet<String> {
    let lower = secret.to_ascii_lowercase();
    lower
        .as_bytes()
        .split(|&b| !word(b))
        .filter(|run| run.len() >= FRAGMENT)
        .flat_map(|run| run.windows(FRAGMENT))
        .map(|window| String::from_utf8_lossy(window).into_owned())
        .collect()
}

/// The tokens this run knows, so that every URL shown is redacted wherever it is shown.
static KNOWN: Mutex<Vec<Secret>> = Mutex::new(Vec::new());

/// Makes `secret` known: from now on [`shown`] and [`shown_raw`] redact it.
pub fn remember(secret: &Secret) {
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    if !known.iter().any(|s| s.expose() == secret.expose()) {
        known.push(secret.clone());
    }
}

fn redact_known(text: String) -> String {
    let known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    known
        .iter()
        .fold(text, |text, secret| redact(&text, Some(secret)))
}

/// A URL as reports and messages show it: user info and query values replaced by `***`, no
/// fragment, since any of them may hold a token; and a known token anywhere else (a path) as
/// `***` too.
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
    redact_known(url.to_string())
}

/// Text that was meant to be a URL, as messages show it: [`shown`] if it is one, else cut before
/// a query or fragment, with any user info and known token hidden.
pub fn shown_raw(raw: &str) -> String {
    if let Ok(url) = Url::parse(raw.trim()) {
        return shown(&url);
    }
    let cut = raw.find(['?', '#']).map_or(raw, |i| &raw[..i]);
    redact_known(match (cut.find("://"), cut.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}***{}", &cut[..scheme + 3], &cut[at..])
        }
        _ => cut.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.0123456789abcdef0123456789abcdef";

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
    fn fragments_of_the_token_are_redacted_too() {
        let secret = Secret::new(TOKEN.into());
        let redacted = |text: &str| redact(text, Some(&secret));
        // Cut inside the token, at every place: nothing of 8 characters or more remains.
        for cut in 0..TOKEN.len() {
            let text = format!("Api-Token {}", &TOKEN[..cut]);
            let shown = redacted(&text);
            for piece in TOKEN.as_bytes().windows(FRAGMENT) {
                let piece = std::str::from_utf8(piece).unwrap().to_ascii_lowercase();
                assert!(!shown.to_ascii_lowercase().contains(&piece), "{shown}");
            }
        }
        assert_eq!(
            redacted("public ID ABCDEFGHIJKLMNOPQRSTUVWX, secret 0123456789abcdef0123456789abcdef"),
            "public ID ***, secret ***"
        );
        assert_eq!(
            redacted("dt0c01%2EABCDEFGHIJKLMNOPQRSTUVWX%2E0123456789abcdef0123456789abcdef!"),
            "dt0c01%***%***!"
        );
        assert_eq!(
            redacted("metric keptn.x_metric changed to keptn.x_metric.gauge at line 3"),
            "metric keptn.x_metric changed to keptn.x_metric.gauge at line 3"
        );
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

    #[test]
    fn a_known_token_is_hidden_in_every_url_shown() {
        let secret = Secret::new("dt0c01.KNOWNINAPATH.SECRETPART".into());
        let url =
            Url::parse("https://gw.example.com/t/dt0c01.KNOWNINAPATH.SECRETPART/api").unwrap();
        remember(&secret);
        assert_eq!(shown(&url), "https://gw.example.com/t/***/api");
        assert_eq!(
            shown_raw("gw.example.com/t/dt0c01.KNOWNINAPATH.SECRETPART"),
            "gw.example.com/t/***"
        );
    }
}
