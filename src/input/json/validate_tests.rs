use super::*;
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;

/// Where serde_json says the value at the start of `text` ends, if it is one.
fn serde_end(text: &[u8]) -> Option<usize> {
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let raw = <&RawValue>::deserialize(&mut deserializer).ok()?;
    Some(raw.get().as_ptr() as usize - text.as_ptr() as usize + raw.get().len())
}

/// Well-formed JSON texts with the characters that matter: escapes, non-ASCII,
/// numbers of every form, whitespace between tokens.
fn json_text() -> impl Strategy<Value = String> {
    let string = "([a-z /é😀]|\\\\[\"\\\\/bfnrt]|\\\\u[0-9a-fA-F]{4}){0,12}"
        .prop_map(|s| format!("\"{s}\""));
    let number = "-?(0|[1-9][0-9]{0,5})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?";
    let leaf = prop_oneof![
        string.clone(),
        number.prop_map(String::from),
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("null".to_owned()),
    ];
    let space = "[ \t\r\n]{0,2}";
    leaf.prop_recursive(4, 40, 6, move |inner| {
        prop_oneof![
            (proptest::collection::vec((space, inner.clone()), 0..6)).prop_map(|items| {
                let items: Vec<String> = items.into_iter().map(|(s, v)| s + &v).collect();
                format!("[{}]", items.join(","))
            }),
            (proptest::collection::vec((string.clone(), space, inner), 0..6)).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, s, v)| format!("{k}{s}:{s}{v}"))
                    .collect();
                format!("{{{}}}", members.join(", "))
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The plain run found sixteen bytes at a time is the one found byte by byte.
    #[test]
    fn plain_runs_are_found_whatever_the_width(
        bytes in proptest::collection::vec(
            prop_oneof![Just(b'"'), Just(b'\\'), Just(0x1fu8), Just(0x20u8), Just(0x7fu8), 0x80u8..=0xff, b'a'..=b'z'],
            0..40,
        ),
        plain in 0usize..40,
    ) {
        let mut text = vec![b'a'; plain];
        text.extend_from_slice(&bytes);
        let by_bytes = text.iter().take_while(|&&b| b >= 0x20 && b != b'"' && b != b'\\').count();
        prop_assert_eq!(plain_run(&text), by_bytes);
        prop_assert_eq!(plain_run_by_words(&text), by_bytes);
    }

    /// A run of list items ends where the items that end in a comma do.
    #[test]
    fn items_end_after_the_last_comma_that_follows_a_value(
        items in proptest::collection::vec(json_text(), 0..5),
        last in "[ ,\\]x]{0,3}",
    ) {
        let mut text = String::new();
        let mut expected = 0;
        for item in &items {
            text.push_str(item);
            text.push_str(" ,\n");
            expected = text.len();
        }
        text.push_str(&last);
        // Past the whitespace after the last comma; nothing after it starts a value.
        if expected > 0 {
            expected = text.len() - text[expected..].trim_start().len();
        }
        prop_assert_eq!(items_len(text.as_bytes()), expected, "{:?}", text);
    }

    /// Whatever the text, a yes is serde_json's yes, ending at the same byte.
    #[test]
    fn every_value_it_accepts_serde_json_accepts_to_the_same_end(
        text in json_text(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 0..3),
        after in "[ ,\\]}x0]",
    ) {
        let mut bytes = text.into_bytes();
        for (at, byte, kind) in edits {
            let at = at.index(bytes.len() + 1);
            match kind {
                0 => bytes.insert(at, byte),
                1 if at < bytes.len() => { bytes.remove(at); }
                _ if at < bytes.len() => bytes[at] = byte,
                _ => {}
            }
        }
        bytes.extend_from_slice(after.as_bytes());
        // The check hands it text known to be UTF-8 only.
        if let (Some(end), Ok(_)) = (value_len(&bytes), std::str::from_utf8(&bytes)) {
            prop_assert_eq!(Some(end), serde_end(&bytes), "{:?}", String::from_utf8_lossy(&bytes));
        }
    }

    /// And well-formed values are accepted, so the check takes the fast way.
    #[test]
    fn well_formed_values_are_accepted(text in json_text(), after in "[ ,\\]}]") {
        let bytes = format!("{text}{after}").into_bytes();
        prop_assert_eq!(value_len(&bytes), serde_end(&bytes), "{}", text);
        prop_assert_eq!(value_len(&bytes), Some(text.len()));
    }
}

#[test]
fn what_it_leaves_to_serde_json() {
    let cases: &[&[u8]] = &[
        b"12",           // may go on
        b"\"ab",         // cut
        b"01 ",          // leading zero
        b"1. ",          // no digit after the point
        b"1e ",          // nor after the exponent
        b"-x ",          // no digit at all
        b"[1,] ",        // trailing comma
        b"{\"a\" 1} ",   // no colon
        b"{1: 2} ",      // a name that is not a string
        b"\"a\x01\" ",   // a control character in a string
        b"\"\\x\" ",     // an unknown escape
        b"\"\\u12g4\" ", // a short hex escape
        b"tru ",         // a cut literal
        b" 1 ",          // whitespace first: the stream skips it
        b"[1 2] ",       // no comma
        b"[1} ",         // the wrong bracket
    ];
    for case in cases {
        assert_eq!(value_len(case), None, "{}", String::from_utf8_lossy(case));
    }
    // 64 lists open around an empty one: deeper is left to serde_json.
    let deep = format!("{}{} ", "[".repeat(66), "]".repeat(66));
    assert_eq!(value_len(deep.as_bytes()), None);
    let deep_enough = format!("{}{} ", "[".repeat(65), "]".repeat(65));
    assert_eq!(value_len(deep_enough.as_bytes()), Some(130));
}

#[test]
fn what_it_accepts_as_serde_json_does() {
    let cases: &[(&[u8], usize)] = &[
        (b"\"\\ud800\" ", 8), // a lone surrogate, escaped: serde_json ignores it too
        (b"\"\\u00e9\\n\\\"\" ", 12),
        (b"-0.5e+10,", 8),
        (b"{\"a\": [1, {\"b\": null}], \"c\": true}]", 34),
        ("\"Grüße 東京 😀\"x".as_bytes(), 21),
        (b"[] ", 2),
        (b"{}}", 2),
    ];
    for &(case, end) in cases {
        assert_eq!(
            value_len(case),
            Some(end),
            "{}",
            String::from_utf8_lossy(case)
        );
        assert_eq!(serde_end(case), Some(end));
    }
}
