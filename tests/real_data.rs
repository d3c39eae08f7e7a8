//! The engine on the real files: KDD Cup 99 10% (494,021 rows) and NSL-KDD 20% train.
//! Absent files skip with a note, unless NETANOMALY_REQUIRE_DATA=1 (as in CI).

mod common;

use std::collections::BTreeMap;

use common::{KDD10, NSL20, real_data};
use netanomaly::data::reader::FileFormat;
use netanomaly::data::{Dataset, Family, ReadOptions, read_path};
use netanomaly::features::{Encoder, EncoderConfig};

fn load(name: &str) -> Option<Dataset> {
    let path = real_data(name)?;
    Some(
        read_path(&path, &ReadOptions::default())
            .expect("real file reads")
            .0,
    )
}

#[test]
fn kdd_10_percent_has_494021_rows_and_the_exact_label_counts() {
    let Some(path) = real_data(KDD10) else { return };
    let (d, report) = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(d.len(), 494_021);
    assert_eq!(report.format, FileFormat::Kdd99);
    assert_eq!(report.skipped_bad_rows + report.missing_total(), 0);
    let counts: BTreeMap<String, usize> = d.label_counts().into_iter().collect();
    let expected = [
        ("smurf", 280_790),
        ("neptune", 107_201),
        ("normal", 97_278),
        ("back", 2_203),
        ("satan", 1_589),
        ("ipsweep", 1_247),
        ("portsweep", 1_040),
        ("warezclient", 1_020),
        ("teardrop", 979),
        ("pod", 264),
        ("nmap", 231),
        ("guess_passwd", 53),
        ("buffer_overflow", 30),
        ("land", 21),
        ("warezmaster", 20),
        ("imap", 12),
        ("rootkit", 10),
        ("loadmodule", 9),
        ("ftp_write", 8),
        ("multihop", 7),
        ("phf", 4),
        ("perl", 3),
        ("spy", 2),
    ];
    assert_eq!(counts.len(), expected.len());
    for (label, n) in expected {
        assert_eq!(counts.get(label), Some(&n), "{label}");
    }
    let families: BTreeMap<Family, usize> = d.family_counts().into_iter().collect();
    assert_eq!(families[&Family::Normal], 97_278);
    assert_eq!(families[&Family::Dos], 391_458);
    assert_eq!(families[&Family::Probe], 4_107);
    assert_eq!(families[&Family::R2l], 1_126);
    assert_eq!(families[&Family::U2r], 52);
    assert_eq!(families[&Family::Unknown], 0);
    // A byte count beyond f32's exact range survives: the largest src_bytes in the file.
    let max_src = (0..d.len())
        .map(|r| d.numeric_feature(r, 4).unwrap())
        .fold(0.0, f64::max);
    assert_eq!(max_src, 693_375_640.0);
    assert_eq!(d.fields(0)[4], "181");
}

#[test]
fn nsl_kdd_20_percent_reads_with_its_difficulty_column() {
    let Some(path) = real_data(NSL20) else { return };
    let (d, report) = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(report.format, FileFormat::NslKdd);
    assert_eq!(d.len(), 25_192);
    assert!(d.has_difficulty());
    // First line: 0,udp,private,SF,28,0,0,3,...,teardrop,16
    assert_eq!((d.label(0), d.difficulty(0)), (Some("teardrop"), Some(16)));
    assert_eq!(d.numeric_feature(0, 7), Some(3.0), "wrong_fragment");
    let counts: BTreeMap<String, usize> = d.label_counts().into_iter().collect();
    assert_eq!(counts["normal"], 13_449);
    assert_eq!(counts["neptune"], 8_282);
    assert_eq!(counts["ipsweep"], 710);
    let max_difficulty = (0..d.len()).filter_map(|r| d.difficulty(r)).max();
    assert_eq!(max_difficulty, Some(21));
}

#[test]
fn unseen_services_at_scoring_time_land_in_the_unseen_column() {
    let (Some(kdd), Some(nsl)) = (load(KDD10), load(NSL20)) else {
        return;
    };
    // Fit on KDD's normal rows only: fewer services than either file has in total.
    let normal: Vec<usize> = (0..kdd.len())
        .filter(|&r| kdd.is_attack(r) == Some(false))
        .collect();
    let encoder = Encoder::fit(&kdd, &normal, &EncoderConfig::default()).unwrap();
    let known = |prefix: &str| -> Vec<String> {
        encoder
            .columns()
            .iter()
            .filter_map(|c| c.name.strip_prefix(prefix))
            .filter(|s| !s.starts_with('<'))
            .map(str::to_owned)
            .collect()
    };
    let (services, flags, protocols) = (known("service="), known("flag="), known("protocol_type="));
    let (m, unseen) = encoder.transform_all(&nsl);
    let unseen_col = encoder
        .columns()
        .iter()
        .position(|c| c.name == "service=<unseen>")
        .unwrap();
    let is_new =
        |known: &[String], value: Option<&str>| !known.iter().any(|k| Some(k.as_str()) == value);
    let mut rows_with_new = 0;
    let mut rows_with_new_service = 0;
    for r in 0..nsl.len() {
        let new_service = is_new(&services, nsl.category(r, 1));
        let any_new = new_service
            || is_new(&protocols, nsl.category(r, 0))
            || is_new(&flags, nsl.category(r, 2));
        rows_with_new += usize::from(any_new);
        rows_with_new_service += usize::from(new_service);
        assert_eq!(
            m.get(r, unseen_col),
            if new_service { 1.0 } else { 0.0 },
            "row {r}"
        );
    }
    assert!(rows_with_new_service > 1000, "{rows_with_new_service}");
    assert_eq!(unseen.rows, rows_with_new);
    assert!(unseen.values.iter().any(|(v, _)| v == "service=http_8001"));
    let service_total: usize = unseen
        .values
        .iter()
        .filter(|(v, _)| v.starts_with("service="))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(service_total, rows_with_new_service);
    assert!(m.as_slice().iter().all(|v| v.is_finite()));
}

