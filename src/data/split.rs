//! Seeded row selections used by the evaluation protocols.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Splits `rows` into a seeded random `fraction` and the rest; both halves keep file
/// order, so results do not depend on the shuffle beyond which rows were chosen.
pub fn seeded_split(rows: &[usize], fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut shuffled = rows.to_vec();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    shuffled.shuffle(&mut rng);
    let take = ((rows.len() as f64) * fraction.clamp(0.0, 1.0)).round() as usize;
    let (chosen, rest) = shuffled.split_at(take);
    let mut chosen = chosen.to_vec();
    let mut rest = rest.to_vec();
    chosen.sort_unstable();
    rest.sort_unstable();
    (chosen, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_seeded_disjoint_and_complete() {
        let rows: Vec<usize> = (0..1001).collect();
        let (a, b) = seeded_split(&rows, 0.5, 3);
        assert_eq!(a.len(), 501);
        assert_eq!(a.len() + b.len(), rows.len());
        let mut all: Vec<usize> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        assert_eq!(all, rows);
        assert_eq!(seeded_split(&rows, 0.5, 3), (a.clone(), b));
        assert_ne!(seeded_split(&rows, 0.5, 4).0, a);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
    }
}
