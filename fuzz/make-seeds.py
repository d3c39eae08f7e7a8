#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/.

Everything is generated here (no downloaded files): KDD lines (KDD 99, NSL-KDD,
unlabelled, gzip, CRLF, a header, bad rows), hand-made captures (Ethernet, VLAN, IPv6,
IPv6 fragment header, overlapping IPv4 fragments, Linux SLL/SLL2, BSD loopback, raw IP;
classic pcap in both byte orders and with nanosecond magic, pcapng with EPB/SPB and
if_tsresol), two small `netanomaly demo-capture --seconds 1` captures, and the files of
the seed bundle (fuzz/seed-bundle/).

Usage: fuzz/make-seeds.py [NETANOMALY_BINARY]  (default: target/release/netanomaly, built
if missing). Regression seeds (crashing inputs that were fixed) live in the same folders
under names starting with `regress-` and are never removed by this script.
"""

import gzip
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def clear_seeds():
    if not os.path.isdir(CORPUS):
        return
    for target in os.listdir(CORPUS):
        folder = os.path.join(CORPUS, target)
        for name in os.listdir(folder):
            if name.startswith("seed-"):
                os.remove(os.path.join(folder, name))


# ---------------------------------------------------------------- KDD lines

KDD = [
    b"0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00,normal.",
    b"0,icmp,ecr_i,SF,1032,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,511,511,0.00,0.00,0.00,0.00,1.00,0.00,0.00,255,255,1.00,0.00,1.00,0.00,0.00,0.00,0.00,0.00,smurf.",
    b"0,tcp,private,S0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3,1,1.00,1.00,0.00,0.00,0.33,0.67,0.00,3,1,0.33,0.67,0.33,0.00,1.00,1.00,0.00,0.00,neptune.",
]


def kdd_seeds():
    lines = b"\n".join(KDD) + b"\n"
    put("kdd_parse", "kdd99", b"\x00\x07" + lines)
    put("kdd_parse", "kdd99-skip", b"\x01\x2a" + lines)
    nsl = b"\n".join(l.rstrip(b".") + b",21" for l in KDD) + b"\n"
    put("kdd_parse", "nsl", b"\x01\x13" + nsl)
    unlabelled = b"\n".join(l.rsplit(b",", 1)[0] for l in KDD)  # no final newline
    put("kdd_parse", "unlabelled", b"\x00\x05" + unlabelled)
    put("kdd_parse", "gzip", b"\x01\x09" + gzip.compress(lines, mtime=0))
    put("kdd_parse", "gzip-multi", b"\x00\x03" + gzip.compress(lines[:200], mtime=0)
        + gzip.compress(lines[200:], mtime=0))
    header = b"duration,protocol_type,service,flag," + b",".join(b"f%d" % i for i in range(37)) + b",label"
    put("kdd_parse", "header-crlf", b"\x01\x11" + header + b"\r\n" + lines.replace(b"\n", b"\r\n"))
    missing = KDD[0].replace(b",181,", b",?,").replace(b",http,", b",,") + b"\n" + KDD[1].replace(b",1032,", b",NA,") + b"\n"
    put("kdd_parse", "missing-impute", b"\x00\x01" + missing)
    put("kdd_parse", "missing-skip", b"\x03\x01" + missing)
    put("kdd_parse", "missing-error", b"\x04\x01" + missing)
    bad = b"\n".join([
        KDD[0].replace(b",181,", b",NaN,"),
        KDD[0].replace(b",181,", b",inf,"),
        KDD[0].replace(b",181,", b",1e309,"),
        KDD[0].replace(b",181,", b",-5,"),
        KDD[0].rsplit(b",", 2)[0],  # 40 fields
        KDD[0] + b",1,2",  # 44 fields
        KDD[0].replace(b"http", b"h\xfft\xfe"),
        KDD[0].replace(b"tcp", b"sctp").replace(b"SF", b"XX"),
        KDD[1],
    ]) + b"\n"
    put("kdd_parse", "bad-rows-skip", b"\x01\x21" + bad)
    put("kdd_parse", "bad-rows-strict", b"\x00\x21" + bad)
    put("kdd_parse", "long-line", b"\x09\x01" + KDD[0] + b"," + b"9" * 300 + b"\n" + KDD[1] + b"\n")
    put("kdd_parse", "small-chunks", b"\x11\x04" + lines * 4)
    put("kdd_parse", "blank-lines", b"\x01\x02\n\n" + KDD[0] + b"\n\n\n" + KDD[2] + b"\n")


# ---------------------------------------------------------------- packets


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ident=1, flags_frag=0x4000, total=None):
    total = total if total is not None else 20 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, flags_frag, 64, proto, 0,
                    bytes(src), bytes(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(src, dst, next_header, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), next_header, 64,
                       bytes(src), bytes(dst)) + payload


def tcp(sport, dport, flags, seq=1, ack=0, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x50, flags, 65535, 0, 0) + data


def udp(sport, dport, data=b""):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def icmp(typ, code, data=b"\0" * 8):
    return struct.pack("!BBHI", typ, code, 0, 0x10001) + data


def eth(payload, ethertype=0x0800, vlan=None):
    head = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02"
    if vlan is not None:
        head += struct.pack("!HH", 0x8100, vlan)
    return head + struct.pack("!H", ethertype) + payload


A = [10, 0, 0, 1]
B = [10, 0, 0, 2]
A6 = [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1]
B6 = [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [2]

SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08


def conversation_ip():
    """(seconds, IP packet) of a small mixed exchange, all IPv4."""
    pkts = []
    t = 0.0
    for flags, fwd, data in [(SYN, True, b""), (SYN | ACK, False, b""), (ACK, True, b""),
                             (PSH | ACK, True, b"GET / HTTP/1.0\r\n\r\n"),
                             (PSH | ACK, False, b"HTTP/1.0 200 OK\r\n\r\nhello"),
                             (FIN | ACK, True, b""), (FIN | ACK, False, b""), (ACK, True, b"")]:
        seg = tcp(40000, 80, flags, data=data) if fwd else tcp(80, 40000, flags, data=data)
        pkts.append((t, ipv4(A, B, 6, seg) if fwd else ipv4(B, A, 6, seg)))
        t += 0.01
    pkts.append((t, ipv4(A, B, 6, tcp(40001, 23, SYN))))
    pkts.append((t + 0.01, ipv4(B, A, 6, tcp(23, 40001, RST | ACK))))
    pkts.append((t + 0.02, ipv4(A, B, 17, udp(5353, 53, b"\x12\x34" + b"\0" * 10))))
    pkts.append((t + 0.03, ipv4(B, A, 17, udp(53, 5353, b"\x12\x34" + b"\x80" + b"\0" * 9))))
    pkts.append((t + 0.04, ipv4(A, B, 1, icmp(8, 0))))
    pkts.append((t + 0.05, ipv4(B, A, 1, icmp(0, 0))))
    pkts.append((t + 0.06, ipv4(A, A, 6, tcp(139, 139, SYN))))  # land
    # Overlapping UDP fragments (teardrop): offsets 0 (MF) and 8 bytes, overlapping.
    body = udp(1000, 2000, b"x" * 40)
    pkts.append((t + 0.07, ipv4(A, B, 17, body[:24], ident=77, flags_frag=0x2000)))
    pkts.append((t + 0.08, ipv4(A, B, 17, body[8:], ident=77, flags_frag=1)))
    # A fragment whose first fragment never comes.
    pkts.append((t + 0.09, ipv4(A, B, 17, b"y" * 16, ident=78, flags_frag=3)))
    # Truncated IP header / total length larger than the frame.
    pkts.append((t + 0.10, ipv4(A, B, 6, tcp(1, 2, SYN), total=1500)))
    return pkts


def ipv6_packets():
    pkts = [(0.2, ipv6(A6, B6, 17, udp(5000, 53, b"q" * 12))),
            (0.21, ipv6(B6, A6, 17, udp(53, 5000, b"r" * 20))),
            (0.22, ipv6(A6, B6, 58, icmp(128, 0))),
            (0.23, ipv6(A6, B6, 6, tcp(40002, 443, SYN)))]
    # Fragment header: next 17, offset 0, M=1, id 9; then offset 16 bytes, last.
    body = udp(6000, 7000, b"z" * 24)
    frag1 = struct.pack("!BBHI", 17, 0, 0x0001, 9) + body[:16]
    frag2 = struct.pack("!BBHI", 17, 0, (2 << 3), 9) + body[16:]
    pkts.append((0.24, ipv6(A6, B6, 44, frag1)))
    pkts.append((0.25, ipv6(A6, B6, 44, frag2)))
    # Hop-by-hop options before TCP.
    hbh = struct.pack("!BB", 6, 0) + b"\x01\x04\0\0\0\0"
    pkts.append((0.26, ipv6(A6, B6, 0, hbh + tcp(40003, 22, SYN))))
    return pkts


def frame_for(link, ip):
    v6 = (ip[0] >> 4) == 6
    if link == 1:
        return eth(ip, 0x86DD if v6 else 0x0800)
    if link == 101 or link == 228 or link == 229 or link == 12 or link == 14:
        return ip
    if link == 0:
        return struct.pack("<I", 24 if v6 else 2) + ip
    if link == 108:
        return struct.pack("!I", 24 if v6 else 2) + ip
    if link == 113:
        return struct.pack("!HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x01\0\0", 0x86DD if v6 else 0x0800) + ip
    if link == 276:
        return struct.pack("!HHIHBB8s", 0x86DD if v6 else 0x0800, 0, 1, 1, 0, 6, b"\x02\0\0\0\0\x01\0\0") + ip
    raise ValueError(link)


BASE = 1_700_000_000


def pcap(link, frames, endian="<", nanos=False, snaplen=65535):
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, link)
    for t, data in frames:
        sec = BASE + int(t)
        frac = int(round((t - int(t)) * (1e9 if nanos else 1e6)))
        cap = data[:snaplen]
        out += struct.pack(endian + "IIII", sec, frac, len(cap), len(data)) + cap
    return out


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def block(typ, body, endian="<"):
    n = 12 + len(body)
    return struct.pack(endian + "II", typ, n) + body + struct.pack(endian + "I", n)


def pcapng(interfaces, packets, endian="<"):
    """interfaces: [(link, tsresol or None)]; packets: [(if, t, data)] or ('spb', data)."""
    out = block(0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1), endian)
    for link, tsresol in interfaces:
        opts = b""
        if tsresol is not None:
            opts = struct.pack(endian + "HH", 9, 1) + bytes([tsresol]) + b"\0\0\0" + struct.pack(endian + "HH", 0, 0)
        out += block(1, struct.pack(endian + "HHI", link, 0, 65535) + opts, endian)
    for p in packets:
        if p[0] == "spb":
            out += block(3, struct.pack(endian + "I", len(p[1])) + pad4(p[1]), endian)
            continue
        iface, t, data = p
        res = interfaces[iface][1]
        ticks = int(round((BASE + t) * (10 ** 9 if res == 9 else 10 ** 6)))
        comment = struct.pack(endian + "HH", 1, 4) + b"fuzz" + struct.pack(endian + "HH", 0, 0)
        out += block(6, struct.pack(endian + "IIIII", iface, ticks >> 32, ticks & 0xFFFFFFFF,
                                    len(data), len(data)) + pad4(data) + comment, endian)
    # A name-resolution block (skipped by the reader).
    out += block(4, struct.pack(endian + "HH", 0, 0), endian)
    return out


def capture_seeds(netanomaly):
    conv = conversation_ip()
    v6 = ipv6_packets()
    eth_frames = [(t, frame_for(1, ip)) for t, ip in conv]
    vlan_frames = [(t, eth(ip, 0x0800, vlan=100)) for t, ip in conv[:8]]
    vlan_frames += [(t, eth(ip, 0x86DD, vlan=200)) for t, ip in v6]
    # QinQ: two tags.
    vlan_frames.append((0.3, b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02" + struct.pack("!HHHH", 0x88A8, 10, 0x8100, 20)
                        + struct.pack("!H", 0x0800) + conv[0][1]))
    # A non-IP frame (ARP).
    vlan_frames.append((0.31, eth(b"\0\1\x08\0\6\4\0\1" + b"\0" * 20, 0x0806)))
    P = "pcap_conntrack"
    put(P, "eth", b"\x00\x00" + pcap(1, eth_frames))
    put(P, "eth-trickle-smalltable", b"\x11\x07" + pcap(1, eth_frames))
    put(P, "vlan-ipv6", b"\x02\x00" + pcap(1, vlan_frames))
    put(P, "be-nanos", b"\x04\x00" + pcap(1, eth_frames, endian=">", nanos=True))
    put(P, "snaplen40", b"\x00\x00" + pcap(1, eth_frames, snaplen=40))
    for link in (0, 101, 108, 113, 276):
        put(P, "link%d" % link, b"\x00\x00" + pcap(link, [(t, frame_for(link, ip)) for t, ip in conv + v6]))
    ng = pcapng([(1, None), (113, 9)],
                [(0, t, f) for t, f in eth_frames]
                + [(1, t + 0.5, frame_for(113, ip)) for t, ip in v6]
                + [("spb", eth_frames[0][1])])
    put(P, "pcapng", b"\x00\x00" + ng)
    put(P, "pcapng-be-trickle", b"\x00\x03" + pcapng([(1, 9)], [(0, t, f) for t, f in vlan_frames], endian=">"))
    full = pcap(1, eth_frames)
    put(P, "cut-off", b"\x00\x00" + full[: len(full) - 30])

    # Two small demo captures, as the program writes them.
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, attacks in (("pcap", "teardrop"), ("pcapng", "none")):
            out = os.path.join(tmp, "demo." + fmt)
            subprocess.run([netanomaly, "demo-capture", "--seconds", "1", "--sessions-per-second", "2",
                            "--attacks", attacks, "--format", fmt, "--out", out],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(out, "rb") as f:
                put(P, "demo-" + fmt, b"\x00\x00" + f.read())

    # decode: [selector][frag capacity][frames: step u8, len u16 LE, bytes].
    def frames(items):
        return b"".join(struct.pack("<BH", 1, len(f)) + f for f in items)

    D = "decode"
    put(D, "eth", b"\x01\x00" + frames([f for _, f in eth_frames]))
    put(D, "vlan-ipv6", b"\x01\x02" + frames([f for _, f in vlan_frames]))
    for sel, link in enumerate((0, 1, 12, 14, 101, 108, 113, 228, 229, 276)):
        ips = [ip for _, ip in conv + v6]
        if link == 228:
            ips = [ip for _, ip in conv]
        if link == 229:
            ips = [ip for _, ip in v6]
        put(D, "link%d" % link, bytes([sel, 0]) + frames([frame_for(link, ip) for ip in ips]))
    put(D, "unknown-link", b"\xf0" + struct.pack("<I", 147) + b"\x00" + frames([eth_frames[0][1]]))


# ---------------------------------------------------------------- bundle


def bundle_seeds():
    names = ["manifest.json", "encoder.json", "iforest.json", "autoencoder.bpk", "fused.json", "SHA256SUMS"]
    for i, name in enumerate(names):
        with open(os.path.join(HERE, "seed-bundle", name), "rb") as f:
            data = f.read()
        put("bundle_load", name, bytes([i]) + data)
        if name != "SHA256SUMS":
            put("bundle_load", name + "-resum", bytes([0x80 | i]) + data)
    put("bundle_load", "delete-iforest", b"\x42")


def main():
    netanomaly = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "netanomaly")
    if not os.path.exists(netanomaly):
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    clear_seeds()
    kdd_seeds()
    capture_seeds(netanomaly)
    bundle_seeds()


if __name__ == "__main__":
    main()
