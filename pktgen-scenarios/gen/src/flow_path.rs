//! How one flow's frames are wrapped on the wire at the box: Ethernet (with
//! optional VLAN tags), IP version and addresses, optional GTP-U tunnel.
//! The same flow seen from either port gets the right direction of every
//! header (MACs, addresses, ports, TEID and PDU type).

use crate::addr::{ACCESS_MAC, CORE_MAC};
use crate::frame::{
    udp_datagram, EthernetHeader, GtpuTunnel, IpHeader, TcpHeader, TcpOption, VlanTag,
};
use crate::pcap_pair::Port;

#[derive(Debug, Clone)]
pub struct FlowPath {
    pub tags: Vec<VlanTag>,
    /// IP header of the S->R direction (source = S).
    pub sender_ip: IpHeader,
    pub sender_port: u16,
    pub receiver_port: u16,
    /// Downlink (S->R, UPF->gNB) and uplink (R->S) tunnels.
    pub gtpu: Option<(GtpuTunnel, GtpuTunnel)>,
}

impl FlowPath {
    pub fn new(sender_ip: IpHeader, sender_port: u16, receiver_port: u16) -> Self {
        Self { tags: Vec::new(), sender_ip, sender_port, receiver_port, gtpu: None }
    }

    pub fn with_tags(mut self, tags: &[VlanTag]) -> Self {
        self.tags = tags.to_vec();
        self
    }

    pub fn with_gtpu(mut self, downlink: GtpuTunnel, uplink: GtpuTunnel) -> Self {
        self.gtpu = Some((downlink, uplink));
        self
    }

    /// Bytes in front of the TCP header of a frame of this flow.
    pub fn header_overhead(&self) -> usize {
        14 + 4 * self.tags.len()
            + self.sender_ip.header_len()
            + self.gtpu.map_or(0, |_| GtpuTunnel::OVERHEAD)
    }

    fn ethernet(&self, from: Port) -> EthernetHeader {
        let (src, dst) = match from {
            Port::Core => (CORE_MAC, ACCESS_MAC),
            Port::Access => (ACCESS_MAC, CORE_MAC),
        };
        EthernetHeader::new(src, dst).with_tags(&self.tags)
    }

    /// The inner IP header for a packet sent by the side behind `from`.
    pub fn ip(&self, from: Port, ip_id: u16) -> IpHeader {
        let mut ip = match from {
            Port::Core => self.sender_ip,
            Port::Access => self.sender_ip.reversed(),
        };
        ip.set_id(ip_id);
        ip
    }

    /// A TCP header with this flow's ports for the direction `from`.
    pub fn tcp(&self, from: Port, seq: u32, ack: u32, flags: u8, window: u16) -> TcpHeader {
        let (sp, dp) = match from {
            Port::Core => (self.sender_port, self.receiver_port),
            Port::Access => (self.receiver_port, self.sender_port),
        };
        TcpHeader::new(sp, dp, seq, ack, flags, window)
    }

    /// Wraps an inner IP packet into the frame seen at `from`'s port.
    pub fn wrap(&self, from: Port, inner_ip: &[u8], outer_id: u16) -> Vec<u8> {
        let eth = self.ethernet(from);
        match &self.gtpu {
            None => eth.frame(self.sender_ip.ethertype(), inner_ip),
            Some((down, up)) => {
                let mut tunnel = match from {
                    Port::Core => *down,
                    Port::Access => *up,
                };
                tunnel.outer.id = outer_id;
                eth.frame(crate::frame::ethernet::ETHERTYPE_IPV4, &tunnel.encapsulate(inner_ip))
            }
        }
    }

    /// A complete TCP frame sent by the side behind `from`.
    pub fn tcp_frame(&self, from: Port, ip_id: u16, tcp: &TcpHeader, payload: &[u8]) -> Vec<u8> {
        let ip = self.ip(from, ip_id);
        self.wrap(from, &tcp.ip_packet(&ip, payload), ip_id)
    }

    /// A complete UDP frame sent by the side behind `from`, on this flow's ports.
    pub fn udp_frame(&self, from: Port, ip_id: u16, payload: &[u8]) -> Vec<u8> {
        let ip = self.ip(from, ip_id);
        let (sp, dp) = match from {
            Port::Core => (self.sender_port, self.receiver_port),
            Port::Access => (self.receiver_port, self.sender_port),
        };
        self.wrap(from, &udp_datagram(&ip, sp, dp, payload), ip_id)
    }

    /// TCP header length with `options`, for payload sizing.
    pub fn tcp_header_len(options: &[TcpOption]) -> usize {
        TcpHeader::new(0, 0, 0, 0, 0, 0).with_options(options.to_vec()).header_len()
    }
}
