//! Seeded synthetic traffic: realistic normal sessions plus optional injected attacks,
//! for tests, benchmarks and the dashboard demo.
//!
//! Normal traffic runs between a handful of clients (10.0.0.10–29) and servers (10.0.1.x):
//! full TCP sessions (handshake, request/response with plausible sizes, FIN/ACK teardown) for
//! http, smtp, ftp control + active-mode ftp_data, ssh; UDP DNS query/response; ICMP echo.
//! Session starts are a Poisson process; packets within a session are spaced by round-trip
//! and think times (sub-ms to seconds), so sessions overlap. Attacks (each optional) are
//! placed at fixed fractions of the duration: an nmap -sS style SYN scan, a spoofed SYN
//! flood, ping of death and teardrop (bad fragments), and a smurf echo-reply flood.
//!
//! Everything derives from `seed` through an inline splitmix64, so the same config always
//! produces byte-identical output (no dependency on `rand`). Frames are built into one arena
//! and sorted by time, so memory is about the size of the capture.

use std::io::{self, Write};

use etherparse::{EtherType, Ethernet2Header, IpFragOffset, IpNumber, Ipv4Header, PacketBuilder};

use super::packet::{NANOS_PER_SEC, Nanos};
use super::writer::{CaptureWriter, WriteFormat};

/// Which attacks to inject.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attacks {
    /// SYN scan of ports 1–1000 on 10.0.1.80 (22 and 80 open) from 203.0.113.66.
    pub port_scan: bool,
    /// 3000 SYNs to 10.0.1.80:80 from random spoofed sources, never answered.
    pub syn_flood: bool,
    /// Three oversized fragmented ICMP echo requests (last fragment past 65535).
    pub ping_of_death: bool,
    /// Five pairs of overlapping UDP fragments.
    pub teardrop: bool,
    /// 2000 ICMP echo replies (1000 bytes) from 50 amplifiers to 10.0.0.10.
    pub smurf: bool,
}

impl Attacks {
    pub const NONE: Attacks = Attacks {
        port_scan: false,
        syn_flood: false,
        ping_of_death: false,
        teardrop: false,
        smurf: false,
    };
    pub const ALL: Attacks = Attacks {
        port_scan: true,
        syn_flood: true,
        ping_of_death: true,
        teardrop: true,
        smurf: true,
    };
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthConfig {
    pub seed: u64,
    /// Time of the first session start.
    pub start_ns: Nanos,
    pub duration_secs: f64,
    /// Mean rate of normal session starts.
    pub sessions_per_sec: f64,
    pub attacks: Attacks,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 1,
            start_ns: 1_700_000_000 * NANOS_PER_SEC,
            duration_secs: 60.0,
            sessions_per_sec: 20.0,
            attacks: Attacks::NONE,
        }
    }
}

/// What was generated. Session counts are connections (an ICMP echo exchange of 1–4 pings
/// counts once); attack counts are packets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SynthSummary {
    pub packets: u64,
    /// Bytes of all frames (Ethernet included).
    pub bytes: u64,
    pub first_ts: Nanos,
    pub last_ts: Nanos,
    pub http: u64,
    pub smtp: u64,
    pub ftp: u64,
    pub ftp_data: u64,
    pub ssh: u64,
    pub dns: u64,
    pub icmp_echo: u64,
    pub scan_probes: u64,
    pub syn_flood_syns: u64,
    pub pod_fragments: u64,
    pub teardrop_fragments: u64,
    pub smurf_replies: u64,
}

/// A generated capture: Ethernet frames sorted by time.
pub struct SynthCapture {
    frames: Vec<(Nanos, usize, usize)>,
    data: Vec<u8>,
    pub summary: SynthSummary,
}

impl SynthCapture {
    /// (timestamp, Ethernet frame) in time order.
    pub fn iter(&self) -> impl Iterator<Item = (Nanos, &[u8])> + '_ {
        self.frames
            .iter()
            .map(|&(ts, at, len)| (ts, &self.data[at..at + len]))
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Writes the frames as an Ethernet capture in `format`.
    pub fn write(&self, format: WriteFormat, out: impl Write) -> io::Result<()> {
        let mut w = CaptureWriter::new(out, format, 1, 0)?;
        for (ts, f) in self.iter() {
            w.write_frame(ts, f)?;
        }
        w.finish()?;
        Ok(())
    }
}

