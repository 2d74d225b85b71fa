//! The dimensions set once for the whole run, merged by precedence before anything is read:
//! the default dimensions (lowest, below each metric's own), then labels and metadata <
//! Dynatrace's metadata files < the run's own context (`ci_platform`, the Keptn or CI
//! context), which nothing overrides. Every key is normalised here once, every change is a
//! warning naming where the dimension came from, a dimension that carries the API token is
//! refused, and more dimensions than a line may have are refused at once rather than on every
//! line. Merging takes linear time, whatever the number of keys.

use anyhow::{bail, Result};
use indexmap::map::Entry;
use indexmap::IndexMap;

use crate::encode::MAX_DIMENSIONS;
use crate::model::{Code, Origin, RunDimension, Warning};
use crate::normalize;
use crate::secret::{redact, Secret};

/// Where a run-wide dimension ranks, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    /// `DEFAULT_DIMENSIONS`, `--dimension`: below each metric's own.
    Default,
    /// Labels (`LABELS_*`, `--label`) and the context's metadata (today's Keptn's).
    LabelsAndMetadata,
    /// Dynatrace's metadata files, as the official clients add them.
    MetadataFiles,
    /// `ci_platform` and the Keptn or CI context.
    Context,
}

impl Rank {
    fn name(self) -> &'static str {
        match self {
            Rank::Default => "default dimensions",
            Rank::LabelsAndMetadata => "labels and metadata",
            Rank::MetadataFiles => "Dynatrace's metadata files",
            Rank::Context => "the run's context",
        }
    }
}

/// The run-wide dimensions, keys normalised, values as given.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Lowest precedence, below each metric's own.
    pub defaults: Vec<(String, String)>,
    /// Above each metric's own.
    pub run: Vec<(String, String)>,
    pub warnings: Vec<Warning>,
}

struct Kept {
    raw_key: String,
    value: String,
    source: String,
    rank: Rank,
    /// Where it is shown within its rank: a dimension replaced from a higher rank is shown
    /// where that rank has it, one replaced within its rank keeps its place.
    place: usize,
}

/// Merges `layers`, each given lowest precedence first; `secret` is the API token, if known.
pub fn resolve(
    layers: Vec<(Rank, Vec<RunDimension>)>,
    secret: Option<&Secret>,
) -> Result<Resolved> {
    let mut warnings = Vec::new();
    let mut defaults: IndexMap<String, Kept> = IndexMap::new();
    let mut run: IndexMap<String, Kept> = IndexMap::new();
    for (rank, dimensions) in layers {
        let merged = if rank == Rank::Default {
            &mut defaults
        } else {
            &mut run
        };
        for (place, dimension) in dimensions.into_iter().enumerate() {
            refuse_the_token(&dimension, secret)?;
            let Some(key) = normalized(&dimension, &mut warnings) else {
                continue;
            };
            let mut kept = Kept {
                raw_key: dimension.key,
                value: dimension.value,
                source: dimension.source,
                rank,
                place,
            };
            match merged.entry(key) {
                Entry::Vacant(entry) => {
                    entry.insert(kept);
                }
                Entry::Occupied(mut entry) => {
                    warnings.extend(replaced(entry.key(), entry.get(), &kept));
                    if entry.get().rank == rank {
                        kept.place = entry.get().place;
                    }
                    entry.insert(kept);
                }
            }
        }
    }
    let distinct = run.len() + defaults.keys().filter(|k| !run.contains_key(*k)).count();
    if distinct > MAX_DIMENSIONS {
        let counts: Vec<String> = [Rank::Context, Rank::MetadataFiles, Rank::LabelsAndMetadata]
            .iter()
            .map(|rank| (rank, run.values().filter(|k| k.rank == *rank).count()))
            .chain([(&Rank::Default, distinct - run.len())])
            .filter(|(_, n)| *n > 0)
            .map(|(rank, n)| format!("{n} from {}", rank.name()))
            .collect();
        bail!(
            "{distinct} dimensions would be on every line ({}): Dynatrace takes at most \
             {MAX_DIMENSIONS} per line, so every line would be refused; leave some out",
            counts.join(", ")
        );
    }
    // Shown context first, then labels and metadata, then the files' pairs, whatever replaced
    // what: the order of a line's dimensions does not depend on which source won.
    let shown = |rank: Rank| match rank {
        Rank::Context => 0,
        Rank::LabelsAndMetadata => 1,
        Rank::MetadataFiles => 2,
        Rank::Default => 3,
    };
    run.sort_by(|_, a, _, b| (shown(a.rank), a.place).cmp(&(shown(b.rank), b.place)));
    let pairs = |map: IndexMap<String, Kept>| map.into_iter().map(|(k, kept)| (k, kept.value));
    Ok(Resolved {
        defaults: pairs(defaults).collect(),
        run: pairs(run).collect(),
        warnings,
    })
}

