use super::super::packet::TcpFlags;
use super::endpoint::*;
use super::*;
use crate::kdd::Flag;
use std::net::{IpAddr, Ipv4Addr};

/// Window features in these cases are hand-computed over earlier connections only,
/// and ICMP messages within 2 s form one flow (the default is one record each,
/// tested in `one_icmp_record_per_message_by_default`).
fn tracker_config() -> TrackerConfig {
    TrackerConfig {
        icmp_timeout: 2 * NANOS_PER_SEC,
        window: WindowConfig {
            include_current: false,
            ..WindowConfig::default()
        },
        ..TrackerConfig::default()
    }
}

const MS: Nanos = 1_000_000;
const SEC: Nanos = NANOS_PER_SEC;
const FIN: u8 = TcpFlags::FIN;
const SYN: u8 = TcpFlags::SYN;
const RST: u8 = TcpFlags::RST;
const ACK: u8 = TcpFlags::ACK;
const PSH: u8 = TcpFlags::PSH;
const URG: u8 = TcpFlags::URG;

const CLI: (u8, u16) = (1, 40000);
const SRV: (u8, u16) = (2, 80);

fn ip(x: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, x))
}

fn tcp(ts: Nanos, from: (u8, u16), to: (u8, u16), flags: u8, len: u32) -> Packet {
    Packet {
        ts,
        src: ip(from.0),
        dst: ip(to.0),
        transport: Transport::Tcp {
            src_port: from.1,
            dst_port: to.1,
            flags: TcpFlags(flags),
        },
        payload_len: len,
        wrong_fragments: 0,
    }
}

fn udp(ts: Nanos, from: (u8, u16), to: (u8, u16), len: u32) -> Packet {
    Packet {
        ts,
        src: ip(from.0),
        dst: ip(to.0),
        transport: Transport::Udp {
            src_port: from.1,
            dst_port: to.1,
        },
        payload_len: len,
        wrong_fragments: 0,
    }
}

fn icmp(ts: Nanos, from: u8, to: u8, icmp_type: u8, len: u32) -> Packet {
    Packet {
        ts,
        src: ip(from),
        dst: ip(to),
        transport: Transport::Icmp { icmp_type, code: 0 },
        payload_len: len,
        wrong_fragments: 0,
    }
}

/// Runs a sequence of (ms, from_client, flags, payload) on CLI↔SRV, then finishes.
fn run(seq: &[(u64, bool, u8, u32)]) -> Vec<ConnRecord> {
    let mut t = Tracker::new(tracker_config());
    let mut out = Vec::new();
    for &(ms, c2s, flags, len) in seq {
        let p = if c2s {
            tcp(ms * MS, CLI, SRV, flags, len)
        } else {
            tcp(ms * MS, SRV, CLI, flags, len)
        };
        t.push(&p, &mut out);
    }
    t.finish(&mut out);
    out
}

fn flag_of(seq: &[(u64, bool, u8, u32)]) -> Flag {
    let out = run(seq);
    assert_eq!(out.len(), 1, "{out:?}");
    out[0].flag
}

const HS: [(u64, bool, u8, u32); 3] = [
    (0, true, SYN, 0),
    (1, false, SYN | ACK, 0),
    (2, true, ACK, 0),
];

fn hs_then(rest: &[(u64, bool, u8, u32)]) -> Vec<(u64, bool, u8, u32)> {
    let mut v = HS.to_vec();
    v.extend_from_slice(rest);
    v
}

#[test]
fn flag_s0() {
    assert_eq!(flag_of(&[(0, true, SYN, 0)]), Flag::S0);
}

#[test]
fn flag_s1() {
    assert_eq!(flag_of(&hs_then(&[(3, true, PSH | ACK, 10)])), Flag::S1);
    // SYN-ACK alone establishes (Zeek).
    assert_eq!(flag_of(&HS[..2]), Flag::S1);
}

