//! The latency distributions as a picture: one panel per metric, Rust and C as cumulative
//! distributions (the fraction of samples at or below each latency).

use crate::stats::{percentile, Samples};
use plotters::prelude::*;
use std::path::Path;

/// A font every Debian has (package `fonts-dejavu-core`, installed by scripts/setup-toolchain.sh).
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Draws `metrics` (in ns, shown in µs) into a PNG at `path`.
pub fn latencies(samples: &Samples, metrics: &[(&str, &str)], path: &Path) {
    let font = std::fs::read(FONT).unwrap_or_else(|e| panic!("{FONT}: {e}"));
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        Box::leak(font.into_boxed_slice()),
    )
    .map_err(|_| "not a usable font")
    .unwrap();
    let root = BitMapBackend::new(path, (1400, 1000)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let panels = root.split_evenly((2, 2));
    for (panel, (metric, title)) in panels.iter().zip(metrics) {
        let series: Vec<(&str, RGBColor, Vec<f64>)> = [("Rust", RED), ("C", BLUE)]
            .into_iter()
            .map(|(name, color)| {
                let mut v: Vec<f64> = samples
                    .get(&name.to_lowercase(), metric)
                    .iter()
                    .map(|ns| ns / 1000.0)
                    .collect();
                v.sort_by(f64::total_cmp);
                (name, color, v)
            })
            .collect();
        let all: Vec<f64> = series
            .iter()
            .flat_map(|(_, _, v)| v.iter().copied())
            .collect();
        if all.is_empty() {
            continue;
        }
        // The outliers beyond the 99.5th percentile would squeeze the rest into one column.
        let (lo, hi) = (percentile(&all, 0.0), percentile(&all, 99.5));
        let hi = if hi > lo { hi } else { lo + 1.0 };
        let mut chart = ChartBuilder::on(panel)
            .caption(format!("{title} (x clipped at p99.5)"), ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(lo..hi, 0.0..1.0)
            .unwrap();
        chart
            .configure_mesh()
            .x_desc("µs")
            .y_desc("fraction of samples ≤ x")
            .label_style(("sans-serif", 15))
            .draw()
            .unwrap();
        for (name, color, values) in series {
            let n = values.len() as f64;
            let points = values
                .iter()
                .enumerate()
                .map(|(i, &x)| (x.min(hi), (i + 1) as f64 / n));
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .unwrap()
                .label(format!("{name} ({} samples)", values.len()))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(("sans-serif", 16))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .unwrap();
    }
    root.present().unwrap();
}
