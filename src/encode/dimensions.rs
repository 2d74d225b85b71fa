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
        self.own_text_whole = true;
        for (i, (raw_key, raw_value)) in metric.dimensions.iter().enumerate() {
            let pair_start = self.own_text.len();
            self.own_text.push(',');
            let key_start = self.own_text.len();
            if !self.dimension_keys.write(raw_key, &mut self.own_text) {
                self.own_text.truncate(pair_start);
                warnings.push_with(|| Warning {
                    origin: metric.origin.clone(),
                    code: Code::DimensionDropped,
                    text: format!(
                        "dimension key `{raw_key}` has no valid characters; the dimension was dropped"
                    ),
                });
                continue;
            }
            let key_end = self.own_text.len();
            let key = &self.own_text[key_start..key_end];
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
            self.own_text.push('=');
            let value_start = self.own_text.len();
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
                self.own_text.truncate(pair_start);
                continue;
            }
            let end = self.own_text.len();
            match earlier {
                Some(earlier) => {
                    self.own[earlier].1 = value_start..end;
                    self.own_text_whole = false;
                }
                None if self.own.len() == MAX_DIMENSIONS => return Err(TooMany),
                None => self.own.push((key_start..key_end, value_start..end, i)),
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

/// The default and the run's dimensions as they stand around a line's own when no own key is
/// one of theirs: the default ones first (a run's value in place of a default one of the same
/// key), then the run's other ones, each written out as `,key=value`.
#[derive(Debug, Default)]
pub(super) struct Layers {
    before: String,
    after: String,
    keys: Vec<String>,
}

impl Layers {
    pub(super) fn new(default: &Dimensions, context: &Dimensions) -> Layers {
        let mut layers = Layers::default();
        let merged = default
            .iter()
            .map(|(k, v)| (k, v, Layer::Default))
            .chain(context.iter().map(|(k, v)| (k, v, Layer::Context)));
        let merged = crate::model::merge_pairs(merged.map(|(k, v, layer)| (k, (v, layer))));
        for (key, (value, layer)) in merged {
            let run_only = layer == Layer::Context && !default.iter().any(|(k, _)| k == key);
            let part = match run_only {
                true => &mut layers.after,
                false => &mut layers.before,
            };
            part.push(',');
            part.push_str(key);
            part.push('=');
            part.push_str(value);
            layers.keys.push(key.clone());
        }
        layers
    }
}

impl LineEncoder {
    /// Writes the line's dimensions when none of its own keys is a default or a run's key and
    /// they are not too many: the layers as written once, the own ones between them. False
    /// (nothing written) otherwise: the merge decides.
    pub(super) fn write_apart_from_layers(&self, out: &mut String) -> bool {
        let layers = &self.layers;
        let apart = layers.keys.len() + self.own.len() <= MAX_DIMENSIONS
            && self.own.iter().all(|(k, _, _)| {
                let own = self.own_text[k.clone()].as_bytes();
                // Lengths and first bytes first: most keys differ in one or the other.
                !layers.keys.iter().any(|key| {
                    let key = key.as_bytes();
                    key.len() == own.len() && key.first() == own.first() && key == own
                })
            });
        if apart {
            out.push_str(&layers.before);
            if self.own_text_whole {
                out.push_str(&self.own_text);
            } else {
                for (key, value, _) in &self.own {
                    out.push(',');
                    out.push_str(&self.own_text[key.clone()]);
                    out.push('=');
                    out.push_str(&self.own_text[value.clone()]);
                }
            }
            out.push_str(&layers.after);
        }
        apart
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::EncodeSettings;
    use crate::model::{Origin, Value};

    proptest::proptest! {
        /// Lines whose own keys are none of the layers' take the layers as written once; the
        /// result is what the merge makes of them, whichever keys the lines have.
        #[test]
        fn layers_written_once_are_what_the_merge_writes(
            own in proptest::collection::vec(
                (proptest::sample::select(vec!["team", "Region", "keptn_project", "ci_platform", "b", "env"]), "[a-z ,=]{0,4}"),
                0..6,
            ),
            default in proptest::collection::vec(
                (proptest::sample::select(vec!["team", "env", "keptn_stage"]), "[a-z]{1,3}"),
                0..3,
            ),
        ) {
            let settings = EncodeSettings {
                key_prefix: "keptn".into(),
                default_dimensions: default.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
                static_dimensions: vec![
                    ("keptn_project".into(), "shop".into()),
                    ("keptn_stage".into(), "dev".into()),
                    ("ci_platform".into(), "keptn".into()),
                ],
                resource_attributes: vec![],
            };
            let metric = Metric {
                key: "m".into(),
                prefixed: true,
                dimensions: own.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
                value: Value::Gauge(1.0),
                timestamp: None,
                origin: Origin::whole("t"),
            };
            let mut encoder = LineEncoder::new(&settings);
            let mut warnings = Capped::default();
            encoder.own_dimensions(&metric, &mut warnings).unwrap();
            let mut written = String::new();
            let apart = encoder.write_apart_from_layers(&mut written);
            let mut merged = Merged::new();
            encoder.merge(&metric, &mut warnings, &mut merged).unwrap();
            let by_merge: String = merged.iter().map(|(k, v, _)| format!(",{k}={v}")).collect();
            if apart {
                proptest::prop_assert_eq!(written, by_merge);
            } else {
                proptest::prop_assert!(written.is_empty());
            }
        }
    }
}