#[test]
fn flag_sf_http_exchange() {
    let out = run(&hs_then(&[
        (3, true, PSH | ACK, 120),
        (10, false, ACK, 0),
        (20, false, PSH | ACK, 1400),
        (21, false, PSH | ACK, 600),
        (22, true, ACK, 0),
        (1500, true, FIN | ACK, 0),
        (1501, false, FIN | ACK, 0),
        (1502, true, ACK, 0),
    ]));
    assert_eq!(out.len(), 1);
    let r = &out[0];
    assert_eq!(r.flag, Flag::SF);
    assert_eq!(r.end_reason, EndReason::Closed);
    assert_eq!(r.protocol, ProtocolType::Tcp);
    assert_eq!(r.service, "http");
    assert_eq!((r.src_bytes, r.dst_bytes), (120, 2000));
    assert_eq!((r.orig_packets, r.resp_packets), (6, 5));
    assert_eq!(r.orig_ip, ip(1));
    assert_eq!((r.orig_port, r.resp_port), (40000, 80));
    assert_eq!(r.resp_ip, ip(2));
    assert_eq!(r.duration_secs(), 1);
    assert!(!r.land);
    assert_eq!(r.traffic(), [0.0; 19]);
}

#[test]
fn sf_is_emitted_on_final_ack_not_at_finish() {
    let mut t = Tracker::new(tracker_config());
    let mut out = Vec::new();
    for &(ms, c2s, f, l) in &hs_then(&[
        (3, true, FIN | ACK, 0),
        (4, false, FIN | ACK, 0),
        (5, true, ACK, 0),
    ]) {
        let (a, b) = if c2s { (CLI, SRV) } else { (SRV, CLI) };
        t.push(&tcp(ms * MS, a, b, f, l), &mut out);
    }
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].flag, Flag::SF);
    assert_eq!(out[0].end_reason, EndReason::Closed);
}

#[test]
fn flag_rej() {
    let out = run(&[(0, true, SYN, 0), (1, false, RST | ACK, 0)]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].flag, Flag::REJ);
    assert_eq!(out[0].end_reason, EndReason::Closed);
}

#[test]
fn flag_s2_s3() {
    assert_eq!(flag_of(&hs_then(&[(3, true, FIN | ACK, 0)])), Flag::S2);
    assert_eq!(flag_of(&hs_then(&[(3, false, FIN | ACK, 0)])), Flag::S3);
}

#[test]
fn flag_rsto_rstr() {
    assert_eq!(flag_of(&hs_then(&[(3, true, RST, 0)])), Flag::RSTO);
    assert_eq!(flag_of(&hs_then(&[(3, false, RST | ACK, 0)])), Flag::RSTR);
    // SYN scan with SYN-ACK answered by the scanner's RST: RSTO.
    assert_eq!(
        flag_of(&[
            (0, true, SYN, 0),
            (1, false, SYN | ACK, 0),
            (2, true, RST, 0)
        ]),
        Flag::RSTO
    );
}

#[test]
fn flag_rstos0_sh() {
    assert_eq!(
        flag_of(&[(0, true, SYN, 0), (1, true, RST, 0)]),
        Flag::RSTOS0
    );
    assert_eq!(flag_of(&[(0, true, SYN, 0), (1, true, FIN, 0)]), Flag::SH);
    // SYN|FIN in one packet (a classic probe).
    assert_eq!(flag_of(&[(0, true, SYN | FIN, 0)]), Flag::SH);
}

#[test]
fn flag_oth_midstream() {
    let seq = [
        (0, true, PSH | ACK, 100),
        (1, false, ACK, 0),
        (2, false, PSH | ACK, 50),
    ];
    let out = run(&seq);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].flag, Flag::OTH);
    assert_eq!((out[0].src_bytes, out[0].dst_bytes), (100, 50));
}

#[test]
fn zeek_only_states_are_mapped() {
    // First packet a SYN-ACK: flipped, its sender (the server) is the responder.
    let out = run(&[(0, false, SYN | ACK, 0), (1, false, RST, 0)]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].orig_ip, ip(1));
    assert_eq!(out[0].resp_port, 80);
    assert_eq!(out[0].service, "http");
    assert_eq!(
        zeek_state(EndpointState::Inactive, EndpointState::Reset, 0, 0),
        ZeekState::Rstrh
    );
    assert_eq!(out[0].flag, Flag::RSTR); // Zeek: RSTRH
    let out = run(&[(0, false, SYN | ACK, 0), (1, false, FIN, 0)]);
    assert_eq!(out[0].flag, Flag::OTH); // Zeek: SHR
    assert_eq!(
        zeek_state(EndpointState::Inactive, EndpointState::Closed, 0, 0),
        ZeekState::Shr
    );
}

#[test]
fn simultaneous_open() {
    let seq = [
        (0, true, SYN, 0),
        (1, false, SYN, 0),
        (2, true, SYN | ACK, 0),
        (3, false, SYN | ACK, 0),
        (4, true, ACK, 5),
    ];
    assert_eq!(flag_of(&seq), Flag::S1);
}

