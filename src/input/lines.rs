//! `--lines`: line protocol as Dynatrace reads it, one data point per line, metadata lines
//! included. Keys are kept as written (no prefix); a bad line is refused with its number.

use std::io::BufRead;
use std::sync::Arc;

use anyhow::{Context, Result};

use super::lineproto::{parse_line, ParsedLine};
use super::Sink;
use crate::model::{Code, Metadata, Metric, Origin, Position, Refusal};

pub fn read(name: &Arc<str>, mut reader: impl BufRead, sink: &mut dyn Sink) -> Result<()> {
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        let read = reader
            .read_line(&mut line)
            .with_context(|| format!("reading {name} (it must be UTF-8 text)"))?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        let text = line.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        let origin = Origin::new(name, Position::Line(number));
        match parse_line(text) {
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
    use crate::input::Collected;

    #[test]
    fn line_protocol_keeps_line_numbers() {
        let mut sink = Collected::default();
        let text = "a.b 1\r\n\nbad line here\n#a.b gauge dt.meta.unit=Byte\nc.d 2";
        read(&Arc::from("l.txt"), text.as_bytes(), &mut sink).unwrap();
        assert_eq!(sink.metrics[0].origin.to_string(), "l.txt:1");
        assert_eq!(sink.refusals[0].origin.to_string(), "l.txt:3");
        assert_eq!(sink.refusals[0].code, Code::InputMalformed);
        assert_eq!(sink.metadata[0].origin.to_string(), "l.txt:4");
        assert_eq!(sink.metrics[1].origin.to_string(), "l.txt:5");
        assert!(!sink.metrics[1].prefixed);
    }
}
