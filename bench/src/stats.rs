//! The samples by language and metric, and their percentiles.

use std::collections::BTreeMap;

/// All values of each (language, metric), pooled over rounds.
#[derive(Default, Clone)]
pub struct Samples(BTreeMap<(String, String), Vec<f64>>);

impl Samples {
    pub fn push(&mut self, language: &str, metric: &str, value: f64) {
        self.0
            .entry((language.to_owned(), metric.to_owned()))
            .or_default()
            .push(value);
    }

    /// The values of `metric` for `language` (empty if there are none).
    pub fn get(&self, language: &str, metric: &str) -> &[f64] {
        self.0
            .get(&(language.to_owned(), metric.to_owned()))
            .map_or(&[], Vec::as_slice)
    }
}

/// The `p`-th percentile of `values` (nearest rank; 100 is the maximum), NaN if empty.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&[7.0], 90.0), 7.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