#[test]
fn retransmitted_syn_stays_one_s0() {
    let out = run(&[
        (0, true, SYN, 0),
        (1000, true, SYN, 0),
        (3000, true, SYN, 0),
    ]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].flag, Flag::S0);
    assert_eq!(out[0].orig_packets, 3);
    assert_eq!(out[0].duration_secs(), 3);
}

#[test]
fn rst_after_fin() {
    // Originator half-closed, then aborted: RSTO.
    assert_eq!(
        flag_of(&hs_then(&[(3, true, FIN | ACK, 0), (4, true, RST, 0)])),
        Flag::RSTO
    );
    // After FINs both ways a RST changes nothing (Zeek `UpdateClosedState`).
    let out = run(&hs_then(&[
        (3, true, FIN | ACK, 0),
        (4, false, FIN | ACK, 0),
        (5, true, RST, 0),
    ]));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].flag, Flag::SF);
}

#[test]
fn data_before_handshake() {
    // SYN with data, more data before the SYN-ACK, then a normal close.
    let seq = [
        (0, true, SYN, 20),
        (1, true, PSH | ACK, 30),
        (2, false, SYN | ACK, 0),
        (3, true, ACK, 0),
        (4, true, FIN | ACK, 0),
        (5, false, FIN | ACK, 0),
        (6, true, ACK, 0),
    ];
    let out = run(&seq);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].flag, Flag::SF);
    assert_eq!(out[0].src_bytes, 50);
    // ...and with no reply at all it is still S0.
    assert_eq!(flag_of(&[(0, true, SYN, 20), (1, true, ACK, 30)]), Flag::S0);
}

#[test]
fn linger_absorbs_trailing_packets_then_expires() {
    let mut t = Tracker::new(tracker_config());
    let mut out = Vec::new();
    t.push(&tcp(0, CLI, SRV, SYN, 0), &mut out);
    t.push(&tcp(MS, SRV, CLI, RST | ACK, 0), &mut out);
    assert_eq!(out.len(), 1);
    // Retransmitted RST and a late ACK within the linger: absorbed.
    t.push(&tcp(500 * MS, SRV, CLI, RST | ACK, 0), &mut out);
    t.push(&tcp(600 * MS, CLI, SRV, ACK, 0), &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(t.stats().absorbed_after_close, 2);
    assert_eq!(t.open_connections(), 1);
    // Linger over (2 s after the last absorbed packet): the tombstone goes quietly.
    t.advance(2700 * MS, &mut out);
    assert_eq!(t.open_connections(), 0);
    // A stray ACK now is a new (midstream) connection.
    t.push(&tcp(3 * SEC, CLI, SRV, ACK, 0), &mut out);
    t.finish(&mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].flag, Flag::OTH);
}

#[test]
fn syn_on_tombstone_reopens() {
    let mut t = Tracker::new(tracker_config());
    let mut out = Vec::new();
    t.push(&tcp(0, CLI, SRV, SYN, 0), &mut out);
    t.push(&tcp(MS, SRV, CLI, RST | ACK, 0), &mut out);
    t.push(&tcp(2 * MS, CLI, SRV, SYN, 0), &mut out);
    t.push(&tcp(3 * MS, SRV, CLI, RST | ACK, 0), &mut out);
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|r| r.flag == Flag::REJ));
    assert_eq!(t.stats().reused, 1);
    // The second REJ sees the first in its windows.
    assert_eq!(out[1].traffic.count, 1);
    assert_eq!(out[1].traffic.rerror_rate, 1.0);
}

#[test]
fn closing_without_final_ack_expires_as_closed() {
    let mut t = Tracker::new(tracker_config());
    let mut out = Vec::new();
    for &(ms, c2s, f, l) in &hs_then(&[(3, true, FIN | ACK, 0), (4, false, FIN | ACK, 0)]) {
        let (a, b) = if c2s { (CLI, SRV) } else { (SRV, CLI) };
        t.push(&tcp(ms * MS, a, b, f, l), &mut out);
    }
    assert!(out.is_empty());
    t.advance(3 * SEC, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].flag, Flag::SF);
    assert_eq!(out[0].end_reason, EndReason::Closed);
}

