//! A fast yes to "is this one well-formed JSON value?", for the whole-file check, which reads
//! every byte of a file before the first request and so runs beside the reader on every run.
//! It answers only yes (and where the value ends) or "ask serde_json": any text it does not
//! accept, serde_json reads again and says what is wrong and where, exactly as before. Its
//! grammar is serde_json's for an ignored value: RFC 8259, escapes checked but not decoded
//! (`\ud800` alone passes, as serde_json lets it), no limit on nesting.

const ONES: u64 = u64::MAX / 255;
const HIGH_BITS: u64 = ONES << 7;

/// The length of the well-formed JSON value at the very start of `text` (UTF-8), when the
/// value ends before `text` does (a value that reaches its end may go on: `12` of `123`);
/// `None` when it is not well-formed, or may go on, or `text` starts with whitespace.
pub fn value_len(text: &[u8]) -> Option<usize> {
    // One bit per open list (0) or object (1), the innermost lowest; deeper texts are left to
    // serde_json.
    let mut open: u64 = 0;
    let mut depth = 0u32;
    let mut i = 0;
    'value: loop {
        match *text.get(i)? {
            b'"' => i = string_end(text, i + 1)?,
            b'{' => {
                i = whitespace_end(text, i + 1);
                if *text.get(i)? == b'}' {
                    i += 1;
                } else {
                    depth = push(&mut open, depth, 1)?;
                    i = member_value_start(text, i)?;
                    continue 'value;
                }
            }
            b'[' => {
                i = whitespace_end(text, i + 1);
                if *text.get(i)? == b']' {
                    i += 1;
                } else {
                    depth = push(&mut open, depth, 0)?;
                    continue 'value;
                }
            }
            b't' => i = literal_end(text, i, b"true")?,
            b'f' => i = literal_end(text, i, b"false")?,
            b'n' => i = literal_end(text, i, b"null")?,
            b'-' | b'0'..=b'9' => i = number_end(text, i)?,
            _ => return None,
        }
        // After a value: close what it ends, or go on to the next one.
        loop {
            if depth == 0 {
                return (i < text.len()).then_some(i);
            }
            i = whitespace_end(text, i);
            let in_object = open & 1 == 1;
            match *text.get(i)? {
                b',' => {
                    i = whitespace_end(text, i + 1);
                    if in_object {
                        i = member_value_start(text, i)?;
                    }
                    continue 'value;
                }
                b'}' if in_object => {}
                b']' if !in_object => {}
                _ => return None,
            }
            i += 1;
            open >>= 1;
            depth -= 1;
        }
    }
}

/// Where a run of list items at the very start of `text` ends: well-formed values each
/// followed by `,`, whitespace around it allowed; the index of the value after the last such
/// comma (0 when there is none). What comes after is left to [`value_len`] and serde_json.
pub fn items_len(text: &[u8]) -> usize {
    let mut done = 0;
    while let Some(len) = value_len(&text[done..]) {
        let after = whitespace_end(text, done + len);
        if text.get(after) != Some(&b',') {
            break;
        }
        done = whitespace_end(text, after + 1);
    }
    done
}

fn push(open: &mut u64, depth: u32, object: u64) -> Option<u32> {
    if depth == u64::BITS {
        return None;
    }
    *open = *open << 1 | object;
    Some(depth + 1)
}

/// From a member's name (at `i`) past its `:` to its value.
fn member_value_start(text: &[u8], i: usize) -> Option<usize> {
    if *text.get(i)? != b'"' {
        return None;
    }
    let i = whitespace_end(text, string_end(text, i + 1)?);
    if *text.get(i)? != b':' {
        return None;
    }
    Some(whitespace_end(text, i + 1))
}

fn whitespace_end(text: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = text.get(i) {
        i += 1;
    }
    i
}

fn literal_end(text: &[u8], i: usize, literal: &[u8]) -> Option<usize> {
    let end = i + literal.len();
    (text.get(i..end)? == literal).then_some(end)
}

/// After the opening quote at `i - 1`: the index after the closing one.
fn string_end(text: &[u8], mut i: usize) -> Option<usize> {
    loop {
        i += plain_run(&text[i.min(text.len())..]);
        match *text.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => {
                i += match *text.get(i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                    b'u' if text.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) => 6,
                    _ => return None,
                };
            }
            // A control character, which a string may hold only escaped.
            _ => return None,
        }
    }
}

/// How many bytes at the start of `bytes` may stand in a string as they are: not `"`, `\` or
/// a control character. Sixteen at a time with SSE2, which every x86-64 processor has.
#[cfg(target_arch = "x86_64")]
fn plain_run(bytes: &[u8]) -> usize {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let mut chunks = bytes.chunks_exact(16);
    let mut run = 0;
    for chunk in &mut chunks {
        // SAFETY: SSE2 is part of the x86_64 target (every such processor has it), and the
        // load reads the 16 bytes of `chunk`, unaligned loads being allowed.
        let stops = unsafe {
            let bytes = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            let control_max = _mm_set1_epi8(0x1f);
            let control = _mm_cmpeq_epi8(_mm_max_epu8(bytes, control_max), control_max);
            let quote = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\\' as i8));
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
        };
        if stops != 0 {
            return run + stops.trailing_zeros() as usize;
        }
        run += 16;
    }
    run + plain_run_by_words(chunks.remainder())
}

#[cfg(not(target_arch = "x86_64"))]
fn plain_run(bytes: &[u8]) -> usize {
    plain_run_by_words(bytes)
}

/// [`plain_run`] eight bytes at a time (Mycroft's zero-byte test, as serde_json does it).
fn plain_run_by_words(bytes: &[u8]) -> usize {
    let mut chunks = bytes.chunks_exact(8);
    let mut run = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let stops = (word.wrapping_sub(ONES * 0x20) & !word)
            | (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash);
        let stops = stops & HIGH_BITS;
        if stops != 0 {
            // The lowest flagged byte is exact (only bytes above a true one can be false).
            return run + (stops.trailing_zeros() / 8) as usize;
        }
        run += 8;
    }
    run + chunks
        .remainder()
        .iter()
        .take_while(|&&b| b >= 0x20 && b != b'"' && b != b'\\')
        .count()
}

fn number_end(text: &[u8], mut i: usize) -> Option<usize> {
    if text[i] == b'-' {
        i += 1;
    }
    match *text.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits_end(text, i + 1),
        _ => return None,
    }
    if text.get(i) == Some(&b'.') {
        let start = i + 1;
        i = digits_end(text, start);
        if i == start {
            return None;
        }
    }
    if let Some(b'e' | b'E') = text.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = text.get(i) {
            i += 1;
        }
        let start = i;
        i = digits_end(text, start);
        if i == start {
            return None;
        }
    }
    // A digit after a leading zero, or a number cut by the end of the text: serde_json says.
    match text.get(i) {
        Some(b'0'..=b'9') | None => None,
        Some(_) => Some(i),
    }
}

fn digits_end(text: &[u8], mut i: usize) -> usize {
    while text.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
