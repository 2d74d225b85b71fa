//! A reader for Dynatrace line protocol as users write it (`--lines` files and `--metric`):
//! `key[,dim=value...] payload [timestamp]` and metadata lines `#key gauge dt.meta.unit=...`.
//! It only reads; normalisation and the protocol's limits are the encoder's job.

use crate::model::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum ParsedLine {
    Metric {
        key: String,
        dimensions: Dimensions,
        value: Value,
        timestamp: Option<i64>,
    },
    Metadata {
        key: String,
        payload_type: &'static str,
        unit: Option<String>,
        description: Option<String>,
        display_name: Option<String>,
    },
}

/// Dimension keys and values as written, unescaped.
pub type Dimensions = Vec<(String, String)>;

const PAYLOAD_HELP: &str = "expected a payload such as `42`, `gauge,42`, `count,delta=5` or \
                            `gauge,min=1,max=3,sum=6,count=3`";

pub fn parse_line(line: &str) -> Result<ParsedLine, String> {
    match line.strip_prefix('#') {
        Some(metadata) => parse_metadata(metadata),
        None => parse_metric(line),
    }
}

fn parse_metric(line: &str) -> Result<ParsedLine, String> {
    let key_end = line.find([',', ' ']).unwrap_or(line.len());
    let key = &line[..key_end];
    if key.is_empty() {
        return Err("a line must start with a metric key".into());
    }
    let mut rest = &line[key_end..];
    let mut dimensions = Vec::new();
    if let Some(after_comma) = rest.strip_prefix(',') {
        let (parsed, remainder) = parse_dimensions(after_comma)?;
        dimensions = parsed;
        rest = remainder;
    }
    let fields = rest.split_ascii_whitespace().count();
    if fields > 2 {
        return Err(format!(
            "the line has {} fields where at most 3 are allowed: `key[,dimensions] payload \
             [timestamp]` (a space in a dimension value is written `\\ `)",
            fields + 1
        ));
    }
    let mut tokens = rest.split_ascii_whitespace();
    let payload = tokens
        .next()
        .ok_or_else(|| format!("the metric key `{key}` has no value: {PAYLOAD_HELP}"))?;
    let value = parse_payload(payload)?;
    let timestamp = tokens
        .next()
        .map(|t| {
            t.parse::<i64>().map_err(|_| {
                format!("timestamp `{t}` is not an integer (UTC milliseconds since 1970)")
            })
        })
        .transpose()?;
    Ok(ParsedLine::Metric {
        key: key.to_owned(),
        dimensions,
        value,
        timestamp,
    })
}

/// Reads `k=v,k="quoted v"` up to the first unescaped space; returns the pairs (unescaped) and
/// the remainder starting at that space.
fn parse_dimensions(mut s: &str) -> Result<(Dimensions, &str), String> {
    let mut dimensions = Vec::new();
    loop {
        let eq = s
            .find(['=', ',', ' '])
            .filter(|&i| s.as_bytes()[i] == b'=')
            .ok_or_else(|| {
                let shown = s.split([',', ' ']).next().unwrap_or_default();
                format!("dimension `{shown}` has no `=value`")
            })?;
        let key = &s[..eq];
        if key.is_empty() {
            return Err("a dimension key is empty (`,=value`)".into());
        }
        let (value, consumed) =
            read_dimension_value(&s[eq + 1..]).map_err(|e| format!("dimension `{key}`: {e}"))?;
        dimensions.push((key.to_owned(), value));
        s = &s[eq + 1 + consumed..];
        match s.chars().next() {
            Some(',') => s = &s[1..],
            _ => return Ok((dimensions, s)),
        }
    }
}

/// Returns the unescaped value and how many bytes of `s` it took.
fn read_dimension_value(s: &str) -> Result<(String, usize), String> {
    let mut value = String::new();
    if let Some(quoted) = s.strip_prefix('"') {
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, escaped)) => value.push(escaped),
                    None => break,
                },
                '"' => {
                    let consumed = 1 + i + 1;
                    return match s[consumed..].chars().next() {
                        None | Some(',') | Some(' ') => Ok((value, consumed)),
                        Some(other) => Err(format!("unexpected `{other}` after a quoted value")),
                    };
                }
                _ => value.push(c),
            }
        }
        return Err("a quoted value has no closing `\"`".into());
    }
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, escaped)) => value.push(escaped),
                None => return Err("the value ends in a lone `\\`".into()),
            },
            ',' | ' ' => return Ok((value, i)),
            _ => value.push(c),
        }
    }
    Ok((value, s.len()))
}

pub fn parse_payload(payload: &str) -> Result<Value, String> {
    let Some((kind, body)) = payload.split_once(',') else {
        return match payload {
            "gauge" | "count" => Err(format!("`{payload}` needs a value: {PAYLOAD_HELP}")),
            _ => parse_number(payload, "value").map(Value::Gauge),
        };
    };
    match kind {
        "gauge" if body.contains('=') => parse_summary(body),
        "gauge" => parse_number(body, "gauge value").map(Value::Gauge),
        "count" => match body.strip_prefix("delta=") {
            Some(delta) => parse_number(delta, "delta").map(Value::Count),
            None => Err(format!(
                "`{payload}`: a counter is written `count,delta=<number>`"
            )),
        },
        _ => Err(format!("unknown payload type `{kind}`: {PAYLOAD_HELP}")),
    }
}

