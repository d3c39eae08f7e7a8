//! KDD Cup 99 `service` names from (protocol, responder port) or ICMP type/code.
//!
//! A service is a small integer id ([`Service`]) so the traffic windows can index
//! arrays and hash a byte instead of a string; [`Service::name`] gives the exact KDD
//! spelling (case matters: `IRC`, `X11`, `Z39_50`).
//!
//! # Port table
//! The named ports follow the 1998-era `/etc/services` / IANA names that KDD's services
//! correspond to, cross-checked with the mapping of the AI-IDS extractor
//! (`AI-IDS/kdd99_feature_extractor`, `src/TcpConnection.cpp`, `get_service()`), from
//! which a few modern aliases are also taken (8008/8080 → http, 993 → imap4,
//! 636 → ldap, 563 → nntp, 5190–5193 → aol, 6665–6669 → IRC). `pm_dump` and
//! `harvest` have no known port and are never produced.
//!
//! FTP data: active-mode data connections are opened *by* the server from port 20, so
//! either endpoint on port 20 gives `ftp_data` (as AI-IDS, which checks the source
//! port first).
//!
//! # `private` vs `other`
//! Old Bro (`conn.bro`, `service_name()`) named every unknown port `other`; KDD
//! additionally has `private`, which in the data covers the unnamed low ports hit by
//! the scans and SYN floods (neptune/satan/portsweep records are mostly `private`,
//! spread over the named low-port services for the rest). Rule used here:
//! * an unnamed port `< 1024` → `private` (the well-known range: unassigned there means
//!   a probe target rather than an application);
//! * an unnamed port `>= 49152` → `private` (IANA's "Dynamic and/or Private" range,
//!   RFC 6335 §6; the rule of AI-IDS and of the gureKDD Bro scripts);
//! * every other unnamed port (1024–49151) → `other`.
//!
//! UDP: KDD's only named UDP services are `domain_u` (53), `ntp_u` (123) and `tftp_u`
//! (69); the rest fall under the same private/other rule.
//!
//! # ICMP
//! KDD's ICMP services are per message type (the extractor treats each type as its own
//! flow, see `conntrack`): 0 echo reply → `ecr_i`, 8 echo request → `eco_i`,
//! 3 unreachable → `urp_i` (code 1, host unreachable → `urh_i`), 5 redirect → `red_i`,
//! 11 time exceeded and 13/14 timestamp → `tim_i`. AI-IDS maps 11 → `tim_i` and codes
//! 0/1 of type 3 → `urp_i`; the names (`urp`/`urh` = unreachable port/host) and the
//! data (port unreachables are the common type-3 message, matching `urp_i` being
//! frequent and `urh_i` rare) suggest the split used here. Other types get `other`
//! rather than AI-IDS's `oth_i`, which is not a KDD category.

use super::ProtocolType;

/// A KDD service as a small integer id (index into [`SERVICE_NAMES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Service(pub u8);

/// Every service name this module can produce (KDD 10 % file + NSL-KDD additions +
/// `urh_i`), indexed by [`Service`].
pub const SERVICE_NAMES: &[&str] = &[
    "other",
    "private",
    "ecr_i",
    "eco_i",
    "urp_i",
    "urh_i",
    "red_i",
    "tim_i",
    "domain_u",
    "ntp_u",
    "tftp_u",
    "http",
    "smtp",
    "finger",
    "auth",
    "telnet",
    "ftp",
    "pop_3",
    "ftp_data",
    "rje",
    "time",
    "mtp",
    "link",
    "remote_job",
    "gopher",
    "ssh",
    "name",
    "whois",
    "domain",
    "login",
    "imap4",
    "daytime",
    "ctf",
    "nntp",
    "shell",
    "IRC",
    "nnsp",
    "http_443",
    "exec",
    "printer",
    "efs",
    "courier",
    "uucp",
    "klogin",
    "kshell",
    "echo",
    "discard",
    "systat",
    "supdup",
    "iso_tsap",
    "hostnames",
    "csnet_ns",
    "pop_2",
    "sunrpc",
    "uucp_path",
    "netbios_ns",
    "netbios_ssn",
    "netbios_dgm",
    "sql_net",
    "vmnet",
    "bgp",
    "Z39_50",
    "ldap",
    "netstat",
    "X11",
    "http_8001",
    "aol",
    "http_2784",
    "pm_dump",
    "harvest",
];

