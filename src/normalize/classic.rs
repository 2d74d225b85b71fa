//! Dynatrace's "classic" normalisation of metric keys, dimension keys and dimension values, as
//! the official `dynatrace-metric-utils` libraries (Python/Go/JS/.NET) apply it. Each rule
//! writes its result onto the end of a `String`, so that a line is built in one buffer without
//! a string per part; the `Option<String>` forms are for callers that want one value.

use unicode_general_category::{get_general_category, GeneralCategory};

pub const METRIC_KEY_MAX_CHARS: usize = 250;
pub const DIMENSION_KEY_MAX_CHARS: usize = 100;
pub const DIMENSION_VALUE_MAX_CHARS: usize = 250;

/// Normalises a metric key. `None` means the key cannot be made valid (empty first section).
pub fn classic_metric_key(raw: &str) -> Option<String> {
    let mut key = String::with_capacity(raw.len());
    write_metric_key(raw, &mut key).then_some(key)
}

/// Writes the normalised metric key onto `out`; false (and nothing written) when it cannot be
/// made valid.
pub fn write_metric_key(raw: &str, out: &mut String) -> bool {
    // Most keys are valid as they are.
    if raw.len() <= METRIC_KEY_MAX_CHARS && is_valid_metric_key(raw) {
        out.push_str(raw);
        return true;
    }
    write_metric_key_by_rules(raw, out)
}

/// Whether normalising leaves `key` as it is (its length aside).
fn is_valid_metric_key(key: &str) -> bool {
    valid_sections(
        key.bytes(),
        is_metric_key_first_start_byte,
        |b| b.is_ascii_alphanumeric() || b == b'_',
        is_metric_key_char,
    )
}

/// [`write_metric_key`] rule by rule, for any key.
fn write_metric_key_by_rules(raw: &str, out: &mut String) -> bool {
    let truncated = truncate_chars(raw, METRIC_KEY_MAX_CHARS);
    let mut sections = truncated.split('.');
    let first = sections.next().unwrap_or_default();
    if first.chars().all(is_python_whitespace) {
        return false;
    }
    section_runs(first, is_metric_key_first_start, is_metric_key_char, out);
    write_later_sections(sections, out);
    true
}

/// [`write_metric_key`] of `prefix.raw`, where `prefix` is a key that normalising leaves as it
/// is (see [`is_plain_metric_key`]): only `raw` is normalised.
pub fn write_prefixed_metric_key(prefix: &str, raw: &str, out: &mut String) {
    debug_assert!(is_plain_metric_key(prefix));
    let room = METRIC_KEY_MAX_CHARS - prefix.len() - 1;
    out.push_str(prefix);
    write_later_sections(truncate_chars(raw, room).split('.'), out);
}

/// A prefix [`write_prefixed_metric_key`] takes: one that normalising leaves as it is, short
/// enough to leave room for a name after it.
pub fn is_plain_metric_key(prefix: &str) -> bool {
    prefix.len() < METRIC_KEY_MAX_CHARS / 2 && is_valid_metric_key(prefix)
}

/// Every later section of a metric key that is not empty, each after a `.`.
fn write_later_sections<'a>(sections: impl Iterator<Item = &'a str>, out: &mut String) {
    let later_start = |c: char| c.is_ascii_alphanumeric() || c == '_';
    for later in sections.filter(|s| !s.is_empty()) {
        out.push('.');
        section_runs(later, later_start, is_metric_key_char, out);
    }
}

fn is_metric_key_first_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_metric_key_first_start_byte(b: u8) -> bool {
    is_metric_key_first_start(b as char)
}

/// Normalises a dimension key. `None` means nothing is left and the dimension is dropped.
pub fn dimension_key(raw: &str) -> Option<String> {
    let mut key = String::with_capacity(raw.len());
    write_dimension_key(raw, &mut key).then_some(key)
}

/// Writes the normalised dimension key onto `out`; false (and nothing written) when nothing
/// is left of it.
pub fn write_dimension_key(raw: &str, out: &mut String) -> bool {
    let start = out.len();
    // Most keys only need lowercasing.
    let lowercase_start = |b: u8| b.is_ascii_lowercase() || b == b'_';
    let lowered = raw.bytes().map(|b| b.to_ascii_lowercase());
    if raw.len() <= DIMENSION_KEY_MAX_CHARS
        && valid_sections(
            lowered,
            lowercase_start,
            lowercase_start,
            is_dimension_key_char,
        )
    {
        out.push_str(raw);
        out[start..].make_ascii_lowercase();
        return true;
    }
    write_dimension_key_by_rules(raw, out)
}

