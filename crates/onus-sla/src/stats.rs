//! Order statistics and rounding used by every figure the crate reports.
//!
//! Percentiles are *nearest-rank* over values sorted ascending: the p-th percentile of `n`
//! values is the value at 1-based rank `ceil(p × n / 100)` (integer arithmetic, so no float
//! error can move the rank); the median is the 50th percentile (the lower median for even `n`).
//! Figures are rounded half away from zero to 2 decimals.

/// Round half away from zero to 2 decimals.
pub fn round2(v: f64) -> f64 {
    if !v.is_finite() {
        return 0.0;
    }
    (v * 100.0).round() / 100.0
}

/// Nearest-rank percentile `p` (0..=100) of `sorted` (ascending); `None` when empty.
pub fn nearest_rank(sorted: &[f64], p: u32) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let p = p.min(100) as usize;
    // ceil(p·n/100), at least rank 1.
    let rank = (p * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(nearest_rank(&v, 50), Some(5.0));
        assert_eq!(nearest_rank(&v, 90), Some(9.0));
        assert_eq!(nearest_rank(&v, 100), Some(10.0));
        assert_eq!(nearest_rank(&v, 0), Some(1.0));
        assert_eq!(nearest_rank(&[3.0], 90), Some(3.0));
        assert_eq!(nearest_rank(&[], 50), None);
        let v: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(nearest_rank(&v, 50), Some(6.0));
        assert_eq!(nearest_rank(&v, 90), Some(10.0));
    }

    #[test]
    fn rounding() {
        assert_eq!(round2(1.005_1), 1.01);
        assert_eq!(round2(2.0 / 3.0), 0.67);
        assert_eq!(round2(-0.125), -0.13);
        assert_eq!(round2(f64::NAN), 0.0);
    }
}