/// Generates the traffic described by `config`.
pub fn generate(config: &SynthConfig) -> SynthCapture {
    let mut g = Gen {
        rng: config.seed ^ 0x5eed_5eed_5eed_5eed,
        data: Vec::new(),
        frames: Vec::new(),
        sum: SynthSummary::default(),
        next_port: 32768,
        ip_id: 1,
    };
    let start = config.start_ns;
    let dur = (config.duration_secs.max(0.0) * 1e9) as u64;
    if config.sessions_per_sec > 0.0 {
        let mut t = start;
        loop {
            // Exponential inter-arrival times.
            let u = g.unit().max(1e-12);
            t += (-u.ln() / config.sessions_per_sec * 1e9) as u64;
            if t >= start + dur {
                break;
            }
            g.session(t);
        }
    }
    let a = config.attacks;
    let at = |f: f64| start + (dur as f64 * f) as u64;
    if a.port_scan {
        g.port_scan(at(0.2));
    }
    if a.syn_flood {
        g.syn_flood(at(0.4));
    }
    if a.ping_of_death {
        g.ping_of_death(at(0.55));
    }
    if a.teardrop {
        g.teardrop(at(0.6));
    }
    if a.smurf {
        g.smurf(at(0.75));
    }
    g.frames.sort_by_key(|f| f.0);
    let mut sum = g.sum;
    sum.packets = g.frames.len() as u64;
    sum.bytes = g.data.len() as u64;
    sum.first_ts = g.frames.first().map_or(0, |f| f.0);
    sum.last_ts = g.frames.last().map_or(0, |f| f.0);
    SynthCapture {
        frames: g.frames,
        data: g.data,
        summary: sum,
    }
}

/// Generates and writes a capture; returns what it contains.
pub fn write_capture(
    config: &SynthConfig,
    format: WriteFormat,
    out: impl Write,
) -> io::Result<SynthSummary> {
    let cap = generate(config);
    cap.write(format, out)?;
    Ok(cap.summary)
}

const HTTP: [u8; 4] = [10, 0, 1, 80];
const SMTP: [u8; 4] = [10, 0, 1, 25];
const FTP: [u8; 4] = [10, 0, 1, 21];
const SSH: [u8; 4] = [10, 0, 1, 22];
const DNS: [u8; 4] = [10, 0, 1, 53];
const SCANNER: [u8; 4] = [203, 0, 113, 66];
const SMURF_VICTIM: [u8; 4] = [10, 0, 0, 10];
const MS: Nanos = 1_000_000;
const MSS: usize = 1460;
static ZEROS: [u8; MSS] = [0; MSS];

fn mac(ip: [u8; 4]) -> [u8; 6] {
    [2, 0, ip[0], ip[1], ip[2], ip[3]]
}

struct Gen {
    rng: u64,
    data: Vec<u8>,
    frames: Vec<(Nanos, usize, usize)>,
    sum: SynthSummary,
    next_port: u16,
    ip_id: u16,
}

/// One TCP connection being scripted: sequence numbers and a running clock.
struct Conn {
    c: [u8; 4],
    s: [u8; 4],
    cp: u16,
    sp: u16,
    cseq: u32,
    sseq: u32,
    t: Nanos,
    /// One-way delay.
    owd: Nanos,
}

const F_FIN: u8 = 1;
const F_SYN: u8 = 2;
const F_RST: u8 = 4;
const F_PSH: u8 = 8;
const F_ACK: u8 = 16;

impl Gen {
    fn next(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi].
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    /// Log-uniform in [lo, hi]: many small values, a long tail (object/file sizes).
    fn size(&mut self, lo: usize, hi: usize) -> usize {
        let (l, h) = ((lo as f64).ln(), (hi as f64).ln());
        (l + (h - l) * self.unit()).exp() as usize
    }

    fn client(&mut self) -> [u8; 4] {
        [10, 0, 0, self.range(10, 29) as u8]
    }

    fn eph_port(&mut self) -> u16 {
        self.next_port = if self.next_port >= 60999 {
            32768
        } else {
            self.next_port + 1
        };
        self.next_port
    }

