//! The JSON fields that need more than serde's own types: dimension objects of strings,
//! numbers and booleans kept in document order, and timestamps as milliseconds or RFC 3339.
//! Strings are borrowed from the document unless they hold escapes.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// An object of string, number or boolean values, in document order; numbers as serde_json
/// writes them.
#[derive(Default)]
pub(super) struct Pairs<'a>(pub(super) Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Pairs<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for PairsVisitor<'a> {
            type Value = Pairs<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of string, number or boolean values")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Pairs<'a>, M::Error> {
                let mut pairs = Vec::new();
                // Keys and values are borrowed from the document unless they hold escapes.
                while let Some(Scalar(key)) = map.next_key::<Scalar<'a>>()? {
                    let value = map.next_value::<Scalar<'a>>().map_err(|e| {
                        de::Error::custom(format!(
                            "dimension `{key}` must be a string, number or boolean: {e}"
                        ))
                    })?;
                    pairs.push((key, value.0));
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor(std::marker::PhantomData))
    }
}

/// A string, number or boolean value, as text.
struct Scalar<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Borrowed(if v { "true" } else { "false" })))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
                let number = serde_json::Number::from_f64(v).map(|n| n.to_string());
                Ok(Scalar(Cow::Owned(number.unwrap_or_else(|| v.to_string()))))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// UTC milliseconds or an RFC 3339 text.
pub(super) enum Timestamp<'a> {
    Millis(i64),
    Text(Cow<'a, str>),
    Fraction(f64),
}

impl Timestamp<'_> {
    pub(super) fn millis(&self) -> Result<i64, String> {
        match self {
            Timestamp::Millis(ms) => Ok(*ms),
            Timestamp::Fraction(v) => Err(format!(
                "timestamp {v} is not whole: give UTC milliseconds since 1970 as an integer, or \
                 an RFC 3339 UTC time such as 2026-11-22T08:00:00Z"
            )),
            Timestamp::Text(text) => {
                let time = humantime::parse_rfc3339(text).map_err(|_| {
                    format!(
                        "timestamp `{text}` is neither UTC milliseconds since 1970 nor an RFC 3339 \
                         UTC time such as 2026-11-22T08:00:00Z"
                    )
                })?;
                let since_epoch = time
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_err(|_| format!("timestamp `{text}` is before 1970"))?;
                i64::try_from(since_epoch.as_millis())
                    .map_err(|_| format!("timestamp `{text}` is too far in the future"))
            }
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Timestamp<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimestampVisitor;
        impl<'de> Visitor<'de> for TimestampVisitor {
            type Value = Timestamp<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "UTC milliseconds since 1970 (an integer) or an RFC 3339 UTC time such as \
                     \"2026-11-22T08:00:00Z\"",
                )
            }
            fn visit_i64<E>(self, v: i64) -> Result<Timestamp<'de>, E> {
                Ok(Timestamp::Millis(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp<'de>, E> {
                i64::try_from(v)
                    .map(Timestamp::Millis)
                    .map_err(|_| E::custom(format!("timestamp {v} is too large")))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Timestamp<'de>, E> {
                Ok(Timestamp::Fraction(v))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Timestamp<'de>, E> {
                Ok(Timestamp::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Timestamp<'de>, E> {
                Ok(Timestamp::Text(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_any(TimestampVisitor)
    }
}