#[test]
fn encoder_serialises_to_identical_matrices_on_real_data() {
    let Some(nsl) = load(NSL20) else { return };
    let rows: Vec<usize> = (0..nsl.len()).step_by(2).collect();
    let encoder = Encoder::fit(&nsl, &rows, &EncoderConfig::default()).unwrap();
    let json = serde_json::to_vec(&encoder).unwrap();
    let back: Encoder = serde_json::from_slice(&json).unwrap();
    assert_eq!(back.transform_all(&nsl).0, encoder.transform_all(&nsl).0);
    assert_eq!(back.columns(), encoder.columns());
}

#[test]
fn records_written_back_are_the_records_read() {
    let Some(path) = real_data(KDD10) else { return };
    let (d, _) = read_path(&path, &ReadOptions::default()).unwrap();
    let text = {
        use std::io::Read;
        let mut s = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
            .read_to_string(&mut s)
            .unwrap();
        s
    };
    let largest = (0..d.len())
        .max_by(|&a, &b| {
            d.numeric_feature(a, 4)
                .unwrap()
                .total_cmp(&d.numeric_feature(b, 4).unwrap())
        })
        .unwrap();
    // Every 97th line across the file, and the row with the largest byte count.
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[largest].contains(",693375640,"));
    for row in (0..lines.len()).step_by(97).chain([largest]) {
        let line = lines[row];
        let mut out = Vec::new();
        d.write_kdd_line(row, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap().trim_end(),
            line,
            "row {row}"
        );
    }
}

#[test]
fn the_committed_demo_sample_is_what_the_generator_makes() {
    use netanomaly::data::demo::{SynthConfig, generate};
    let sample =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo-1000.csv"))
            .unwrap();
    let d = generate(&SynthConfig {
        rows: 1000,
        seed: 7,
        attack_fraction: 0.2,
    });
    let mut out = Vec::new();
    for r in 0..d.len() {
        d.write_kdd_line(r, &mut out).unwrap();
    }
    assert_eq!(
        String::from_utf8(out).unwrap(),
        sample,
        "regenerate with: netanomaly demo-data --rows 1000 --seed 7 --out assets/demo-1000.csv --force"
    );
}

/// The conventions of the shared traffic windows (`kdd::window`), read off the 10%
/// file: which flags are errors, the host window's length, and what "same service"
/// compares. If one of these fails, the windows no longer make KDD's data.
#[test]
fn the_traffic_window_conventions_are_kdds() {
    use netanomaly::data::schema::feature_index;
    use netanomaly::kdd::Flag;
    let Some(d) = load(KDD10) else { return };
    let f = |name: &str| feature_index(name).unwrap();
    let value = |row: usize, name: &str| d.numeric_feature(row, f(name)).unwrap();
    // Categorical columns: 0 protocol_type, 1 service, 2 flag.
    let (service_col, flag_col) = (1, 2);

    // A row alone in its 2-second window (count 1) has serror_rate 1 exactly when its
    // flag is a SYN error, and rerror_rate 1 exactly when it is a REJ error.
    let mut alone = 0;
    for row in (0..d.len()).filter(|&r| value(r, "count") == 1.0) {
        let flag = Flag::from_name(d.category(row, flag_col).unwrap()).unwrap();
        assert_eq!(
            value(row, "serror_rate") == 1.0,
            flag.is_serror(),
            "row {row}"
        );
        assert_eq!(
            value(row, "rerror_rate") == 1.0,
            flag.is_rerror(),
            "row {row}"
        );
        alone += 1;
    }
    assert_eq!(alone, 39_214);

    // The host window holds 255 connections: counts above 100 are common, none above
    // 255, and when all 255 went to this host (dst_host_count 255 with fewer than 255
    // of the same service) every same-service connection did too, which a longer
    // window clamped to 255 would contradict.
    let mut spike = 0;
    let mut above_100 = 0;
    let mut all_to_this_host = 0;
    for row in 0..d.len() {
        let count = value(row, "dst_host_count");
        assert!(count <= 255.0, "row {row}");
        above_100 += usize::from(count > 100.0);
        if count == 255.0 {
            spike += 1;
            let srv = value(row, "dst_host_srv_count");
            if srv < 255.0 {
                all_to_this_host += 1;
                assert_eq!(value(row, "dst_host_srv_diff_host_rate"), 0.0, "row {row}");
                let same = value(row, "dst_host_same_srv_rate") * 255.0;
                assert!((same - srv).abs() <= 1.5, "row {row}: {same} vs {srv}");
            }
        }
    }
    assert_eq!(
        (spike, above_100, all_to_this_host),
        (432_829, 451_200, 130_411)
    );

    // "Same service" tells the ports behind `private` apart: neptune's SYN flood is
    // `private` yet its same_srv_rate is mostly at most 0.1.
    let neptune_private: Vec<usize> = (0..d.len())
        .filter(|&r| d.label(r) == Some("neptune") && d.category(r, service_col) == Some("private"))
        .collect();
    // (Values are stored as f32: 0.10 reads back as 0.1000000015.)
    let low = neptune_private
        .iter()
        .filter(|&&r| value(r, "same_srv_rate") < 0.105)
        .count();
    assert_eq!((neptune_private.len(), low), (101_317, 83_045));
}
