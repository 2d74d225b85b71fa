use super::*;

#[test]
fn metric_key_sections() {
    assert_eq!(
        classic_metric_key("keptn.load test.p95").as_deref(),
        Some("keptn.load_test.p95")
    );
    assert_eq!(classic_metric_key("1st.2nd").as_deref(), Some("_st.2nd"));
    assert_eq!(classic_metric_key("a..b.").as_deref(), Some("a.b"));
    assert_eq!(classic_metric_key("123.x").as_deref(), Some("_.x"));
    assert_eq!(
        classic_metric_key("a.ér€ponse").as_deref(),
        Some("a._r_ponse")
    );
    assert_eq!(classic_metric_key(".a"), None);
    assert_eq!(classic_metric_key("  .a"), None);
    assert_eq!(classic_metric_key(""), None);
}

#[test]
fn dimension_keys_lowercase_and_drop_empty() {
    assert_eq!(
        dimension_key("Keptn Project").as_deref(),
        Some("keptn_project")
    );
    assert_eq!(dimension_key("..."), None);
    assert_eq!(dimension_key("0a.b").as_deref(), Some("_a.b"));
    assert_eq!(dimension_key("\u{212a}elvin").as_deref(), Some("kelvin"));
    let lengthened = dimension_key(&"\u{130}".repeat(100)).unwrap();
    assert_eq!(lengthened.len(), DIMENSION_KEY_MAX_CHARS);
    assert!(lengthened.starts_with("i_i_"));
}

proptest::proptest! {
    /// The shortcuts for keys that need no change (metric keys) or only lowercasing
    /// (dimension keys) write what the rules write.
    #[test]
    fn shortcuts_write_what_the_rules_write(raw in "[a-zA-Z0-9_.:\\- é]{0,12}|[a-z.]{95,105}") {
        let (mut fast, mut by_rules) = (String::from("x"), String::from("x"));
        let kept = write_dimension_key(&raw, &mut fast);
        proptest::prop_assert_eq!(kept, write_dimension_key_by_rules(&raw, &mut by_rules));
        proptest::prop_assert_eq!(&fast, &by_rules);
        let (mut fast, mut by_rules) = (String::from("x"), String::from("x"));
        let kept = write_metric_key(&raw, &mut fast);
        proptest::prop_assert_eq!(kept, write_metric_key_by_rules(&raw, &mut by_rules));
        proptest::prop_assert_eq!(&fast, &by_rules);
    }
}

#[test]
fn common_letters_are_letters_in_the_table() {
    for c in COMMON_LETTERS.iter().flat_map(|range| range.clone()) {
        let category = get_general_category(c);
        assert!(
            !matches!(
                category,
                GeneralCategory::Control
                    | GeneralCategory::Format
                    | GeneralCategory::Surrogate
                    | GeneralCategory::PrivateUse
                    | GeneralCategory::Unassigned
            ),
            "{c:?} is {category:?}"
        );
    }
}

proptest::proptest! {
    /// A section written in runs is the section written character by character; a key
    /// under a plain prefix is the whole key normalised.
    #[test]
    fn runs_and_prefixes_write_what_the_rules_write(
        text in "[a-zA-Z0-9_ .:/-]{0,8}|[a-zé東😀 ._-]{0,6}",
        prefix in proptest::sample::select(vec!["keptn", "keptn.loadtest", "a_b.c-d9"]),
    ) {
        let (mut runs, mut chars) = (String::from("x"), String::from("x"));
        section_runs(&text, is_metric_key_first_start, is_metric_key_char, &mut runs);
        section(text.chars(), is_metric_key_first_start, is_metric_key_char, &mut chars);
        proptest::prop_assert_eq!(runs, chars);
        proptest::prop_assert!(is_plain_metric_key(prefix));
        let (mut prefixed, mut whole) = (String::new(), String::new());
        write_prefixed_metric_key(prefix, &text, &mut prefixed);
        let joined = format!("{prefix}.{text}");
        proptest::prop_assert!(write_metric_key(&joined, &mut whole));
        proptest::prop_assert_eq!(prefixed, whole);
    }
}

#[test]
fn long_names_under_a_prefix_are_cut_as_the_whole_key_is() {
    let name = format!("{}.x", "é".repeat(300));
    let (mut prefixed, mut whole) = (String::new(), String::new());
    write_prefixed_metric_key("keptn.loadtest", &name, &mut prefixed);
    write_metric_key(&format!("keptn.loadtest.{name}"), &mut whole);
    assert_eq!(prefixed, whole);
    assert!(!is_plain_metric_key("keptn..x"));
    assert!(!is_plain_metric_key(&"k".repeat(200)));
}

#[test]
fn dimension_values_escape_and_never_end_in_a_lone_backslash() {
    assert_eq!(dimension_value("a b,c=d\"e\\"), "a\\ b\\,c\\=d\\\"e\\\\");
    assert_eq!(dimension_value("tab\there\u{0}\u{1}"), "tab_here_");
    let long = format!("{}\\", "a".repeat(249));
    assert_eq!(dimension_value(&long), "a".repeat(249));
    let mut out = String::from("k=");
    assert!(write_dimension_value(&"v".repeat(300), &mut out));
    assert_eq!(out.len(), 2 + 250);
    assert!(!write_dimension_value("plain", &mut out));
}

/// The value rule character by character, as it was written before values were classed byte
/// by byte: the reference the property test holds [`write_dimension_value`] to.
fn write_dimension_value_by_chars(raw: &str, out: &mut String) -> bool {
    let simple = raw.len() <= DIMENSION_VALUE_MAX_CHARS
        && raw
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'\\' | b'"' | b',' | b'='));
    if simple {
        out.push_str(raw);
        return false;
    }
    let start = out.len();
    let head = truncate_chars(raw, DIMENSION_VALUE_MAX_CHARS);
    let mut cut = head.len() < raw.len();
    // Runs of characters kept as they are go out whole.
    let mut in_control_run = false;
    let mut kept_from = 0;
    for (i, c) in head.char_indices() {
        let escaped = matches!(c, '\\' | '"' | ',' | '=' | ' ');
        let other = !escaped && is_unicode_other(c);
        if !escaped && !other {
            in_control_run = false;
            continue;
        }
        out.push_str(&head[kept_from..i]);
        kept_from = i + c.len_utf8();
        if other {
            if !in_control_run {
                out.push('_');
            }
            in_control_run = true;
        } else {
            in_control_run = false;
            out.push('\\');
            out.push(c);
        }
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

proptest::proptest! {
    #[test]
    fn values_classed_by_byte_are_values_by_character(
        raw in "[a-zA-Z0-9 ,=\"\\\\/._\t\n\u{7f}\u{85}\u{200b}é東😀\u{e000}-]{0,20}|[a-z\\\\ ]{245,255}",
    ) {
        let (mut by_bytes, mut by_chars) = (String::from("k="), String::from("k="));
        let cut = write_dimension_value(&raw, &mut by_bytes);
        proptest::prop_assert_eq!(cut, write_dimension_value_by_chars(&raw, &mut by_chars));
        proptest::prop_assert_eq!(by_bytes, by_chars);
    }
}
