//! TCP options (RFC 9293, RFC 7323, RFC 2018): parse with the positions the
//! rewriter needs, and emit in a fixed 4-byte-aligned layout.

use crate::bytes::{array, put, put_u16, put_u32, put_u8, u16_at, u32_at, u8_at};
use crate::error::ParseError;

pub mod kind {
    pub const EOL: u8 = 0;
    pub const NOP: u8 = 1;
    pub const MSS: u8 = 2;
    pub const WSCALE: u8 = 3;
    pub const SACK_PERM: u8 = 4;
    pub const SACK: u8 = 5;
    pub const TIMESTAMP: u8 = 8;
}

/// Most SACK blocks an option can carry (2 + 4 * 8 bytes fits in 40).
pub const MAX_SACK_BLOCKS: usize = 4;
/// Largest options area (data offset 15).
pub const MAX_OPTIONS_LEN: usize = 40;

/// The options of one segment, plus where the rewritable ones sit.
/// Offsets count from the first byte of the TCP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpOptions {
    pub mss: Option<u16>,
    pub wscale: Option<u8>,
    pub sack_perm: bool,
    /// (TSval, TSecr).
    pub ts: Option<(u32, u32)>,
    /// SACK blocks (left, right); only the first `sack_len` are meaningful.
    pub sack: [(u32, u32); MAX_SACK_BLOCKS],
    pub sack_len: u8,
    /// Offset of the timestamp option's kind byte.
    pub ts_at: Option<u8>,
    /// Offset of the SACK option's kind byte.
    pub sack_at: Option<u8>,
    /// Length in bytes of the SACK option as received: the area a rewrite
    /// may fill (with fewer blocks and NOPs) without moving other bytes.
    pub sack_area: u8,
}

impl TcpOptions {
    /// No options.
    pub const EMPTY: TcpOptions = TcpOptions {
        mss: None,
        wscale: None,
        sack_perm: false,
        ts: None,
        sack: [(0, 0); MAX_SACK_BLOCKS],
        sack_len: 0,
        ts_at: None,
        sack_at: None,
        sack_area: 0,
    };

    /// The SACK blocks that are present.
    pub fn sack_blocks(&self) -> &[(u32, u32)] {
        self.sack.get(..usize::from(self.sack_len)).unwrap_or(&[])
    }

    /// Same options, ignoring where they were found (for comparisons with
    /// options that were built rather than parsed).
    pub fn without_positions(mut self) -> Self {
        self.ts_at = None;
        self.sack_at = None;
        self.sack_area = 0;
        self
    }
}

/// Parses the options area `opts`, which starts at `base` bytes from the
/// TCP header (20). On a malformed option the options read so far are
/// returned with the error.
pub fn parse_options(opts: &[u8], base: u8) -> (TcpOptions, Result<(), ParseError>) {
    let mut o = TcpOptions::EMPTY;
    let r = parse_options_into(opts, base, &mut o);
    (o, r)
}

