//! Packets the shield emits, built from a template frame of the flow's
//! direction: the bytes up to the inner TCP header (L2, VLAN tags, outer
//! IP/UDP, GTP-U header with its TEID, QFI and extension headers, VXLAN/GRE,
//! inner IP with any options/extension headers) are copied exactly; the TCP
//! header is written; every length and checksum is then recomputed.
//!
//! The inner IPv4 identification is copied from the template; the frame is
//! not padded to 60 bytes (the NIC pads short frames).

use crate::bytes::{put_u16, put_u32, put_u8};
use crate::finalize::{finalize, Layout};
use crate::parse::Parsed;
use crate::tcp::{flags, HEADER_LEN as TCP_HEADER_LEN};
use crate::tcp_options::{emit_options, options_len, TcpOptions, MAX_SACK_BLOCKS};
use core::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildError {
    /// The template is not a complete, unfragmented TCP segment.
    TemplateNotTcp,
    /// The options asked for do not fit in 40 bytes (TS + 4 SACK blocks).
    OptionsTooLong,
    /// The output buffer is too small.
    BufferTooSmall,
    /// The packet would exceed an IP length field.
    TooLarge,
    /// Source and destination addresses of different families.
    AddressFamilyMismatch,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BuildError::TemplateNotTcp => "template_not_tcp",
            BuildError::OptionsTooLong => "options_too_long",
            BuildError::BufferTooSmall => "buffer_too_small",
            BuildError::TooLarge => "too_large",
            BuildError::AddressFamilyMismatch => "address_family_mismatch",
        })
    }
}

impl std::error::Error for BuildError {}

/// The TCP fields of a pure ACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckFields<'a> {
    pub seq: u32,
    pub ack: u32,
    /// Raw window field.
    pub window: u16,
    /// (TSval, TSecr) of a timestamp option, if any.
    pub ts: Option<(u32, u32)>,
    /// SACK blocks (at most 3 with timestamps, 4 without).
    pub sack: &'a [(u32, u32)],
}

/// Copies the template's headers up to the inner TCP header into `out`.
fn copy_headers(
    template: &[u8],
    tp: &Parsed,
    out: &mut [u8],
    upto: usize,
) -> Result<Layout, BuildError> {
    if !tp.is_rewritable_tcp() {
        return Err(BuildError::TemplateNotTcp);
    }
    let layout = Layout::from_parsed(template, tp).ok_or(BuildError::TemplateNotTcp)?;
    let src = template.get(..upto).ok_or(BuildError::TemplateNotTcp)?;
    out.get_mut(..upto).ok_or(BuildError::BufferTooSmall)?.copy_from_slice(src);
    Ok(layout)
}

/// Builds a pure ACK (flags ACK only, no payload) of the template's
/// direction into `out`; returns the frame length.
pub fn build_ack(
    template: &[u8],
    tp: &Parsed,
    f: &AckFields<'_>,
    out: &mut [u8],
) -> Result<usize, BuildError> {
    let l4 = tp.l4.ok_or(BuildError::TemplateNotTcp)?;
    let layout = copy_headers(template, tp, out, l4 + 4)?; // headers + ports
    if f.sack.len() > MAX_SACK_BLOCKS {
        return Err(BuildError::OptionsTooLong);
    }
    let mut opts = TcpOptions { ts: f.ts, sack_len: f.sack.len() as u8, ..TcpOptions::EMPTY };
    if let Some(dst) = opts.sack.get_mut(..f.sack.len()) {
        dst.copy_from_slice(f.sack);
    }
    let olen = options_len(&opts);
    if olen > 40 {
        return Err(BuildError::OptionsTooLong);
    }
    let hl = TCP_HEADER_LEN + olen;
    let end = l4 + hl;
    let seg = out.get_mut(l4..end).ok_or(BuildError::BufferTooSmall)?;
    let mut write = || -> Option<()> {
        put_u32(seg, 4, f.seq)?;
        put_u32(seg, 8, f.ack)?;
        put_u8(seg, 12, ((hl / 4) as u8) << 4)?;
        put_u8(seg, 13, flags::ACK)?;
        put_u16(seg, 14, f.window)?;
        put_u32(seg, 16, 0)?; // checksum + urgent pointer
        emit_options(seg.get_mut(TCP_HEADER_LEN..)?, &opts)?;
        Some(())
    };
    write().ok_or(BuildError::BufferTooSmall)?;
    let frame = out.get_mut(..end).ok_or(BuildError::BufferTooSmall)?;
    finalize(frame, &layout).ok_or(BuildError::TooLarge)?;
    Ok(end)
}

/// Builds a copy of the template data segment carrying `payload` at `seq`:
/// the TCP header (flags, ACK, window, options) is the template's, only the
/// sequence number and payload change. Returns the frame length.
pub fn build_data(
    template: &[u8],
    tp: &Parsed,
    seq: u32,
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, BuildError> {
    let l4 = tp.l4.ok_or(BuildError::TemplateNotTcp)?;
    let hl = usize::from(tp.tcp.ok_or(BuildError::TemplateNotTcp)?.header_len);
    let layout = copy_headers(template, tp, out, l4 + hl)?;
    let end = l4 + hl + payload.len();
    out.get_mut(l4 + hl..end).ok_or(BuildError::BufferTooSmall)?.copy_from_slice(payload);
    put_u32(out, l4 + 4, seq).ok_or(BuildError::BufferTooSmall)?;
    let frame = out.get_mut(..end).ok_or(BuildError::BufferTooSmall)?;
    finalize(frame, &layout).ok_or(BuildError::TooLarge)?;
    Ok(end)
}