#[test]
fn s0_times_out_fast_in_packet_time() {
    let cfg = tracker_config();
    let mut t = Tracker::new(cfg);
    let mut out = Vec::new();
    // An established connection and an unanswered SYN at t = 0.
    for &(ms, c2s, f, l) in &HS {
        let (a, b) = if c2s { (CLI, SRV) } else { (SRV, CLI) };
        t.push(&tcp(ms * MS, a, b, f, l), &mut out);
    }
    t.push(&tcp(3 * MS, (1, 40001), (3, 22), SYN, 0), &mut out);
    // Unrelated traffic 4.9 s later: nothing due yet.
    t.push(&udp(4900 * MS, (5, 1000), (6, 53), 40), &mut out);
    assert!(out.is_empty());
    // At 5.1 s the S0 is reported by packet time; the established one is not.
    t.push(&udp(5100 * MS, (5, 1000), (6, 53), 40), &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].flag, Flag::S0);
    assert_eq!(out[0].service, "ssh");
    assert_eq!(out[0].end_reason, EndReason::Timeout);
    // The established one goes after its own 300 s idle timeout.
    t.advance(301 * SEC, &mut out);
    let s1: Vec<_> = out.iter().filter(|r| r.flag == Flag::S1).collect();
    assert_eq!(s1.len(), 1);
    assert_eq!(s1[0].end_reason, EndReason::Timeout);
}

#[test]
fn udp_flow_and_timeout() {
    let mut t = Tracker::new(tracker_config());
    let mut out = Vec::new();
    t.push(&udp(0, (1, 5353), (2, 53), 40), &mut out);
    t.push(&udp(MS, (2, 53), (1, 5353), 200), &mut out);
    t.advance(59 * SEC, &mut out);
    assert!(out.is_empty());
    t.advance(61 * SEC, &mut out);
    assert_eq!(out.len(), 1);
    let r = &out[0];
    assert_eq!(r.protocol, ProtocolType::Udp);
    assert_eq!(r.service, "domain_u");
    assert_eq!(r.flag, Flag::SF);
    assert_eq!((r.src_bytes, r.dst_bytes), (40, 200));
    assert_eq!(r.end_reason, EndReason::Timeout);
}

#[test]
fn icmp_unpaired_by_default() {
    let mut t = Tracker::new(tracker_config());
    let mut out = Vec::new();
    t.push(&icmp(0, 1, 2, 8, 56), &mut out);
    t.push(&icmp(MS, 2, 1, 0, 56), &mut out);
    t.finish(&mut out);
    assert_eq!(out.len(), 2);
    let eco = out.iter().find(|r| r.service == "eco_i").unwrap();
    let ecr = out.iter().find(|r| r.service == "ecr_i").unwrap();
    assert_eq!((eco.src_bytes, eco.dst_bytes), (56, 0));
    assert_eq!((ecr.src_bytes, ecr.dst_bytes), (56, 0));
    assert_eq!(ecr.orig_ip, ip(2));
    assert_eq!((eco.orig_port, eco.resp_port), (8, 0));
    assert!(
        out.iter()
            .all(|r| r.flag == Flag::SF && r.protocol == ProtocolType::Icmp)
    );
}

#[test]
fn one_icmp_record_per_message_by_default() {
    let mut t = Tracker::new(TrackerConfig::default());
    let mut out = Vec::new();
    for i in 0..3 {
        t.push(&icmp(i * 500 * MS, 1, 2, 8, 56), &mut out);
        t.push(&icmp(i * 500 * MS + MS, 2, 1, 0, 56), &mut out);
    }
    t.finish(&mut out);
    assert_eq!(out.len(), 6);
    let services: Vec<&str> = out.iter().map(|r| r.service).collect();
    assert_eq!(services.iter().filter(|s| **s == "eco_i").count(), 3);
    assert_eq!(services.iter().filter(|s| **s == "ecr_i").count(), 3);
    assert!(out.iter().all(|r| r.src_bytes == 56 && r.dst_bytes == 0));
}

