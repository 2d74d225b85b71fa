//! `--lines`: line protocol as Dynatrace reads it, one data point per line, metadata lines
//! included. Keys are kept as written (no prefix); a bad line is refused with its number.

use std::io::BufRead;
use std::sync::Arc;

use super::lineproto::{parse_line, ParsedLine};
use crate::model::{Code, Metadata, Metric, Origin, Position, Refusal};
use crate::sink::{broken, next_line, Sink};

pub fn read(name: &Arc<str>, mut reader: impl BufRead, sink: &mut dyn Sink) {
    let mut line = String::new();
    let mut number = 0;
    while !sink.stopped() {
        number += 1;
        match next_line(&mut reader, &mut line) {
            Ok(true) => {}
            Ok(false) => return,
            Err(why) => return sink.refused(broken(name, number, &why)),
        }
        if line.trim().is_empty() {
            continue;
        }
        let origin = Origin::new(name, Position::Line(number));
        match parse_line(&line) {
            Ok(ParsedLine::Metric {
                key,
                dimensions,
                value,
                timestamp,
            }) => sink.metric(&Metric {
                key,
                prefixed: false,
                dimensions,
                value,
                timestamp,
                origin,
            }),
            Ok(ParsedLine::Metadata {
                key,
                payload_type,
                unit,
                description,
                display_name,
            }) => sink.metadata(&Metadata {
                key,
                prefixed: false,
                payload_type,
                unit,
                description,
                display_name,
                origin,
            }),
            Err(reason) => sink.refused(Refusal {
                origin,
                code: Code::InputMalformed,
                reason,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::Collected;
    use std::io::Read;

    #[test]
    fn line_protocol_keeps_line_numbers() {
        let mut sink = Collected::default();
        let text = "a.b 1\r\n\nbad line here\n#a.b gauge dt.meta.unit=Byte\nc.d 2";
        read(&Arc::from("l.txt"), text.as_bytes(), &mut sink);
        assert_eq!(sink.metrics[0].origin.to_string(), "l.txt:1");
        assert_eq!(sink.refusals[0].origin.to_string(), "l.txt:3");
        assert_eq!(sink.refusals[0].code, Code::InputMalformed);
        assert_eq!(sink.metadata[0].origin.to_string(), "l.txt:4");
        assert_eq!(sink.metrics[1].origin.to_string(), "l.txt:5");
        assert!(!sink.metrics[1].prefixed);
    }

    #[test]
    fn an_endless_line_stops_the_input_with_its_place() {
        let mut sink = Collected::default();
        let endless = std::io::repeat(0).take(10_000_000);
        let text = std::io::Cursor::new(b"a.b 1\n".to_vec()).chain(endless);
        read(&Arc::from("zero"), std::io::BufReader::new(text), &mut sink);
        assert_eq!(sink.metrics.len(), 1);
        let refusal = &sink.refusals[0];
        assert_eq!(refusal.origin.to_string(), "zero:2");
        assert!(
            refusal.reason.contains("longer than 50000 characters"),
            "{}",
            refusal.reason
        );
    }

    #[test]
    fn text_that_is_not_utf8_stops_the_input() {
        let mut sink = Collected::default();
        read(
            &Arc::from("bin"),
            &b"a.b 1\n\xff\xfe 2\nc.d 3\n"[..],
            &mut sink,
        );
        assert_eq!(sink.metrics.len(), 1);
        assert!(sink.refusals[0].reason.contains("not UTF-8"));
    }
}
