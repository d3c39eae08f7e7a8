use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::fit::find_non_finite;
use super::*;
use crate::features::Matrix;

#[test]
fn log1p_columns_split_uniformly_in_raw_units() {
    // A column holding (log1p(x) − 2) / 0.5 for x in [0, 1000].
    let scale = SplitScale::Log1p {
        mean: 2.0,
        std: 0.5,
    };
    let z = |x: f64| ((x.ln_1p() - 2.0) / 0.5) as f32;
    let (lo, hi) = (z(0.0), z(1000.0));
    // Halfway in raw units is x = 500, far above halfway in log units (x ≈ 30).
    let t = scale.draw(lo, hi, 0.5);
    assert!((t - f64::from(z(500.0))).abs() < 1e-4, "{t}");
    assert!(SplitScale::Linear.draw(lo, hi, 0.5) < t);
    // The draw stays within [min, max] in matrix units.
    for u in [0.0, 0.25, 0.999_999] {
        let t = scale.draw(lo, hi, u);
        assert!(t >= f64::from(lo) - 1e-6 && t <= f64::from(hi) + 1e-6);
    }
}

#[test]
fn mixed_columns_split_on_either_scale_half_the_time() {
    let (mean, std) = (2.0, 0.5);
    let z = |x: f64| ((x.ln_1p() - mean) / std) as f32;
    let (lo, hi) = (z(0.0), z(1000.0));
    let mixed = SplitScale::Mixed { mean, std };
    let log1p = SplitScale::Log1p { mean, std };
    // The lower half of u is a linear draw over all of u, the upper half a raw-unit one.
    for u in [0.0, 0.2, 0.45] {
        assert_eq!(
            mixed.draw(lo, hi, u),
            SplitScale::Linear.draw(lo, hi, 2.0 * u)
        );
        assert_eq!(mixed.draw(lo, hi, 0.5 + u), log1p.draw(lo, hi, 2.0 * u));
    }
}

fn cfg(n_estimators: usize, seed: u64) -> IsolationForestConfig {
    IsolationForestConfig {
        n_estimators,
        max_samples: MaxSamples::Auto,
        seed,
    }
}

/// Standard normal pair via Box–Muller.
fn gauss(rng: &mut ChaCha8Rng) -> (f32, f32) {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    let r = (-2.0 * u1.ln()).sqrt();
    let th = std::f64::consts::TAU * u2;
    ((r * th.cos()) as f32, (r * th.sin()) as f32)
}

/// 2-D Gaussian cloud of `n` rows followed by `k` far outliers; labels 1 = outlier.
fn cloud_with_outliers(n: usize, k: usize, seed: u64) -> (Matrix, Vec<bool>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut data = Vec::with_capacity((n + k) * 2);
    for _ in 0..n {
        let (a, b) = gauss(&mut rng);
        data.extend_from_slice(&[a, b]);
    }
    for i in 0..k {
        let ang = i as f64 * std::f64::consts::TAU / k as f64;
        data.extend_from_slice(&[(8.0 * ang.cos()) as f32, (8.0 * ang.sin()) as f32]);
    }
    let labels = (0..n + k).map(|i| i >= n).collect();
    (Matrix::new(n + k, 2, data), labels)
}

/// ROC AUC by Mann–Whitney: P(score of positive > score of negative), ties = ½.
fn auc(scores: &[f64], labels: &[bool]) -> f64 {
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (s_pos, _) in scores.iter().zip(labels).filter(|(_, l)| **l) {
        for (s_neg, _) in scores.iter().zip(labels).filter(|(_, l)| !**l) {
            pairs += 1.0;
            if s_pos > s_neg {
                wins += 1.0;
            } else if s_pos == s_neg {
                wins += 0.5;
            }
        }
    }
    wins / pairs
}

#[test]
fn average_path_length_matches_known_values() {
    assert_eq!(average_path_length(0), 0.0);
    assert_eq!(average_path_length(1), 0.0);
    assert_eq!(average_path_length(2), 1.0);
    // 2(ln 2 + γ) − 4/3
    assert!((average_path_length(3) - 1.207_392_357_589_623).abs() < 1e-12);
    assert!((average_path_length(256) - 10.244_770_920_119_917).abs() < 1e-9);
}