/// Number of distinct services (size for per-service arrays).
pub const N_SERVICES: usize = SERVICE_NAMES.len();

impl Service {
    pub const OTHER: Service = Service(0);
    pub const PRIVATE: Service = Service(1);
    pub const ECR_I: Service = Service(2);
    pub const ECO_I: Service = Service(3);
    pub const URP_I: Service = Service(4);
    pub const URH_I: Service = Service(5);
    pub const RED_I: Service = Service(6);
    pub const TIM_I: Service = Service(7);
    pub const DOMAIN_U: Service = Service(8);
    pub const NTP_U: Service = Service(9);
    pub const TFTP_U: Service = Service(10);

    /// The exact KDD spelling.
    pub fn name(self) -> &'static str {
        SERVICE_NAMES[self.0 as usize]
    }

    /// Looks a KDD name up (for tests and callers that need the id of a name).
    pub fn from_name(name: &str) -> Option<Service> {
        SERVICE_NAMES
            .iter()
            .position(|&n| n == name)
            .map(|i| Service(i as u8))
    }

    /// Service of a connection from its ports; for ICMP the originator's "port" is the
    /// message type and the responder's the code (Zeek's convention).
    pub fn of(protocol: ProtocolType, orig_port: u16, resp_port: u16) -> Service {
        match protocol {
            ProtocolType::Icmp => match (u8::try_from(orig_port), u8::try_from(resp_port)) {
                (Ok(icmp_type), Ok(code)) => Service::for_icmp(icmp_type, code),
                _ => Service::OTHER,
            },
            ProtocolType::Tcp => {
                if orig_port == 20 || resp_port == 20 {
                    return named("ftp_data");
                }
                tcp_port(resp_port).map_or_else(|| unnamed(resp_port), named)
            }
            ProtocolType::Udp => match resp_port {
                53 => Service::DOMAIN_U,
                123 => Service::NTP_U,
                69 => Service::TFTP_U,
                p => unnamed(p),
            },
        }
    }

    /// Service of an ICMP flow, from the type (and code) of its first message.
    pub fn for_icmp(icmp_type: u8, code: u8) -> Service {
        match icmp_type {
            0 => Service::ECR_I,
            8 => Service::ECO_I,
            3 if code == 1 => Service::URH_I,
            3 => Service::URP_I,
            5 => Service::RED_I,
            11 | 13 | 14 => Service::TIM_I,
            _ => Service::OTHER,
        }
    }
}

fn unnamed(port: u16) -> Service {
    if !(1024..49152).contains(&port) {
        Service::PRIVATE
    } else {
        Service::OTHER
    }
}

fn named(name: &'static str) -> Service {
    // Only called with names from the table below; a miss is a typo caught by tests.
    Service::from_name(name).unwrap_or(Service::OTHER)
}

