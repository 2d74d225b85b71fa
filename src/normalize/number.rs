//! The number format of the line protocol: integral values without `.0`, the shortest decimal
//! that reads back as the same number, scientific notation (always with a decimal point,
//! `1.0e+16`) outside 1e-4..1e15, NaN and infinities refused.

use std::fmt::Write;

/// The number as the line protocol writes it; `None` for NaN and infinities.
pub fn format_number(value: f64) -> Option<String> {
    let mut text = String::new();
    write_number(value, &mut text).then_some(text)
}

/// Writes the number onto `out`; false (and nothing written) for NaN and infinities.
pub fn write_number(value: f64, out: &mut String) -> bool {
    if !value.is_finite() {
        return false;
    }
    let magnitude = value.abs();
    if value == 0.0 {
        out.push('0');
    } else if (1e-4..=1e15).contains(&magnitude) {
        if value.fract() == 0.0 {
            out.push_str(itoa::Buffer::new().format(value as i64));
        } else {
            // Display is the shortest representation that round-trips, without an exponent
            // (ryu's is as short, but not always the same last digit).
            let _ = write!(out, "{value}");
        }
    } else {
        let start = out.len();
        let _ = write!(out, "{value:e}");
        let e = start + out[start..].find('e').expect("{:e} always has an e");
        let exponent = out[e + 1..].to_owned();
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(digits) => ('-', digits),
            None => ('+', exponent.as_str()),
        };
        out.truncate(e);
        if !out[start..].contains('.') {
            out.push_str(".0");
        }
        let _ = write!(out, "e{sign}{digits:0>2}");
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn whole_numbers_are_written_as_integers(value in -1_000_000_000_000_000i64..=1_000_000_000_000_000) {
            let mut written = String::new();
            proptest::prop_assert!(write_number(value as f64, &mut written));
            proptest::prop_assert_eq!(written, (value as f64 as i64).to_string());
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(format_number(42.0).as_deref(), Some("42"));
        assert_eq!(format_number(-42.0).as_deref(), Some("-42"));
        assert_eq!(format_number(-0.0).as_deref(), Some("0"));
        assert_eq!(format_number(0.5).as_deref(), Some("0.5"));
        assert_eq!(format_number(1e16).as_deref(), Some("1.0e+16"));
        assert_eq!(format_number(1.5e-7).as_deref(), Some("1.5e-07"));
        assert_eq!(format_number(1e15).as_deref(), Some("1000000000000000"));
        assert_eq!(format_number(f64::NAN), None);
        assert_eq!(format_number(f64::NEG_INFINITY), None);
        let mut out = String::from("gauge,");
        assert!(write_number(2.25, &mut out));
        assert_eq!(out, "gauge,2.25");
    }
}