#[test]
fn outliers_score_highest_and_auc_is_one() {
    let (x, labels) = cloud_with_outliers(1000, 10, 7);
    let forest = IsolationForest::fit(&x, &cfg(100, 42)).expect("fit");
    let scores = forest.score(&x);
    assert!(scores.iter().all(|&s| s > 0.0 && s < 1.0));
    let a = auc(&scores, &labels);
    assert!(a > 0.999, "AUC {a}");
    // The 10 outliers are exactly the top 10.
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&i, &j| scores[j].total_cmp(&scores[i]));
    assert!(
        order[..10].iter().all(|&i| labels[i]),
        "top 10: {:?}",
        &order[..10]
    );
    // Outliers are clearly anomalous (> 0.5), the bulk clearly not.
    let mut inl: Vec<f64> = scores[..1000].to_vec();
    inl.sort_by(f64::total_cmp);
    assert!(scores[1000..].iter().all(|&s| s > 0.6));
    assert!(inl[500] < 0.5, "median inlier score {}", inl[500]);
}

#[test]
fn same_seed_is_bit_identical_different_seed_differs() {
    let (x, _) = cloud_with_outliers(500, 5, 1);
    let a = IsolationForest::fit(&x, &cfg(50, 3))
        .expect("fit")
        .score(&x);
    let b = IsolationForest::fit(&x, &cfg(50, 3))
        .expect("fit")
        .score(&x);
    let c = IsolationForest::fit(&x, &cfg(50, 4))
        .expect("fit")
        .score(&x);
    assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
    assert!(a.iter().zip(&c).any(|(p, q)| p != q));
    // Independent of the thread pool.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let d = pool.install(|| {
        IsolationForest::fit(&x, &cfg(50, 3))
            .expect("fit")
            .score(&x)
    });
    assert!(a.iter().zip(&d).all(|(p, q)| p.to_bits() == q.to_bits()));
}

#[test]
fn score_row_matches_score_for_lanes_and_remainder() {
    // 300 rows: full blocks, full lanes and a remainder shorter than LANES.
    let (x, _) = cloud_with_outliers(297, 3, 9);
    let forest = IsolationForest::fit(&x, &cfg(30, 1)).expect("fit");
    let scores = forest.score(&x);
    for (i, s) in scores.iter().enumerate() {
        assert_eq!(s.to_bits(), forest.score_row(x.row(i)).to_bits(), "row {i}");
    }
}

#[test]
fn explicit_fallback_layout_gives_identical_scores() {
    // ψ = 5000 ⇒ depth 13 > MAX_IMPLICIT_DEPTH: the forest must use the fallback.
    let (x, _) = cloud_with_outliers(5000, 3, 12);
    let config = IsolationForestConfig {
        max_samples: MaxSamples::Count(5000),
        ..cfg(4, 2)
    };
    let deep = IsolationForest::fit(&x, &config).expect("fit");
    assert!(deep.implicit.is_none());
    let scores = deep.score(&x);
    for i in (0..x.rows()).step_by(97).chain([5000, 5001, 5002]) {
        assert_eq!(scores[i].to_bits(), deep.score_row(x.row(i)).to_bits());
    }
    assert!(
        scores[5000..].iter().all(|&s| s > 0.6),
        "{:?}",
        &scores[5000..]
    );
    // And a shallow forest scored through both layouts agrees bit for bit.
    let shallow = IsolationForest::fit(&x, &cfg(20, 2)).expect("fit");
    let mut forced = shallow.clone();
    forced.implicit = None;
    let (a, b) = (shallow.score(&x), forced.score(&x));
    assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
}

#[test]
fn constant_column_is_never_split_on() {
    let (cloud, _) = cloud_with_outliers(400, 4, 5);
    let mut data = Vec::new();
    for r in 0..cloud.rows() {
        let row = cloud.row(r);
        data.extend_from_slice(&[row[0], 3.5, row[1]]);
    }
    let x = Matrix::new(cloud.rows(), 3, data);
    let forest = IsolationForest::fit(&x, &cfg(50, 11)).expect("fit");
    for r in [0, 200, 403] {
        let w = forest.path_features(x.row(r));
        assert_eq!(w.len(), 3);
        assert_eq!(w[1], 0.0, "constant column got weight: {w:?}");
        assert!(w[0] > 0.0 && w[2] > 0.0, "{w:?}");
    }
    // Structural check too: no split anywhere uses column 1.
    assert!(
        forest
            .trees
            .iter()
            .flatten()
            .all(|n| !matches!(n, NodeRepr::Split { feature: 1, .. }))
    );
}

#[test]
fn path_features_point_at_the_isolating_feature() {
    // Column 0 is noise for everyone; column 1 is 0 except for row 0.
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let n = 300;
    let mut data = Vec::new();
    for i in 0..n {
        data.push(rng.random::<f32>());
        data.push(if i == 0 { 1.0 } else { 0.0 });
    }
    let x = Matrix::new(n, 2, data);
    let forest = IsolationForest::fit(&x, &cfg(100, 5)).expect("fit");
    let odd = forest.path_features(x.row(0));
    let normal = forest.path_features(x.row(1));
    assert!(odd[1] > odd[0], "anomalous row: {odd:?}");
    assert!(normal[1] < 0.01, "normal row: {normal:?}");
    assert!(normal[0] > 1.0, "normal row: {normal:?}");
    assert!(forest.score_row(x.row(0)) > forest.score_row(x.row(1)));
}

