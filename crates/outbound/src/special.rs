//! The addresses an outbound request must not reach: every block of the IANA IPv4 and IPv6
//! Special-Purpose Address Registries (RFC 6890 and its updates, as of 2025), plus multicast.
//! Refused even where the registry calls a block globally reachable (AS112, AMT, the 192.0.0.0/24
//! anycast services): no customer webhook lives there, and a smaller allowed set is simpler to
//! trust.
//!
//! IPv6 is checked the other way round as well: only Global Unicast (2000::/3, the one block IANA
//! allocates to the registries) is allowed at all, which already excludes IPv4-mapped and
//! IPv4-compatible forms, NAT64 (64:ff9b::/96, 64:ff9b:1::/48), discard-only, unique-local,
//! link-local, site-local and multicast; inside it the special blocks (Teredo, 6to4, ORCHID,
//! documentation...) are refused by name. The translation forms would otherwise let a public-
//! looking IPv6 literal reach a private IPv4 address through a gateway.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 blocks refused: (network, prefix length, registry name).
const V4: &[(Ipv4Addr, u8, &str)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8, "this network"),
    (Ipv4Addr::new(10, 0, 0, 0), 8, "private use"),
    (Ipv4Addr::new(100, 64, 0, 0), 10, "shared address space"),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "loopback"),
    (Ipv4Addr::new(169, 254, 0, 0), 16, "link local"),
    (Ipv4Addr::new(172, 16, 0, 0), 12, "private use"),
    (Ipv4Addr::new(192, 0, 0, 0), 24, "IETF protocol assignments"),
    (
        Ipv4Addr::new(192, 0, 2, 0),
        24,
        "documentation (TEST-NET-1)",
    ),
    (Ipv4Addr::new(192, 31, 196, 0), 24, "AS112-v4"),
    (Ipv4Addr::new(192, 52, 193, 0), 24, "AMT"),
    (
        Ipv4Addr::new(192, 88, 99, 0),
        24,
        "deprecated 6to4 relay anycast",
    ),
    (Ipv4Addr::new(192, 168, 0, 0), 16, "private use"),
    (
        Ipv4Addr::new(192, 175, 48, 0),
        24,
        "direct delegation AS112",
    ),
    (Ipv4Addr::new(198, 18, 0, 0), 15, "benchmarking"),
    (
        Ipv4Addr::new(198, 51, 100, 0),
        24,
        "documentation (TEST-NET-2)",
    ),
    (
        Ipv4Addr::new(203, 0, 113, 0),
        24,
        "documentation (TEST-NET-3)",
    ),
    (Ipv4Addr::new(224, 0, 0, 0), 4, "multicast"),
    (Ipv4Addr::new(240, 0, 0, 0), 4, "reserved"),
    (Ipv4Addr::new(255, 255, 255, 255), 32, "limited broadcast"),
];

/// The only IPv6 block allowed at all.
const V6_GLOBAL_UNICAST: (Ipv6Addr, u8) = (Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);

/// Special-purpose blocks inside Global Unicast, refused.
const V6: &[(Ipv6Addr, u8, &str)] = &[
    // Teredo (2001::/32), benchmarking, AMT, AS112-v6, ORCHIDv2, drone remote ID...
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        "IETF protocol assignments",
    ),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        "documentation",
    ),
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16, "6to4"),
    (
        Ipv6Addr::new(0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0),
        48,
        "direct delegation AS112",
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        "documentation",
    ),
];

/// Why `ip` is refused (its registry block), or `None` when it may be reached.
pub fn refused_block(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => V4
            .iter()
            .find(|(net, len, _)| in_v4(v4, *net, *len))
            .map(|(_, _, name)| *name),
        IpAddr::V6(v6) => {
            let (global, len) = V6_GLOBAL_UNICAST;
            if !in_v6(v6, global, len) {
                return Some(outside_global_unicast(v6));
            }
            V6.iter()
                .find(|(net, len, _)| in_v6(v6, *net, *len))
                .map(|(_, _, name)| *name)
        }
    }
}

/// A name for an IPv6 address outside 2000::/3, for error messages.
fn outside_global_unicast(v6: Ipv6Addr) -> &'static str {
    let first = v6.segments()[0];
    if v6.to_ipv4_mapped().is_some() {
        "IPv4-mapped"
    } else if v6.is_loopback() {
        "loopback"
    } else if v6.is_unspecified() {
        "unspecified"
    } else if first == 0x64 && v6.segments()[1] == 0xff9b {
        "IPv4/IPv6 translation (NAT64)"
    } else if first & 0xfe00 == 0xfc00 {
        "unique local"
    } else if first & 0xffc0 == 0xfe80 {
        "link local"
    } else if first & 0xff00 == 0xff00 {
        "multicast"
    } else {
        "not global unicast"
    }
}