/// Named TCP responder ports.
fn tcp_port(port: u16) -> Option<&'static str> {
    Some(match port {
        5 | 77 => "rje",
        7 => "echo",
        9 => "discard",
        11 => "systat",
        13 => "daytime",
        15 => "netstat",
        21 => "ftp",
        22 => "ssh",
        23 => "telnet",
        25 => "smtp",
        37 => "time",
        42 => "name",
        43 | 4321 => "whois",
        53 => "domain",
        57 | 1911 => "mtp",
        66 | 150 => "sql_net",
        70 => "gopher",
        71..=74 => "remote_job",
        79 => "finger",
        80 | 8008 | 8080 => "http",
        84 => "ctf",
        95 => "supdup",
        101 => "hostnames",
        102 | 309 => "iso_tsap",
        105 => "csnet_ns",
        109 => "pop_2",
        110 => "pop_3",
        111 => "sunrpc",
        113 => "auth",
        117 => "uucp_path",
        119 | 563 => "nntp",
        137 => "netbios_ns",
        138 => "netbios_dgm",
        139 => "netbios_ssn",
        143 | 993 => "imap4",
        165 | 530 => "courier",
        175 => "vmnet",
        179 => "bgp",
        194 | 6665..=6669 => "IRC",
        210 => "Z39_50",
        245 => "link",
        389 | 636 => "ldap",
        433 => "nnsp",
        443 => "http_443",
        512 => "exec",
        513 => "login",
        514 => "shell",
        515 => "printer",
        520 => "efs",
        540 => "uucp",
        543 => "klogin",
        544 => "kshell",
        2784 => "http_2784",
        5190..=5193 => "aol",
        6000..=6063 => "X11",
        8001 => "http_8001",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(p: u16) -> &'static str {
        Service::of(ProtocolType::Tcp, 40000, p).name()
    }

    #[test]
    fn every_table_name_is_a_service() {
        for p in 0..=u16::MAX {
            if let Some(n) = tcp_port(p) {
                assert!(Service::from_name(n).is_some(), "{n}");
            }
        }
        const { assert!(N_SERVICES < 256) };
    }

    #[test]
    fn well_known_tcp_ports() {
        assert_eq!(tcp(80), "http");
        assert_eq!(tcp(25), "smtp");
        assert_eq!(tcp(21), "ftp");
        assert_eq!(tcp(20), "ftp_data");
        assert_eq!(tcp(22), "ssh");
        assert_eq!(tcp(23), "telnet");
        assert_eq!(tcp(79), "finger");
        assert_eq!(tcp(113), "auth");
        assert_eq!(tcp(110), "pop_3");
        assert_eq!(tcp(109), "pop_2");
        assert_eq!(tcp(143), "imap4");
        assert_eq!(tcp(443), "http_443");
        assert_eq!(tcp(6667), "IRC");
        assert_eq!(tcp(6000), "X11");
        assert_eq!(tcp(6063), "X11");
        assert_eq!(tcp(210), "Z39_50");
        assert_eq!(tcp(53), "domain");
        assert_eq!(tcp(512), "exec");
        assert_eq!(tcp(513), "login");
        assert_eq!(tcp(514), "shell");
        assert_eq!(tcp(8001), "http_8001");
        assert_eq!(tcp(2784), "http_2784");
        assert_eq!(tcp(5190), "aol");
    }

    #[test]
    fn ftp_data_from_server_port_20() {
        // Active FTP: the server opens the data connection from port 20.
        assert_eq!(Service::of(ProtocolType::Tcp, 20, 40123).name(), "ftp_data");
    }

    #[test]
    fn private_and_other() {
        assert_eq!(tcp(1), "private");
        assert_eq!(tcp(1000), "private");
        assert_eq!(tcp(1023), "private");
        assert_eq!(tcp(1024), "other");
        assert_eq!(tcp(3306), "other");
        assert_eq!(tcp(49151), "other");
        assert_eq!(tcp(49152), "private");
        assert_eq!(tcp(65535), "private");
    }

    #[test]
    fn udp_services() {
        let u = |p| Service::of(ProtocolType::Udp, 40000, p).name();
        assert_eq!(u(53), "domain_u");
        assert_eq!(u(123), "ntp_u");
        assert_eq!(u(69), "tftp_u");
        assert_eq!(u(161), "private");
        assert_eq!(u(5353), "other");
        assert_eq!(u(60000), "private");
        // No ftp_data special case for UDP.
        assert_eq!(Service::of(ProtocolType::Udp, 20, 3000).name(), "other");
    }

    #[test]
    fn icmp_services() {
        assert_eq!(Service::for_icmp(8, 0).name(), "eco_i");
        assert_eq!(Service::for_icmp(0, 0).name(), "ecr_i");
        assert_eq!(Service::for_icmp(3, 3).name(), "urp_i");
        assert_eq!(Service::for_icmp(3, 0).name(), "urp_i");
        assert_eq!(Service::for_icmp(3, 1).name(), "urh_i");
        assert_eq!(Service::for_icmp(5, 1).name(), "red_i");
        assert_eq!(Service::for_icmp(11, 0).name(), "tim_i");
        assert_eq!(Service::for_icmp(13, 0).name(), "tim_i");
        assert_eq!(Service::for_icmp(14, 0).name(), "tim_i");
        assert_eq!(Service::for_icmp(9, 0).name(), "other");
        // Through `of`, with the type and code in the port fields.
        assert_eq!(Service::of(ProtocolType::Icmp, 3, 1).name(), "urh_i");
        assert_eq!(Service::of(ProtocolType::Icmp, 300, 0).name(), "other");
    }
}
