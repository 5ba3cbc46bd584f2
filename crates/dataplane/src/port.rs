//! Ethernet ports: identify by devargs, configure N RX/TX queues (symmetric
//! RSS where the device has it), start, read stats, stop and close on drop.

use std::ffi::CString;

use jitterguard_dpdk_sys as sys;

use crate::error::{check, DpdkError};
use crate::mempool::Mempool;
use crate::rss;

/// How a port is set up.
#[derive(Debug, Clone)]
pub struct PortConfig {
    pub rx_queues: u16,
    pub tx_queues: u16,
    pub rx_desc: u16,
    pub tx_desc: u16,
    pub promiscuous: bool,
    /// Ask the PMD to stamp each received frame (net_pcap: the capture's
    /// own timestamp), for replays in capture time.
    pub rx_timestamp: bool,
}

/// `RTE_ETH_RX_OFFLOAD_TIMESTAMP`.
const RX_OFFLOAD_TIMESTAMP: u64 = 1 << 14;

/// Counters as the PMD reports them.
#[derive(Debug, Clone, Copy, Default)]
pub struct PortStats {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    pub rx_missed: u64,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_nombuf: u64,
}

/// Whether devargs name a PCI device (`0000:01:00.0` or `01:00.0`).
pub fn is_pci_address(devargs: &str) -> bool {
    let name = devargs.split(',').next().unwrap_or("");
    let parts: Vec<&str> = name.split(':').collect();
    let hex = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_hexdigit());
    let bus_dev_fn = |bus: &str, rest: &str| {
        let mut df = rest.split('.');
        hex(bus, 2)
            && df.next().is_some_and(|d| hex(d, 2))
            && df.next().is_some_and(|f| hex(f, 1))
            && df.next().is_none()
    };
    match parts.as_slice() {
        [dom, bus, rest] => hex(dom, 4) && bus_dev_fn(bus, rest),
        [bus, rest] => bus_dev_fn(bus, rest),
        _ => false,
    }
}

/// The EAL device name for devargs: the part before the first comma, with a
/// PCI address completed to its `0000:` domain form.
pub fn device_name(devargs: &str) -> String {
    let name = devargs.split(',').next().unwrap_or("").trim();
    if is_pci_address(name) && name.matches(':').count() == 1 {
        format!("0000:{name}")
    } else {
        name.to_string()
    }
}

/// A configured and started port. Stopped and closed on drop.
pub struct Port {
    id: u16,
    name: String,
    rx_queues: u16,
    tx_queues: u16,
    rss: bool,
}

