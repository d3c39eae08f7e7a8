//! Bench tooling: a spoofed SYN flood capture on stdout, for `benches/load.sh`.
//!
//! `cargo run --release --example syn_flood -- PACKETS [PER_SECOND] > flood.pcap`:
//! PACKETS SYNs to 10.0.1.80:80 from random sources (a seeded xorshift), none answered,
//! PER_SECOND of them per second of packet time (default 100,000).

use std::io::{self, BufWriter, Write};

use etherparse::PacketBuilder;
use netanomaly::capture::packet::NANOS_PER_SEC;
use netanomaly::capture::writer::{CaptureWriter, WriteFormat};

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let packets: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let per_second: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let out = BufWriter::with_capacity(1 << 20, io::stdout().lock());
    let mut writer = CaptureWriter::new(out, WriteFormat::PCAP_US, 1, 65535)?;
    let start = 1_700_000_000 * NANOS_PER_SEC;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut frame = Vec::with_capacity(64);
    for i in 0..packets {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let src = (state as u32 | 0x0100_0000).to_be_bytes();
        let port = 1024 + (state >> 40) as u16 % 60_000;
        frame.clear();
        PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(src, [10, 0, 1, 80], 64)
            .tcp(port, 80, state as u32, 64240)
            .syn()
            .write(&mut frame, &[])
            .map_err(io::Error::other)?;
        writer.write_frame(start + i * NANOS_PER_SEC / per_second, &frame)?;
    }
    writer.finish()?.flush()
}
