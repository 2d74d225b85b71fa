//! The dimensions of a line: the metric's own normalised into reused buffers, then merged with
//! the default ones and the run's (context, labels, metadata) by precedence, each silent change
//! a warning. Both steps stop at more than [`MAX_DIMENSIONS`] keys, which refuses the line, so
//! that a line costs linear time whatever the number of its dimensions.

use super::{Dimensions, LineEncoder, MAX_DIMENSIONS};
use crate::model::{Capped, Code, Metric, Warning};
use crate::normalize::{self, TooMany};
use smallvec::SmallVec;

/// A line's dimensions: key, escaped value, and the layer each came from.
pub(super) type Merged<'a> = SmallVec<[(&'a str, &'a str, Layer); 32]>;

/// Which layer a merged dimension comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Layer {
    Default,
    Own,
    Context,
}

impl LineEncoder {
    /// Normalises the metric's own dimensions into the reused buffers; a key with nothing left
    /// and an empty value drop the dimension; two keys that become one keep the later value in
    /// the first place. Stops at more keys than a line may have.
    pub(super) fn own_dimensions(
        &mut self,
        metric: &Metric,
        warnings: &mut Capped<Warning>,
    ) -> Result<(), TooMany> {
        self.own_text.clear();
        self.own.clear();
        for (i, (raw_key, raw_value)) in metric.dimensions.iter().enumerate() {
            let key_start = self.own_text.len();
            if !normalize::write_dimension_key(raw_key, &mut self.own_text) {
                warnings.push_with(|| Warning {
                    origin: metric.origin.clone(),
                    code: Code::DimensionDropped,
                    text: format!(
                        "dimension key `{raw_key}` has no valid characters; the dimension was dropped"
                    ),
                });
                continue;
            }
            let value_start = self.own_text.len();
            let key = &self.own_text[key_start..value_start];
            let earlier = self
                .own
                .iter()
                .position(|(k, _, _)| self.own_text[k.clone()] == *key);
            if let Some(earlier) = earlier {
                let earlier_key = &metric.dimensions[self.own[earlier].2].0;
                warnings.push_with(|| Warning {
                    origin: metric.origin.clone(),
                    code: Code::DimensionKeyCollision,
                    text: format!(
                        "dimension keys `{earlier_key}` and `{raw_key}` both become `{key}`; the \
                         later value is sent"
                    ),
                });
            }
            let cut = normalize::write_dimension_value(raw_value, &mut self.own_text);
            if cut {
                warnings.push_with(|| Warning {
                    origin: metric.origin.clone(),
                    code: Code::DimensionValueTruncated,
                    text: format!(
                        "the value of dimension `{raw_key}` ({} characters) was cut to {}, the \
                         most Dynatrace keeps",
                        raw_value.chars().count(),
                        normalize::DIMENSION_VALUE_MAX_CHARS
                    ),
                });
            }
            if self.own_text.len() == value_start {
                self.own_text.truncate(key_start);
                continue;
            }
            let end = self.own_text.len();
            match earlier {
                Some(earlier) => self.own[earlier].1 = value_start..end,
                None if self.own.len() == MAX_DIMENSIONS => return Err(TooMany),
                None => self.own.push((key_start..value_start, value_start..end, i)),
            }
        }
        Ok(())
    }

    /// The dimensions of the line into `merged`, by precedence: default < the metric's own <
    /// the run's; a later layer's key takes the value in its first place.
    pub(super) fn merge<'a>(
        &'a self,
        metric: &Metric,
        warnings: &mut Capped<Warning>,
        merged: &mut Merged<'a>,
    ) -> Result<(), TooMany> {
        let pair = |(k, v): &'a (String, String)| (k.as_str(), v.as_str());
        let own = self.own.iter().map(|(k, v, _)| {
            (
                &self.own_text[k.clone()],
                &self.own_text[v.clone()],
                Layer::Own,
            )
        });
        let layers = self
            .default_dimensions
            .iter()
            .map(pair)
            .map(|(k, v)| (k, v, Layer::Default))
            .chain(own)
            .chain(
                self.context_dimensions
                    .iter()
                    .map(pair)
                    .map(|(k, v)| (k, v, Layer::Context)),
            );
        normalize::merge_dimensions_into(
            layers,
            |(key, _, _)| key,
            |(key, replaced, earlier), (_, value, later)| {
                if earlier == Layer::Own && later == Layer::Context && replaced != value {
                    warnings.push_with(|| Warning {
                        origin: metric.origin.clone(),
                        code: Code::DimensionOverridden,
                        text: format!(
                            "dimension `{key}` is set for the whole run (its context, labels or \
                             metadata); the metric's value `{replaced}` was replaced by `{value}`"
                        ),
                    });
                }
            },
            MAX_DIMENSIONS,
            merged,
        )
    }
}

/// Dimensions given once for the run, normalised and escaped; a later key wins in its first
/// place.
pub(super) fn normalized_dimensions(raw: &[(String, String)]) -> Dimensions {
    let normalized = raw.iter().filter_map(|(key, value)| {
        let value = normalize::dimension_value(value);
        Some((normalize::dimension_key(key)?, value)).filter(|(_, v)| !v.is_empty())
    });
    crate::model::merge_pairs(normalized)
}
