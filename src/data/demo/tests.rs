//! The demo traffic against what KDD data looks like.

use std::collections::HashMap;

use super::*;
use crate::data::schema::{self, FEATURES, Family, numeric_feature};

#[rustfmt::skip]
const KDD_SERVICES: &[&str] = &[
    "aol", "auth", "bgp", "courier", "csnet_ns", "ctf", "daytime", "discard", "domain",
    "domain_u", "echo", "eco_i", "ecr_i", "efs", "exec", "finger", "ftp", "ftp_data",
    "gopher", "harvest", "hostnames", "http", "http_2784", "http_443", "http_8001",
    "icmp", "imap4", "IRC", "iso_tsap", "klogin", "kshell", "ldap", "link", "login",
    "mtp", "name", "netbios_dgm", "netbios_ns", "netbios_ssn", "netstat", "nnsp",
    "nntp", "ntp_u", "other", "pm_dump", "pop_2", "pop_3", "printer", "private",
    "red_i", "remote_job", "rje", "shell", "smtp", "sql_net", "ssh", "sunrpc", "supdup",
    "systat", "telnet", "tftp_u", "tim_i", "time", "urh_i", "urp_i", "uucp",
    "uucp_path", "vmnet", "whois", "X11", "Z39_50",
];
const KDD_FLAGS: &[&str] = &[
    "OTH", "REJ", "RSTO", "RSTOS0", "RSTR", "S0", "S1", "S2", "S3", "SF", "SH",
];

fn small() -> Dataset {
    generate(&SynthConfig {
        rows: 5000,
        seed: 11,
        attack_fraction: 0.2,
    })
}

/// The product default, generated once: signatures are checked on many bursts.
fn demo() -> &'static Dataset {
    static DEMO: std::sync::OnceLock<Dataset> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| generate(&SynthConfig::default()))
}

fn feature(name: &str) -> usize {
    schema::feature_index(name).unwrap()
}

fn value(d: &Dataset, row: usize, name: &str) -> f64 {
    d.numeric_feature(row, feature(name)).unwrap()
}

fn rows_labelled<'a>(d: &'a Dataset, label: &'a str) -> impl Iterator<Item = usize> + 'a {
    (0..d.len()).filter(move |&r| d.label(r) == Some(label))
}

fn mean(d: &Dataset, rows: &[usize], name: &str) -> f64 {
    rows.iter().map(|&r| value(d, r, name)).sum::<f64>() / rows.len() as f64
}

#[test]
fn content_slots_follow_the_schema() {
    #[rustfmt::skip]
    let names = [
        "duration", "src_bytes", "dst_bytes", "land", "wrong_fragment", "urgent", "hot",
        "num_failed_logins", "logged_in", "num_compromised", "root_shell",
        "su_attempted", "num_root", "num_file_creations", "num_shells",
        "num_access_files", "num_outbound_cmds", "is_host_login", "is_guest_login",
    ];
    for (slot, name) in names.iter().enumerate() {
        assert_eq!(FEATURES[numeric_feature(slot)].name, *name);
    }
    assert_eq!(FEATURES[numeric_feature(CONTENT_SLOTS)].name, "count");
}

#[test]
fn same_seed_same_data_other_seed_differs() {
    let config = SynthConfig {
        rows: 3000,
        ..SynthConfig::default()
    };
    let a = generate(&config);
    let b = generate(&config);
    let c = generate(&SynthConfig { seed: 8, ..config });
    let lines = |d: &Dataset| {
        let mut out = Vec::new();
        for r in 0..d.len() {
            d.write_kdd_line(r, &mut out).unwrap();
        }
        out
    };
    assert_eq!(lines(&a), lines(&b));
    assert_ne!(lines(&a), lines(&c));
    assert_eq!(a.source, "built-in demo traffic (seed 7, 3,000 rows)");
}