/// [`write_dimension_key`] rule by rule, for any key.
fn write_dimension_key_by_rules(raw: &str, out: &mut String) -> bool {
    let start = out.len();
    let truncated = truncate_chars(raw, DIMENSION_KEY_MAX_CHARS);
    for part in truncated.split('.').filter(|s| !s.is_empty()) {
        if out.len() > start {
            out.push('.');
        }
        let valid_start = |c: char| c.is_ascii_lowercase() || c == '_';
        if part.is_ascii() {
            let lowered = part.bytes().map(|b| b.to_ascii_lowercase() as char);
            section(lowered, valid_start, is_dimension_key_char, out);
        } else {
            let lowered = part.chars().flat_map(char::to_lowercase);
            section(lowered, valid_start, is_dimension_key_char, out);
        }
    }
    // Lowercasing can lengthen a key (`İ` becomes `i̇`, normalised to `i_`); the limit holds
    // for the result, so cut again (the reference libraries do not, and send over-long keys).
    if out.len() - start > DIMENSION_KEY_MAX_CHARS {
        out.truncate(start + DIMENSION_KEY_MAX_CHARS);
        out.truncate(out.trim_end_matches('.').len().max(start));
    }
    out.len() > start
}

/// Normalises and escapes a dimension value, ready to stand after `key=` in a line.
pub fn dimension_value(raw: &str) -> String {
    let mut value = String::with_capacity(raw.len() + 8);
    write_dimension_value(raw, &mut value);
    value
}

/// Writes the normalised and escaped dimension value onto `out`; returns whether the value was
/// cut to the limit.
pub fn write_dimension_value(raw: &str, out: &mut String) -> bool {
    let simple = raw.len() <= DIMENSION_VALUE_MAX_CHARS
        && raw
            .bytes()
            .all(|b| ASCII_CLASS[usize::from(b)] == Class::Plain);
    if simple {
        out.push_str(raw);
        return false;
    }
    let start = out.len();
    let head = truncate_chars(raw, DIMENSION_VALUE_MAX_CHARS);
    let mut cut = head.len() < raw.len();
    // Runs of characters kept as they are go out whole; ASCII is classed byte by byte, other
    // characters are looked up whole.
    let bytes = head.as_bytes();
    let mut in_control_run = false;
    let mut kept_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        let (class, len) = match bytes[i] {
            b if b.is_ascii() => (ASCII_CLASS[usize::from(b)], 1),
            _ => {
                let c = head[i..].chars().next().expect("a character starts here");
                let class = match is_unicode_other(c) {
                    true => Class::Other,
                    false => Class::Plain,
                };
                (class, c.len_utf8())
            }
        };
        if class == Class::Plain {
            in_control_run = false;
            i += len;
            continue;
        }
        out.push_str(&head[kept_from..i]);
        kept_from = i + len;
        if class == Class::Other {
            if !in_control_run {
                out.push('_');
            }
            in_control_run = true;
        } else {
            in_control_run = false;
            out.push('\\');
            out.push(char::from(bytes[i]));
        }
        i += len;
    }
    out.push_str(&head[kept_from..]);
    let end = start + truncate_chars(&out[start..], DIMENSION_VALUE_MAX_CHARS).len();
    cut |= end < out.len();
    out.truncate(end);
    let escaped = &out[start..];
    let trailing_backslashes = escaped.bytes().rev().take_while(|&b| b == b'\\').count();
    if trailing_backslashes % 2 == 1 && trailing_backslashes < escaped.chars().count() {
        out.pop();
    }
    cut
}

/// What becomes of a character in a dimension value.
#[derive(Clone, Copy, PartialEq)]
enum Class {
    /// Kept as it is.
    Plain,
    /// Escaped with a backslash: `\`, `"`, `,`, `=` and space.
    Escaped,
    /// Unicode category C (controls and the like): a run of them becomes one `_`.
    Other,
}

/// [`Class`] of each ASCII character.
const ASCII_CLASS: [Class; 256] = {
    let mut classes = [Class::Other; 256];
    let mut b = 0;
    while b < 128 {
        classes[b] = match b as u8 {
            b'\\' | b'"' | b',' | b'=' | b' ' => Class::Escaped,
            0..=0x1f | 0x7f => Class::Other,
            _ => Class::Plain,
        };
        b += 1;
    }
    classes
};