    fn frame(&mut self, ts: Nanos, f: impl FnOnce(&mut Vec<u8>)) {
        let at = self.data.len();
        f(&mut self.data);
        self.frames.push((ts, at, self.data.len() - at));
    }

    fn session(&mut self, t: Nanos) {
        let r = self.next() % 100;
        match r {
            0..50 => self.http(t),
            50..70 => self.dns(t),
            70..78 => self.smtp(t),
            78..85 => self.ssh(t),
            85..90 => self.ftp(t),
            _ => self.ping(t),
        }
    }

    fn open(&mut self, t: Nanos, c: [u8; 4], cp: u16, s: [u8; 4], sp: u16) -> Conn {
        let owd = self.range(100_000, 5 * MS);
        let mut k = Conn {
            c,
            s,
            cp,
            sp,
            cseq: self.next() as u32,
            sseq: self.next() as u32,
            t,
            owd,
        };
        self.seg(&mut k, true, F_SYN, 0);
        k.cseq = k.cseq.wrapping_add(1);
        k.t += k.owd;
        self.seg(&mut k, false, F_SYN | F_ACK, 0);
        k.sseq = k.sseq.wrapping_add(1);
        k.t += k.owd;
        self.seg(&mut k, true, F_ACK, 0);
        k
    }

    /// One TCP segment at the connection's current time.
    fn seg(&mut self, k: &mut Conn, from_client: bool, flags: u8, len: usize) {
        let (src, dst, sp, dp, seq, ack) = if from_client {
            (k.c, k.s, k.cp, k.sp, k.cseq, k.sseq)
        } else {
            (k.s, k.c, k.sp, k.cp, k.sseq, k.cseq)
        };
        self.frame(k.t, |out| {
            let mut b = PacketBuilder::ethernet2(mac(src), mac(dst))
                .ipv4(src, dst, 64)
                .tcp(sp, dp, seq, 64240);
            if flags & F_SYN != 0 {
                b = b.syn();
            }
            if flags & F_FIN != 0 {
                b = b.fin();
            }
            if flags & F_RST != 0 {
                b = b.rst();
            }
            if flags & F_PSH != 0 {
                b = b.psh();
            }
            if flags & F_ACK != 0 {
                b = b.ack(ack);
            }
            b.write(out, &ZEROS[..len]).expect("write to Vec");
        });
        let adv = len as u32 + u32::from(flags & (F_SYN | F_FIN) != 0);
        if from_client {
            k.cseq = k.cseq.wrapping_add(adv);
        } else {
            k.sseq = k.sseq.wrapping_add(adv);
        }
    }

    /// Sends `len` bytes as MSS-sized segments; the receiver ACKs every second segment and
    /// the last one. Advances the clock past the final ACK.
    fn send(&mut self, k: &mut Conn, from_client: bool, len: usize) {
        let mut left = len;
        let mut n = 0;
        while left > 0 {
            let l = left.min(MSS);
            left -= l;
            n += 1;
            let flags = if left == 0 { F_PSH | F_ACK } else { F_ACK };
            self.seg(k, from_client, flags, l);
            if n % 2 == 0 || left == 0 {
                let t0 = k.t;
                k.t += k.owd;
                self.seg(k, !from_client, F_ACK, 0);
                k.t = t0;
            }
            k.t += self.range(10_000, 200_000); // serialization / pacing
        }
        k.t += k.owd + self.range(50_000, 2 * MS);
    }

    /// Request from the client, response from the server after a think time.
    fn exchange(&mut self, k: &mut Conn, req: usize, resp: usize) {
        if req > 0 {
            self.send(k, true, req);
        }
        k.t += self.range(200_000, 20 * MS);
        if resp > 0 {
            self.send(k, false, resp);
        }
    }

    /// Client-initiated FIN/ACK teardown.
    fn close(&mut self, k: &mut Conn) {
        self.seg(k, true, F_FIN | F_ACK, 0);
        k.t += k.owd;
        self.seg(k, false, F_FIN | F_ACK, 0);
        k.t += k.owd;
        self.seg(k, true, F_ACK, 0);
    }

