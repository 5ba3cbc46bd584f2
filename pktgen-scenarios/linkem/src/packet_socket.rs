//! Raw AF_PACKET sockets: the emulator's only I/O.
//!
//! Why raw sockets and not the project's DPDK dataplane: the bed runs on a
//! 2-core machine where jitterguard's DPDK worker already busy-polls one
//! core. A second busy-polling process would fight it and iperf3 for CPU and
//! distort every figure. The emulator instead sleeps in `ppoll` until the
//! next packet is due (with timer slack lowered to 1 µs) and spins only for
//! the last few microseconds, so it uses CPU in proportion to its traffic.
//! At the bed's 4–17k packets/s the per-packet syscalls cost far less than
//! a polling core.
//!
//! All `unsafe` of the crate is here, one block per syscall.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// `PACKET_IGNORE_OUTGOING` (Linux ≥ 4.20), not exported by every libc version.
const PACKET_IGNORE_OUTGOING: libc::c_int = 23;
/// `sll_pkttype` of a frame this host sent.
const PACKET_OUTGOING: u8 = 4;

/// One received frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Full frame length on the wire (may exceed the buffer: see `truncated`).
    pub len: usize,
    /// The frame did not fit in the buffer.
    pub truncated: bool,
    /// The frame was sent by this host (our own transmissions): ignore it.
    pub outgoing: bool,
}