/// Whether `bytes` are sections joined by `.` that normalising leaves as they are: none empty,
/// the first starting with a `first_start` byte, later ones with a `later_start` byte, every
/// other byte `valid` (ASCII only: a byte over 127 is never valid).
fn valid_sections(
    bytes: impl Iterator<Item = u8>,
    first_start: impl Fn(u8) -> bool,
    later_start: impl Fn(u8) -> bool,
    valid: impl Fn(char) -> bool,
) -> bool {
    let (mut at_start, mut first) = (true, true);
    for b in bytes {
        let fits = match (b, at_start) {
            (b'.', start) => !start,
            (b, true) if first => first_start(b),
            (b, true) => later_start(b),
            (b, false) => b.is_ascii() && valid(b as char),
        };
        if !fits {
            return false;
        }
        first &= b != b'.';
        at_start = b == b'.';
    }
    !at_start
}

/// One section of a key: a leading run of characters that may not start it becomes one `_`,
/// and so does every later run of characters that may not stand in it.
fn section(
    chars: impl Iterator<Item = char>,
    valid_start: impl Fn(char) -> bool,
    valid_char: impl Fn(char) -> bool,
    out: &mut String,
) {
    let (mut started, mut in_invalid_run) = (false, false);
    for c in chars {
        if !started {
            if valid_start(c) {
                started = true;
                in_invalid_run = false;
                out.push(c);
            } else if !in_invalid_run {
                out.push('_');
                in_invalid_run = true;
            }
        } else if valid_char(c) {
            out.push(c);
            in_invalid_run = false;
        } else if !in_invalid_run {
            out.push('_');
            in_invalid_run = true;
        }
    }
}

/// [`section`] of a text, for predicates that hold for ASCII characters only (as a metric key's
/// do): runs of characters that stay go out whole, and the text is read byte by byte, every
/// byte of a character beyond ASCII being one that may not stand in a key.
fn section_runs(
    text: &str,
    valid_start: impl Fn(char) -> bool,
    valid_char: impl Fn(char) -> bool,
    out: &mut String,
) {
    let bytes = text.as_bytes();
    let valid_start = |b: u8| b.is_ascii() && valid_start(b as char);
    let valid_char = |b: u8| b.is_ascii() && valid_char(b as char);
    let mut started = false;
    let mut i = 0;
    while i < bytes.len() {
        let valid_here = |b: u8| match started {
            true => valid_char(b),
            false => valid_start(b),
        };
        if !valid_here(bytes[i]) {
            out.push('_');
            i += 1;
            while i < bytes.len() && !valid_here(bytes[i]) {
                i += 1;
            }
            continue;
        }
        let from = i;
        started = true;
        i += 1;
        while i < bytes.len() && valid_char(bytes[i]) {
            i += 1;
        }
        out.push_str(&text[from..i]);
    }
}

fn is_metric_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn is_dimension_key_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | ':')
}

/// Unicode general category C (control, format, surrogate, private use, unassigned).
fn is_unicode_other(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    if COMMON_LETTERS.iter().any(|range| range.contains(&c)) {
        return false;
    }
    matches!(
        get_general_category(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::Surrogate
            | GeneralCategory::PrivateUse
            | GeneralCategory::Unassigned
    )
}

/// Blocks whose every character is an assigned letter (Latin-1's and Latin Extended letters,
/// Hiragana, Katakana, CJK ideographs, Hangul syllables): no table lookup for the most common
/// characters of non-English names. A test checks each against the table.
const COMMON_LETTERS: [std::ops::RangeInclusive<char>; 6] = [
    '\u{C0}'..='\u{D6}',
    '\u{D8}'..='\u{F6}',
    '\u{3041}'..='\u{3096}',
    '\u{30A1}'..='\u{30FA}',
    '\u{4E00}'..='\u{9FFF}',
    '\u{AC00}'..='\u{D7A3}',
];

/// Python's `str.isspace`, which the reference implementation uses: Rust's whitespace plus the
/// ASCII information separators.
fn is_python_whitespace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

pub(crate) fn truncate_chars(s: &str, max_chars: usize) -> &str {
    if s.len() <= max_chars {
        return s;
    }
    match s.char_indices().nth(max_chars) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

#[cfg(test)]
#[path = "classic_tests.rs"]
mod tests;
