//! GitHub Actions' step outputs: `name=value` lines appended to the file `GITHUB_OUTPUT` names,
//! so that later steps read the run's figures as `steps.<id>.outputs.<name>`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use super::Report;

/// The outputs of `report`, in the order `action.yml` declares them.
pub fn outputs(report: &Report) -> Vec<(&'static str, String)> {
    let word = |value: serde_json::Value| value.as_str().unwrap_or_default().to_owned();
    let (lines, points) = (&report.lines, &report.otlp);
    let mut outputs = vec![
        ("outcome", word(serde_json::json!(report.outcome))),
        ("exit-code", report.exit_code.to_string()),
        ("lines-ok", lines.ok.to_string()),
        ("lines-invalid", lines.invalid.to_string()),
        ("lines-refused-locally", lines.refused_locally.to_string()),
        ("lines-unsent", lines.unsent.to_string()),
        ("lines-unconfirmed", lines.unconfirmed.to_string()),
        ("points-sent", points.points_sent.to_string()),
        ("points-rejected", points.rejected.to_string()),
    ];
    // The worst of the events' outcomes (refused over unanswered over accepted), none without.
    let events: Vec<String> = report
        .events
        .iter()
        .map(|e| word(serde_json::json!(e.outcome)))
        .collect();
    let event = ["refused", "unanswered", "accepted", "dry_run"]
        .into_iter()
        .find(|o| events.iter().any(|e| e == o));
    outputs.push(("event-outcome", event.unwrap_or_default().to_owned()));
    outputs
}

/// Appends the outputs of `report` to the file at `path`.
pub fn write(path: &Path, report: &Report) -> Result<()> {
    let mut text = String::new();
    for (name, value) in outputs(report) {
        text.push_str(&format!("{name}={value}\n"));
    }
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .with_context(|| {
            format!(
                "writing the step outputs to {} (GITHUB_OUTPUT)",
                path.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{LinesResult, OtlpResult};

    #[test]
    fn every_output_is_one_name_value_line() {
        let report = Report::new(false, LinesResult::default(), OtlpResult::default());
        let names: Vec<&str> = outputs(&report).iter().map(|(n, _)| *n).collect();
        assert_eq!(names.len(), 10);
        let dir = std::env::temp_dir().join(format!("kdm-gh-output-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("output");
        std::fs::write(&path, "earlier=1\n").unwrap();
        write(&path, &report).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("earlier=1\noutcome=accepted\nexit-code=0\n"),
            "{text}"
        );
        assert!(text.ends_with("event-outcome=\n"), "{text}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
