use std::io::{self, Read};

use super::super::decode::linktype;
use super::super::packet::Transport;
use super::super::writer::{CaptureWriter, WriteFormat};
use super::*;
use etherparse::PacketBuilder;

/// A reader that returns 1..=7 bytes per `read()`, like a slow pipe.
struct Trickle<'a> {
    data: &'a [u8],
    n: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.n = self.n % 7 + 1;
        let k = self.n.min(buf.len()).min(self.data.len());
        buf[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        Ok(k)
    }
}

fn udp_frame(sport: u16, payload: usize) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([192, 168, 0, 1], [192, 168, 0, 2], 64)
        .udp(sport, 53)
        .write(&mut v, &vec![0u8; payload])
        .unwrap();
    v
}

const T0: Nanos = 1_700_000_000_123_456_789;

fn capture(format: WriteFormat, n: u16) -> Vec<u8> {
    let mut w = CaptureWriter::new(Vec::new(), format, linktype::ETHERNET, 0).unwrap();
    for i in 0..n {
        w.write_frame(
            T0 + u64::from(i) * 1_000_001,
            &udp_frame(1000 + i, 10 + i as usize),
        )
        .unwrap();
    }
    w.finish().unwrap()
}

fn read_all<R: Read>(r: R) -> (Vec<Packet>, CaptureStats, CaptureFormat) {
    let mut pr = PacketReader::new(r).unwrap();
    let mut v = Vec::new();
    while let Some(p) = pr.next_packet().unwrap() {
        v.push(p);
    }
    (v, pr.stats().clone(), pr.format())
}

#[test]
fn classic_byte_orders_and_resolutions() {
    for (be, nanos, name) in [
        (false, false, "pcap (little-endian, µs)"),
        (true, false, "pcap (big-endian, µs)"),
        (false, true, "pcap (little-endian, ns)"),
        (true, true, "pcap (big-endian, ns)"),
    ] {
        let data = capture(
            WriteFormat::Pcap {
                big_endian: be,
                nanos,
            },
            5,
        );
        let (pk, st, fmt) = read_all(&data[..]);
        assert_eq!(fmt.to_string(), name);
        assert_eq!(pk.len(), 5);
        assert_eq!(st.frames, 5);
        for (i, p) in pk.iter().enumerate() {
            let exact = T0 + i as u64 * 1_000_001;
            let want = if nanos { exact } else { exact / 1000 * 1000 };
            assert_eq!(p.ts, want, "{name} #{i}");
            assert_eq!(p.payload_len, 10 + i as u32);
            assert!(
                matches!(p.transport, Transport::Udp { src_port, .. } if src_port == 1000 + i as u16)
            );
        }
    }
}

#[test]
fn pcapng_resolutions_and_offset() {
    // (tsresol, offset, expected ts of the first packet)
    for (resol, off, want) in [
        (6u8, 0i64, T0 / 1000 * 1000),
        (9, 0, T0),
        (3, 0, T0 / 1_000_000 * 1_000_000),
        (0x80 | 20, 0, 0), // 2^-20 s; checked approximately below
        (9, 1_600_000_000, T0),
        (6, -5, T0 / 1000 * 1000),
    ] {
        for be in [false, true] {
            let f = WriteFormat::PcapNg {
                big_endian: be,
                tsresol: resol,
                tsoffset_secs: off,
            };
            let data = capture(f, 3);
            let (pk, _, fmt) = read_all(&data[..]);
            assert_eq!(pk.len(), 3);
            assert_eq!(
                fmt.to_string(),
                if be {
                    "pcapng (big-endian)"
                } else {
                    "pcapng (little-endian)"
                }
            );
            if resol & 0x80 != 0 {
                // One tick is ~954 ns; floor both ways loses at most 2 ticks.
                assert!(T0 - pk[0].ts < 2 * 954, "{} vs {}", pk[0].ts, T0);
            } else {
                assert_eq!(pk[0].ts, want, "resol {resol} off {off}");
            }
        }
    }
}

