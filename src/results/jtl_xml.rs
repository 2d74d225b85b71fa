//! JMeter's XML JTL (`jmeter.save.saveservice.output_format=xml`, and what a listener's "Save As
//! XML" writes): `<testResults>` with one `<httpSample>` or `<sample>` per sample, its numbers in
//! attributes: `t` elapsed, `lt` latency, `ct` connect time (ms), `ts` start (epoch ms), `s`
//! success, `lb` label, `rc` response code, `by` and `sby` bytes received and sent, `na` active
//! threads. A transaction controller that generates a parent sample nests its samplers' samples
//! inside its own: as in JMeter's Aggregate Report, the top-level samples are counted and the
//! nested ones are part of their parent.
//!
//! Read as it streams with quick-xml, one element at a time, each (with the response data a
//! sample may hold) at most [`MAX_EVENT_BYTES`], so that memory stays flat.

use std::borrow::Cow;
use std::io::{BufRead, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::emit::send;
use super::jmeter::{self, Measured};
use super::percentiles::Rule;
use super::samples::Samples;
use super::{time, Job};
use crate::model::Position;

/// The most bytes one XML event (an element's start tag, a text) may take.
const MAX_EVENT_BYTES: u64 = 1024 * 1024;

pub fn read(job: &mut Job, reader: impl BufRead) {
    let mut samples = match Samples::new(job.settings.bounds.clone(), Rule::JMeter) {
        Ok(samples) => samples,
        Err(why) => return job.stop(Position::Whole, &why),
    };
    let mut xml = Reader::from_reader(Counted::new(reader));
    let mut buffer = Vec::new();
    let mut depth = 0usize;
    while !job.sink.stopped() {
        buffer.clear();
        xml.get_mut().event_starts();
        let line = xml.get_ref().line();
        let event = match xml.read_event_into(&mut buffer) {
            Ok(event) => event,
            Err(error) => {
                let why = if xml.get_ref().too_long {
                    format!(
                        "an element is longer than {} MiB, the most one may have (is this a \
                         JMeter result file?)",
                        MAX_EVENT_BYTES >> 20
                    )
                } else {
                    format!("it is not well-formed XML: {error}")
                };
                job.stop(Position::Line(xml.get_ref().line()), &why);
                break;
            }
        };
        let opens = matches!(event, Event::Start(_));
        match event {
            Event::Start(element) | Event::Empty(element) if depth == 0 => {
                if element.local_name().as_ref() != b"testResults" {
                    let root = String::from_utf8_lossy(element.name().as_ref()).into_owned();
                    let why = format!(
                        "it is XML with the root <{root}>, where a JMeter result file has \
                         <testResults>"
                    );
                    job.stop(Position::Line(line), &why);
                    break;
                }
                depth += usize::from(opens);
            }
            Event::Start(element) | Event::Empty(element) => {
                if depth == 1 {
                    job.count.read += 1;
                    let counted = Values::of(&element).and_then(|values| {
                        let sample = values.measured()?;
                        jmeter::record(&mut samples, &sample);
                        Ok(())
                    });
                    match counted {
                        Ok(()) => job.count.used += 1,
                        Err(reason) => job.refuse(Position::Line(line), reason),
                    }
                }
                depth += usize::from(opens);
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => break,
            _ => {}
        }
    }
    if job.count.used > 0 {
        send(job, samples.finish());
    }
}

/// A sample element's attributes, unescaped.
#[derive(Default)]
struct Values<'a> {
    element: Cow<'a, str>,
    elapsed: Option<Cow<'a, str>>,
    latency: Option<Cow<'a, str>>,
    connect: Option<Cow<'a, str>>,
    start: Option<Cow<'a, str>>,
    success: Option<Cow<'a, str>>,
    label: Option<Cow<'a, str>>,
    code: Option<Cow<'a, str>>,
    received: Option<Cow<'a, str>>,
    sent: Option<Cow<'a, str>>,
    users: Option<Cow<'a, str>>,
}

impl<'a> Values<'a> {
    fn of(element: &'a BytesStart) -> Result<Values<'a>, String> {
        let name = String::from_utf8_lossy(element.name().as_ref()).into_owned();
        let mut values = Values {
            element: Cow::Owned(name),
            ..Values::default()
        };
        for attribute in element.attributes() {
            let attribute = attribute.map_err(|e| format!("<{}>: {e}", values.element))?;
            let slot = match attribute.key.as_ref() {
                b"t" => &mut values.elapsed,
                b"lt" => &mut values.latency,
                b"ct" => &mut values.connect,
                b"ts" => &mut values.start,
                b"s" => &mut values.success,
                b"lb" => &mut values.label,
                b"rc" => &mut values.code,
                b"by" => &mut values.received,
                b"sby" => &mut values.sent,
                b"na" => &mut values.users,
                _ => continue,
            };
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| format!("<{}>: {e}", values.element))?;
            *slot = Some(value);
        }
        Ok(values)
    }

    /// An attribute every sample has.
    fn required<'v>(
        &self,
        value: &'v Option<Cow<str>>,
        name: &str,
        what: &str,
    ) -> Result<&'v str, String> {
        value.as_deref().ok_or_else(|| {
            format!(
                "the <{}> has no `{name}` ({what}) attribute, which every JMeter sample has",
                self.element
            )
        })
    }

    fn measured(&self) -> Result<Measured<'_>, String> {
        let required = |value, name, what| self.required(value, name, what);
        let number = |name: &str, value: &Option<Cow<str>>| match value {
            None => Ok(None),
            Some(text) => jmeter::number(name, text.as_bytes()),
        };
        let elapsed = required(&self.elapsed, "t", "elapsed")?;
        let elapsed_ms = jmeter::number("t", elapsed.as_bytes())?
            .ok_or("`t` (elapsed) is empty: it must be a number of milliseconds")?;
        let start = match self.start.as_deref() {
            None | Some("") => None,
            Some(text) => Some(start(text)?),
        };
        let mut measured = Measured {
            label: required(&self.label, "lb", "label")?.as_bytes(),
            elapsed_ms,
            failed: jmeter::failed(required(&self.success, "s", "success")?.as_bytes())?,
            start,
            sampled: Default::default(),
        };
        let sampled = &mut measured.sampled;
        sampled.code = self.code.as_deref().map(str::as_bytes);
        sampled.latency = number("lt", &self.latency)?;
        sampled.connect = number("ct", &self.connect)?;
        sampled.received = number("by", &self.received)?;
        sampled.sent = number("sby", &self.sent)?;
        sampled.users = number("na", &self.users)?;
        Ok(measured)
    }
}