/// A dimension that carries the token would be sent to Dynatrace and printed in every report.
fn refuse_the_token(dimension: &RunDimension, secret: Option<&Secret>) -> Result<()> {
    let carries = |text: &str| redact(text, secret) != text;
    if !carries(&dimension.value) && !carries(&dimension.key) {
        return Ok(());
    }
    let source = redact(&dimension.source, secret);
    let what = match carries(&dimension.key) {
        true => "a dimension's key".to_owned(),
        false => format!("the value of dimension `{}`", dimension.key),
    };
    bail!(
        "{source}: {what} is or holds the API token, which would be sent to Dynatrace as a \
         dimension and shown in every report (the value is not shown): remove it there"
    );
}

/// The normalised key, with a warning for what normalising changed; `None` when the dimension
/// is left out (no valid key, or an empty value, which adds nothing).
fn normalized(dimension: &RunDimension, warnings: &mut Vec<Warning>) -> Option<String> {
    let warn = |warnings: &mut Vec<Warning>, code, text| {
        warnings.push(Warning {
            origin: Origin::whole(dimension.source.as_str()),
            code,
            text,
        })
    };
    let Some(key) = normalize::dimension_key(&dimension.key) else {
        warn(
            warnings,
            Code::DimensionDropped,
            format!(
                "dimension key `{}` has no valid characters; the dimension was dropped",
                dimension.key
            ),
        );
        return None;
    };
    if dimension.value.is_empty() {
        return None;
    }
    if normalize::write_dimension_value(&dimension.value, &mut String::new()) {
        warn(
            warnings,
            Code::DimensionValueTruncated,
            format!(
                "the value of dimension `{key}` ({} characters) was cut to {}, the most \
                 Dynatrace keeps",
                dimension.value.chars().count(),
                normalize::DIMENSION_VALUE_MAX_CHARS
            ),
        );
    }
    Some(key)
}

/// The warning for `earlier` replaced by `later` under the normalised `key`, if it changes
/// anything.
fn replaced(key: &str, earlier: &Kept, later: &Kept) -> Option<Warning> {
    let (code, text) = if earlier.rank == later.rank && earlier.raw_key != later.raw_key {
        (
            Code::DimensionKeyCollision,
            format!(
                "dimension keys `{}` ({}) and `{}` ({}) both become `{key}`; the later value \
                 is sent",
                earlier.raw_key, earlier.source, later.raw_key, later.source
            ),
        )
    } else if earlier.value != later.value {
        let why = match later.rank {
            Rank::Context => "the run's context is not overridden by labels or metadata",
            Rank::MetadataFiles => "Dynatrace's metadata files rank above labels and metadata",
            _ => "the later one wins",
        };
        (
            Code::DimensionOverridden,
            format!(
                "dimension `{key}` from {} (`{}`) was replaced by {} (`{}`): {why}",
                earlier.source, earlier.value, later.source, later.value
            ),
        )
    } else {
        return None;
    };
    Some(Warning {
        origin: Origin::whole(earlier.source.as_str()),
        code,
        text,
    })
}

#[cfg(test)]
mod tests;
