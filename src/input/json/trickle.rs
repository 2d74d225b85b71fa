//! For the tests: a reader that hands out at most `n` bytes per read, cutting characters,
//! values and entries anywhere.

use std::io::Read;

pub(super) struct Trickle<'a>(pub(super) &'a [u8], pub(super) usize);

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(self.0.len()).min(out.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}
