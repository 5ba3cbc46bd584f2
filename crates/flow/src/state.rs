//! Coarse per-flow lifecycle state and the idle timeout of each state.
//!
//! This is only what aging needs; the shield keeps its own, much richer TCP
//! state in the entry's user value.

use serde::{Deserialize, Serialize};

/// TCP flag bits as they appear in the TCP header's flags byte.
pub mod tcp_flags {
    /// No more data from sender.
    pub const FIN: u8 = 0x01;
    /// Synchronise sequence numbers.
    pub const SYN: u8 = 0x02;
    /// Reset the connection.
    pub const RST: u8 = 0x04;
    /// Acknowledgment field is significant.
    pub const ACK: u8 = 0x10;
}

/// Lifecycle state used to choose a flow's idle timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowState {
    /// TCP: only one endpoint has spoken so far (typically a lone SYN, or a
    /// SYN flood). Short timeout so half-open junk is recycled quickly.
    TcpSynOnly,
    /// TCP: both endpoints have sent packets, or the flow was picked up
    /// mid-stream.
    TcpEstablished,
    /// TCP: a FIN or RST has been seen; the flow is winding down.
    TcpClosing,
    /// UDP, including GTP-U carried inner UDP.
    Udp,
    /// Any other inner protocol.
    Other,
}

impl FlowState {
    /// Stable lower-case name for metrics labels and dumps.
    pub fn name(self) -> &'static str {
        match self {
            FlowState::TcpSynOnly => "tcp_syn_only",
            FlowState::TcpEstablished => "tcp_established",
            FlowState::TcpClosing => "tcp_closing",
            FlowState::Udp => "udp",
            FlowState::Other => "other",
        }
    }

    /// All states, in a fixed order (for per-state counters).
    pub const ALL: [FlowState; 5] = [
        FlowState::TcpSynOnly,
        FlowState::TcpEstablished,
        FlowState::TcpClosing,
        FlowState::Udp,
        FlowState::Other,
    ];

    /// Position in [`FlowState::ALL`].
    pub fn index(self) -> usize {
        match self {
            FlowState::TcpSynOnly => 0,
            FlowState::TcpEstablished => 1,
            FlowState::TcpClosing => 2,
            FlowState::Udp => 3,
            FlowState::Other => 4,
        }
    }

    /// State of a flow created by its first packet. `tcp_flags` is the TCP
    /// flags byte when the packet is TCP, `None` otherwise.
    pub fn initial(proto: u8, tcp_flags: Option<u8>) -> FlowState {
        match (proto, tcp_flags) {
            (6, Some(f)) if f & (tcp_flags::FIN | tcp_flags::RST) != 0 => FlowState::TcpClosing,
            (6, Some(f)) if f & tcp_flags::SYN != 0 => FlowState::TcpSynOnly,
            // Picked up mid-stream: no handshake seen, but it is live.
            (6, _) => FlowState::TcpEstablished,
            (17, _) => FlowState::Udp,
            _ => FlowState::Other,
        }
    }

    /// State after one more packet. `answered` is true when this packet
    /// comes from the endpoint that did not open the flow's first packet, or
    /// that endpoint has already sent; it turns a half-open TCP flow into an
    /// established one. FIN/RST are sticky: a closing flow stays closing.
    pub fn next(self, tcp_flags: Option<u8>, answered: bool) -> FlowState {
        match self {
            FlowState::TcpSynOnly | FlowState::TcpEstablished => {
                let f = tcp_flags.unwrap_or(0);
                if f & (tcp_flags::FIN | tcp_flags::RST) != 0 {
                    FlowState::TcpClosing
                } else if answered {
                    FlowState::TcpEstablished
                } else {
                    self
                }
            }
            other => other,
        }
    }
}

/// Idle timeouts per state, in seconds. Deserialises from a TOML/JSON table
/// where every field is optional and defaults as below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timeouts {
    /// Half-open TCP (only one side seen). Default 10 s.
    pub tcp_syn_s: u32,
    /// Established TCP. Default 300 s.
    pub tcp_established_s: u32,
    /// TCP after FIN or RST. Default 10 s.
    pub tcp_closing_s: u32,
    /// UDP. Default 60 s.
    pub udp_s: u32,
    /// Other protocols. Default 60 s.
    pub other_s: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            tcp_syn_s: 10,
            tcp_established_s: 300,
            tcp_closing_s: 10,
            udp_s: 60,
            other_s: 60,
        }
    }
}

impl Timeouts {
    /// Idle timeout of `state` in nanoseconds.
    pub fn for_state_ns(&self, state: FlowState) -> u64 {
        let s = match state {
            FlowState::TcpSynOnly => self.tcp_syn_s,
            FlowState::TcpEstablished => self.tcp_established_s,
            FlowState::TcpClosing => self.tcp_closing_s,
            FlowState::Udp => self.udp_s,
            FlowState::Other => self.other_s,
        };
        u64::from(s) * 1_000_000_000
    }
}

#[cfg(test)]
mod tests {
    use super::tcp_flags::*;
    use super::*;

    #[test]
    fn tcp_lifecycle() {
        let s = FlowState::initial(6, Some(SYN));
        assert_eq!(s, FlowState::TcpSynOnly);
        // Retransmitted SYN from the same side: still half-open.
        assert_eq!(s.next(Some(SYN), false), FlowState::TcpSynOnly);
        let s = s.next(Some(SYN | ACK), true);
        assert_eq!(s, FlowState::TcpEstablished);
        let s = s.next(Some(FIN | ACK), true);
        assert_eq!(s, FlowState::TcpClosing);
        assert_eq!(s.next(Some(ACK), true), FlowState::TcpClosing);
    }

    #[test]
    fn mid_stream_and_other_protocols() {
        assert_eq!(FlowState::initial(6, Some(ACK)), FlowState::TcpEstablished);
        assert_eq!(FlowState::initial(6, Some(RST)), FlowState::TcpClosing);
        assert_eq!(FlowState::initial(17, None), FlowState::Udp);
        assert_eq!(FlowState::initial(1, None), FlowState::Other);
        assert_eq!(FlowState::Udp.next(Some(FIN), true), FlowState::Udp);
    }

    #[test]
    fn timeouts_default_and_partial_override() {
        let t: Timeouts = toml::from_str("udp_s = 30").unwrap();
        assert_eq!(t.udp_s, 30);
        assert_eq!(t.tcp_established_s, 300);
        assert_eq!(t.for_state_ns(FlowState::TcpSynOnly), 10_000_000_000);
        assert!(toml::from_str::<Timeouts>("bogus = 1").is_err());
    }
}