    fn http(&mut self, t: Nanos) {
        self.sum.http += 1;
        let (c, cp) = (self.client(), self.eph_port());
        let mut k = self.open(t, c, cp, HTTP, 80);
        for _ in 0..self.range(1, 3) {
            let req = self.range(180, 800) as usize;
            let resp = self.size(300, 60_000);
            self.exchange(&mut k, req, resp);
            k.t += self.range(MS, 300 * MS);
        }
        self.close(&mut k);
    }

    fn smtp(&mut self, t: Nanos) {
        self.sum.smtp += 1;
        let (c, cp) = (self.client(), self.eph_port());
        let mut k = self.open(t, c, cp, SMTP, 25);
        let banner = self.range(40, 90) as usize;
        self.exchange(&mut k, 0, banner);
        for (req, resp) in [(20, 150), (35, 20), (35, 20), (6, 40)] {
            self.exchange(&mut k, req, resp);
        }
        let body = self.size(400, 40_000);
        self.exchange(&mut k, body, 30);
        self.exchange(&mut k, 6, 20);
        self.close(&mut k);
    }

    fn ftp(&mut self, t: Nanos) {
        self.sum.ftp += 1;
        let (c, cp) = (self.client(), self.eph_port());
        let mut k = self.open(t, c, cp, FTP, 21);
        self.exchange(&mut k, 0, 45);
        for (req, resp) in [(12, 30), (12, 25), (28, 22), (15, 55)] {
            self.exchange(&mut k, req, resp);
        }
        // Active mode: the server connects from port 20 to the port the client announced.
        self.sum.ftp_data += 1;
        let dport = self.eph_port();
        let mut d = self.open(k.t, FTP, 20, c, dport);
        let file = self.size(500, 300_000);
        self.send(&mut d, true, file);
        self.close(&mut d);
        k.t = d.t + self.range(MS, 5 * MS);
        self.exchange(&mut k, 0, 24);
        self.exchange(&mut k, 6, 15);
        self.close(&mut k);
    }

    fn ssh(&mut self, t: Nanos) {
        self.sum.ssh += 1;
        let (c, cp) = (self.client(), self.eph_port());
        let mut k = self.open(t, c, cp, SSH, 22);
        self.exchange(&mut k, 0, 21);
        self.exchange(&mut k, 21, 0);
        let (a, b) = (
            self.range(1000, 1500) as usize,
            self.range(1000, 1500) as usize,
        );
        self.exchange(&mut k, a, b);
        self.exchange(&mut k, 48, 500);
        for _ in 0..self.range(10, 60) {
            k.t += self.range(50 * MS, 800 * MS);
            let (q, r) = (self.range(36, 100) as usize, self.range(36, 300) as usize);
            self.exchange(&mut k, q, r);
        }
        self.close(&mut k);
    }

    fn dns(&mut self, t: Nanos) {
        self.sum.dns += 1;
        let (c, cp) = (self.client(), self.eph_port());
        let q = self.range(20, 50) as usize;
        let r = self.range(50, 250) as usize;
        self.frame(t, |out| {
            PacketBuilder::ethernet2(mac(c), mac(DNS))
                .ipv4(c, DNS, 64)
                .udp(cp, 53)
                .write(out, &ZEROS[..q])
                .expect("write to Vec");
        });
        let rt = t + self.range(300_000, 30 * MS);
        self.frame(rt, |out| {
            PacketBuilder::ethernet2(mac(DNS), mac(c))
                .ipv4(DNS, c, 64)
                .udp(53, cp)
                .write(out, &ZEROS[..r])
                .expect("write to Vec");
        });
    }

    fn ping(&mut self, t: Nanos) {
        self.sum.icmp_echo += 1;
        let c = self.client();
        let s = [HTTP, SMTP, FTP, SSH, DNS][(self.next() % 5) as usize];
        let id = self.next() as u16;
        let owd = self.range(100_000, 5 * MS);
        for seq in 0..self.range(1, 4) as u16 {
            let ts = t + u64::from(seq) * NANOS_PER_SEC;
            self.frame(ts, |out| {
                PacketBuilder::ethernet2(mac(c), mac(s))
                    .ipv4(c, s, 64)
                    .icmpv4_echo_request(id, seq)
                    .write(out, &ZEROS[..56])
                    .expect("write to Vec");
            });
            self.frame(ts + 2 * owd, |out| {
                PacketBuilder::ethernet2(mac(s), mac(c))
                    .ipv4(s, c, 64)
                    .icmpv4_echo_reply(id, seq)
                    .write(out, &ZEROS[..56])
                    .expect("write to Vec");
            });
        }
    }