/// `ts`: epoch milliseconds (or a year-first date, as in the CSV format).
fn start(text: &str) -> Result<(i64, bool), String> {
    let epoch = jmeter::whole_number(text.as_bytes())
        .and_then(|ms| i64::try_from(ms).ok()?.checked_mul(1_000_000))
        .map(|ns| (ns, true));
    epoch
        .or_else(|| time::parse(text).map(|instant| (instant.ns, instant.zoned)))
        .ok_or_else(|| format!("ts `{text}` is neither epoch milliseconds nor a date"))
}

/// The input, counting the lines it hands the XML reader and the bytes of the current event.
struct Counted<R> {
    inner: R,
    newlines: u64,
    in_event: u64,
    too_long: bool,
}

impl<R: BufRead> Counted<R> {
    fn new(inner: R) -> Counted<R> {
        Counted {
            inner,
            newlines: 0,
            in_event: 0,
            too_long: false,
        }
    }

    /// The line the next byte is on.
    fn line(&self) -> u64 {
        self.newlines + 1
    }

    fn event_starts(&mut self) {
        self.in_event = 0;
    }

    fn counted(&mut self, bytes: &[u8]) {
        self.newlines += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        self.in_event += bytes.len() as u64;
    }
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.counted(&buf[..read]);
        Ok(read)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.in_event > MAX_EVENT_BYTES {
            self.too_long = true;
            return Err(std::io::Error::other("element too long"));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        let newlines = match self.inner.fill_buf() {
            Ok(buffer) => {
                let consumed = &buffer[..amount.min(buffer.len())];
                consumed.iter().filter(|&&b| b == b'\n').count() as u64
            }
            Err(_) => 0,
        };
        self.newlines += newlines;
        self.in_event += amount as u64;
        self.inner.consume(amount);
    }
}

