//! The report assembled from what the two paths of a run produced: the counts, the lists with
//! how many went unlisted beyond `--report-limit`, and the outcome judged.

use super::{
    InvalidLineReport, LinesReport, OtlpReport, Outcome, RefusedReport, Report, WarningReport,
};
use crate::model::{Capped, Code, Refusal, Warning};
use crate::send::lines::LinesDelivery;
use crate::send::otlp::OtlpDelivery;

/// What the line-protocol path of one run produced.
#[derive(Debug, Default)]
pub struct LinesResult {
    /// Lines that passed local validation.
    pub total: usize,
    /// Of them, metadata lines.
    pub metadata: usize,
    pub refusals: Capped<Refusal>,
    pub warnings: Capped<Warning>,
    /// In a dry run: the lines that would be sent.
    pub payload: Option<Vec<String>>,
    pub delivery: Option<LinesDelivery>,
    pub endpoint: Option<String>,
}

/// What the OTLP path of one run produced.
#[derive(Debug, Default)]
pub struct OtlpResult {
    /// Points that passed local validation.
    pub points: usize,
    pub refusals: Capped<Refusal>,
    /// In a dry run: the requests that would be sent, as OTLP JSON.
    pub payload: Option<Vec<serde_json::Value>>,
    pub delivery: Option<OtlpDelivery>,
    pub endpoint: Option<String>,
}

impl Report {
    pub fn new(dry_run: bool, lines: LinesResult, otlp: OtlpResult) -> Report {
        let delivery = lines.delivery.unwrap_or_default();
        let warnings_unlisted = lines.warnings.more + delivery.warnings.more;
        let mut warnings: Vec<WarningReport> = lines
            .warnings
            .items
            .into_iter()
            .map(|w| WarningReport {
                line: None,
                input: Some(w.origin.to_string()),
                warning: w.text,
                source: "local",
                code: w.code,
            })
            .collect();
        warnings.extend(delivery.warnings.items.into_iter().map(|w| WarningReport {
            line: w.line,
            input: w.origin.map(|o| o.to_string()),
            warning: w.warning,
            source: "dynatrace",
            code: Code::ServerWarning,
        }));
        let listed = delivery.invalid_lines.total();
        let invalid_lines_unlisted = delivery.invalid_lines.more;
        let refused_unlisted = lines.refusals.more;
        let lines_report = LinesReport {
            total: lines.total,
            metadata: lines.metadata,
            sent: delivery.sent,
            ok: delivery.ok,
            invalid: delivery.invalid,
            refused_locally: lines.refusals.total() as usize,
            unsent: delivery.unsent,
            unconfirmed: delivery.unconfirmed,
            metadata_uncounted: delivery.metadata_uncounted,
            invalid_lines: delivery
                .invalid_lines
                .items
                .into_iter()
                .map(|l| InvalidLineReport {
                    line: l.line,
                    error: l.error,
                    input: l.origin.map(|o| o.to_string()).unwrap_or_default(),
                    text: l.text,
                    code: Code::ServerRefused,
                })
                .collect(),
            invalid_lines_unlisted,
            unlisted_invalid: delivery.invalid.saturating_sub(listed),
            refused: refused(lines.refusals),
            refused_unlisted,
            warnings,
            warnings_unlisted,
            payload: lines.payload,
        };
        let otlp_delivery = otlp.delivery.unwrap_or_default();
        let otlp_report = OtlpReport {
            endpoint: otlp.endpoint,
            requests: otlp_delivery.requests,
            points: otlp.points,
            points_sent: otlp_delivery.points_sent,
            rejected: otlp_delivery.rejected,
            message: (!otlp_delivery.messages.is_empty())
                .then(|| otlp_delivery.messages.join("; ")),
            refused_locally: otlp.refusals.total() as usize,
            refused_unlisted: otlp.refusals.more,
            refused: refused(otlp.refusals),
            unsent: otlp_delivery.unsent_points,
            unconfirmed: otlp_delivery.unconfirmed_points,
            failure: otlp_delivery.failure,
            payload: otlp.payload,
        };
        let mut report = Report {
            dry_run,
            outcome: Outcome::Accepted,
            exit_code: 0,
            endpoint: lines.endpoint,
            requests: delivery.requests,
            failure: delivery.failure,
            interrupted: None,
            context: None,
            lines: lines_report,
            otlp: otlp_report,
            records: Vec::new(),
            rounds: None,
            events: Vec::new(),
            usage: false,
        };
        report.judge();
        report
    }
}

fn refused(refusals: Capped<Refusal>) -> Vec<RefusedReport> {
    refusals
        .items
        .into_iter()
        .map(|r| RefusedReport {
            input: r.origin.to_string(),
            error: r.reason,
            code: r.code,
        })
        .collect()
}