#[test]
fn icmp_paired_when_configured() {
    let cfg = TrackerConfig {
        icmp_pair_replies: true,
        ..tracker_config()
    };
    let mut t = Tracker::new(cfg);
    let mut out = Vec::new();
    for i in 0..3 {
        t.push(&icmp(i * 500 * MS, 1, 2, 8, 56), &mut out);
        t.push(&icmp(i * 500 * MS + MS, 2, 1, 0, 56), &mut out);
    }
    // An unsolicited reply (smurf-like) stays its own ecr_i flow.
    t.push(&icmp(1600 * MS, 3, 1, 0, 1032), &mut out);
    t.finish(&mut out);
    assert_eq!(out.len(), 2);
    let eco = out.iter().find(|r| r.service == "eco_i").unwrap();
    assert_eq!((eco.src_bytes, eco.dst_bytes), (168, 168));
    assert_eq!((eco.orig_packets, eco.resp_packets), (3, 3));
    let ecr = out.iter().find(|r| r.service == "ecr_i").unwrap();
    assert_eq!(ecr.src_bytes, 1032);
    assert_eq!(t.stats().icmp_paired, 3);
}

#[test]
fn icmp_services_per_type() {
    let mut t = Tracker::new(tracker_config());
    let mut out = Vec::new();
    for (i, ty) in [3u8, 5, 11, 13].into_iter().enumerate() {
        t.push(&icmp(i as u64 * MS, 1, 2, ty, 28), &mut out);
    }
    t.finish(&mut out);
    let names: Vec<_> = out.iter().map(|r| r.service).collect();
    assert_eq!(names, ["urp_i", "red_i", "tim_i", "tim_i"]);
}

#[test]
fn land_urgent_wrong_fragment() {
    let mut t = Tracker::new(tracker_config());
    let mut out = Vec::new();
    let mut p = tcp(0, (9, 139), (9, 139), SYN | URG, 0);
    p.wrong_fragments = 2;
    t.push(&p, &mut out);
    let mut p = tcp(MS, (9, 139), (9, 139), ACK | URG, 10);
    p.wrong_fragments = 1;
    t.push(&p, &mut out);
    t.finish(&mut out);
    assert_eq!(out.len(), 1);
    let r = &out[0];
    assert!(r.land);
    assert_eq!(r.urgent, 2);
    assert_eq!(r.wrong_fragment, 3);
    assert_eq!(r.service, "netbios_ssn");
}

#[test]
fn syn_scan_gives_rej_with_high_count_and_rerror() {
    let mut t = Tracker::new(tracker_config());
    let mut out = Vec::new();
    let attacker = (66, 55555);
    for port in 1..=1000u16 {
        let ts = port as u64 * MS; // 1000 probes in 1 s
        t.push(&tcp(ts, attacker, (2, port), SYN, 0), &mut out);
        t.push(
            &tcp(ts + 100_000, (2, port), attacker, RST | ACK, 0),
            &mut out,
        );
    }
    t.finish(&mut out);
    assert_eq!(out.len(), 1000);
    assert!(out.iter().all(|r| r.flag == Flag::REJ));
    let last = out.last().unwrap();
    assert_eq!(last.traffic.count, 511);
    assert_eq!(last.traffic.rerror_rate, 1.0);
    assert_eq!(last.traffic.serror_rate, 0.0);
    // Each unnamed port is a service of its own, as in KDD's scans: no earlier probe
    // shares the last one's (`tracker_config` counts earlier connections only).
    assert_eq!(last.traffic.srv_count, 0);
    assert_eq!(last.traffic.dst_host_count, 255);
    assert_eq!(last.traffic.dst_host_rerror_rate, 1.0);
    // Most of the 1000 ports are unnamed low ports.
    let private = out.iter().filter(|r| r.service == "private").count();
    assert!(private > 900, "{private}");
}

#[test]
fn spoofed_syn_flood_stays_bounded() {
    let cap = 10_000;
    let cfg = TrackerConfig {
        max_connections: cap,
        ..tracker_config()
    };
    let mut t = Tracker::new(cfg);
    let mut out = Vec::new();
    let mut emitted = 0u64;
    let n = 1_000_000u64;
    let mut x: u32 = 0x1234_5678;
    for i in 0..n {
        // xorshift: random spoofed sources and ports, one target.
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let p = Packet {
            ts: i * 1000, // 1 M packets/s
            src: IpAddr::V4(Ipv4Addr::from(x)),
            dst: ip(2),
            transport: Transport::Tcp {
                src_port: (x >> 7) as u16,
                dst_port: 80,
                flags: TcpFlags(SYN),
            },
            payload_len: 0,
            wrong_fragments: 0,
        };
        t.push(&p, &mut out);
        assert!(t.open_connections() <= cap);
        emitted += out.len() as u64;
        if let Some(r) = out.last() {
            assert_eq!(r.flag, Flag::S0);
        }
        out.clear();
    }
    let s = t.stats();
    assert!(s.evicted_half_open >= n - cap as u64 - 10, "{s:?}");
    assert_eq!(s.evicted_other, 0);
    assert_eq!(emitted, s.records);
    t.finish(&mut out);
    assert_eq!(t.open_connections(), 0);
    assert_eq!(s.records + out.len() as u64, s.connections);
}