#[test]
fn pcapng_two_interfaces_and_spb() {
    let mut w = CaptureWriter::new(
        Vec::new(),
        WriteFormat::PcapNg {
            big_endian: false,
            tsresol: 9,
            tsoffset_secs: 0,
        },
        linktype::ETHERNET,
        0,
    )
    .unwrap();
    let raw = w.add_interface(linktype::RAW, 0, 3, 0).unwrap();
    let eth = udp_frame(1, 20);
    w.write_frame_on(0, T0, &eth).unwrap();
    w.write_frame_on(raw, T0 + 5_000_000, &eth[14..]).unwrap();
    w.write_simple_packet(&eth).unwrap();
    let data = w.finish().unwrap();
    let (pk, st, _) = read_all(&data[..]);
    assert_eq!(pk.len(), 3);
    assert_eq!(pk[0].ts, T0);
    assert_eq!(pk[1].ts, (T0 + 5_000_000) / 1_000_000 * 1_000_000);
    assert_eq!(pk[2].ts, pk[1].ts); // SPB: previous timestamp
    assert!(pk.iter().all(|p| p.payload_len == 20));
    assert_eq!(st.frames, 3);
}

#[test]
fn pcapng_skips_other_blocks_and_new_section() {
    let mut data = capture(WriteFormat::PCAPNG_US, 2);
    // An Interface Statistics Block-like unknown block (type 5), 16 bytes.
    for v in [5u32, 16, 0, 16] {
        data.extend_from_slice(&v.to_le_bytes());
    }
    // A second, big-endian section appended (cat a.pcapng b.pcapng).
    data.extend(capture(
        WriteFormat::PcapNg {
            big_endian: true,
            tsresol: 9,
            tsoffset_secs: 0,
        },
        2,
    ));
    let (pk, st, _) = read_all(&data[..]);
    assert_eq!(pk.len(), 4);
    assert_eq!(pk[3].ts, T0 + 1_000_001);
    assert_eq!(st.other_blocks, 1);
}

#[test]
fn trickling_pipe_reads_same_packets() {
    for f in [WriteFormat::PCAP_US, WriteFormat::PCAPNG_US] {
        let data = capture(f, 50);
        let (a, _, _) = read_all(&data[..]);
        let (b, st, _) = read_all(Trickle { data: &data, n: 0 });
        assert_eq!(a, b);
        assert_eq!(st.truncated_tail, None);
    }
}

#[test]
fn bad_magic_and_empty() {
    let e = PacketReader::new(&b"<html><body>"[..]).err().unwrap();
    assert_eq!(
        e.to_string(),
        "not a packet capture: magic 0x3c68746d at byte 0 (expected pcap or pcapng); the input looks like text: use the matching --format"
    );
    let e = PacketReader::new(&[0x1f, 0x8b, 8, 0][..]).err().unwrap();
    assert!(e.to_string().contains("gzip"), "{e}");
    assert!(matches!(
        PacketReader::new(&[][..]).err().unwrap(),
        CaptureError::Empty
    ));
    // pcapng magic with a broken byte-order magic.
    let mut ng = capture(WriteFormat::PCAPNG_US, 1);
    ng[8] = 0;
    let e = PacketReader::new(&ng[..]).err().unwrap();
    assert!(e.to_string().contains("byte-order magic"), "{e}");
}

#[test]
fn truncated_header() {
    let data = capture(WriteFormat::PCAP_US, 1);
    for cut in [2, 10, 23] {
        assert!(matches!(
            PacketReader::new(&data[..cut]).err().unwrap(),
            CaptureError::TruncatedHeader { .. }
        ));
    }
    let ng = capture(WriteFormat::PCAPNG_US, 1);
    assert!(matches!(
        PacketReader::new(&ng[..7]).err().unwrap(),
        CaptureError::TruncatedHeader { .. }
    ));
}

#[test]
fn truncated_last_record_stops_with_count() {
    for f in [WriteFormat::PCAP_US, WriteFormat::PCAPNG_US] {
        let data = capture(f, 3);
        let full = read_all(&data[..]).0.len();
        assert_eq!(full, 3);
        for cut in 1..20 {
            let (pk, st, _) = read_all(&data[..data.len() - cut]);
            assert_eq!(pk.len(), 2, "cut {cut}");
            let t = st.truncated_tail.expect("tail recorded");
            assert_eq!(t.frame, 3);
            assert!(t.have < t.need);
        }
    }
}

