//! The bad-input corpus: every input is generated here (no fixture is downloaded), from
//! the demo file's records, the capture writer and etherparse.
#![allow(dead_code)]

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use etherparse::{IpFragOffset, IpNumber, Ipv4Header, PacketBuilder, VlanId};
use flate2::Compression;
use flate2::write::GzEncoder;
use netanomaly::capture::demo_capture::{Attacks, SynthConfig, generate};
use netanomaly::capture::packet::{NANOS_PER_SEC, Nanos};
use netanomaly::capture::writer::{CaptureWriter, WriteFormat};

pub use crate::common::DEMO;
pub const HEADER: &str = "duration,protocol_type,service,flag,src_bytes,dst_bytes,land,wrong_fragment,urgent,hot,num_failed_logins,logged_in,num_compromised,root_shell,su_attempted,num_root,num_file_creations,num_shells,num_access_files,num_outbound_cmds,is_host_login,is_guest_login,count,srv_count,serror_rate,srv_serror_rate,rerror_rate,srv_rerror_rate,same_srv_rate,diff_srv_rate,srv_diff_host_rate,dst_host_count,dst_host_srv_count,dst_host_same_srv_rate,dst_host_diff_srv_rate,dst_host_same_src_port_rate,dst_host_srv_diff_host_rate,dst_host_serror_rate,dst_host_srv_serror_rate,dst_host_rerror_rate,dst_host_srv_rerror_rate,label";
pub const NORMAL: &str = "0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00,normal.";

/// The demo file's 1000 labelled (42-field) records, without its header.
pub fn demo_lines() -> Vec<String> {
    std::fs::read_to_string(DEMO)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("duration"))
        .map(str::to_owned)
        .collect()
}

/// `line` with field `index` (0-based) replaced.
pub fn with_field(line: &str, index: usize, value: &str) -> String {
    let mut fields: Vec<&str> = line.split(',').collect();
    fields[index] = value;
    fields.join(",")
}