/// The walk as first written: one row, node by node until a leaf, dividing the
/// subtree sizes at each split. The lockstep walk must give the same bits.
fn path_features_reference(forest: &IsolationForest, row: &[f32]) -> Vec<f64> {
    let mut weights = vec![0.0; forest.n_features];
    for tree in &forest.trees {
        fn size(tree: &[NodeRepr], i: usize) -> u32 {
            match tree[i] {
                NodeRepr::Leaf { size } => size,
                NodeRepr::Split { left, .. } => {
                    size(tree, left as usize).saturating_add(size(tree, left as usize + 1))
                }
            }
        }
        let mut i = 0usize;
        while let NodeRepr::Split {
            feature,
            threshold,
            left,
        } = tree[i]
        {
            let f = feature as usize;
            let next = left as usize + usize::from(row[f] > threshold);
            let other = if next == left as usize {
                next + 1
            } else {
                left as usize
            };
            if size(tree, i) > 0 {
                weights[f] += f64::from(size(tree, other)) / f64::from(size(tree, i));
            }
            i = next;
        }
    }
    let n_trees = forest.trees.len() as f64;
    weights.iter_mut().for_each(|w| *w /= n_trees);
    weights
}

#[test]
fn lockstep_path_features_equal_the_row_by_row_walk() {
    let (x, _) = cloud_with_outliers(500, 7, 9);
    let forest = IsolationForest::fit(&x, &cfg(30, 4)).expect("fit");
    // 507 rows: full blocks of LANES and a ragged last one; NaN goes left.
    let mut rows: Vec<&[f32]> = (0..x.rows()).map(|r| x.row(r)).collect();
    let nan = [f32::NAN, 0.5];
    rows.push(&nan);
    let many = forest.path_features_many(&rows);
    for (row, got) in rows.iter().zip(&many) {
        let want = path_features_reference(&forest, row);
        let same = got
            .iter()
            .zip(&want)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "{got:?} vs {want:?}");
    }
    assert!(forest.path_features_many(&[]).is_empty());
}

#[test]
fn all_constant_matrix_gives_equal_scores() {
    let x = Matrix::new(50, 4, vec![1.25; 200]);
    let forest = IsolationForest::fit(&x, &cfg(20, 0)).expect("fit");
    let s = forest.score(&x);
    assert!(s.iter().all(|&v| v == s[0]));
    // Every tree is a single leaf of ψ = 50 samples: score = 2^(−c(50)/c(50)) = ½.
    assert!((s[0] - 0.5).abs() < 1e-12);
    assert!(forest.path_features(x.row(0)).iter().all(|&w| w == 0.0));
}

#[test]
fn small_n_uses_all_rows_and_max_samples_variants() {
    let (x, _) = cloud_with_outliers(100, 0, 4);
    let f = IsolationForest::fit(&x, &cfg(5, 0)).expect("fit");
    assert_eq!(f.max_samples_used(), 100);
    assert_eq!(f.n_features(), 2);
    assert_eq!(f.n_trees(), 5);
    // Root of every tree holds ψ samples before splitting, depth ≤ ceil(log2 100) = 7.
    assert!(f.meta.iter().all(|t| t.depth <= 7));
    let with = |m| IsolationForestConfig {
        max_samples: m,
        ..cfg(5, 0)
    };
    let used = |m| IsolationForest::fit(&x, &with(m)).map(|f| f.max_samples_used());
    assert_eq!(used(MaxSamples::Count(64)), Ok(64));
    assert_eq!(used(MaxSamples::Count(1000)), Ok(100));
    assert_eq!(used(MaxSamples::Fraction(0.5)), Ok(50));
    assert!(used(MaxSamples::Count(0)).is_err());
    assert!(used(MaxSamples::Fraction(0.0)).is_err());
    assert!(used(MaxSamples::Fraction(f64::NAN)).is_err());
    assert!(used(MaxSamples::Fraction(1.5)).is_err());
    // ψ = 1: c(1) = 0, scikit-learn's convention gives 0.5 everywhere.
    let one = IsolationForest::fit(&x, &with(MaxSamples::Count(1))).expect("fit");
    assert!(one.score(&x).iter().all(|&s| s == 0.5));
}

#[test]
fn serde_round_trip_gives_identical_scores() {
    let (x, _) = cloud_with_outliers(300, 3, 8);
    let forest = IsolationForest::fit(&x, &cfg(25, 6)).expect("fit");
    let json = serde_json::to_string(&forest).expect("serialise");
    let back: IsolationForest = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back.config(), forest.config());
    assert_eq!(back.max_samples_used(), forest.max_samples_used());
    let (a, b) = (forest.score(&x), back.score(&x));
    assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
}

