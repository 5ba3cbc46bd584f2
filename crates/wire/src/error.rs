//! Why a parse stopped: a typed reason with a stable label for counters.

use core::fmt;

/// The header that was being read when the frame ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    Ethernet,
    Vlan,
    Arp,
    Ipv4,
    Ipv6,
    Ipv6Ext,
    Tcp,
    Udp,
    Gtpu,
    GtpuExt,
    Vxlan,
    Gre,
    InnerEthernet,
    /// The IP header promised more bytes than the frame (or tunnel) holds.
    Payload,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParseError {
    Truncated(Layer),
    /// More than two VLAN tags.
    TooManyVlans,
    UnsupportedEthertype(u16),
    /// The IP version nibble does not match the ethertype / tunnel payload.
    BadIpVersion,
    /// IPv4 IHL below 5 or past the total length.
    BadIhl,
    /// IPv4 total length shorter than its header.
    BadIpLength,
    /// An IP fragment: addresses are known, the L4 header is not trusted.
    Fragment,
    /// An IPv6 next header that is neither a known extension nor a known L4.
    UnknownNextHeader(u8),
    /// More IPv6 extension headers than the walk allows.
    TooManyExtHeaders,
    /// TCP data offset below 5 or past the segment.
    BadDataOffset,
    /// A TCP option's length runs past the options area.
    OptionOverrun,
    /// A TCP option length that is impossible for its kind.
    BadOptionLength,
    /// UDP length below 8 or past the IP payload.
    BadUdpLength,
    /// GTP version other than 1 or the GTP' protocol type.
    BadGtpuVersion,
    /// GTP-U length field past the UDP payload or below its optional fields.
    BadGtpuLength,
    /// A GTP-U extension header with length 0 or past the message.
    BadGtpuExtLength,
    /// GRE version other than 0 (PPTP enhanced GRE is not followed).
    BadGreVersion,
    UnsupportedGreProtocol(u16),
}

impl ParseError {
    /// Stable label for counters and JSON; never changes once released.
    pub const fn reason(&self) -> &'static str {
        match self {
            ParseError::Truncated(layer) => match layer {
                Layer::Ethernet => "truncated_ethernet",
                Layer::Vlan => "truncated_vlan",
                Layer::Arp => "truncated_arp",
                Layer::Ipv4 => "truncated_ipv4",
                Layer::Ipv6 => "truncated_ipv6",
                Layer::Ipv6Ext => "truncated_ipv6_ext",
                Layer::Tcp => "truncated_tcp",
                Layer::Udp => "truncated_udp",
                Layer::Gtpu => "truncated_gtpu",
                Layer::GtpuExt => "truncated_gtpu_ext",
                Layer::Vxlan => "truncated_vxlan",
                Layer::Gre => "truncated_gre",
                Layer::InnerEthernet => "truncated_inner_ethernet",
                Layer::Payload => "truncated_payload",
            },
            ParseError::TooManyVlans => "too_many_vlans",
            ParseError::UnsupportedEthertype(_) => "unsupported_ethertype",
            ParseError::BadIpVersion => "bad_ip_version",
            ParseError::BadIhl => "bad_ihl",
            ParseError::BadIpLength => "bad_ip_length",
            ParseError::Fragment => "fragment",
            ParseError::UnknownNextHeader(_) => "unknown_next_header",
            ParseError::TooManyExtHeaders => "too_many_ext_headers",
            ParseError::BadDataOffset => "bad_data_offset",
            ParseError::OptionOverrun => "option_overrun",
            ParseError::BadOptionLength => "bad_option_length",
            ParseError::BadUdpLength => "bad_udp_length",
            ParseError::BadGtpuVersion => "bad_gtpu_version",
            ParseError::BadGtpuLength => "bad_gtpu_length",
            ParseError::BadGtpuExtLength => "bad_gtpu_ext_length",
            ParseError::BadGreVersion => "bad_gre_version",
            ParseError::UnsupportedGreProtocol(_) => "unsupported_gre_protocol",
        }
    }

    /// Every label `reason` can return, for exporters that pre-register counters.
    pub const ALL_REASONS: [&'static str; 31] = [
        "truncated_ethernet",
        "truncated_vlan",
        "truncated_arp",
        "truncated_ipv4",
        "truncated_ipv6",
        "truncated_ipv6_ext",
        "truncated_tcp",
        "truncated_udp",
        "truncated_gtpu",
        "truncated_gtpu_ext",
        "truncated_vxlan",
        "truncated_gre",
        "truncated_inner_ethernet",
        "truncated_payload",
        "too_many_vlans",
        "unsupported_ethertype",
        "bad_ip_version",
        "bad_ihl",
        "bad_ip_length",
        "fragment",
        "unknown_next_header",
        "too_many_ext_headers",
        "bad_data_offset",
        "option_overrun",
        "bad_option_length",
        "bad_udp_length",
        "bad_gtpu_version",
        "bad_gtpu_length",
        "bad_gtpu_ext_length",
        "bad_gre_version",
        "unsupported_gre_protocol",
    ];
}

impl fmt::Display for ParseError {
    /// The stable label, so `to_string()` can be used as a counter key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_is_listed_once() {
        let layers = [
            Layer::Ethernet,
            Layer::Vlan,
            Layer::Arp,
            Layer::Ipv4,
            Layer::Ipv6,
            Layer::Ipv6Ext,
            Layer::Tcp,
            Layer::Udp,
            Layer::Gtpu,
            Layer::GtpuExt,
            Layer::Vxlan,
            Layer::Gre,
            Layer::InnerEthernet,
            Layer::Payload,
        ];
        let mut all: Vec<ParseError> = layers.iter().map(|&l| ParseError::Truncated(l)).collect();
        all.extend([
            ParseError::TooManyVlans,
            ParseError::UnsupportedEthertype(0x1234),
            ParseError::BadIpVersion,
            ParseError::BadIhl,
            ParseError::BadIpLength,
            ParseError::Fragment,
            ParseError::UnknownNextHeader(135),
            ParseError::TooManyExtHeaders,
            ParseError::BadDataOffset,
            ParseError::OptionOverrun,
            ParseError::BadOptionLength,
            ParseError::BadUdpLength,
            ParseError::BadGtpuVersion,
            ParseError::BadGtpuLength,
            ParseError::BadGtpuExtLength,
            ParseError::BadGreVersion,
            ParseError::UnsupportedGreProtocol(0x8847),
        ]);
        let mut labels: Vec<&str> = all.iter().map(|e| e.reason()).collect();
        for l in &labels {
            assert!(ParseError::ALL_REASONS.contains(l), "{l} missing from ALL_REASONS");
        }
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), ParseError::ALL_REASONS.len());
        assert_eq!(ParseError::Truncated(Layer::Tcp).to_string(), "truncated_tcp");
    }
}
