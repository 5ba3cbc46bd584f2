//! An IPv4 or IPv6 address held by value, so `Parsed` stays `Copy`.

use core::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IpAddress {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl IpAddress {
    /// The address bytes in network order.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            IpAddress::V4(a) => a,
            IpAddress::V6(a) => a,
        }
    }

    pub const fn is_ipv4(&self) -> bool {
        matches!(self, IpAddress::V4(_))
    }
}

impl Default for IpAddress {
    fn default() -> Self {
        IpAddress::V4([0; 4])
    }
}

impl fmt::Display for IpAddress {
    /// Same text as `std::net`, so the decoder output can be compared with
    /// other tools.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            IpAddress::V4(a) => fmt::Display::fmt(&std::net::Ipv4Addr::from(a), f),
            IpAddress::V6(a) => fmt::Display::fmt(&std::net::Ipv6Addr::from(a), f),
        }
    }
}

impl From<std::net::IpAddr> for IpAddress {
    fn from(a: std::net::IpAddr) -> Self {
        match a {
            std::net::IpAddr::V4(v4) => IpAddress::V4(v4.octets()),
            std::net::IpAddr::V6(v6) => IpAddress::V6(v6.octets()),
        }
    }
}

impl From<IpAddress> for std::net::IpAddr {
    fn from(a: IpAddress) -> Self {
        match a {
            IpAddress::V4(v4) => std::net::IpAddr::V4(v4.into()),
            IpAddress::V6(v6) => std::net::IpAddr::V6(v6.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_like_std() {
        assert_eq!(IpAddress::V4([198, 18, 0, 1]).to_string(), "198.18.0.1");
        let mut v6 = [0u8; 16];
        v6[0] = 0x20;
        v6[1] = 0x01;
        v6[2] = 0x0d;
        v6[3] = 0xb8;
        v6[15] = 1;
        assert_eq!(IpAddress::V6(v6).to_string(), "2001:db8::1");
    }
}