#[test]
fn absurd_record_length_is_an_error() {
    let mut data = capture(WriteFormat::PCAP_US, 2);
    // Second record's incl_len: header 24 + first record (16 + 52) + 8.
    let first_len = 16 + udp_frame(0, 10).len();
    let at = 24 + first_len + 8;
    data[at..at + 4].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let mut r = PacketReader::new(&data[..]).unwrap();
    assert!(r.next_packet().unwrap().is_some());
    let e = r.next_packet().unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "packet 2 at byte {} claims 2147483647 captured bytes (limit 262144): the capture is corrupt or not aligned",
            24 + first_len
        )
    );

    let mut ng = capture(WriteFormat::PCAPNG_US, 1);
    let n = ng.len();
    // EPB is last; claim a 100 MB block.
    let epb = n - (32 + udp_frame(0, 10).len().next_multiple_of(4));
    ng[epb + 4..epb + 8].copy_from_slice(&100_000_000u32.to_le_bytes());
    let mut r = PacketReader::new(&ng[..]).unwrap();
    assert!(matches!(
        r.next_packet().unwrap_err(),
        CaptureError::RecordTooLarge { .. }
    ));
}

#[test]
fn snaplen_shorter_than_headers() {
    let mut w =
        CaptureWriter::new(Vec::new(), WriteFormat::PCAP_US, linktype::ETHERNET, 30).unwrap();
    w.write_frame(T0, &udp_frame(7, 100)).unwrap();
    let data = w.finish().unwrap();
    let (pk, st, _) = read_all(&data[..]);
    assert!(pk.is_empty());
    assert_eq!(st.skipped_truncated, 1);

    // snaplen 96 keeps headers: payload counted from the IP length.
    let mut w =
        CaptureWriter::new(Vec::new(), WriteFormat::PCAP_US, linktype::ETHERNET, 96).unwrap();
    w.write_frame(T0, &udp_frame(7, 1000)).unwrap();
    let (pk, _, _) = read_all(&w.finish().unwrap()[..]);
    assert_eq!(pk[0].payload_len, 1000);
}

#[test]
fn unsupported_link_type_counted() {
    let mut w = CaptureWriter::new(Vec::new(), WriteFormat::PCAP_US, 147, 0).unwrap();
    w.write_frame(T0, &[1, 2, 3]).unwrap();
    let (pk, st, _) = read_all(&w.finish().unwrap()[..]);
    assert!(pk.is_empty());
    assert_eq!(st.skipped_unsupported_link, 1);
}

#[test]
fn large_records_grow_the_buffer() {
    for f in [WriteFormat::PCAP_US, WriteFormat::PCAPNG_US] {
        let mut w = CaptureWriter::new(Vec::new(), f, linktype::ETHERNET, 0).unwrap();
        w.write_frame(T0, &udp_frame(1, 60_000)).unwrap();
        w.write_frame(T0, &vec![0xab; MAX_RECORD]).unwrap();
        w.write_frame(T0, &udp_frame(2, 10)).unwrap();
        let data = w.finish().unwrap();
        let mut r = PacketReader::new(Trickle { data: &data, n: 3 }).unwrap();
        let lens: Vec<usize> =
            std::iter::from_fn(|| r.next_frame().unwrap().map(|f| f.data.len())).collect();
        assert_eq!(lens, [60_042, MAX_RECORD, 52]);
    }
}

