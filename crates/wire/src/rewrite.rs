//! In-place rewrites of the inner TCP header (the shield's tools).
//!
//! Each rewrite reads the old value from the frame (not from `Parsed`, so a
//! sequence of rewrites with the same `Parsed` stays correct) and updates the
//! TCP checksum incrementally (RFC 1624), in O(header) and without allocating.
//!
//! Outer checksums: an outer UDP (GTP-U, VXLAN) or GRE checksum covers the
//! inner TCP segment *including its checksum field*. Every rewrite changes
//! the TCP checksum by exactly minus the one's-complement change it made to
//! the other TCP words, so the one's-complement sum of the outer payload is
//! unchanged and the outer checksum stays correct as it is (the tests check
//! this against a full recomputation). No IP field is touched, so no IPv4
//! header checksum changes either.

use crate::bytes::{put, put_u16, put_u32, u16_at, u32_at};
use crate::checksum;
use crate::parse::Parsed;
use crate::tcp_options::{kind, MAX_SACK_BLOCKS};
use core::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewriteError {
    /// The frame is not a complete, unfragmented TCP segment.
    NotTcp,
    /// The segment carries no timestamp option.
    NoTimestamps,
    /// The segment carries no SACK option to rewrite.
    NoSack,
    /// More blocks than the SACK option's space holds.
    TooManySackBlocks,
    /// The frame is shorter than `Parsed` says (not the frame it describes).
    OutOfBounds,
}

impl fmt::Display for RewriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RewriteError::NotTcp => "not_tcp",
            RewriteError::NoTimestamps => "no_timestamps",
            RewriteError::NoSack => "no_sack",
            RewriteError::TooManySackBlocks => "too_many_sack_blocks",
            RewriteError::OutOfBounds => "out_of_bounds",
        })
    }
}

impl std::error::Error for RewriteError {}

const SEQ: usize = 4;
const ACK: usize = 8;
const WINDOW: usize = 14;
const CHECKSUM: usize = 16;

#[inline(always)]
fn tcp_offset(p: &Parsed) -> Result<usize, RewriteError> {
    match (p.error, p.l4, p.tcp) {
        (None, Some(l4), Some(_)) => Ok(l4),
        _ => Err(RewriteError::NotTcp),
    }
}

#[inline(always)]
fn set_field32(frame: &mut [u8], l4: usize, field: usize, v: u32) -> Option<()> {
    let old = u32_at(frame, l4 + field)?;
    let hc = u16_at(frame, l4 + CHECKSUM)?;
    put_u32(frame, l4 + field, v)?;
    put_u16(frame, l4 + CHECKSUM, checksum::update32(hc, old, v))
}

/// Sets the acknowledgment number.
#[inline]
pub fn set_ack(frame: &mut [u8], p: &Parsed, ack: u32) -> Result<(), RewriteError> {
    let l4 = tcp_offset(p)?;
    set_field32(frame, l4, ACK, ack).ok_or(RewriteError::OutOfBounds)
}

/// Sets the sequence number.
#[inline]
pub fn set_seq(frame: &mut [u8], p: &Parsed, seq: u32) -> Result<(), RewriteError> {
    let l4 = tcp_offset(p)?;
    set_field32(frame, l4, SEQ, seq).ok_or(RewriteError::OutOfBounds)
}

/// Sets the raw (unscaled) window field.
#[inline]
pub fn set_window(frame: &mut [u8], p: &Parsed, window: u16) -> Result<(), RewriteError> {
    let l4 = tcp_offset(p)?;
    let old = u16_at(frame, l4 + WINDOW).ok_or(RewriteError::OutOfBounds)?;
    let hc = u16_at(frame, l4 + CHECKSUM).ok_or(RewriteError::OutOfBounds)?;
    put_u16(frame, l4 + WINDOW, window).ok_or(RewriteError::OutOfBounds)?;
    put_u16(frame, l4 + CHECKSUM, checksum::update16(hc, old, window))
        .ok_or(RewriteError::OutOfBounds)
}

/// Sets the acknowledgment number and the window with one checksum update
/// (the shield's most frequent rewrite).
#[inline]
pub fn set_ack_and_window(
    frame: &mut [u8],
    p: &Parsed,
    ack: u32,
    window: u16,
) -> Result<(), RewriteError> {
    let l4 = tcp_offset(p)?;
    let hdr = frame.get_mut(l4..l4 + 18).ok_or(RewriteError::OutOfBounds)?;
    let (old_ack, old_win, hc) =
        match (u32_at(hdr, ACK), u16_at(hdr, WINDOW), u16_at(hdr, CHECKSUM)) {
            (Some(a), Some(w), Some(c)) => (a, w, c),
            _ => return Err(RewriteError::OutOfBounds),
        };
    let s = u32::from(!hc)
        + u32::from(!(old_ack >> 16) as u16)
        + u32::from(!(old_ack as u16))
        + u32::from(!old_win)
        + (ack >> 16)
        + (ack & 0xffff)
        + u32::from(window);
    let _ = put_u32(hdr, ACK, ack);
    let _ = put_u16(hdr, WINDOW, window);
    let _ = put_u16(hdr, CHECKSUM, !checksum::fold(s));
    Ok(())
}