    fn port_scan(&mut self, t: Nanos) {
        let mut ports: Vec<u16> = (1..=1000).collect();
        for i in (1..ports.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            ports.swap(i, j);
        }
        let sport = 40000 + (self.next() % 20000) as u16;
        let mut ts = t;
        for p in ports {
            self.sum.scan_probes += 1;
            let mut k = Conn {
                c: SCANNER,
                s: HTTP,
                cp: sport,
                sp: p,
                cseq: self.next() as u32,
                sseq: self.next() as u32,
                t: ts,
                owd: 2 * MS,
            };
            self.seg(&mut k, true, F_SYN, 0);
            k.t += k.owd;
            if p == 22 || p == 80 {
                self.seg(&mut k, false, F_SYN | F_ACK, 0);
                k.t += k.owd;
                self.seg(&mut k, true, F_RST, 0);
            } else {
                self.seg(&mut k, false, F_RST | F_ACK, 0);
            }
            ts += self.range(100_000, 500_000);
        }
    }

    fn syn_flood(&mut self, t: Nanos) {
        let mut ts = t;
        for _ in 0..3000 {
            self.sum.syn_flood_syns += 1;
            let r = self.next();
            let src = [
                (r >> 24) as u8 % 223 + 1,
                (r >> 16) as u8,
                (r >> 8) as u8,
                r as u8 | 1,
            ];
            let mut k = Conn {
                c: src,
                s: HTTP,
                cp: (r >> 32) as u16 | 1024,
                sp: 80,
                cseq: (r >> 40) as u32,
                sseq: 0,
                t: ts,
                owd: 0,
            };
            self.seg(&mut k, true, F_SYN, 0);
            ts += self.range(200_000, 800_000);
        }
    }

    /// One raw IPv4 fragment (Ethernet framed) with the given fragment data.
    #[allow(clippy::too_many_arguments)]
    fn fragment(
        &mut self,
        ts: Nanos,
        src: [u8; 4],
        dst: [u8; 4],
        proto: IpNumber,
        id: u16,
        offset: usize,
        more: bool,
        data: &[u8],
    ) {
        self.frame(ts, |out| {
            Ethernet2Header {
                source: mac(src),
                destination: mac(dst),
                ether_type: EtherType::IPV4,
            }
            .write(out)
            .expect("write to Vec");
            let mut h = Ipv4Header::new(data.len() as u16, 64, proto, src, dst)
                .expect("fragment fits an IPv4 packet");
            h.identification = id;
            h.more_fragments = more;
            h.fragment_offset = IpFragOffset::try_new((offset / 8) as u16).expect("offset < 65536");
            h.header_checksum = h.calc_header_checksum();
            h.write(out).expect("write to Vec");
            out.extend_from_slice(data);
        });
    }

    fn ping_of_death(&mut self, t: Nanos) {
        let attacker = [198, 18, 0, 7];
        let mut data = vec![0u8; 1480];
        for n in 0..3u64 {
            self.ip_id = self.ip_id.wrapping_add(1);
            let id = self.ip_id;
            // ICMP echo of 65,510 data bytes: 65,518 bytes of IP payload in 45 fragments,
            // the last ending at 65,518 + 20-byte header > 65,535.
            let total = 8 + 65_510;
            let mut off = 0;
            let mut ts = t + n * 500 * MS;
            while off < total {
                let len = (total - off).min(1480);
                data.fill(0);
                if off == 0 {
                    data[..8].copy_from_slice(&[8, 0, 0, 0, 0x13, 0x37, 0, n as u8]);
                }
                let chunk = data[..len].to_vec();
                self.fragment(
                    ts,
                    attacker,
                    HTTP,
                    IpNumber::ICMP,
                    id,
                    off,
                    off + len < total,
                    &chunk,
                );
                self.sum.pod_fragments += 1;
                off += len;
                ts += 50_000;
            }
        }
    }