#[test]
fn corrupted_model_is_rejected() {
    let x = Matrix::new(4, 1, vec![0.0, 1.0, 2.0, 3.0]);
    let forest = IsolationForest::fit(&x, &cfg(1, 0)).expect("fit");
    let mut v = serde_json::to_value(&forest).expect("serialise");
    v["n_features"] = serde_json::json!(0);
    assert!(serde_json::from_value::<IsolationForest>(v).is_err());
    let cyclic = r#"{"config":{"n_estimators":1,"max_samples":"Auto","seed":0},
        "n_features":1,"max_samples":4,
        "trees":[[{"Split":{"feature":0,"threshold":1.0,"left":0}},{"Leaf":{"size":1}}]]}"#;
    assert!(serde_json::from_str::<IsolationForest>(cyclic).is_err());
}

#[test]
fn invalid_input_is_an_error() {
    assert_eq!(
        IsolationForest::fit(&Matrix::zeros(0, 3), &cfg(10, 0)).err(),
        Some(IForestError::EmptyMatrix { rows: 0, cols: 3 })
    );
    assert!(IsolationForest::fit(&Matrix::zeros(3, 0), &cfg(10, 0)).is_err());
    assert!(IsolationForest::fit(&Matrix::zeros(3, 2), &cfg(0, 0)).is_err());
    let mut x = Matrix::zeros(10, 3);
    x.row_mut(7)[2] = f32::NAN;
    match IsolationForest::fit(&x, &cfg(10, 0)) {
        Err(IForestError::NonFinite { row: 7, col: 2, .. }) => {}
        other => panic!("expected NonFinite, got {other:?}"),
    }
    x.row_mut(7)[2] = f32::INFINITY;
    assert!(IsolationForest::fit(&x, &cfg(10, 0)).is_err());
    let ok = IsolationForest::fit(&Matrix::zeros(10, 3), &cfg(10, 0)).expect("fit");
    assert!(matches!(
        ok.try_score(&Matrix::zeros(2, 4)),
        Err(IForestError::FeatureMismatch {
            expected: 3,
            got: 4
        })
    ));
}

/// KDD-shaped synthetic timing (494,021 × 120, 100 trees, ψ = 256):
/// `cargo test --release --lib detect::iforest::tests::timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing_kdd_shape() {
    let (rows, cols) = (494_021, 120);
    let x = synthetic_kdd_like(rows, cols, 1);
    let config = IsolationForestConfig::default();
    // Best of 5: the machine is shared, the minimum is the least disturbed run.
    let best = |f: &mut dyn FnMut()| {
        (0..5)
            .map(|_| {
                let t = std::time::Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .fold(f64::INFINITY, f64::min)
    };
    let mut fitted = None;
    let fit = best(&mut || fitted = Some(IsolationForest::fit(&x, &config).expect("fit")));
    let mut forest = fitted.expect("fitted");
    let scan = best(&mut || assert!(find_non_finite(&x).is_none()));
    let score = best(&mut || drop(forest.score(&x)));
    println!(
        "threads {}: fit {fit:.1} ms (finiteness scan {scan:.1} ms), score {score:.1} ms \
         ({:.2} M rows/s), fit + score {:.1} ms",
        rayon::current_num_threads(),
        rows as f64 / score / 1e3,
        fit + score,
    );
    forest.implicit = None;
    let fallback = best(&mut || drop(forest.score(&x)));
    println!("explicit (deep-forest fallback) layout: score {fallback:.1} ms");
}

/// ~30 standardized numeric columns plus one-hot groups, like the KDD features.
fn synthetic_kdd_like(rows: usize, cols: usize, seed: u64) -> Matrix {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let numeric = 30.min(cols);
    let groups = [3usize, 66, 11];
    let mut data = vec![0.0f32; rows * cols];
    for r in 0..rows {
        let row = &mut data[r * cols..(r + 1) * cols];
        for v in row.iter_mut().take(numeric) {
            *v = gauss(&mut rng).0;
        }
        let mut at = numeric;
        for &g in &groups {
            if at + g > cols {
                break;
            }
            // Skewed categories: low indices dominate.
            let u: f64 = rng.random::<f64>();
            let k = ((u * u * u) * g as f64) as usize;
            row[at + k.min(g - 1)] = 1.0;
            at += g;
        }
        for v in row.iter_mut().skip(at) {
            *v = f32::from(rng.random::<f64>() < 0.1);
        }
    }
    Matrix::new(rows, cols, data)
}