/// An AF_PACKET raw socket bound to one interface in promiscuous mode.
#[derive(Debug)]
pub struct PacketSocket {
    fd: OwnedFd,
    ifindex: libc::c_int,
    name: String,
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn set_int_option(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `value` lives for the whole call and the length passed is its size.
    let ret = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    check(ret).map(|_| ())
}

impl PacketSocket {
    /// Opens a socket on `ifname`, bound to all protocols, promiscuous.
    pub fn open(ifname: &str) -> io::Result<Self> {
        let cname = CString::new(ifname)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface name has a NUL"))?;
        // SAFETY: `cname` is a valid NUL-terminated string for the call.
        let ifindex = unsafe { libc::if_nametoindex(cname.as_ptr()) };
        if ifindex == 0 {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no interface named {ifname}"),
            ));
        }
        let ifindex = ifindex as libc::c_int;
        // Protocol 0 at creation: the socket receives nothing until it is
        // bound to the interface below, so no foreign frame slips in.
        // SAFETY: plain syscall with constant arguments.
        let raw = check(unsafe {
            libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0)
        })?;
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };

        // SAFETY: sockaddr_ll is plain data; all-zero is a valid value.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        addr.sll_ifindex = ifindex;
        // SAFETY: `addr` is a valid sockaddr_ll and the length is its size.
        check(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        })?;

        // SAFETY: packet_mreq is plain data; all-zero is a valid value.
        let mut mreq: libc::packet_mreq = unsafe { std::mem::zeroed() };
        mreq.mr_ifindex = ifindex;
        mreq.mr_type = libc::PACKET_MR_PROMISC as u16;
        // SAFETY: `mreq` is valid for the call and the length is its size.
        check(unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_ADD_MEMBERSHIP,
                (&mreq as *const libc::packet_mreq).cast(),
                std::mem::size_of::<libc::packet_mreq>() as libc::socklen_t,
            )
        })?;

        // Best effort: older kernels lack the option; `recv` also checks
        // the packet type, so correctness does not depend on it.
        let _ = set_int_option(fd.as_raw_fd(), libc::SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
        // Deep buffers so a burst released by aggregation or a stall end is
        // not dropped by the socket; *FORCE works for root beyond rmem_max.
        let deep = 8 << 20;
        if set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, deep).is_err() {
            set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_RCVBUF, deep)?;
        }
        if set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_SNDBUFFORCE, deep).is_err() {
            set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_SNDBUF, deep)?;
        }
        // The emulator is the queue: skip the kernel qdisc on transmit.
        let _ = set_int_option(fd.as_raw_fd(), libc::SOL_PACKET, libc::PACKET_QDISC_BYPASS, 1);

        Ok(Self { fd, ifindex, name: ifname.to_owned() })
    }

    /// Interface name the socket is bound to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Receives one frame without blocking; `Ok(None)` when none is waiting.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        // SAFETY: sockaddr_ll is plain data; all-zero is a valid value.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut addr_len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: `buf` is writable for `buf.len()` bytes; `addr`/`addr_len`
        // are valid for writes of the sizes given. MSG_TRUNC makes the return
        // value the real frame length without writing past `buf`.
        let ret = unsafe {
            libc::recvfrom(
                self.fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT | libc::MSG_TRUNC,
                (&mut addr as *mut libc::sockaddr_ll).cast(),
                &mut addr_len,
            )
        };
        if ret < 0 {
            let err = io::Error::last_os_error();
            return match err.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(None),
                _ => Err(err),
            };
        }
        let len = ret as usize;
        Ok(Some(Received {
            len,
            truncated: len > buf.len(),
            outgoing: addr.sll_pkttype == PACKET_OUTGOING,
        }))
    }

    /// Sends one frame out of the interface without blocking.
    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        // SAFETY: sockaddr_ll is plain data; all-zero is a valid value.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_ifindex = self.ifindex;
        addr.sll_halen = 6;
        // SAFETY: `frame` is readable for its length; `addr` is a valid
        // sockaddr_ll of the size passed.
        let ret = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                frame.as_ptr().cast(),
                frame.len(),
                libc::MSG_DONTWAIT,
                (&addr as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if ret < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Frames the kernel dropped on this socket since the last call (its
    /// receive buffer was full: the emulator did not read fast enough).
    /// Reading `PACKET_STATISTICS` resets the kernel's counters.
    pub fn take_kernel_drops(&self) -> io::Result<u64> {
        let mut stats = libc::tpacket_stats { tp_packets: 0, tp_drops: 0 };
        let mut len = std::mem::size_of::<libc::tpacket_stats>() as libc::socklen_t;
        // SAFETY: `stats` and `len` live for the whole call; `len` is the size
        // of the buffer the kernel may write.
        check(unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut stats as *mut libc::tpacket_stats).cast(),
                &mut len,
            )
        })?;
        Ok(u64::from(stats.tp_drops))
    }

    fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Waits until either socket is readable, at most `timeout_ns` (forever when
/// `None`); returns which are readable. A signal ends the wait early with
/// both `false`.
pub fn wait_readable(
    sockets: [&PacketSocket; 2],
    timeout_ns: Option<u64>,
) -> io::Result<[bool; 2]> {
    let mut fds = [
        libc::pollfd { fd: sockets[0].raw_fd(), events: libc::POLLIN, revents: 0 },
        libc::pollfd { fd: sockets[1].raw_fd(), events: libc::POLLIN, revents: 0 },
    ];
    let timeout = timeout_ns.map(|ns| libc::timespec {
        tv_sec: (ns / 1_000_000_000) as libc::time_t,
        tv_nsec: (ns % 1_000_000_000) as libc::c_long,
    });
    let timeout_ptr = timeout.as_ref().map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `fds` holds 2 valid pollfd entries; `timeout_ptr` is null or
    // points to `timeout`, alive for the call; a null sigmask keeps ours.
    let ret = unsafe { libc::ppoll(fds.as_mut_ptr(), 2, timeout_ptr, std::ptr::null()) };
    if ret < 0 {
        let err = io::Error::last_os_error();
        return if err.kind() == io::ErrorKind::Interrupted {
            Ok([false, false])
        } else {
            Err(err)
        };
    }
    let ready = |p: &libc::pollfd| p.revents & (libc::POLLIN | libc::POLLERR) != 0;
    Ok([ready(&fds[0]), ready(&fds[1])])
}

/// Lowers this thread's timer slack so `ppoll` timeouts fire within about
/// a microsecond instead of the default 50 µs.
pub fn set_timer_slack_ns(ns: u64) -> io::Result<()> {
    // SAFETY: PR_SET_TIMERSLACK takes one integer argument; the rest are unused.
    let ret = unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, ns as libc::c_ulong, 0, 0, 0) };
    check(ret).map(|_| ())
}