    fn teardrop(&mut self, t: Nanos) {
        let attacker = [198, 18, 0, 9];
        for n in 0..5u64 {
            self.ip_id = self.ip_id.wrapping_add(1);
            let id = self.ip_id;
            let ts = t + n * 200 * MS;
            // First: UDP header + 28 bytes (36, MF). Second: 4 bytes at offset 24, inside it.
            let mut first = vec![0u8; 36];
            first[..8].copy_from_slice(&[0x04, 0xd2, 0x00, 0x35, 0x00, 0x24, 0, 0]);
            self.fragment(ts, attacker, DNS, IpNumber::UDP, id, 0, true, &first);
            self.fragment(
                ts + 100_000,
                attacker,
                DNS,
                IpNumber::UDP,
                id,
                24,
                false,
                &[0; 4],
            );
            self.sum.teardrop_fragments += 2;
        }
    }

    fn smurf(&mut self, t: Nanos) {
        let mut ts = t;
        for i in 0..2000u16 {
            self.sum.smurf_replies += 1;
            let amp = [198, 51, 100, 1 + (self.next() % 50) as u8];
            self.frame(ts, |out| {
                PacketBuilder::ethernet2(mac(amp), mac(SMURF_VICTIM))
                    .ipv4(amp, SMURF_VICTIM, 64)
                    .icmpv4_echo_reply(0x5151, i)
                    .write(out, &ZEROS[..1000])
                    .expect("write to Vec");
            });
            ts += self.range(200_000, 1_800_000);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::packet::{TcpFlags, Transport};
    use super::super::pcap::PacketReader;
    use super::*;

    fn cfg(attacks: Attacks) -> SynthConfig {
        SynthConfig {
            seed: 7,
            duration_secs: 10.0,
            sessions_per_sec: 20.0,
            attacks,
            ..SynthConfig::default()
        }
    }

    #[test]
    fn deterministic_and_sorted() {
        let a = generate(&cfg(Attacks::ALL));
        let b = generate(&cfg(Attacks::ALL));
        assert_eq!(a.summary, b.summary);
        assert!(a.iter().eq(b.iter()));
        let ts: Vec<_> = a.iter().map(|(t, _)| t).collect();
        assert!(ts.windows(2).all(|w| w[0] <= w[1]));
        let c = generate(&SynthConfig {
            seed: 8,
            ..cfg(Attacks::ALL)
        });
        assert_ne!(a.summary, c.summary);
    }

    #[test]
    fn decodes_completely_with_expected_content() {
        let cfg = cfg(Attacks::ALL);
        let mut buf = Vec::new();
        let sum = write_capture(&cfg, WriteFormat::PCAPNG_US, &mut buf).unwrap();
        assert!(sum.http > 50 && sum.dns > 10 && sum.ftp_data == sum.ftp);
        assert_eq!(sum.scan_probes, 1000);
        assert_eq!(sum.pod_fragments, 3 * 45);
        let mut r = PacketReader::new(&buf[..]).unwrap();
        let (mut syns, mut wrong, mut fins, mut http_bytes) = (0, 0u64, 0, 0u64);
        while let Some(p) = r.next_packet().unwrap() {
            wrong += u64::from(p.wrong_fragments);
            if let Transport::Tcp {
                flags, src_port, ..
            } = p.transport
            {
                if flags.0 == TcpFlags::SYN {
                    syns += 1;
                }
                if flags.fin() {
                    fins += 1;
                }
                if src_port == 80 {
                    http_bytes += u64::from(p.payload_len);
                }
            }
        }
        let st = r.stats();
        assert_eq!(st.frames, sum.packets);
        assert_eq!(st.packets, sum.packets, "{st:?}");
        // Each normal TCP session and each probe/flood packet has exactly one bare SYN.
        let sessions = sum.http + sum.smtp + sum.ftp + sum.ftp_data + sum.ssh;
        assert_eq!(syns, sessions + sum.scan_probes + sum.syn_flood_syns);
        assert_eq!(fins, 2 * sessions);
        assert!(http_bytes > 300 * sum.http);
        // Each ping of death has one fragment past 65535; each teardrop pair overlaps, and
        // its first fragment (36 bytes, more-fragments) is not a multiple of 8.
        assert_eq!(wrong, 3 + 5 * 2);
    }
}
