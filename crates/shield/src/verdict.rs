//! What the dataplane does with the segment.

/// The shield's decision for one segment. In `monitor` mode always
/// `Forward`; the shield mode (issue 8) adds rewrite/hold/drop/emit
/// variants, hence `non_exhaustive`: callers keep a fallback arm that forwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Forward the segment unchanged.
    Forward,
}