/// `line` cut or padded to `n` fields.
pub fn with_fields(line: &str, n: usize) -> String {
    let mut fields: Vec<&str> = line.split(',').collect();
    fields.resize(n, "0");
    fields.join(",")
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn join(lines: &[String], eol: &str) -> Vec<u8> {
    let mut text = lines.join(eol);
    text.push_str(eol);
    text.into_bytes()
}

/// The demo records with `bad` as line 2 (after the first record).
fn bad_at_line_2(bad: Vec<u8>) -> Vec<u8> {
    let lines = demo_lines();
    let mut bytes = join(&lines[..1], "\n");
    bytes.extend_from_slice(&bad);
    bytes.push(b'\n');
    bytes.extend_from_slice(&join(&lines[1..], "\n"));
    bytes
}

/// Bytes that look like nothing (a fixed pseudo-random sequence).
pub fn junk(n: usize) -> Vec<u8> {
    (0..n as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// A KDD-format input of the corpus: its file name and bytes.
pub fn kdd_input(name: &str) -> Vec<u8> {
    let lines = demo_lines();
    let first = &lines[0];
    match name {
        "truncated.gz" => {
            let full = gzip(&join(&lines, "\n"));
            full[..full.len() / 2].to_vec()
        }
        "junk.gz" => gzip(&junk(5000)),
        "fields-40-first.csv" => {
            let mut l = vec![with_fields(first, 40)];
            l.extend_from_slice(&lines[1..]);
            join(&l, "\n")
        }
        "fields-44-first.csv" => {
            let mut l = vec![with_fields(first, 44)];
            l.extend_from_slice(&lines[1..]);
            join(&l, "\n")
        }
        "fields-40.csv" => bad_at_line_2(with_fields(first, 40).into_bytes()),
        "fields-44.csv" => bad_at_line_2(with_fields(first, 44).into_bytes()),
        // A 42-field (labelled) line in a file of 41-field (unlabelled) records.
        "fields-42-in-41.csv" => {
            let mut l: Vec<String> = lines.iter().map(|l| with_fields(l, 41)).collect();
            l.insert(1, first.clone());
            join(&l, "\n")
        }
        "non-numeric.csv" => bad_at_line_2(with_field(first, 4, "12x").into_bytes()),
        "negative-count.csv" => bad_at_line_2(with_field(first, 22, "-3").into_bytes()),
        "nan.csv" => bad_at_line_2(with_field(first, 5, "NaN").into_bytes()),
        "inf.csv" => bad_at_line_2(with_field(first, 0, "inf").into_bytes()),
        "1e309.csv" => bad_at_line_2(with_field(first, 24, "1e309").into_bytes()),
        "non-utf8.csv" => {
            let mut bad = with_field(first, 2, "ht").into_bytes();
            // "ht" → "ht\xfftp" in column 3.
            let at = bad.windows(4).position(|w| w == b",ht,").unwrap() + 3;
            bad.splice(at..at, *b"\xfftp");
            bad_at_line_2(bad)
        }
        "empty.csv" => Vec::new(),
        "header-only.csv" => format!("{HEADER}\n").into_bytes(),
        "header-crlf.csv" => {
            let mut l = vec![HEADER.to_owned()];
            l.extend_from_slice(&lines);
            join(&l, "\r\n")
        }
        "long-line.csv" => bad_at_line_2(vec![b'7'; 10 * 1024 * 1024]),
        "unknown-categories.csv" => {
            let mut l = lines.clone();
            let odd = with_field(
                &with_field(&with_field(NORMAL, 1, "sctp"), 2, "gopher9"),
                3,
                "ZZ",
            );
            l.insert(1, odd);
            join(&l, "\n")
        }
        "unlabelled.csv" => {
            let l: Vec<String> = lines.iter().map(|l| with_fields(l, 41)).collect();
            join(&l, "\n")
        }
        other => panic!("no KDD input {other}"),
    }
}

pub const MS: Nanos = 1_000_000;
pub const START: Nanos = 1_700_000_000 * NANOS_PER_SEC;
pub const ETHERNET: u32 = 1;
const A: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 12);
const B: Ipv4Addr = Ipv4Addr::new(10, 0, 1, 80);

type Frame = (Nanos, Vec<u8>);

/// A TCP exchange (handshake, 100 bytes each way, FIN both ways) from A:40001 to B:80,
/// framed by `build(ts, from_a, flags, payload)`.
fn exchange(build: impl Fn(bool, &str, usize) -> Vec<u8>) -> Vec<Frame> {
    let steps: [(bool, &str, usize); 8] = [
        (true, "S", 0),
        (false, "SA", 0),
        (true, "A", 0),
        (true, "PA", 100),
        (false, "PA", 100),
        (true, "FA", 0),
        (false, "FA", 0),
        (true, "A", 0),
    ];
    steps
        .iter()
        .enumerate()
        .map(|(i, &(a, f, n))| (START + i as u64 * MS, build(a, f, n)))
        .collect()
}

macro_rules! segment {
    ($builder:expr, $from_a:expr, $flags:expr, $payload:expr) => {{
        let (sp, dp) = if $from_a { (40001, 80) } else { (80, 40001) };
        let mut b = $builder.tcp(sp, dp, 1000, 64240);
        for f in $flags.chars() {
            b = match f {
                'S' => b.syn(),
                'A' => b.ack(1),
                'F' => b.fin(),
                'P' => b.psh(),
                _ => unreachable!(),
            };
        }
        let mut frame = Vec::new();
        b.write(&mut frame, &vec![b'x'; $payload]).unwrap();
        frame
    }};
}

const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 1];
const MAC_B: [u8; 6] = [2, 0, 0, 0, 0, 2];

fn ipv4_exchange() -> Vec<Frame> {
    exchange(|a, f, n| {
        let (s, d) = if a { (A, B) } else { (B, A) };
        segment!(
            PacketBuilder::ethernet2(MAC_A, MAC_B).ipv4(s.octets(), d.octets(), 64),
            a,
            f,
            n
        )
    })
}

fn vlan_exchange() -> Vec<Frame> {
    exchange(|a, f, n| {
        let (s, d) = if a { (A, B) } else { (B, A) };
        segment!(
            PacketBuilder::ethernet2(MAC_A, MAC_B)
                .single_vlan(VlanId::try_new(42).unwrap())
                .ipv4(s.octets(), d.octets(), 64),
            a,
            f,
            n
        )
    })
}

fn ipv6_exchange() -> Vec<Frame> {
    let (x, y) = (
        "2001:db8::12"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
        "2001:db8::80"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    exchange(|a, f, n| {
        let (s, d) = if a { (x, y) } else { (y, x) };
        segment!(
            PacketBuilder::ethernet2(MAC_A, MAC_B).ipv6(s, d, 64),
            a,
            f,
            n
        )
    })
}

/// One IPv4 fragment of a UDP datagram, as an Ethernet frame.
fn fragment(id: u16, offset_units: u16, more: bool, payload: &[u8]) -> Vec<u8> {
    let mut ip = Ipv4Header::new(
        payload.len() as u16,
        64,
        IpNumber::UDP,
        A.octets(),
        B.octets(),
    )
    .unwrap();
    ip.identification = id;
    ip.more_fragments = more;
    ip.fragment_offset = IpFragOffset::try_new(offset_units).unwrap();
    ip.header_checksum = ip.calc_header_checksum();
    let mut frame = Vec::new();
    frame.extend_from_slice(&MAC_B);
    frame.extend_from_slice(&MAC_A);
    frame.extend_from_slice(&[0x08, 0x00]);
    ip.write(&mut frame).unwrap();
    frame.extend_from_slice(payload);
    frame
}

/// Teardrop: a UDP datagram in two fragments that overlap (bytes 0–23 and 16–39).
fn overlapping_fragments() -> Vec<Frame> {
    // UDP header: ports 5000 → 53, length 40, no checksum; then data.
    let mut datagram = vec![0x13, 0x88, 0x00, 0x35, 0x00, 0x28, 0x00, 0x00];
    datagram.extend_from_slice(&[b'y'; 32]);
    vec![
        (START, fragment(7, 0, true, &datagram[..24])),
        (START + MS, fragment(7, 2, false, &datagram[16..40])),
    ]
}

/// Writes frames as a classic pcap with this snaplen.
pub fn capture_bytes(frames: &[Frame], snaplen: u32) -> Vec<u8> {
    let mut writer =
        CaptureWriter::new(Vec::new(), WriteFormat::PCAP_US, ETHERNET, snaplen).unwrap();
    for (t, f) in frames {
        writer.write_frame(*t, f).unwrap();
    }
    writer.finish().unwrap()
}

/// Seeded background traffic as a pcap, `seconds` long.
pub fn synthetic_capture(seed: u64, seconds: f64, sessions_per_sec: f64) -> Vec<u8> {
    let capture = generate(&SynthConfig {
        seed,
        start_ns: START,
        duration_secs: seconds,
        sessions_per_sec,
        attacks: Attacks::NONE,
    });
    let mut out = Vec::new();
    capture.write(WriteFormat::PCAP_US, &mut out).unwrap();
    out
}

/// A packet-capture input of the corpus.
pub fn pcap_input(name: &str) -> Vec<u8> {
    match name {
        "bad-magic.pcap" => junk(4096),
        "empty.pcap" => Vec::new(),
        "short-header.pcap" => capture_bytes(&[], 65535)[..10].to_vec(),
        "truncated-record.pcap" => {
            let full = capture_bytes(&ipv4_exchange(), 65535);
            // Cut in the middle of the last record's data.
            full[..full.len() - 20].to_vec()
        }
        "huge-record.pcap" => {
            let mut bytes = capture_bytes(&ipv4_exchange()[..1], 65535);
            // The first record's captured length (at byte 24 + 8) claims 1 MiB.
            bytes[32..36].copy_from_slice(&(1u32 << 20).to_le_bytes());
            bytes
        }
        "snaplen-40.pcap" => capture_bytes(&ipv4_exchange(), 40),
        "vlan.pcap" => capture_bytes(&vlan_exchange(), 65535),
        "ipv6.pcap" => capture_bytes(&ipv6_exchange(), 65535),
        "overlapping-fragments.pcap" => capture_bytes(&overlapping_fragments(), 65535),
        "pcapng-bad-block.pcapng" => {
            let mut w =
                CaptureWriter::new(Vec::new(), WriteFormat::PCAPNG_US, ETHERNET, 0).unwrap();
            for (t, f) in ipv4_exchange() {
                w.write_frame(t, &f).unwrap();
            }
            let mut bytes = w.finish().unwrap();
            // The last block's trailing length no longer matches its leading one.
            let n = bytes.len();
            bytes[n - 4..].copy_from_slice(&7u32.to_le_bytes());
            bytes
        }
        other => panic!("no capture input {other}"),
    }
}

/// Writes `bytes` as `dir/name`.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}
