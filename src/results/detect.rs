//! Which results format a file holds, from its first line: a CSV header names its columns, a
//! JSON object either is one line of k6's JSON output or starts a summary.

use anyhow::{bail, Result};
use serde::Deserialize;
use serde_json::Value as Json;

use super::csv_rows::split;
use super::{jtl, k6_csv, Format};

/// The format `head` (the input's first line) starts, or why it is none of them.
pub fn format(name: &str, head: &[u8]) -> Result<Format> {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        bail!("{name} is empty: there are no results in it");
    };
    match text[start] {
        b'{' if is_k6_output_line(&text[start..]) => return Ok(Format::K6Json),
        b'{' => return Ok(Format::K6Summary),
        b'<' => return markup(name, &text[start..]),
        b'[' => return Ok(Format::Locust),
        _ => {}
    }
    if k6_csv::is_header(text) {
        return Ok(Format::K6Csv);
    }
    let fields = header_fields(text);
    let has = |column: &str| fields.iter().any(|f| f.eq_ignore_ascii_case(column));
    if has("elapsed") && has("label") {
        return Ok(Format::Jmeter);
    }
    if has("name") && (has("request count") || has("# requests")) {
        return Ok(Format::Locust);
    }
    if has("occurrences") && has("error") {
        bail!(
            "{name} is Locust's failures file: give PREFIX_stats.csv to --results (the failures \
             file beside it is read with it)"
        );
    }
    if has("user count") || has("traceback") {
        bail!("{name} is one of Locust's other files: give PREFIX_stats.csv to --results");
    }
    if jtl::headless(text).is_some() {
        return Ok(Format::Jmeter);
    }
    if jtl::looks_headless(text) {
        bail!("{}", jtl::headless_message(name));
    }
    if is_k6_console(text) {
        bail!(
            "{name} is k6's console text, made to be read by people, not here: give k6's \
             summary as JSON (k6 run --summary-export=summary.json, or handleSummary returning \
             JSON.stringify(data)) or its JSON output (k6 run --out json=results.json)"
        );
    }
    bail!("{name} is not a results file this tool reads: {FORMATS}");
}

/// The most of a JSON document read to tell what it is: as much as a k6 summary may have.
pub const MAX_DOCUMENT_BYTES: u64 = 16 * 1024 * 1024;

/// Checks that a JSON object is a k6 summary: a `metrics` object whose entries look like k6's
/// metrics (a `type` of k6's, `values`, or the numbers k6 gives). An `--input` document (its
/// `metrics` a list) and other objects are refused with what to give instead; a document too
/// long to tell, or not JSON, is left to the summary's reader, which says where it breaks.
pub fn json_document(name: &str, document: &[u8]) -> Result<()> {
    if document.len() as u64 > MAX_DOCUMENT_BYTES {
        return Ok(());
    }
    let Ok(Json::Object(top)) = serde_json::from_slice::<Json>(document) else {
        return Ok(());
    };
    const STATS: [&str; 12] = [
        "count",
        "rate",
        "avg",
        "min",
        "max",
        "med",
        "value",
        "passes",
        "fails",
        "p(90)",
        "p(95)",
        "thresholds",
    ];
    let k6_metric = |entry: &Json| {
        entry.as_object().is_some_and(|entry| {
            let typed = entry
                .get("type")
                .and_then(Json::as_str)
                .is_some_and(|t| matches!(t, "trend" | "counter" | "rate" | "gauge"));
            typed
                || entry.get("values").is_some_and(Json::is_object)
                || STATS.iter().any(|stat| entry.contains_key(*stat))
        })
    };
    match top.get("metrics") {
        Some(Json::Object(metrics)) if !metrics.is_empty() && metrics.values().all(k6_metric) => {
            Ok(())
        }
        Some(Json::Array(_)) => bail!(
            "{name} is a metrics document (its `metrics` is a list of metrics), which --input \
             reads: give it to --input, not --results"
        ),
        _ => bail!(
            "{name} is a JSON object that is not a k6 summary (a `metrics` object of k6's \
             metrics): {}",
            FORMATS
        ),
    }
}

/// What `--results` reads, for the messages that list it.
const FORMATS: &str = "--results reads a JMeter JTL (CSV, with its header row or JMeter's \
    default columns, or XML), Locust's JSON (--json-file) or PREFIX_stats.csv, or k6's summary \
    (--summary-export, handleSummary), JSON output (--out json) or CSV output (--out csv); \
    --results-format names the \
    format when it is one of these";

/// True when `head` starts (after a byte-order mark and blanks) with `<`: XML or HTML.
pub fn is_markup(head: &[u8]) -> bool {
    starts_with(head, b'<')
}

/// True when `head`'s first byte after a byte-order mark and blanks is `byte`.
pub fn starts_with(head: &[u8], byte: u8) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&byte)
}

