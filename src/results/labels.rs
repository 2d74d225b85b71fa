//! Per-label state with a cap: labels may be many (a URL with an id in it), so the first
//! [`MAX_LABELS`] distinct ones get their own state and the others share one, `_other`.

use std::collections::HashMap;

/// Distinct request labels of one input with state of their own.
pub const MAX_LABELS: usize = 1_000;
/// The `request` value of the aggregate over all labels.
pub const ALL: &str = "_all";
/// The `request` value of the labels beyond [`MAX_LABELS`] (and of a tool's own label that is
/// spelled like one of these two).
pub const OTHER: &str = "_other";

/// A request label as the tool names it: the name, and the method when the tool gives one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub name: String,
    pub method: Option<String>,
}

/// The labels of one input, in the order first seen, each with its state `T`.
pub struct Labels<T> {
    index: HashMap<Box<[u8]>, usize>,
    entries: Vec<(Label, T)>,
    other: Option<T>,
    template: T,
    /// Records that went to `_other` because the cap was reached, and the first such label.
    folded: u64,
    first_folded: Option<String>,
    /// Records whose label the tool spelled `_all` or `_other`.
    reserved: u64,
    key: Vec<u8>,
}

impl<T: Clone> Labels<T> {
    /// Every new label starts as a copy of `template`.
    pub fn new(template: T) -> Labels<T> {
        Labels {
            index: HashMap::new(),
            entries: Vec::new(),
            other: None,
            template,
            folded: 0,
            first_folded: None,
            reserved: 0,
            key: Vec::new(),
        }
    }

    /// The state of the label `method name` (bytes as read; not UTF-8 is replaced), made on
    /// first sight, or `_other`'s beyond the cap.
    pub fn get(&mut self, method: Option<&[u8]>, name: &[u8]) -> &mut T {
        self.key.clear();
        if let Some(method) = method {
            self.key.extend_from_slice(method);
        }
        // A byte no label holds, so that `GET` + `/x` and `GE` + `T/x` stay apart.
        self.key.push(0x1f);
        self.key.extend_from_slice(name);
        if let Some(&at) = self.index.get(&self.key[..]) {
            return &mut self.entries[at].1;
        }
        let reserved = name == ALL.as_bytes() || name == OTHER.as_bytes();
        if reserved || self.entries.len() >= MAX_LABELS {
            if reserved {
                self.reserved += 1;
            } else {
                self.folded += 1;
                if self.first_folded.is_none() {
                    self.first_folded = Some(String::from_utf8_lossy(name).into_owned());
                }
            }
            return self.other.get_or_insert_with(|| self.template.clone());
        }
        let label = Label {
            name: String::from_utf8_lossy(name).into_owned(),
            method: method.map(|m| String::from_utf8_lossy(m).into_owned()),
        };
        self.index
            .insert(self.key.clone().into_boxed_slice(), self.entries.len());
        self.entries.push((label, self.template.clone()));
        &mut self.entries.last_mut().expect("just pushed").1
    }

    /// Every label's state, `_other`'s too.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        let entries = self.entries.iter_mut().map(|(_, state)| state);
        entries.chain(self.other.as_mut())
    }

    /// The labels in the order first seen, then `_other` if anything went there, and what to
    /// warn of folding (`None` when nothing was folded).
    pub fn finish(self) -> (Vec<(Label, T)>, Option<String>) {
        let mut warning = Vec::new();
        if let Some(first) = &self.first_folded {
            warning.push(format!(
                "more than {MAX_LABELS} distinct request labels: {} record(s) of the labels \
                 after the first {MAX_LABELS} (from `{first}` on) are counted under \
                 request={OTHER}",
                self.folded
            ));
        }
        if self.reserved > 0 {
            warning.push(format!(
                "{} record(s) have a label spelled `{ALL}` or `{OTHER}`, which name the \
                 aggregate and the overflow here: they are counted under request={OTHER}",
                self.reserved
            ));
        }
        let mut entries = self.entries;
        if let Some(other) = self.other {
            let label = Label {
                name: OTHER.to_owned(),
                method: None,
            };
            entries.push((label, other));
        }
        (entries, (!warning.is_empty()).then(|| warning.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_beyond_the_cap_share_other() {
        let mut labels = Labels::new(0u32);
        *labels.get(Some(b"GET"), b"/item/0") += 1;
        for i in 0..MAX_LABELS + 5 {
            *labels.get(None, format!("/item/{i}").as_bytes()) += 1;
        }
        *labels.get(None, b"/item/0") += 1;
        *labels.get(None, ALL.as_bytes()) += 1;
        let (entries, warning) = labels.finish();
        assert_eq!(entries.len(), MAX_LABELS + 1);
        assert_eq!(entries[0].0.method.as_deref(), Some("GET"));
        assert_eq!((entries[0].1, entries[1].1), (1, 2));
        let other = entries.last().unwrap();
        assert_eq!((other.0.name.as_str(), other.1), (OTHER, 7));
        let warning = warning.unwrap();
        assert!(warning.contains("6 record(s)"), "{warning}");
        assert!(warning.contains("from `/item/999` on"), "{warning}");
        assert!(
            warning.contains("1 record(s) have a label spelled"),
            "{warning}"
        );
    }

    #[test]
    fn no_folding_no_warning() {
        let mut labels = Labels::new(());
        labels.get(Some(b"GET"), b"/");
        labels.get(Some(b"POST"), b"/");
        let (entries, warning) = labels.finish();
        assert_eq!(entries.len(), 2);
        assert_eq!(warning, None);
    }
}