/// Replaces `new.len()` bytes at `rel` (from the TCP header start) and
/// updates the checksum from the sums of the enclosing even-aligned words.
fn patch(frame: &mut [u8], l4: usize, rel: usize, new: &[u8]) -> Option<()> {
    let start = l4 + (rel & !1);
    let end = l4 + ((rel + new.len() + 1) & !1);
    let old_sum = checksum::sum(frame.get(start..end)?);
    put(frame, l4 + rel, new)?;
    let new_sum = checksum::sum(frame.get(start..end)?);
    let hc = u16_at(frame, l4 + CHECKSUM)?;
    put_u16(frame, l4 + CHECKSUM, checksum::update_sums(hc, old_sum, new_sum))
}

/// Rewrites the timestamp option's TSval and TSecr.
pub fn set_timestamps(
    frame: &mut [u8],
    p: &Parsed,
    tsval: u32,
    tsecr: u32,
) -> Result<(), RewriteError> {
    let l4 = tcp_offset(p)?;
    let at = p.tcp.and_then(|t| t.opts.ts_at).ok_or(RewriteError::NoTimestamps)?;
    let mut v = [0u8; 8];
    v[..4].copy_from_slice(&tsval.to_be_bytes());
    v[4..].copy_from_slice(&tsecr.to_be_bytes());
    patch(frame, l4, usize::from(at) + 2, &v).ok_or(RewriteError::OutOfBounds)
}

/// Raises the timestamp option's TSval to `floor` where it is older
/// (serial-number order, RFC 7323 §5.2), keeping TSecr. Returns whether
/// the frame changed. Why: a receiver's PAWS check drops a segment whose
/// TSval is older than the one it last took as TS.Recent, so a copy of an
/// old segment sent again by someone other than its sender must not carry
/// the original's TSval once the receiver has seen a newer one.
pub fn raise_tsval(frame: &mut [u8], p: &Parsed, floor: u32) -> Result<bool, RewriteError> {
    tcp_offset(p)?;
    let (tsval, tsecr) = p.tcp.and_then(|t| t.opts.ts).ok_or(RewriteError::NoTimestamps)?;
    if floor.wrapping_sub(tsval) as i32 <= 0 {
        return Ok(false);
    }
    set_timestamps(frame, p, floor, tsecr).map(|()| true)
}

/// Replaces the SACK blocks with `blocks` inside the space of the SACK
/// option the segment arrived with; unused space becomes NOPs, so the header
/// length never changes. An empty `blocks` removes the option (all NOPs).
/// Works again with the same `Parsed` after an earlier SACK rewrite.
pub fn set_sack_blocks(
    frame: &mut [u8],
    p: &Parsed,
    blocks: &[(u32, u32)],
) -> Result<(), RewriteError> {
    let l4 = tcp_offset(p)?;
    let opts = p.tcp.map(|t| t.opts).ok_or(RewriteError::NotTcp)?;
    let Some(at) = opts.sack_at else {
        return if blocks.is_empty() { Ok(()) } else { Err(RewriteError::NoSack) };
    };
    let area = usize::from(opts.sack_area);
    if blocks.len() > MAX_SACK_BLOCKS || 2 + 8 * blocks.len() > area {
        return Err(RewriteError::TooManySackBlocks);
    }
    let mut bytes = [kind::NOP; 2 + 8 * MAX_SACK_BLOCKS];
    if !blocks.is_empty() {
        bytes[0] = kind::SACK;
        bytes[1] = (2 + 8 * blocks.len()) as u8;
        for (i, &(l, r)) in blocks.iter().enumerate() {
            let o = 2 + 8 * i;
            let _ = put_u32(&mut bytes, o, l);
            let _ = put_u32(&mut bytes, o + 4, r);
        }
    }
    let new = bytes.get(..area).ok_or(RewriteError::OutOfBounds)?;
    patch(frame, l4, usize::from(at), new).ok_or(RewriteError::OutOfBounds)
}

/// Removes the SACK option (replaced by NOPs).
pub fn remove_sack(frame: &mut [u8], p: &Parsed) -> Result<(), RewriteError> {
    set_sack_blocks(frame, p, &[])
}
