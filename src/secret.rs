//! The API token: readable only through `expose`, never through Debug or Display.

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

/// Replaces every occurrence of the secret in `text` (a server message may echo the header).
pub fn redact(text: &str, secret: Option<&Secret>) -> String {
    match secret.map(Secret::expose) {
        Some(s) if s.len() >= 4 => text.replace(s, "***"),
        _ => text.to_owned(),
    }
}