#[test]
fn exact_rows_and_attack_fraction() {
    for (rows, fraction) in [(5000, 0.2), (1234, 0.35), (200, 0.0), (150, 1.0), (1, 0.5)] {
        let d = generate(&SynthConfig {
            rows,
            seed: 3,
            attack_fraction: fraction,
        });
        assert_eq!(d.len(), rows);
        let attacks = d.attack_mask().unwrap().iter().filter(|&&a| a).count();
        let share = attacks as f64 / rows as f64;
        assert!(
            (share - fraction).abs() <= 0.5 / rows as f64 + 1e-9,
            "{rows} {share}"
        );
    }
    assert!(
        generate(&SynthConfig {
            rows: 0,
            ..SynthConfig::default()
        })
        .is_empty()
    );
}

#[test]
fn default_size_has_every_family_and_dos_dominates() {
    let d = demo();
    assert_eq!(d.len(), 20_000);
    let counts: HashMap<Family, usize> = d.family_counts().into_iter().collect();
    for family in [
        Family::Normal,
        Family::Dos,
        Family::Probe,
        Family::R2l,
        Family::U2r,
    ] {
        assert!(counts[&family] > 0, "{family} missing");
    }
    assert_eq!(counts[&Family::Unknown], 0);
    assert!(counts[&Family::Dos] > counts[&Family::Probe]);
    assert!(counts[&Family::Probe] > counts[&Family::R2l]);
    assert!(counts[&Family::R2l] > counts[&Family::U2r]);
    let labels: Vec<String> = d.label_counts().into_iter().map(|(l, _)| l).collect();
    for profile in &ATTACKS {
        assert!(
            labels.iter().any(|l| l == profile.label),
            "{}",
            profile.label
        );
    }
}

#[test]
fn values_stay_in_kdd_ranges() {
    let d = &small();
    for r in 0..d.len() {
        for (f, spec) in FEATURES.iter().enumerate() {
            let Some(v) = d.numeric_feature(r, f) else {
                continue;
            };
            assert!(v.is_finite() && v >= 0.0, "row {r} {}={v}", spec.name);
            match spec.kind {
                schema::FeatureKind::Rate => {
                    assert!(v <= 1.0, "row {r} {}={v}", spec.name);
                    assert!((v * 100.0 - (v * 100.0).round()).abs() < 1e-4, "{v}"); // stored as f32
                }
                schema::FeatureKind::Binary => assert!(v == 0.0 || v == 1.0),
                _ => assert_eq!(v.fract(), 0.0, "row {r} {}={v}", spec.name),
            }
        }
        for name in ["count", "srv_count"] {
            assert!(value(d, r, name) <= 511.0);
        }
        for name in ["dst_host_count", "dst_host_srv_count"] {
            assert!(value(d, r, name) <= 255.0);
        }
        for name in ["count", "srv_count", "dst_host_count", "dst_host_srv_count"] {
            assert!(value(d, r, name) >= 1.0, "the connection counts itself");
        }
    }
}

#[test]
fn categories_are_kdd_names_and_lines_are_valid() {
    let d = &small();
    for r in 0..d.len() {
        assert!(["tcp", "udp", "icmp"].contains(&d.category(r, 0).unwrap()));
        assert!(KDD_SERVICES.contains(&d.category(r, 1).unwrap()));
        assert!(KDD_FLAGS.contains(&d.category(r, 2).unwrap()));
    }
    let mut out = Vec::new();
    for r in 0..d.len() {
        d.write_kdd_line(r, &mut out).unwrap();
    }
    for line in String::from_utf8(out).unwrap().lines() {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 42, "{line}");
        assert!(fields[41].ends_with('.'));
        assert!(!line.contains('?'));
    }
}

