//! The statistics of a backtest, as pure functions: intervals of observed counts, the dyad
//! ranking scores (AUC, the share of real onsets in the top decile), and which forecast is closer.

use crate::stats::ln_gamma;

/// P(X <= k) for X ~ Poisson(lambda), summed in log space.
fn poisson_cdf(k: u64, lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 1.0;
    }
    let ln_l = lambda.ln();
    let mut total = 0.0;
    for i in 0..=k {
        let i = i as f64;
        total += (-lambda + i * ln_l - ln_gamma(i + 1.0)).exp();
    }
    total.min(1.0)
}

/// Bisection for the smallest `lambda` in [lo, hi] where `up(lambda)` holds (`up` monotone).
fn bisect(up: impl Fn(f64) -> bool, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if up(mid) { hi = mid } else { lo = mid }
    }
    0.5 * (lo + hi)
}

/// The exact (Garwood 1936) 95% interval of a Poisson count `k`: the means under which `k` or
/// more, and `k` or fewer, happen with probability 2.5% each. `(0, 3.689)` for `k = 0`.
/// Source: Garwood, F. (1936), Biometrika 28(3/4): 437-442; the same as `poisson.test` in R.
pub fn poisson_interval(k: u64) -> (f64, f64) {
    let a = 0.025;
    let kf = k as f64;
    let top = kf + 10.0 * (kf + 1.0).sqrt() + 10.0;
    let lower = if k == 0 {
        0.0
    } else {
        bisect(|l| 1.0 - poisson_cdf(k - 1, l) >= a, 0.0, top)
    };
    let upper = bisect(|l| poisson_cdf(k, l) <= a, 0.0, top);
    (lower, upper)
}

/// The Wilson (1927) score 95% interval of a share `k / n`; `None` when `n` is 0.
/// Source: Wilson, E. B. (1927), JASA 22(158): 209-212; `prop.test(correct = FALSE)` in R.
pub fn wilson_interval(k: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let z = 1.959_963_984_540_054_f64;
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// The area under the ROC curve of `scores` for the binary `labels`: the probability that a
/// random positive scores above a random negative, ties counting one half (Mann-Whitney U / (n1
/// n0)). `None` without positives or without negatives.
/// Source: Hanley, J. A. and McNeil, B. J. (1982), Radiology 143(1): 29-36.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let positives = labels.iter().filter(|&&l| l).count() as f64;
    let negatives = labels.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // Sum of the (1-based, tie-averaged) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mean_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += mean_rank * order[i..=j].iter().filter(|&&k| labels[k]).count() as f64;
        i = j + 1;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// The share of the `events` (real onsets per dyad) that fall in the top `fraction` of dyads by
/// `scores`. Dyads tied at the cut count in proportion to the places left, which is the mean
/// over every order of the tied dyads: the answer does not depend on their order. `None` when
/// there is no event or no dyad.
pub fn top_share(scores: &[f64], events: &[f64], fraction: f64) -> Option<f64> {
    let total: f64 = events.iter().sum();
    if scores.is_empty() || total <= 0.0 {
        return None;
    }
    let places = fraction * scores.len() as f64;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut taken, mut caught, mut i) = (0.0, 0.0, 0);
    while i < order.len() && taken < places {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let size = (j - i + 1) as f64;
        let share = ((places - taken) / size).min(1.0);
        caught += share * order[i..=j].iter().map(|&k| events[k]).sum::<f64>();
        taken += size * share;
        i = j + 1;
    }
    Some(caught / total)
}

/// Whether `forecast` is strictly closer to `observed` than `baseline` is (absolute error).
/// `None` when either is missing.
pub fn beats(forecast: f64, baseline: Option<f64>, observed: f64) -> Option<bool> {
    let b = baseline?;
    if !(forecast.is_finite() && b.is_finite() && observed.is_finite()) {
        return None;
    }
    Some((forecast - observed).abs() < (b - observed).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_interval_matches_r() {
        // R: poisson.test(0)$conf.int, poisson.test(1), poisson.test(23)
        let (lo, hi) = poisson_interval(0);
        assert_eq!(lo, 0.0);
        assert!((hi - 3.688879).abs() < 1e-5, "{hi}");
        let (lo, hi) = poisson_interval(1);
        assert!(
            (lo - 0.02531781).abs() < 1e-6 && (hi - 5.571643).abs() < 1e-5,
            "{lo} {hi}"
        );
        let (lo, hi) = poisson_interval(23);
        assert!(
            (lo - 14.58003).abs() < 1e-4 && (hi - 34.51129).abs() < 1e-4,
            "{lo} {hi}"
        );
    }

    #[test]
    fn wilson_matches_r() {
        // R: prop.test(22, 1015, correct = FALSE)$conf.int = 0.01435671 0.03260002
        let (lo, hi) = wilson_interval(22, 1015).unwrap();
        assert!(
            (lo - 0.014_356_71).abs() < 1e-7 && (hi - 0.032_600_02).abs() < 1e-7,
            "{lo} {hi}"
        );
        assert_eq!(wilson_interval(0, 0), None);
        let (lo, hi) = wilson_interval(0, 10).unwrap();
        assert_eq!(lo, 0.0);
        assert!(hi > 0.2 && hi < 0.35);
    }

    #[test]
    fn auc_by_hand() {
        // positives score 3 and 1, negatives 2 and 0: pairs (3>2, 3>0, 1<2, 1>0) = 3 of 4
        assert_eq!(auc(&[3.0, 1.0, 2.0, 0.0], &[true, true, false, false]), Some(0.75));
        // a tie between a positive and a negative counts a half
        assert_eq!(auc(&[1.0, 1.0], &[true, false]), Some(0.5));
        assert_eq!(auc(&[2.0, 1.0, 1.0], &[true, true, false]), Some(0.75));
        assert_eq!(auc(&[1.0, 2.0], &[true, true]), None);
        // perfect and inverted rankings
        assert_eq!(auc(&[5.0, 4.0, 1.0, 0.0], &[true, true, false, false]), Some(1.0));
        assert_eq!(auc(&[0.0, 1.0, 4.0, 5.0], &[true, true, false, false]), Some(0.0));
    }

    #[test]
    fn top_share_by_hand() {
        // 10 dyads, the top decile is one dyad: the one scored 9, holding 2 of 4 events
        let scores: Vec<f64> = (0..10).map(f64::from).collect();
        let mut events = vec![0.0; 10];
        events[9] = 2.0;
        events[0] = 2.0;
        assert_eq!(top_share(&scores, &events, 0.1), Some(0.5));
        // every dyad tied: the top decile catches a tenth of every dyad's events
        let flat = vec![1.0; 10];
        assert!((top_share(&flat, &events, 0.1).unwrap() - 0.1).abs() < 1e-12);
        // two tied at the top with one place: half of their events
        let scores = [5.0, 5.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let mut ev = vec![0.0; 10];
        ev[0] = 1.0;
        ev[2] = 1.0;
        assert!((top_share(&scores, &ev, 0.1).unwrap() - 0.25).abs() < 1e-12);
        assert_eq!(top_share(&scores, &[0.0; 10], 0.1), None);
    }

    #[test]
    fn beats_is_strict() {
        assert_eq!(beats(1.0, Some(2.0), 1.2), Some(true));
        assert_eq!(beats(2.0, Some(1.0), 1.2), Some(false));
        assert_eq!(beats(1.0, Some(3.0), 2.0), Some(false), "a tie is not a win");
        assert_eq!(beats(1.0, None, 1.2), None);
    }
}