impl Port {
    /// Finds the port the EAL created for `devargs` (`--vdev`/`-a` given at
    /// init), configures and starts it with every RX queue fed from `pool`.
    pub fn open(devargs: &str, cfg: &PortConfig, pool: &Mempool) -> Result<Port, DpdkError> {
        let name = device_name(devargs);
        let c_name = CString::new(name.clone()).expect("device names are ASCII");
        let mut id: u16 = 0;
        // SAFETY: valid C string and out-pointer for the duration of the call.
        let ret = unsafe { sys::rte_eth_dev_get_port_by_name(c_name.as_ptr(), &mut id) };
        if ret != 0 {
            return Err(DpdkError {
                what: format!("port '{name}'"),
                code: libc::ENODEV,
                reason: "no such DPDK port: the device does not exist or its driver refused \
                         the devargs (the EAL messages above say which)"
                    .into(),
            });
        }
        let mut info = sys::rte_eth_dev_info::default();
        // SAFETY: id is a valid port; info is a valid out-struct.
        check(unsafe { sys::rte_eth_dev_info_get(id, &mut info) }, || {
            format!("port '{name}': device info")
        })?;
        if cfg.rx_queues > info.max_rx_queues || cfg.tx_queues > info.max_tx_queues {
            return Err(DpdkError {
                what: format!("port '{name}'"),
                code: libc::EINVAL,
                reason: format!(
                    "{} rx / {} tx queues asked, the device has at most {} / {} \
                     (for net_af_packet set qpairs=N, for net_pcap give one rx_pcap per queue)",
                    cfg.rx_queues, cfg.tx_queues, info.max_rx_queues, info.max_tx_queues
                ),
            });
        }
        let mut conf = sys::rte_eth_conf::default();
        // Devices that advertise RX timestamping get the offload switched on;
        // net_pcap does not advertise it but stamps every frame with its
        // capture time anyway (see `mbuf::rx_timestamp_offset`).
        if cfg.rx_timestamp && info.rx_offload_capa & RX_OFFLOAD_TIMESTAMP != 0 {
            conf.rxmode.offloads |= RX_OFFLOAD_TIMESTAMP;
        }
        let hf = info.flow_type_rss_offloads & rss::RSS_HF_IP_TCP_UDP;
        let rss = cfg.rx_queues > 1 && hf != 0;
        let key_len = if info.hash_key_size > 0 { info.hash_key_size as usize } else { 40 };
        let mut key = rss::symmetric_key(key_len);
        if rss {
            conf.rxmode.mq_mode = sys::rte_eth_rx_mq_mode_RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_key = key.as_mut_ptr();
            conf.rx_adv_conf.rss_conf.rss_key_len = key_len as u8;
            conf.rx_adv_conf.rss_conf.rss_hf = hf;
        }
        // SAFETY: id valid; conf (and the key it points to) live through the call.
        check(
            unsafe { sys::rte_eth_dev_configure(id, cfg.rx_queues, cfg.tx_queues, &conf) },
            || format!("port '{name}': configure"),
        )?;
        let mut rx_desc = cfg.rx_desc;
        let mut tx_desc = cfg.tx_desc;
        // SAFETY: id valid, descriptor counts are in/out values.
        check(
            unsafe { sys::rte_eth_dev_adjust_nb_rx_tx_desc(id, &mut rx_desc, &mut tx_desc) },
            || format!("port '{name}': descriptor counts"),
        )?;
        // SAFETY: id valid.
        let socket = unsafe { sys::rte_eth_dev_socket_id(id) }.max(0) as u32;
        for q in 0..cfg.rx_queues {
            // SAFETY: id/queue valid after configure; pool outlives the port
            // (the caller drops ports before the pool).
            check(
                unsafe {
                    sys::rte_eth_rx_queue_setup(
                        id,
                        q,
                        rx_desc,
                        socket,
                        std::ptr::null(),
                        pool.as_ptr(),
                    )
                },
                || format!("port '{name}': rx queue {q}"),
            )?;
        }
        for q in 0..cfg.tx_queues {
            // SAFETY: id/queue valid after configure.
            check(
                unsafe { sys::rte_eth_tx_queue_setup(id, q, tx_desc, socket, std::ptr::null()) },
                || format!("port '{name}': tx queue {q}"),
            )?;
        }
        // SAFETY: id valid and fully configured.
        check(unsafe { sys::rte_eth_dev_start(id) }, || format!("port '{name}': start"))?;
        if cfg.promiscuous {
            // SAFETY: id valid. A bump in the wire must see every frame;
            // some vdevs (pcap files, null) do not support it, which is fine.
            unsafe { sys::rte_eth_promiscuous_enable(id) };
        }
        Ok(Port { id, name, rx_queues: cfg.rx_queues, tx_queues: cfg.tx_queues, rss })
    }

    pub fn id(&self) -> u16 {
        self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn rx_queues(&self) -> u16 {
        self.rx_queues
    }

    pub fn tx_queues(&self) -> u16 {
        self.tx_queues
    }

    /// Whether symmetric RSS spreads flows over the RX queues.
    pub fn rss_enabled(&self) -> bool {
        self.rss
    }

    /// Reads the PMD's counters (safe to call from the management thread).
    pub fn stats(&self) -> PortStats {
        stats_of(self.id)
    }
}

/// Reads the PMD counters of port `id` (zeros if the PMD refuses).
pub fn stats_of(id: u16) -> PortStats {
    let mut s = sys::rte_eth_stats::default();
    // SAFETY: valid out-struct; an invalid id only makes the call fail.
    if unsafe { sys::rte_eth_stats_get(id, &mut s) } != 0 {
        return PortStats::default();
    }
    PortStats {
        rx_packets: s.ipackets,
        rx_bytes: s.ibytes,
        tx_packets: s.opackets,
        tx_bytes: s.obytes,
        rx_missed: s.imissed,
        rx_errors: s.ierrors,
        tx_errors: s.oerrors,
        rx_nombuf: s.rx_nombuf,
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        // SAFETY: the port was started by `open`; workers have stopped using
        // it (the caller joins them before dropping ports).
        unsafe {
            sys::rte_eth_dev_stop(self.id);
            sys::rte_eth_dev_close(self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_pci_addresses_and_vdevs() {
        assert!(is_pci_address("0000:01:00.0"));
        assert!(is_pci_address("01:00.1"));
        assert!(is_pci_address("0000:af:00.0,rxq_cqe_comp_en=1"));
        assert!(!is_pci_address("net_af_packet0,iface=veth1"));
        assert!(!is_pci_address("net_pcap0,rx_pcap=a.pcap"));
        assert_eq!(device_name("01:00.1"), "0000:01:00.1");
        assert_eq!(device_name("net_pcap0,rx_pcap=a.pcap,tx_pcap=b.pcap"), "net_pcap0");
    }
}
