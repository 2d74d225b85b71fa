//! `--loop`: the rounds of a run added up into one report. Counts add up; an entry a round lists
//! (a refusal, an invalid line, a warning) that an earlier round listed already is listed once,
//! so that a loop over the same bad input does not repeat it every round, and the lists never
//! grow beyond `--report-limit` however long the loop runs.

use std::collections::HashSet;
use std::hash::Hash;

use super::{RecordsReport, Report};

impl Report {
    /// Adds a later round to this one.
    pub fn absorb(&mut self, later: Report, limit: usize) {
        let (l, m) = (&mut self.lines, later.lines);
        l.total += m.total;
        l.metadata += m.metadata;
        l.sent += m.sent;
        l.ok += m.ok;
        l.invalid += m.invalid;
        l.refused_locally += m.refused_locally;
        l.unsent += m.unsent;
        l.unconfirmed += m.unconfirmed;
        l.metadata_uncounted += m.metadata_uncounted;
        l.unlisted_invalid += m.unlisted_invalid;
        list_once(
            (&mut l.invalid_lines, &mut l.invalid_lines_unlisted),
            (m.invalid_lines, m.invalid_lines_unlisted),
            limit,
        );
        list_once(
            (&mut l.refused, &mut l.refused_unlisted),
            (m.refused, m.refused_unlisted),
            limit,
        );
        list_once(
            (&mut l.warnings, &mut l.warnings_unlisted),
            (m.warnings, m.warnings_unlisted),
            limit,
        );
        let (o, n) = (&mut self.otlp, later.otlp);
        o.requests += n.requests;
        o.points += n.points;
        o.points_sent += n.points_sent;
        o.rejected += n.rejected;
        o.message = match (o.message.take(), n.message) {
            (Some(a), Some(b)) if a.contains(&b) => Some(a),
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        o.refused_locally += n.refused_locally;
        list_once(
            (&mut o.refused, &mut o.refused_unlisted),
            (n.refused, n.refused_unlisted),
            limit,
        );
        o.unsent += n.unsent;
        o.unconfirmed += n.unconfirmed;
        o.failure = n.failure.or(o.failure.take());
        o.endpoint = n.endpoint.or(o.endpoint.take());
        self.requests += later.requests;
        self.failure = later.failure.or(self.failure.take());
        self.endpoint = later.endpoint.or(self.endpoint.take());
        self.interrupted = later.interrupted.or(self.interrupted.take());
        for records in later.records {
            add_records(&mut self.records, records);
        }
        self.rounds = Some(self.rounds.unwrap_or(1) + later.rounds.unwrap_or(1));
        self.usage |= later.usage;
        self.judge();
    }
}

/// Adds `more` to `list`, leaving out what it holds already; what does not fit in `limit` is
/// counted as unlisted. Linear in both lists, however long a loop makes them.
fn list_once<T: Eq + Hash>(
    (list, unlisted): (&mut Vec<T>, &mut u64),
    (more, more_unlisted): (Vec<T>, u64),
    limit: usize,
) {
    *unlisted += more_unlisted;
    let fresh: Vec<T> = {
        let listed: HashSet<&T> = list.iter().collect();
        more.into_iter()
            .filter(|item| !listed.contains(item))
            .collect()
    };
    for item in fresh {
        if list.len() < limit {
            list.push(item);
        } else {
            *unlisted += 1;
        }
    }
}

/// The same input's records of every round add up.
fn add_records(all: &mut Vec<RecordsReport>, records: RecordsReport) {
    match all
        .iter_mut()
        .find(|r| r.input == records.input && r.format == records.format)
    {
        Some(r) => {
            r.read += records.read;
            r.used += records.used;
            r.refused += records.refused;
        }
        None => all.push(records),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Capped, Code, Origin, Refusal};
    use crate::report::{LinesResult, OtlpResult};

    fn round_refusing(reasons: &[&str]) -> Report {
        let mut lines = LinesResult {
            refusals: Capped::new(10),
            ..Default::default()
        };
        for reason in reasons {
            lines.refusals.push(Refusal {
                origin: Origin::whole("metrics.json"),
                code: Code::ValueNotFinite,
                reason: (*reason).into(),
            });
        }
        Report::new(true, lines, OtlpResult::default())
    }

    #[test]
    fn a_refusal_repeated_every_round_is_listed_once_and_counted_every_time() {
        let mut totals = round_refusing(&["NaN"]);
        totals.absorb(round_refusing(&["NaN"]), 10);
        totals.absorb(round_refusing(&["NaN", "inf"]), 10);
        assert_eq!(totals.lines.refused_locally, 4);
        let listed: Vec<&str> = totals.lines.refused.iter().map(|r| &*r.error).collect();
        assert_eq!(listed, ["NaN", "inf"]);
        assert_eq!(totals.rounds, Some(3));
    }

    #[test]
    fn the_lists_stay_within_the_limit_and_count_the_rest() {
        let mut totals = round_refusing(&["a"]);
        totals.absorb(round_refusing(&["b", "c"]), 2);
        assert_eq!(totals.lines.refused.len(), 2);
        assert_eq!(totals.lines.refused_unlisted, 1);
    }
}