#[test]
fn smurf_and_neptune_have_their_signatures() {
    let d = demo();
    let smurf: Vec<usize> = rows_labelled(d, "smurf").collect();
    assert!(!smurf.is_empty());
    for &r in &smurf {
        assert_eq!(d.category(r, 0), Some("icmp"));
        assert_eq!(d.category(r, 1), Some("ecr_i"));
        assert!([520.0, 1032.0].contains(&value(d, r, "src_bytes")));
    }
    let saturated = smurf
        .iter()
        .filter(|&&r| value(d, r, "count") == 511.0)
        .count();
    assert!(
        saturated * 10 > smurf.len() * 6,
        "{saturated}/{}",
        smurf.len()
    );
    // Each burst ramps up for a fraction of a second before saturating.
    assert!(mean(d, &smurf, "dst_host_srv_count") > 200.0);

    let neptune: Vec<usize> = rows_labelled(d, "neptune").collect();
    assert!(!neptune.is_empty());
    for &r in &neptune {
        assert_eq!(d.category(r, 2), Some("S0"));
        assert_eq!(value(d, r, "src_bytes") + value(d, r, "dst_bytes"), 0.0);
    }
    // A normal connection to the victim in the 2 s before a flood dilutes its first
    // SYNs (0.5, 0.67, …), and another attack on the same host can overlap; once
    // the flood fills the window the rate is 1.
    let full = neptune
        .iter()
        .filter(|&&r| value(d, r, "serror_rate") == 1.0)
        .count();
    assert!(full * 10 >= neptune.len() * 7, "{full}/{}", neptune.len());
    assert!(mean(d, &neptune, "serror_rate") > 0.95);
    assert!(mean(d, &neptune, "count") > 100.0);
    assert!(mean(d, &neptune, "same_srv_rate") < 0.2);
}

#[test]
fn other_attacks_have_their_signatures() {
    let d = demo();
    for r in rows_labelled(d, "teardrop") {
        assert_eq!(value(d, r, "wrong_fragment"), 3.0);
    }
    for r in rows_labelled(d, "pod") {
        assert_eq!(value(d, r, "wrong_fragment"), 1.0);
        assert_eq!(value(d, r, "src_bytes"), 1480.0);
    }
    for r in rows_labelled(d, "guess_passwd") {
        assert_eq!(d.category(r, 1), Some("telnet"));
        assert_eq!(value(d, r, "num_failed_logins"), 1.0);
    }
    let probes: Vec<usize> = ["portsweep", "satan"]
        .iter()
        .flat_map(|l| rows_labelled(d, l).collect::<Vec<_>>())
        .collect();
    assert!(mean(d, &probes, "rerror_rate") > 0.6);
    assert!(mean(d, &probes, "dst_host_diff_srv_rate") > 0.6);
    let bo: Vec<usize> = rows_labelled(d, "buffer_overflow").collect();
    assert!(mean(d, &bo, "root_shell") > 0.5);
}

#[test]
fn attacks_come_in_bursts_between_normal_traffic() {
    let d = &small();
    let mask = d.attack_mask().unwrap();
    let first = mask.iter().position(|&a| a).unwrap();
    let last = mask.iter().rposition(|&a| a).unwrap();
    assert!(
        first < d.len() / 4 && last > d.len() * 3 / 4,
        "{first} {last}"
    );
    // Bursts: an attack row is usually followed by another attack row.
    let runs = mask.windows(2).filter(|w| w[0] && !w[1]).count();
    let attacks = mask.iter().filter(|&&a| a).count();
    assert!(runs * 3 < attacks, "{runs} runs for {attacks} attacks");
}

#[test]
fn normal_and_attack_rows_separate_clearly() {
    let d = demo();
    let mask = d.attack_mask().unwrap();
    let normal: Vec<usize> = (0..d.len()).filter(|&r| !mask[r]).collect();
    let attack: Vec<usize> = (0..d.len()).filter(|&r| mask[r]).collect();
    assert!(mean(d, &attack, "count") > 10.0 * mean(d, &normal, "count"));
    let dos: Vec<usize> = rows_labelled(d, "neptune").collect();
    assert!(mean(d, &dos, "serror_rate") > mean(d, &normal, "serror_rate") + 0.5);
    // Normal traffic is not spotless.
    assert!(mean(d, &normal, "rerror_rate") > 0.005);
    assert!(normal.iter().any(|&r| d.category(r, 2) == Some("S0")));
    let http: Vec<usize> = normal
        .iter()
        .copied()
        .filter(|&r| d.category(r, 1) == Some("http") && d.category(r, 2) == Some("SF"))
        .collect();
    assert!(mean(d, &http, "same_srv_rate") > 0.9);
    assert!(mean(d, &http, "count") < 20.0);
}