/// [`parse_options`] writing into `o` (which must start as `EMPTY`), so the
/// packet path fills its `Parsed` in place instead of copying a result.
#[inline]
pub fn parse_options_into(opts: &[u8], base: u8, o: &mut TcpOptions) -> Result<(), ParseError> {
    // Fast path for what almost every Linux data segment and ACK carries:
    // NOP NOP TS(10), and nothing else.
    if opts.len() == 12 {
        if let Some([kind::NOP, kind::NOP, kind::TIMESTAMP, 10, v0, v1, v2, v3, e0, e1, e2, e3]) =
            array::<12>(opts, 0)
        {
            o.ts =
                Some((u32::from_be_bytes([v0, v1, v2, v3]), u32::from_be_bytes([e0, e1, e2, e3])));
            o.ts_at = Some(base.saturating_add(2));
            return Ok(());
        }
    }
    let mut i = 0usize;
    while let Some(k) = u8_at(opts, i) {
        match k {
            kind::EOL => break,
            kind::NOP => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let Some(len) = u8_at(opts, i + 1).map(usize::from) else {
            return Err(ParseError::OptionOverrun);
        };
        if len < 2 {
            return Err(ParseError::BadOptionLength);
        }
        if i + len > opts.len() {
            return Err(ParseError::OptionOverrun);
        }
        let at = base.saturating_add(i as u8);
        let ok = match k {
            kind::MSS => {
                o.mss = u16_at(opts, i + 2);
                len == 4
            }
            kind::WSCALE => {
                o.wscale = u8_at(opts, i + 2);
                len == 3
            }
            kind::SACK_PERM => {
                o.sack_perm = true;
                len == 2
            }
            kind::TIMESTAMP => {
                o.ts = u32_at(opts, i + 2).zip(u32_at(opts, i + 6));
                o.ts_at = Some(at);
                len == 10
            }
            kind::SACK => {
                let n = (len - 2) / 8;
                let valid = (len - 2) % 8 == 0 && (1..=MAX_SACK_BLOCKS).contains(&n);
                if valid {
                    for (b, slot) in o.sack.iter_mut().enumerate().take(n) {
                        let l = u32_at(opts, i + 2 + 8 * b).unwrap_or(0);
                        let r = u32_at(opts, i + 6 + 8 * b).unwrap_or(0);
                        *slot = (l, r);
                    }
                    o.sack_len = n as u8;
                    o.sack_at = Some(at);
                    o.sack_area = len as u8;
                }
                valid
            }
            _ => true, // unknown kinds are skipped by their length
        };
        if !ok {
            return Err(ParseError::BadOptionLength);
        }
        i += len;
    }
    Ok(())
}

/// Bytes `emit_options` needs for `o`.
pub fn options_len(o: &TcpOptions) -> usize {
    let mut n = 0;
    if o.mss.is_some() {
        n += 4;
    }
    if o.wscale.is_some() {
        n += 4;
    }
    n += match (o.sack_perm, o.ts.is_some()) {
        (true, true) => 12,
        (false, true) => 12,
        (true, false) => 4,
        (false, false) => 0,
    };
    if o.sack_len > 0 {
        n += 4 + 8 * usize::from(o.sack_len.min(MAX_SACK_BLOCKS as u8));
    }
    n
}

/// Writes `o` into `out` as MSS, NOP+WS, SACK-permitted+TS (or NOPs in
/// their place), NOP NOP SACK: every option 4-byte aligned, the total a
/// multiple of 4. Returns the length, `None` if it exceeds 40 bytes or `out`.
pub fn emit_options(out: &mut [u8], o: &TcpOptions) -> Option<usize> {
    let total = options_len(o);
    if total > MAX_OPTIONS_LEN {
        return None;
    }
    let out = out.get_mut(..total)?;
    let mut at = 0;
    if let Some(mss) = o.mss {
        put(out, at, &[kind::MSS, 4])?;
        put_u16(out, at + 2, mss)?;
        at += 4;
    }
    if let Some(ws) = o.wscale {
        put(out, at, &[kind::NOP, kind::WSCALE, 3, ws])?;
        at += 4;
    }
    match (o.sack_perm, o.ts) {
        (sp, Some((val, ecr))) => {
            if sp {
                put(out, at, &[kind::SACK_PERM, 2])?;
            } else {
                put(out, at, &[kind::NOP, kind::NOP])?;
            }
            put(out, at + 2, &[kind::TIMESTAMP, 10])?;
            put_u32(out, at + 4, val)?;
            put_u32(out, at + 8, ecr)?;
            at += 12;
        }
        (true, None) => {
            put(out, at, &[kind::NOP, kind::NOP, kind::SACK_PERM, 2])?;
            at += 4;
        }
        (false, None) => {}
    }
    let blocks = o.sack_blocks();
    if !blocks.is_empty() {
        put(out, at, &[kind::NOP, kind::NOP, kind::SACK])?;
        put_u8(out, at + 3, (2 + 8 * blocks.len()) as u8)?;
        at += 4;
        for &(l, r) in blocks {
            put_u32(out, at, l)?;
            put_u32(out, at + 4, r)?;
            at += 8;
        }
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_syn_options() {
        // MSS 1460, SACK-perm, TS 1/0, NOP, WS 7: what Linux sends in a SYN.
        let o = [2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7];
        let (p, r) = parse_options(&o, 20);
        assert_eq!(r, Ok(()));
        assert_eq!(p.mss, Some(1460));
        assert!(p.sack_perm);
        assert_eq!(p.ts, Some((1, 0)));
        assert_eq!(p.ts_at, Some(26));
        assert_eq!(p.wscale, Some(7));
    }

    #[test]
    fn sack_blocks_and_unknown_skipped() {
        let mut o = vec![1, 1, 5, 18];
        o.extend_from_slice(&[0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40]);
        o.extend_from_slice(&[30, 4, 0xaa, 0xbb]); // MPTCP-ish unknown option
        o.extend_from_slice(&[0, 0]); // EOL + padding
        let (p, r) = parse_options(&o, 20);
        assert_eq!(r, Ok(()));
        assert_eq!(p.sack_blocks(), &[(10, 20), (30, 40)]);
        assert_eq!(p.sack_at, Some(22));
        assert_eq!(p.sack_area, 18);
    }

    #[test]
    fn malformed_lengths() {
        assert_eq!(parse_options(&[2, 4, 5], 20).1, Err(ParseError::OptionOverrun));
        assert_eq!(parse_options(&[2], 20).1, Err(ParseError::OptionOverrun));
        assert_eq!(parse_options(&[30, 1, 0, 0], 20).1, Err(ParseError::BadOptionLength));
        assert_eq!(parse_options(&[2, 3, 5, 0], 20).1, Err(ParseError::BadOptionLength));
        assert_eq!(
            parse_options(&[5, 9, 0, 0, 0, 0, 0, 0, 0, 0], 20).1,
            Err(ParseError::BadOptionLength)
        );
        assert_eq!(
            parse_options(&[8, 8, 0, 0, 0, 0, 0, 0], 20).1,
            Err(ParseError::BadOptionLength)
        );
    }

    #[test]
    fn emit_parse_round_trip() {
        let mut o = TcpOptions { ts: Some((7, 9)), sack_len: 3, ..Default::default() };
        o.sack[..3].copy_from_slice(&[(1, 2), (3, 4), (5, 6)]);
        let mut buf = [0u8; 40];
        let n = emit_options(&mut buf, &o).unwrap();
        assert_eq!(n, 40);
        let (p, r) = parse_options(&buf[..n], 20);
        assert_eq!(r, Ok(()));
        assert_eq!(p.without_positions(), o);
        o.sack_len = 4;
        assert_eq!(emit_options(&mut buf, &o), None, "TS + 4 blocks exceed 40 bytes");
    }
}
