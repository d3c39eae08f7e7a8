//! `netanomaly demo-capture`: a seeded synthetic packet capture.

use std::io::{self, Write};

use color_eyre::eyre::Result;

use crate::atomic::write_atomically;
use crate::capture::demo_capture::{Attacks, SynthConfig, SynthSummary, generate};
use crate::capture::writer::WriteFormat;
use crate::cli::{CaptureFileFormat, DemoAttack, DemoCaptureArgs};
use crate::format::thousands;

pub fn run(args: &DemoCaptureArgs) -> Result<()> {
    // Before the work: an output that could not be written is said at once.
    crate::atomic::check_output(&args.out, args.force, false)?;
    let config = SynthConfig {
        seed: args.seed,
        duration_secs: args.seconds,
        sessions_per_sec: args.sessions_per_second,
        attacks: attacks(&args.attacks),
        ..SynthConfig::default()
    };
    let format = match args.format {
        CaptureFileFormat::Pcap => WriteFormat::PCAP_US,
        CaptureFileFormat::Pcapng => WriteFormat::PCAPNG_US,
    };
    let capture = generate(&config);
    if args.out.as_os_str() == "-" {
        let mut out = io::BufWriter::new(io::stdout().lock());
        capture.write(format, &mut out)?;
        out.flush()?;
    } else {
        write_atomically(&args.out, args.force, |out| {
            let mut out = io::BufWriter::new(out);
            capture.write(format, &mut out)?;
            out.flush()
        })?;
    }
    describe(&capture.summary, args.seconds);
    Ok(())
}

fn attacks(list: &[DemoAttack]) -> Attacks {
    let mut a = Attacks::NONE;
    for attack in list {
        match attack {
            DemoAttack::None => {}
            DemoAttack::All => a = Attacks::ALL,
            DemoAttack::PortScan => a.port_scan = true,
            DemoAttack::SynFlood => a.syn_flood = true,
            DemoAttack::PingOfDeath => a.ping_of_death = true,
            DemoAttack::Teardrop => a.teardrop = true,
            DemoAttack::Smurf => a.smurf = true,
        }
    }
    a
}

fn describe(s: &SynthSummary, seconds: f64) {
    // Sessions start during --seconds; the last ones (and the attacks' tails) end
    // later, so the capture spans more.
    eprintln!(
        "wrote {} packets ({} bytes): sessions starting over {} s, the capture spanning {:.1} s",
        thousands(s.packets),
        thousands(s.bytes),
        seconds,
        s.last_ts.saturating_sub(s.first_ts) as f64 / 1e9
    );
    eprintln!(
        "  normal connections: {} http, {} smtp, {} ftp + {} ftp_data, {} ssh, {} dns, {} icmp echo",
        s.http, s.smtp, s.ftp, s.ftp_data, s.ssh, s.dns, s.icmp_echo
    );
    let attacks = [
        ("SYN scan probes", s.scan_probes),
        ("SYN flood packets", s.syn_flood_syns),
        ("ping-of-death fragments", s.pod_fragments),
        ("teardrop fragments", s.teardrop_fragments),
        ("smurf replies", s.smurf_replies),
    ];
    let injected: Vec<String> = attacks
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| format!("{} {what}", thousands(*n)))
        .collect();
    if !injected.is_empty() {
        eprintln!("  attacks: {}", injected.join(", "));
    }
}
