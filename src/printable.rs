//! Text from inputs and servers, made safe to print as text: control characters (ESC, CR, LF,
//! the C1 controls) and the bidirectional overrides are written as escapes (`\u{1b}`, `\n`), so
//! that no input can forge a line of the report or a log, or steer the terminal. JSON output
//! needs none of this: serde escapes every string it writes.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every character that could change how a terminal or log shows it escaped.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_to_print) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_to_print(c) {
            let _ = write!(out, "{}", c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Control characters (C0, DEL, C1) and the bidirectional embeddings, overrides and isolates,
/// which reorder what follows them on screen.
fn unsafe_to_print(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_the_rest_kept() {
        assert_eq!(
            printable("a\x1b[31mred\r\nforged line\u{9b}2J"),
            "a\\u{1b}[31mred\\r\\nforged line\\u{9b}2J"
        );
        assert_eq!(printable("tab\there"), "tab\\there");
        assert_eq!(printable("\u{202E}txt.exe"), "\\u{202e}txt.exe");
        assert!(matches!(
            printable("Grüße, 東京"),
            Cow::Borrowed("Grüße, 東京")
        ));
    }
}