/// JMeter's XML results, or a page for people that says what to give instead.
fn markup(name: &str, text: &[u8]) -> Result<Format> {
    let lower = String::from_utf8_lossy(&text[..text.len().min(200)]).to_ascii_lowercase();
    if lower.starts_with("<?xml") || lower.starts_with("<testresults") {
        return Ok(Format::Jmeter);
    }
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        bail!(
            "{name} is an HTML page (Locust's --html report or JMeter's dashboard), made to be \
             read by people, not here: give Locust's JSON (--json-file NAME writes NAME.json) or \
             PREFIX_stats.csv (--csv PREFIX), or JMeter's JTL (-l results.jtl)"
        );
    }
    bail!(
        "{name} is markup that is not a JMeter result file (those start with <?xml or \
         <testResults>): give JMeter's JTL, Locust's JSON or stats file, or k6's summary or \
         JSON output"
    )
}

/// The fields of a header line, whatever of the delimiters JMeter and Locust use it has.
pub fn header_fields(line: &[u8]) -> Vec<String> {
    [b',', b'\t', b';', b'|']
        .iter()
        .map(|&delimiter| split(line, delimiter))
        .max_by_key(Vec::len)
        .unwrap_or_default()
}

/// True when `line` is a line of k6's console output: its logo, or its summary's bars and dots.
fn is_k6_console(line: &[u8]) -> bool {
    let line = String::from_utf8_lossy(line);
    line.contains("/‾‾/")
        || line.contains('█')
        || (line.contains("http_req") || line.contains("checks")) && line.contains("....")
}

/// True when `line` is one object of k6's JSON output: `{"type":"Metric"|"Point",...}`.
fn is_k6_output_line(line: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(rename = "type", borrow)]
        kind: std::borrow::Cow<'a, str>,
        #[allow(dead_code, reason = "only its presence is checked")]
        metric: serde::de::IgnoredAny,
    }
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    serde_json::from_slice::<Envelope>(line)
        .is_ok_and(|envelope| matches!(&*envelope.kind, "Metric" | "Point"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detected(head: &str) -> Result<Format> {
        format("r", head.as_bytes())
    }

    #[test]
    fn headers_and_json_shapes_name_the_format() {
        let jtl = "timeStamp,elapsed,label,responseCode,success\n";
        assert_eq!(detected(jtl).unwrap(), Format::Jmeter);
        let tab = "timeStamp\telapsed\tlabel\tsuccess\r\n";
        assert_eq!(detected(tab).unwrap(), Format::Jmeter);
        // JMeter 2.x's default: no header row, its default columns.
        let headless = "1795650413678,36,\"GET /a, b\",200,OK,T 1-1,text,true,167,2,2,36\n";
        assert_eq!(detected(headless).unwrap(), Format::Jmeter);
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
        assert_eq!(detected(xml).unwrap(), Format::Jmeter);
        assert_eq!(
            detected("<testResults version=\"1.2\">").unwrap(),
            Format::Jmeter
        );
        let locust = "Type,Name,Request Count,Failure Count,Median Response Time\r\n";
        assert_eq!(detected(locust).unwrap(), Format::Locust);
        let point = r#"{"metric":"http_reqs","type":"Point","data":{"value":1}}"#;
        assert_eq!(detected(&format!("{point}\n")).unwrap(), Format::K6Json);
        assert_eq!(detected("{\n").unwrap(), Format::K6Summary);
        let one_line_summary = r#"{"root_group":{},"metrics":{"http_reqs":{"type":"counter"}}}"#;
        assert_eq!(detected(one_line_summary).unwrap(), Format::K6Summary);
        assert_eq!(
            detected("\u{feff}  {\"metrics\"").unwrap(),
            Format::K6Summary
        );
    }

    #[test]
    fn what_is_not_results_says_what_it_is() {
        let error = |head: &str| detected(head).unwrap_err().to_string();
        assert!(error("").contains("empty"));
        assert!(error("<!DOCTYPE html>\n").contains("Locust's JSON (--json-file NAME"));
        assert!(error("<svg>\n").contains("not a JMeter result file"));
        assert!(error("Method,Name,Error,Occurrences\r\n").contains("failures file"));
        assert!(error("1795650413678,36,GET /,200,true,7\n").contains("print_field_names=true"));
        assert!(error("a,b,c\n").contains("--results-format"));
    }

    #[test]
    fn a_json_object_is_a_k6_summary_only_with_k6_metrics() {
        let fixture = |name: &str| std::fs::read(crate::results::testing::fixture(name)).unwrap();
        for summary in ["k6/summary-export.json", "k6/handle-summary.json"] {
            assert!(json_document("s", &fixture(summary)).is_ok(), "{summary}");
        }
        let input = br#"{"metrics": [{"name": "x", "value": 1}]}"#;
        let error = json_document("in.json", input).unwrap_err().to_string();
        assert!(
            error.contains("give it to --input, not --results"),
            "{error}"
        );
        for other in [
            &br#"{"metrics": {}}"#[..],
            br#"{"metrics": {"a": 1}}"#,
            br#"{"a": 1}"#,
        ] {
            let error = json_document("o.json", other).unwrap_err().to_string();
            assert!(error.contains("not a k6 summary"), "{error}");
            assert!(error.contains("a JMeter JTL"), "{error}");
        }
        // Not JSON: the summary's reader says where it breaks.
        assert!(json_document("b.json", b"{\"metrics\": ").is_ok());
    }
}