#[test]
fn eviction_prefers_tombstones_then_half_open() {
    let cfg = TrackerConfig {
        max_connections: 3,
        ..tracker_config()
    };
    let mut t = Tracker::new(cfg);
    let mut out = Vec::new();
    // Established connection.
    for &(ms, c2s, f, l) in &HS {
        let (a, b) = if c2s { (CLI, SRV) } else { (SRV, CLI) };
        t.push(&tcp(ms * MS, a, b, f, l), &mut out);
    }
    // A REJ (tombstone) and an S0.
    t.push(&tcp(10 * MS, (1, 1), (2, 1), SYN, 0), &mut out);
    t.push(&tcp(11 * MS, (2, 1), (1, 1), RST | ACK, 0), &mut out);
    t.push(&tcp(12 * MS, (1, 2), (2, 2), SYN, 0), &mut out);
    assert_eq!(out.len(), 1);
    // Full: a new one drops the tombstone first.
    t.push(&tcp(13 * MS, (1, 3), (2, 3), SYN, 0), &mut out);
    assert_eq!(t.stats().tombstones_dropped, 1);
    assert_eq!(out.len(), 1);
    // Then the oldest half-open is emitted as Evicted.
    t.push(&tcp(14 * MS, (1, 4), (2, 4), SYN, 0), &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].end_reason, EndReason::Evicted);
    assert_eq!(out[1].flag, Flag::S0);
    assert_eq!(out[1].resp_port, 2);
    assert_eq!(t.stats().evicted_half_open, 1);
    assert_eq!(t.open_connections(), 3);
}

#[test]
fn finish_flushes_in_activity_order() {
    let mut t = Tracker::new(tracker_config());
    let mut out = Vec::new();
    t.push(&udp(0, (1, 1000), (2, 2000), 1), &mut out);
    t.push(&tcp(MS, CLI, SRV, SYN, 0), &mut out);
    t.push(&icmp(2 * MS, 1, 2, 8, 1), &mut out);
    t.push(&udp(3 * MS, (1, 1000), (2, 2000), 1), &mut out);
    t.finish(&mut out);
    let order: Vec<_> = out.iter().map(|r| r.protocol).collect();
    assert_eq!(
        order,
        [ProtocolType::Tcp, ProtocolType::Icmp, ProtocolType::Udp]
    );
    assert!(out.iter().all(|r| r.end_reason == EndReason::Flushed));
    assert_eq!(t.stats().flushed, 3);
}

#[test]
fn window_features_flow_through_the_tracker() {
    // 5 connections to one host within 2 s, 3 of them S0 (via timeout/eviction
    // ordering kept simple: all emitted by finish in activity order), then a 6th.
    let mut t = Tracker::new(tracker_config());
    let mut out = Vec::new();
    for i in 0..5u16 {
        let cli = (1, 1000 + i);
        let ts = i as u64 * 100 * MS;
        t.push(&tcp(ts, cli, SRV, SYN, 0), &mut out);
        if i % 2 == 1 {
            // Answered and closed: SF.
            t.push(&tcp(ts + MS, SRV, cli, SYN | ACK, 0), &mut out);
            t.push(&tcp(ts + 2 * MS, cli, SRV, FIN | ACK, 0), &mut out);
            t.push(&tcp(ts + 3 * MS, SRV, cli, FIN | ACK, 0), &mut out);
            t.push(&tcp(ts + 4 * MS, cli, SRV, ACK, 0), &mut out);
        }
    }
    t.finish(&mut out);
    let cli = (1, 2000);
    t.push(&tcp(600 * MS, cli, SRV, SYN, 0), &mut out);
    t.push(&tcp(601 * MS, SRV, cli, RST | ACK, 0), &mut out);
    assert_eq!(out.len(), 6);
    let f = &out[5].traffic;
    assert_eq!(f.count, 5);
    assert!((f.serror_rate - 0.6).abs() < 1e-9);
    assert_eq!(f.same_srv_rate, 1.0);
    assert_eq!(f.dst_host_count, 5);
    assert!((f.dst_host_serror_rate - 0.6).abs() < 1e-9);
}