fn in_v4(ip: Ipv4Addr, net: Ipv4Addr, len: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, len: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

#[cfg(test)]
mod tests {
    use super::refused_block;

    /// (address, refused) for every block of both registries, its edges, and neighbours.
    const CASES: &[(&str, bool)] = &[
        // IPv4 special-purpose registry, first and last address of each block.
        ("0.0.0.0", true),
        ("0.255.255.255", true),
        ("10.0.0.0", true),
        ("10.255.255.255", true),
        ("100.64.0.0", true),
        ("100.127.255.255", true),
        ("127.0.0.1", true),
        ("169.254.169.254", true),
        ("172.16.0.0", true),
        ("172.31.255.255", true),
        ("192.0.0.9", true),
        ("192.0.0.170", true),
        ("192.0.2.1", true),
        ("192.31.196.1", true),
        ("192.52.193.1", true),
        ("192.88.99.1", true),
        ("192.168.1.1", true),
        ("192.175.48.1", true),
        ("198.18.0.1", true),
        ("198.19.255.255", true),
        ("198.51.100.1", true),
        ("203.0.113.1", true),
        ("224.0.0.1", true),
        ("239.255.255.255", true),
        ("240.0.0.1", true),
        ("255.255.255.255", true),
        // IPv4 neighbours that are public.
        ("1.1.1.1", false),
        ("9.255.255.255", false),
        ("11.0.0.0", false),
        ("100.63.255.255", false),
        ("100.128.0.0", false),
        ("172.15.255.255", false),
        ("172.32.0.0", false),
        ("192.0.1.1", false),
        ("192.167.255.255", false),
        ("198.17.255.255", false),
        ("198.20.0.0", false),
        ("223.255.255.255", false),
        ("93.184.216.34", false),
        // IPv6 outside Global Unicast.
        ("::", true),
        ("::1", true),
        ("::ffff:127.0.0.1", true),
        ("::ffff:8.8.8.8", true),
        ("::127.0.0.1", true),
        ("::ffff:0:10.0.0.1", true),
        ("64:ff9b::10.0.0.1", true),
        ("64:ff9b::8.8.8.8", true),
        ("64:ff9b:1::1", true),
        ("100::1", true),
        ("100:0:0:1::1", true),
        ("5f00::1", true),
        ("fc00::1", true),
        ("fd12:3456::1", true),
        ("fe80::1", true),
        ("febf::1", true),
        ("fec0::1", true),
        ("ff02::1", true),
        ("ff0e::1", true),
        // Special blocks inside Global Unicast.
        ("2001::1", true),
        ("2001:0:a00:1::", true),
        ("2001:2::1", true),
        ("2001:3::1", true),
        ("2001:4:112::1", true),
        ("2001:20::1", true),
        ("2001:1ff:ffff::1", true),
        ("2001:db8::1", true),
        ("2002:a00:1::1", true),
        ("2002:7f00:1::1", true),
        ("2620:4f:8000::1", true),
        ("3fff::1", true),
        ("3fff:fff::1", true),
        // IPv6 public neighbours.
        ("2001:200::1", false),
        ("2001:4860:4860::8888", false),
        ("2001:db9::1", false),
        ("2003::1", false),
        ("2606:4700:4700::1111", false),
        ("2620:4f:8001::1", false),
        ("3ffe::1", false),
        ("3fff:1000::1", false),
    ];

    #[test]
    fn every_registry_block_is_refused_and_neighbours_are_not() {
        for (address, refused) in CASES {
            let ip = address.parse().unwrap();
            assert_eq!(
                refused_block(ip).is_some(),
                *refused,
                "{address}: {:?}",
                refused_block(ip)
            );
        }
    }

    #[test]
    fn blocks_are_named() {
        assert_eq!(
            refused_block("::ffff:10.0.0.1".parse().unwrap()),
            Some("IPv4-mapped")
        );
        assert_eq!(
            refused_block("64:ff9b::10.0.0.1".parse().unwrap()),
            Some("IPv4/IPv6 translation (NAT64)")
        );
        assert_eq!(refused_block("2002::1".parse().unwrap()), Some("6to4"));
        assert_eq!(
            refused_block("169.254.169.254".parse().unwrap()),
            Some("link local")
        );
    }
}
