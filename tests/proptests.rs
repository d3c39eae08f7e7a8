//! Property tests: the encoder turns any record the reader accepts into a finite row of
//! the right width; the metrics keep their invariants on any scores.

use netanomaly::data::ReadOptions;
use netanomaly::data::stream::StreamParser;
use netanomaly::eval::metrics::SortedScores;
use netanomaly::features::encoder::{Encoder, EncoderConfig};
use proptest::prelude::*;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo-1000.csv");

/// Parses KDD text as the monitor does (bad lines skipped).
fn parse(text: &str) -> netanomaly::data::Dataset {
    let options = ReadOptions {
        skip_bad_rows: true,
        ..ReadOptions::default()
    };
    let mut parser = StreamParser::new("test", options);
    // Every line ends with a newline: `feed` parses them all.
    parser.feed(text.as_bytes()).unwrap().records
}

/// A numeric field as text: anything from 0 to the largest finite f64, in every
/// notation the reader accepts, plus the values it must reject (NaN, inf, negative,
/// 1e309), which it skips.
fn number() -> impl Strategy<Value = String> {
    // Rejected values are rare enough that most lines of 38 numbers are accepted.
    prop_oneof![
        100 => (0u64..1000).prop_map(|v| v.to_string()),
        100 => any::<u64>().prop_map(|v| v.to_string()),
        100 => (0.0f64..=1.0).prop_map(|v| format!("{v:.2}")),
        100 => (0.0f64..f64::from(f32::MAX)).prop_map(|v| format!("{v:e}")),
        100 => Just(format!("{:e}", f64::from(f32::MAX))),
        100 => Just("3e38".to_owned()),
        // Missing: imputed.
        100 => Just(String::new()),
        1 => Just("NaN".to_owned()),
        1 => Just("inf".to_owned()),
        1 => Just("-1".to_owned()),
        1 => Just("1e309".to_owned()),
        1 => Just("1e308".to_owned()),
    ]
}

/// A category: any text without the separators (commas, line ends).
fn category() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..12).prop_map(|cs| {
        cs.into_iter()
            .filter(|c| !matches!(c, ',' | '\n' | '\r'))
            .collect()
    })
}

/// A 42-field labelled record line.
fn record() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(number(), 38),
        category(),
        category(),
        category(),
    )
        .prop_map(|(nums, proto, service, flag)| {
            let mut fields: Vec<String> = Vec::with_capacity(42);
            fields.push(nums[0].clone());
            fields.extend([proto, service, flag]);
            fields.extend(nums[1..].iter().cloned());
            fields.push("normal.".into());
            fields.join(",")
        })
}

fn demo_encoder() -> Encoder {
    let data = netanomaly::data::read_path(std::path::Path::new(DEMO), &ReadOptions::default())
        .unwrap()
        .0;
    let rows: Vec<usize> = (0..data.len()).collect();
    Encoder::fit(&data, &rows, &EncoderConfig::default()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        // No regression files written into the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Records the reader accepts, encoded by an encoder fitted on the demo data and by
    /// one fitted on these very records (huge values included): finite rows, full width.
    #[test]
    fn any_accepted_record_encodes_to_a_finite_row(lines in proptest::collection::vec(record(), 1..20)) {
        let text = lines.join("\n") + "\n";
        let data = parse(&text);
        prop_assume!(!data.is_empty());
        let rows: Vec<usize> = (0..data.len()).collect();
        for encoder in [demo_encoder(), Encoder::fit(&data, &rows, &EncoderConfig::default()).unwrap()] {
            let (matrix, _) = encoder.transform_all(&data);
            prop_assert_eq!(matrix.rows(), data.len());
            prop_assert_eq!(matrix.cols(), encoder.n_columns());
            for (i, v) in matrix.as_slice().iter().enumerate() {
                prop_assert!(v.is_finite(), "column {} of row {}: {}", encoder.columns()[i % matrix.cols()].name, i / matrix.cols(), v);
            }
        }
    }

    /// A perfect ranking has ROC AUC 1, the reversed one 0; all-tied scores 0.5.
    #[test]
    fn auc_of_perfect_reversed_and_tied_rankings(
        positives in 1usize..50,
        negatives in 1usize..50,
        offset in -1e6f64..1e6,
    ) {
        let n = positives + negatives;
        let labels: Vec<bool> = (0..n).map(|i| i < positives).collect();
        let perfect: Vec<f64> = (0..n).map(|i| offset - i as f64).collect();
        let reversed: Vec<f64> = perfect.iter().map(|s| -s).collect();
        let tied = vec![offset; n];
        let auc = |s: &[f64]| SortedScores::new(s, Some(&labels)).unwrap().roc_auc().unwrap();
        prop_assert!((auc(&perfect) - 1.0).abs() < 1e-12);
        prop_assert!(auc(&reversed).abs() < 1e-12);
        prop_assert!((auc(&tied) - 0.5).abs() < 1e-12);
    }

    /// At any threshold the confusion matrix adds up to n and the ratios are in [0, 1].
    #[test]
    fn confusion_sums_to_n_and_ratios_are_bounded(
        scored in proptest::collection::vec((prop_oneof![-1e9f64..1e9, 0.0f64..1.0, Just(0.5)], any::<bool>()), 1..200),
        thresholds in proptest::collection::vec(prop_oneof![-2e9f64..2e9, Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(0.5)], 1..10),
    ) {
        let (scores, labels): (Vec<f64>, Vec<bool>) = scored.into_iter().unzip();
        let sorted = SortedScores::new(&scores, Some(&labels)).unwrap();
        for t in thresholds {
            let c = sorted.confusion_at(t).unwrap();
            prop_assert_eq!(c.total(), scores.len() as u64);
            prop_assert_eq!(c.flagged(), scores.iter().filter(|&&s| s >= t).count() as u64);
            for r in [c.precision(), c.recall(), c.f1(), c.fpr(), c.accuracy()] {
                prop_assert!((0.0..=1.0).contains(&r), "{:?}: {}", c, r);
            }
        }
        if let Some(auc) = sorted.roc_auc() {
            prop_assert!((0.0..=1.0).contains(&auc));
        }
    }
}