#[cfg(test)]
mod tests {
    use crate::results::testing::{read_fixture, read_text, values};
    use crate::results::Format;

    #[test]
    fn nested_samples_are_part_of_their_parent_and_bad_samples_are_refused() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
            <testResults version=\"1.2\">\n\
            <sample t=\"99\" lt=\"0\" ts=\"1796475581644\" s=\"false\" lb=\"TX &quot;flow&quot;\" rc=\"500\" by=\"386\" na=\"2\">\n\
              <httpSample t=\"52\" lt=\"52\" ts=\"1796475581676\" s=\"true\" lb=\"GET /cart\" rc=\"200\"/>\n\
            </sample>\n\
            <httpSample t=\"4\" ts=\"1796475581892\" s=\"maybe\" lb=\"GET /missing\"/>\n\
            <httpSample lt=\"4\" ts=\"1796475581892\" s=\"true\" lb=\"GET /\"/>\n\
            <httpSample t=\"7\" lt=\"6\" ts=\"1796475581900\" s=\"true\" lb=\"GET /\" rc=\"200\">\n\
              <assertionResult><name>ok</name><failure>false</failure></assertionResult>\n\
            </httpSample>\n\
            </testResults>\n";
        let sink = read_text(text, None).unwrap();
        assert_eq!(
            sink.refusal_texts(),
            vec![
                "r:6 success `maybe` is neither true nor false",
                "r:7 the <httpSample> has no `t` (elapsed) attribute, which every JMeter sample has",
            ]
        );
        let count = &sink.records[0];
        assert_eq!((count.read, count.used, count.refused), (4, 2, 2));
        assert_eq!(
            values(&sink, "requests"),
            vec![
                "loadtest.requests,request=TX \"flow\",tool=jmeter Count(1.0)",
                "loadtest.requests,request=GET /,tool=jmeter Count(1.0)",
                "loadtest.requests,request=_all,tool=jmeter Count(2.0)",
            ]
        );
    }

    #[test]
    fn what_is_not_a_result_file_stops_with_its_line() {
        let sink = read_text("<?xml version=\"1.0\"?>\n<jmeterTestPlan>\n", None).unwrap();
        let refused = sink.refusal_texts();
        assert!(
            refused[0].starts_with("r:2 r stops here: it is XML with the root <jmeterTestPlan>")
        );
        let broken =
            "<testResults>\n<httpSample t=\"1\" s=\"true\" lb=\"a\"/>\n<httpSample t=\"2\n";
        let sink = read_text(broken, Some(Format::Jmeter)).unwrap();
        assert_eq!(sink.records[0].used, 1);
        assert!(sink.refusal_texts()[0].contains("it is not well-formed XML"));
        let endless = format!("<testResults><httpSample lb=\"{}", "x".repeat(3 << 20));
        let sink = read_text(&endless, None).unwrap();
        assert!(
            sink.refusal_texts()[0].contains("longer than 1 MiB"),
            "{:?}",
            sink.refusals
        );
    }

    #[test]
    fn the_real_xml_files() {
        let flat = read_fixture("jmeter/results-2.13.xml").unwrap();
        assert!(flat.refusals.is_empty(), "{:?}", flat.refusals);
        assert_eq!(flat.records[0].used, 139);
        let nested = read_fixture("jmeter/results-2.13-nested.xml").unwrap();
        assert_eq!(nested.records[0].used, 112);
    }
}
