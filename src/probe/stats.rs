//! Pure statistics for reconnect timings.

use super::model::Spread;

/// Nearest-rank percentiles; `None` for no samples.
pub fn spread(samples_ms: &[f64]) -> Option<Spread> {
    if samples_ms.is_empty() {
        return None;
    }
    let mut s = samples_ms.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = |p: f64| {
        let idx = ((p / 100.0) * s.len() as f64).ceil() as usize;
        s[idx.clamp(1, s.len()) - 1]
    };
    let round = |v: f64| (v * 100.0).round() / 100.0;
    Some(Spread {
        min_ms: round(s[0]),
        p50_ms: round(rank(50.0)),
        p95_ms: round(rank(95.0)),
        max_ms: round(s[s.len() - 1]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        let s = spread(&v).unwrap();
        assert_eq!(
            (s.min_ms, s.p50_ms, s.p95_ms, s.max_ms),
            (1.0, 10.0, 19.0, 20.0)
        );
        let s = spread(&[3.0]).unwrap();
        assert_eq!(
            (s.min_ms, s.p50_ms, s.p95_ms, s.max_ms),
            (3.0, 3.0, 3.0, 3.0)
        );
        assert!(spread(&[]).is_none());
        let s = spread(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((s.p50_ms, s.max_ms), (3.0, 5.0));
    }
}