fn parse_summary(body: &str) -> Result<Value, String> {
    let (mut min, mut max, mut sum, mut count) = (None, None, None, None);
    for field in body.split(',') {
        let (name, raw) = field
            .split_once('=')
            .ok_or_else(|| format!("summary field `{field}` has no `=value`"))?;
        let slot = match name {
            "min" => &mut min,
            "max" => &mut max,
            "sum" => &mut sum,
            "count" => {
                let n = raw.parse::<u64>().map_err(|_| {
                    format!("summary count `{raw}` is not a whole number of at least 0")
                })?;
                if count.replace(n).is_some() {
                    return Err("summary field `count` given twice".into());
                }
                continue;
            }
            _ => {
                return Err(format!(
                    "unknown summary field `{name}`: a summary has min, max, sum and count"
                ))
            }
        };
        if slot.replace(parse_number(raw, name)?).is_some() {
            return Err(format!("summary field `{name}` given twice"));
        }
    }
    match (min, max, sum, count) {
        (Some(min), Some(max), Some(sum), Some(count)) => Ok(Value::Summary {
            min,
            max,
            sum,
            count,
        }),
        _ => Err("a summary needs all of min, max, sum and count \
                  (`gauge,min=1,max=3,sum=6,count=3`)"
            .into()),
    }
}

fn parse_number(raw: &str, what: &str) -> Result<f64, String> {
    raw.parse::<f64>()
        .map_err(|_| format!("{what} `{raw}` is not a number"))
}

fn parse_metadata(line: &str) -> Result<ParsedLine, String> {
    let mut parts = line.splitn(3, ' ');
    let key = parts.next().unwrap_or_default();
    let payload_type = match parts.next() {
        Some("gauge") => "gauge",
        Some("count") => "count",
        _ => return Err(
            "a metadata line reads `#<key> gauge dt.meta.unit=<unit>,dt.meta.description=\"...\"` \
                 (type gauge or count)"
                .into(),
        ),
    };
    if key.is_empty() {
        return Err("a metadata line must name a metric key right after `#`".into());
    }
    let fields = parts.next().unwrap_or_default().trim_end();
    let (pairs, rest) = parse_dimensions(fields)?;
    if !rest.trim().is_empty() {
        return Err(format!("unexpected `{}` after the metadata", rest.trim()));
    }
    let (mut unit, mut description, mut display_name) = (None, None, None);
    for (name, value) in pairs {
        match name.as_str() {
            "dt.meta.unit" => unit = Some(value),
            "dt.meta.description" => description = Some(value),
            "dt.meta.displayName" | "dt.meta.displayname" => display_name = Some(value),
            _ => {
                return Err(format!(
                    "unknown metadata field `{name}`: allowed are dt.meta.unit, \
                     dt.meta.description and dt.meta.displayName"
                ))
            }
        }
    }
    Ok(ParsedLine::Metadata {
        key: key.to_owned(),
        payload_type,
        unit,
        description,
        display_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(line: &str) -> (String, Vec<(String, String)>, Value, Option<i64>) {
        match parse_line(line).unwrap() {
            ParsedLine::Metric {
                key,
                dimensions,
                value,
                timestamp,
            } => (key, dimensions, value, timestamp),
            other => panic!("not a metric: {other:?}"),
        }
    }

    #[test]
    fn reads_all_payload_forms() {
        assert_eq!(metric("a.b 42").2, Value::Gauge(42.0));
        assert_eq!(metric("a.b gauge,1.5").2, Value::Gauge(1.5));
        assert_eq!(metric("a.b count,delta=3").2, Value::Count(3.0));
        assert_eq!(
            metric("a.b gauge,min=1,max=3,sum=6,count=3").2,
            Value::Summary {
                min: 1.0,
                max: 3.0,
                sum: 6.0,
                count: 3
            }
        );
        assert_eq!(metric("a.b 1 1700000000000").3, Some(1_700_000_000_000));
    }

    #[test]
    fn unescapes_dimension_values() {
        let (_, dims, _, _) = metric(r#"a.b,x=a\ b\,c,y="q \"z\", w",z= 1"#);
        assert_eq!(
            dims,
            vec![
                ("x".into(), "a b,c".into()),
                ("y".into(), "q \"z\", w".into()),
                ("z".into(), "".into()),
            ]
        );
    }

    #[test]
    fn explains_what_is_wrong() {
        let err = |l: &str| parse_line(l).unwrap_err();
        assert!(err("a.b").contains("has no value"));
        assert!(err("a.b,dim 1").contains("has no `=value`"));
        assert!(err("a.b count,4").contains("count,delta="));
        assert!(err("a.b gauge,min=1,max=2").contains("needs all of"));
        assert!(err("a.b,d=x y 1").contains("not a number"));
        assert!(err("a.b 1 12:00").contains("timestamp"));
        assert!(err("a.b 1 2 3").contains("4 fields where at most 3 are allowed"));
        assert!(err("a b c d").contains("4 fields where at most 3 are allowed"));
        assert!(err(r#"a.b,d="open 1"#).contains("closing"));
    }

    #[test]
    fn reads_metadata_lines() {
        assert_eq!(
            parse_line(r#"#a.b gauge dt.meta.unit=MilliSecond,dt.meta.description="p95, ms""#),
            Ok(ParsedLine::Metadata {
                key: "a.b".into(),
                payload_type: "gauge",
                unit: Some("MilliSecond".into()),
                description: Some("p95, ms".into()),
                display_name: None,
            })
        );
        assert!(parse_line("#a.b gauge dt.meta.colour=red").is_err());
    }
}