fn splitmix(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[test]
fn fuzz_reader_never_panics() {
    let seeds = [
        capture(WriteFormat::PCAP_US, 4),
        capture(
            WriteFormat::Pcap {
                big_endian: true,
                nanos: true,
            },
            4,
        ),
        capture(WriteFormat::PCAPNG_US, 4),
        capture(
            WriteFormat::PcapNg {
                big_endian: true,
                tsresol: 0x85,
                tsoffset_secs: 3,
            },
            4,
        ),
    ];
    let mut s = 42u64;
    for i in 0..4000 {
        let mut buf = seeds[i % seeds.len()].clone();
        if i % 10 == 0 {
            let n = (splitmix(&mut s) % 200) as usize;
            buf = (0..n).map(|_| splitmix(&mut s) as u8).collect();
        } else {
            for _ in 0..=(splitmix(&mut s) % 8) {
                let at = (splitmix(&mut s) as usize) % buf.len();
                buf[at] = splitmix(&mut s) as u8;
            }
            let keep = (splitmix(&mut s) as usize) % (buf.len() + 1);
            if i % 3 == 0 {
                buf.truncate(keep);
            }
        }
        if let Ok(mut r) = PacketReader::new(Trickle { data: &buf, n: i }) {
            let mut guard = 0;
            while let Ok(Some(_)) = r.next_packet() {
                guard += 1;
                assert!(guard < 1000);
            }
        }
    }
}

// Tiny captures made on the development machine, not by this crate's writer:
// NG_TWO_IF_BE by an independent Python pcapng writer (big-endian; interface 0 with
// if_tsresol 2^-10, interface 1 µs with if_tsoffset 1600000000 s), TCPDUMP_SLL2_SNAP60
// by `tcpdump -i any -s 60 -w -` (Linux cooked v2). Expected timestamps are what
// `tcpdump -tt --nano -r` (libpcap 1.10.3) prints for them.
const NG_TWO_IF_BE: &[u8] = b"\
    \x0a\x0d\x0d\x0a\x00\x00\x00\x1c\x1a\x2b\x3c\x4d\x00\x01\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\
    \x00\x00\x00\x1c\x00\x00\x00\x01\x00\x00\x00\x20\x00\x01\x00\x00\x00\x00\xff\xff\x00\x09\x00\x01\
    \x8a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x20\x00\x00\x00\x01\x00\x00\x00\x2c\x00\x01\x00\x00\
    \x00\x00\xff\xff\x00\x09\x00\x01\x06\x00\x00\x00\x00\x0e\x00\x08\x00\x00\x00\x00\x5f\x5e\x10\x00\
    \x00\x00\x00\x00\x00\x00\x00\x2c\x00\x00\x00\x06\x00\x00\x00\x58\x00\x00\x00\x00\x00\x00\x01\x95\
    \x4f\xc4\x00\x7e\x00\x00\x00\x36\x00\x00\x00\x36\x02\xfc\x00\x00\x00\x05\x02\xfc\x00\x00\x00\x01\
    \x08\x00\x45\x00\x00\x28\x00\x01\x00\x00\x40\x06\x63\xca\x0a\x01\x01\x01\x0a\x02\x02\x02\x04\x57\
    \x00\x50\x00\x00\x00\x00\x00\x00\x00\x00\x50\x02\x20\x00\x74\x36\x00\x00\x00\x00\x00\x00\x00\x58\
    \x00\x00\x00\x06\x00\x00\x00\x6c\x00\x00\x00\x01\x00\x00\x5a\xf3\x10\x89\x82\x40\x00\x00\x00\x4b\
    \x00\x00\x00\x4b\x02\xfc\x00\x00\x00\x05\x02\xfc\x00\x00\x00\x01\x08\x00\x45\x00\x00\x3d\x00\x01\
    \x00\x00\x40\x11\x63\xaa\x0a\x01\x01\x01\x0a\x02\x02\x02\x08\xae\x00\x35\x00\x29\xe0\x2b\x78\x78\
    \x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\
    \x78\x78\x78\x78\x78\x78\x78\x00\x00\x00\x00\x6c\x00\x00\x00\x06\x00\x00\x00\x84\x00\x00\x00\x00\
    \x00\x00\x01\x95\x4f\xc4\x0b\xff\x00\x00\x00\x62\x00\x00\x00\x62\x02\xfc\x00\x00\x00\x05\x02\xfc\
    \x00\x00\x00\x01\x08\x00\x45\x00\x00\x54\x00\x01\x00\x00\x40\x01\x63\xa3\x0a\x01\x01\x01\x0a\x02\
    \x02\x02\x08\x00\xae\xb6\x00\x00\x00\x00\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\
    \x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\
    \x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x00\x00\x00\x00\x00\x84\
";
const TCPDUMP_SLL2_SNAP60: &[u8] = b"\
    \xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x3c\x00\x00\x00\x14\x01\x00\x00\
    \x7d\x9c\x05\x6b\x22\xe8\x07\x00\x3c\x00\x00\x00\xc0\x01\x00\x00\x08\x00\x00\x00\x00\x00\x00\x01\
    \x03\x04\x00\x06\x00\x00\x00\x00\x00\x00\x00\x00\x45\x00\x01\xac\xba\x65\x40\x00\x40\x11\x80\xd9\
    \x7f\x00\x00\x01\x7f\x00\x00\x01\x8c\xa7\x14\xe9\x01\x98\xff\xab\x71\x71\x71\x71\x71\x71\x71\x71\
    \x71\x71\x71\x71\x7d\x9c\x05\x6b\x2f\xe8\x07\x00\x3c\x00\x00\x00\xdc\x01\x00\x00\x08\x00\x00\x00\
    \x00\x00\x00\x01\x03\x04\x00\x06\x00\x00\x00\x00\x00\x00\x00\x00\x45\xc0\x01\xc8\xaa\xe1\x00\x00\
    \x40\x01\xcf\x91\x7f\x00\x00\x01\x7f\x00\x00\x01\x03\x03\xb9\x87\x00\x00\x00\x00\x45\x00\x01\xac\
    \xba\x65\x40\x00\x40\x11\x80\xd9\x7d\x9c\x05\x6b\x6d\xe8\x07\x00\x3c\x00\x00\x00\x2c\x04\x00\x00\
    \x86\xdd\x00\x00\x00\x00\x00\x01\x03\x04\x00\x06\x00\x00\x00\x00\x00\x00\x00\x00\x60\x0c\xf6\xde\
    \x03\xf0\x11\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\
    \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x7d\x9c\x05\x6b\x0d\xe9\x07\x00\x3c\x00\x00\x00\
    \x5c\x04\x00\x00\x86\xdd\x00\x00\x00\x00\x00\x01\x03\x04\x00\x06\x00\x00\x00\x00\x00\x00\x00\x00\
    \x60\x06\x7a\xe0\x04\x20\x3a\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\
    \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x7d\x9c\x05\x6b\x2e\xe9\x07\x00\
    \x3c\x00\x00\x00\x50\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x01\x03\x04\x00\x06\x00\x00\x00\x00\
    \x00\x00\x00\x00\x45\x00\x00\x3c\x25\xad\x40\x00\x40\x06\x17\x0d\x7f\x00\x00\x01\x7f\x00\x00\x01\
    \xce\xa0\x00\x09\xde\xbe\x53\x2b\x00\x00\x00\x00\xa0\x02\xff\xd7\xfe\x30\x00\x00\x7d\x9c\x05\x6b\
    \x97\xe9\x07\x00\x3c\x00\x00\x00\x3c\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x01\x03\x04\x00\x06\
    \x00\x00\x00\x00\x00\x00\x00\x00\x45\x00\x00\x28\x00\x00\x40\x00\x40\x06\x3c\xce\x7f\x00\x00\x01\
    \x7f\x00\x00\x01\x00\x09\xce\xa0\x00\x00\x00\x00\xde\xbe\x53\x2c\x50\x14\x00\x00\xb1\x39\x00\x00\
";

#[test]
fn timestamps_match_libpcap_on_foreign_captures() {
    let (pk, _, fmt) = read_all(NG_TWO_IF_BE);
    assert_eq!(fmt.to_string(), "pcapng (big-endian)");
    let ts: Vec<_> = pk.iter().map(|p| p.ts).collect();
    assert_eq!(
        ts,
        [
            1_700_000_000_123_046_875,
            1_700_000_001_000_000_000,
            1_700_000_002_999_023_437
        ]
    );
    assert_eq!(pk[1].payload_len, 33);

    let (pk, st, fmt) = read_all(TCPDUMP_SLL2_SNAP60);
    assert_eq!(fmt.to_string(), "pcap (little-endian, µs)");
    assert_eq!(st.frames, 6);
    // Two IPv6 frames cut before their UDP/ICMPv6 header; the SYN's 40-byte TCP header
    // is cut in its options but ports and flags survive.
    assert_eq!(st.skipped_truncated, 2);
    let ts: Vec<_> = pk.iter().map(|p| p.ts).collect();
    assert_eq!(
        ts,
        [
            1_795_529_853_518_178_000,
            1_795_529_853_518_191_000,
            1_795_529_853_518_446_000,
            1_795_529_853_518_551_000
        ]
    );
    assert_eq!(pk[0].payload_len, 400);
    assert!(matches!(
        pk[0].transport,
        Transport::Udp { dst_port: 5353, .. }
    ));
    assert!(matches!(pk[2].transport, Transport::Tcp { dst_port: 9, flags, .. } if flags.syn()));
}
