//! The model-bundle loader, one file at a time.
//!
//! Input: [selector byte][content]. The other files are those of the small seed bundle in
//! `fuzz/seed-bundle/` (iforest, autoencoder and fused, trained on assets/demo-1000.csv).
//! Selector bits 0-2 choose the file (manifest.json, encoder.json, iforest.json,
//! autoencoder.bpk, fused.json, SHA256SUMS; 6-7 wrap), bit 6 deletes it instead, and bit 7 rewrites
//! SHA256SUMS to match, so mutated content gets past the checksums into the JSON and
//! weight decoders and the schema checks. A bundle that loads scores a few records.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netanomaly::data::Dataset;
use netanomaly::data::reader::{ReadOptions, read_from};
use netanomaly::model::ModelBundle;
use netanomaly::model::scorer::{Explainer, score};
use netanomaly_fuzz::Bytes;
use sha2::{Digest, Sha256};

const FILES: [(&str, &[u8]); 6] = [
    (
        "manifest.json",
        include_bytes!("../seed-bundle/manifest.json"),
    ),
    (
        "encoder.json",
        include_bytes!("../seed-bundle/encoder.json"),
    ),
    (
        "iforest.json",
        include_bytes!("../seed-bundle/iforest.json"),
    ),
    (
        "autoencoder.bpk",
        include_bytes!("../seed-bundle/autoencoder.bpk"),
    ),
    ("fused.json", include_bytes!("../seed-bundle/fused.json")),
    ("SHA256SUMS", include_bytes!("../seed-bundle/SHA256SUMS")),
];
const SUMS: usize = 5;

const RECORDS: &[u8] = b"\
0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00,normal.
0,icmp,ecr_i,SF,1032,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,511,511,0.00,0.00,0.00,0.00,1.00,0.00,0.00,255,255,1.00,0.00,1.00,0.00,0.00,0.00,0.00,0.00,smurf.
0,udp,weird_svc,S0,0,0,1,3,1,0,0,0,0,0,0,0,0,0,0,0,0,0,1,1,1.00,1.00,0.00,0.00,1.00,0.00,0.00,1,1,1.00,0.00,1.00,0.00,1.00,1.00,0.00,0.00,neptune.
";

struct State {
    dir: PathBuf,
    records: Dataset,
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("netanomaly-fuzz-bundle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("creating the bundle directory");
        for (name, bytes) in FILES {
            std::fs::write(dir.join(name), bytes).expect("writing a seed file");
        }
        let (records, _) = read_from(RECORDS, "records", &ReadOptions::default()).expect("records");
        State { dir, records }
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fuzz_target!(|data: &[u8]| {
    let state = state();
    let mut input = Bytes::new(data);
    let selector = input.u8();
    let file = usize::from(selector & 7) % FILES.len();
    let delete = selector & 0x40 != 0;
    let rewrite_sums = selector & 0x80 != 0 && file != SUMS;
    let content = input.data;

    let write = |i: usize, bytes: &[u8]| {
        std::fs::write(state.dir.join(FILES[i].0), bytes).expect("writing a bundle file")
    };
    if delete {
        let _ = std::fs::remove_file(state.dir.join(FILES[file].0));
    } else {
        write(file, content);
    }
    if rewrite_sums {
        let sums: String = (0..SUMS)
            .map(|i| {
                let bytes: &[u8] = if i == file { content } else { FILES[i].1 };
                format!("{}  {}\n", hex(&Sha256::digest(bytes)), FILES[i].0)
            })
            .collect();
        write(SUMS, sums.as_bytes());
    }

    if let Ok(bundle) = ModelBundle::load(&state.dir) {
        if let Ok(scored) = score(&bundle, &state.records) {
            let explainer = Explainer::for_bundle(&bundle, &scored.matrix, &state.records);
            let rows: Vec<(usize, usize)> = (0..state.records.len()).map(|i| (i, i)).collect();
            for detector in ["iforest", "autoencoder", "fused"] {
                let _ = explainer.explain_top(detector, &rows, 3);
            }
        }
    }

    // Back to the seed bundle for the next input.
    write(file, FILES[file].1);
    if rewrite_sums {
        write(SUMS, FILES[SUMS].1);
    }
});
