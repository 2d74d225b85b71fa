//! `--metric`: `NAME=VALUE` for a gauge, or a line-protocol line whose key gets the prefix. A
//! malformed argument is a usage error: nothing is sent.

use std::sync::Arc;

use anyhow::{bail, Result};

use super::lineproto::{parse_line, ParsedLine};
use crate::model::{Metric, Origin, Position};

/// The metric an argument gives; an error names the argument and says what is wrong.
pub fn parse(argument: &str, index: u32) -> Result<Metric> {
    let origin = Origin::new(&Arc::from("--metric"), Position::Argument(index));
    match metric(argument, origin.clone()) {
        Ok(metric) => Ok(metric),
        Err(error) => bail!("{origin} `{argument}`: {error}"),
    }
}

/// `NAME=VALUE` (the last `=` separates the value), or a whole line with a relative key.
fn metric(argument: &str, origin: Origin) -> Result<Metric, String> {
    let line = if argument.trim().contains(char::is_whitespace) {
        argument.trim().to_owned()
    } else {
        match argument.rsplit_once('=') {
            Some((key, value)) => format!("{key} {value}"),
            None => {
                return Err(
                    "expected NAME=VALUE (e.g. `build_time=42`) or a line such as \
                            `build_time,step=compile gauge,42`"
                        .into(),
                )
            }
        }
    };
    match parse_line(&line)? {
        ParsedLine::Metric {
            key,
            dimensions,
            value,
            timestamp,
        } => Ok(Metric {
            key,
            prefixed: true,
            dimensions,
            value,
            timestamp,
            origin,
        }),
        ParsedLine::Metadata { .. } => {
            Err("metadata lines belong in a --lines file, not in --metric".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;

    fn one(argument: &str) -> Result<Metric, String> {
        parse(argument, 1).map_err(|e| e.to_string())
    }

    #[test]
    fn metric_arguments() {
        let m = one("build_time,step=compile=42.5").unwrap();
        assert_eq!(m.key, "build_time");
        assert_eq!(m.dimensions, vec![("step".into(), "compile".into())]);
        assert_eq!(m.value, Value::Gauge(42.5));
        assert_eq!(m.origin.to_string(), "--metric #1");
        let m = one("deploys count,delta=1").unwrap();
        assert_eq!(m.value, Value::Count(1.0));
        assert!(one("novalue")
            .unwrap_err()
            .starts_with("--metric #1 `novalue`: expected NAME=VALUE"));
        assert!(one("#a.b gauge dt.meta.unit=Byte")
            .unwrap_err()
            .contains("metadata lines belong in a --lines file"));
    }
}
