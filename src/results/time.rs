//! Times as load-testing tools write them: k6's RFC 3339 with an offset and up to nine
//! fractional digits, and JMeter's configurable `timestamp_format` when it is year first
//! (`yyyy/MM/dd HH:mm:ss.SSS`, which JMeter writes in the JVM's zone, with no offset).

/// A point in time read from a results file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instant {
    /// UTC nanoseconds since 1970.
    pub ns: i64,
    /// False when the text gave no offset and the time was read as UTC.
    pub zoned: bool,
}

/// Reads a year-first date and time: year, month, day, hour, minute, second, each separated
/// by one character, then an optional `.` or `,` fraction and an optional `Z` or `+hh:mm`.
pub fn parse(text: &str) -> Option<Instant> {
    let mut cursor = Cursor {
        bytes: text.trim().as_bytes(),
        at: 0,
    };
    let year = cursor.number(4, 4)?;
    cursor.separator(b"-/.")?;
    let month = cursor.number(1, 2)?;
    cursor.separator(b"-/.")?;
    let day = cursor.number(1, 2)?;
    cursor.separator(b"Tt _")?;
    let hour = cursor.number(1, 2)?;
    cursor.separator(b":")?;
    let minute = cursor.number(2, 2)?;
    cursor.separator(b":")?;
    let second = cursor.number(2, 2)?;
    let mut nanos = 0;
    if cursor.separator(b".,").is_some() {
        let start = cursor.at;
        let digits = cursor.number(1, 9)?;
        nanos = digits * 10i64.pow(9 - (cursor.at - start) as u32);
    }
    while cursor.separator(b" ").is_some() {}
    let (offset_minutes, zoned) = match cursor.peek() {
        None => (0, false),
        Some(b'Z' | b'z') => {
            cursor.at += 1;
            (0, true)
        }
        Some(sign @ (b'+' | b'-')) => {
            cursor.at += 1;
            let hours = cursor.number(2, 2)?;
            let _ = cursor.separator(b":");
            let minutes = if cursor.peek().is_some() {
                cursor.number(2, 2)?
            } else {
                0
            };
            let offset = hours * 60 + minutes;
            (if sign == b'-' { -offset } else { offset }, true)
        }
        Some(_) => return None,
    };
    if cursor.peek().is_some()
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
        || offset_minutes.abs() > 18 * 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second.min(59) - offset_minutes * 60;
    Some(Instant {
        ns: seconds.checked_mul(1_000_000_000)?.checked_add(nanos)?,
        zoned,
    })
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// `min` to `max` ASCII digits.
    fn number(&mut self, min: usize, max: usize) -> Option<i64> {
        let digits = self.bytes[self.at..]
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits < min {
            return None;
        }
        let value = self.bytes[self.at..self.at + digits]
            .iter()
            .fold(0i64, |n, b| n * 10 + i64::from(b - b'0'));
        self.at += digits;
        Some(value)
    }

    fn separator(&mut self, allowed: &[u8]) -> Option<()> {
        let byte = self.peek().filter(|b| allowed.contains(b))?;
        let _ = byte;
        self.at += 1;
        Some(())
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(text: &str) -> Option<i64> {
        parse(text).map(|i| i.ns)
    }

    #[test]
    fn k6_times_with_offsets_and_nanoseconds() {
        // 2026-11-20T13:03:05.816193418Z
        let utc = 1_795_179_785_816_193_418;
        assert_eq!(ns("2026-11-20T14:03:05.816193418+01:00"), Some(utc));
        assert_eq!(ns("2026-11-20T13:03:05.816193418Z"), Some(utc));
        assert_eq!(ns("2026-11-20T08:03:05.816193418-0500"), Some(utc));
        assert_eq!(ns("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            ns("2024-02-29T00:00:00.5Z"),
            Some(1_709_164_800_500_000_000)
        );
        assert!(parse("2026-11-20T13:03:05Z").unwrap().zoned);
    }

    #[test]
    fn jmeter_dates_without_a_zone_read_as_utc() {
        let instant = parse("2026/11/25 23:46:39.018").unwrap();
        assert_eq!(instant.ns, 1_795_650_399_018_000_000);
        assert!(!instant.zoned);
        assert_eq!(
            ns("2026-11-25 23:46:39,018"),
            Some(1_795_650_399_018_000_000)
        );
    }

    #[test]
    fn what_is_not_a_year_first_date_is_none() {
        for text in [
            "",
            "1795650383438",
            "25/11/2026 23:46:39",
            "2026/13/01 00:00:00",
            "2023/02/29 00:00:00",
            "2026/11/25 24:00:00",
            "2026/11/25 23:46:39 CET",
            "2026-11-20T14:03:05.+01:00",
            "2026-11-20T14:03:05.1234567891Z",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
