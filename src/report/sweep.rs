//! The page of a `comity sweep` folder: how one outcome moves with each varied parameter,
//! which parameters matter most (a tornado chart of the measure the design supports) and,
//! for a grid over two parameters, a heatmap of the outcome.
//!
//! plotters cannot give what it draws a `<title>` (a tooltip), so the marks that carry one
//! (dots, bars, heatmap cells) are written here as SVG elements, placed with the chart's own
//! coordinate mapping: the chart draws the text [`SPLICE`] where they belong in the drawing
//! order (above the bands, below the legend) and [`splice`] puts them there.

use super::{Frame, Labels, PALETTE, ReportError, Result, SIZE, XY, draw_err, escape, figure, frame, frame_on, page};
use crate::compare::short;
use crate::design::{Design, DesignKind};
use crate::output::num;
use crate::sensitivity;
use crate::sweep::{LensOutcome, MetricRef, SweepFolder};
use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

/// Bootstrap resamples of the Sobol and Morris intervals (`comity sensitivity`'s default, and
/// the same seed, so the page and that command give the same numbers).
const BOOTSTRAP: usize = 1000;
/// Bins of a parameter's range in the outcome charts. A parameter with at most
/// [`MAX_LEVELS`] distinct values (a grid's or Morris design's levels) is binned by value.
const BINS: usize = 10;
const MAX_LEVELS: usize = 12;
/// Above this many points the dots of a chart carry no tooltip, to keep the page small.
const MAX_TOOLTIPS: usize = 2000;
/// The text a chart draws where [`splice`] puts the marks with tooltips.
pub(super) const SPLICE: &str = "comity-splice-point";
/// Colour of a heatmap cell without a value.
const NO_VALUE: RGBColor = RGBColor(200, 200, 200);

/// The outcome a sweep page shows unless told otherwise: the first community's cohesion at
/// the end of the run (`system.cohesion` when the scenario defines no community).
pub fn default_metric(folder: &SweepFolder) -> MetricRef {
    let community = folder
        .manifest
        .scenario
        .communities
        .first()
        .map_or("system", String::as_str);
    MetricRef {
        community: community.to_string(),
        metric: "cohesion".to_string(),
        year: None,
    }
}

/// Replaces the [`SPLICE`] text element of `svg` with `elements`.
pub(super) fn splice(svg: String, elements: &str) -> Result<String> {
    let missing = || ReportError::Draw("a chart lost its place for tooltips".into());
    let at = svg.find(SPLICE).ok_or_else(missing)?;
    let start = svg[..at].rfind("<text").ok_or_else(missing)?;
    let end = svg[at..].find("</text>").ok_or_else(missing)? + at + "</text>".len();
    Ok(format!(
        "{}{elements}{}",
        &svg[..start],
        svg[end..].trim_start_matches('\n')
    ))
}

/// Draws the [`SPLICE`] text at the current place in the drawing order.
fn mark_splice(chart: &mut ChartContext<'_, SVGBackend<'_>, XY>, at: (f64, f64)) -> Result<()> {
    chart
        .draw_series(std::iter::once(Text::new(SPLICE, at, ("sans-serif", 1))))
        .map_err(draw_err)?;
    Ok(())
}

/// A parameter value in at most six significant digits, without trailing zeros: `0.5`,
/// `0.0366667`, `1200`.
fn tidy(x: f64) -> String {
    if !x.is_finite() || x == 0.0 || x.abs() >= 1e9 || x.abs() < 1e-6 {
        return num(Some(x));
    }
    let decimals = (5 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// Viridis (van der Walt & Smith, matplotlib): a sequential scale that stays readable for
/// colour-blind readers and in grey; `t` in 0..1, linear between nine stops.
fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 45, 123),
        (59, 82, 139),
        (44, 114, 142),
        (33, 145, 140),
        (40, 174, 128),
        (94, 201, 98),
        (173, 220, 48),
        (253, 231, 37),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let h = t * (STOPS.len() - 1) as f64;
    let k = (h.floor() as usize).min(STOPS.len() - 2);
    let f = h - k as f64;
    let mix = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
    let (a, b) = (STOPS[k], STOPS[k + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The `q` quantile of sorted values (Hyndman & Fan type 7, R's default); NaN for none.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q;
            let below = h.floor() as usize;
            let above = (below + 1).min(n - 1);
            sorted[below] + (h - below as f64) * (sorted[above] - sorted[below])
        }
    }
}

/// The distinct values of column `j` of the design, in increasing order.
fn levels(design: &Design, j: usize) -> Vec<f64> {
    let mut v: Vec<f64> = design
        .points
        .iter()
        .filter_map(|p| p.get(j).copied())
        .filter(|x| x.is_finite())
        .collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

/// The values of one bin of a parameter: runs (or point means) of the points inside it.
struct Bin {
    x: f64,
    mean: f64,
    p05: f64,
    p95: f64,
}

/// Bins the values of every point (`values[p]`) by the value of parameter `j`: by level when
/// it takes few values, else in [`BINS`] equal parts of its range. Empty bins are left out.
fn bins(design: &Design, j: usize, values: &[Vec<f64>]) -> Vec<Bin> {
    let lv = levels(design, j);
    let by_level = design.kind == DesignKind::Grid || lv.len() <= MAX_LEVELS;
    let (lo, hi) = match (lv.first(), lv.last()) {
        (Some(&a), Some(&b)) => (a, b),
        _ => return Vec::new(),
    };
    let n_bins = if by_level { lv.len() } else { BINS };
    let width = (hi - lo) / BINS as f64;
    let mut pooled: Vec<Vec<f64>> = vec![Vec::new(); n_bins];
    for (point, vals) in design.points.iter().zip(values) {
        let Some(&x) = point.get(j) else { continue };
        let k = if by_level {
            lv.iter().position(|&l| l == x)
        } else if width > 0.0 {
            Some((((x - lo) / width).floor().max(0.0) as usize).min(BINS - 1))
        } else {
            Some(0)
        };
        if let Some(k) = k {
            pooled[k].extend(vals.iter().copied().filter(|v| v.is_finite()));
        }
    }
    pooled
        .into_iter()
        .enumerate()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, mut v)| {
            v.sort_by(f64::total_cmp);
            Bin {
                x: if by_level { lv[k] } else { lo + (k as f64 + 0.5) * width },
                mean: v.iter().sum::<f64>() / v.len() as f64,
                p05: quantile(&v, 0.05),
                p95: quantile(&v, 0.95),
            }
        })
        .collect()
}

/// What the page shows: the folder, its outcome and how to label it.
struct Sweep<'a> {
    folder: &'a SweepFolder,
    metric: &'a MetricRef,
    /// `west.cohesion (end of run)`.
    label: String,
    /// Each lens's finite values per point: its runs where the folder has them, else its mean.
    values: Vec<Vec<Vec<f64>>>,
    by_runs: bool,
    /// The y range of every outcome chart, so that charts compare at a glance.
    y: (f64, f64),
}

/// The range of `values`, padded; a sensible range around a constant.
fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if lo > hi {
        (0.0, 1.0)
    } else if hi - lo < 1e-12 * lo.abs().max(1.0) {
        let pad = (lo.abs() * 0.05).max(0.01);
        (lo - pad, hi + pad)
    } else {
        let pad = (hi - lo) * 0.08;
        (lo - pad, hi + pad)
    }
}

/// The parameter values of a point, for tooltips.
fn point_text(design: &Design, p: usize) -> String {
    design
        .factors
        .iter()
        .zip(&design.points[p])
        .map(|(f, v)| format!("{} {}", f.name, num(Some(*v))))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The corner of an outcome chart where the legend covers the fewest bands and dots.
fn legend_corner(
    bins: &[Bin],
    dots: impl Iterator<Item = (f64, f64)>,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> SeriesLabelPosition {
    // The legend takes about the outer 40% of the width and 25% of the height.
    let (left, right) = (x0 + 0.4 * (x1 - x0), x1 - 0.4 * (x1 - x0));
    let (low, high) = (y0 + 0.25 * (y1 - y0), y1 - 0.25 * (y1 - y0));
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let inside_x = |x: f64, on_right: bool| if on_right { x >= right } else { x <= left };
    let overlaps_y = |a: f64, b: f64, top: bool| if top { b >= high } else { a <= low };
    let dots: Vec<(f64, f64)> = dots.collect();
    let mut best = (usize::MAX, SeriesLabelPosition::UpperRight);
    for (corner, on_right, top) in corners {
        let covered = bins
            .iter()
            .filter(|b| inside_x(b.x, on_right) && overlaps_y(b.p05.min(b.mean), b.p95.max(b.mean), top))
            .count()
            * 4
            + dots
                .iter()
                .filter(|&&(x, y)| inside_x(x, on_right) && overlaps_y(y, y, top))
                .count();
        if covered < best.0 {
            best = (covered, corner);
        }
    }
    best.1
}

/// The outcome of one lens against parameter `j`: point means as dots, the mean and the
/// 5-95% range of each bin as a line and a band.
fn outcome_chart(s: &Sweep<'_>, lens: usize, outcome: &LensOutcome, j: usize) -> Result<String> {
    let design = &s.folder.design;
    let factor = &design.factors[j];
    let colour = PALETTE[lens % PALETTE.len()];
    let bins = bins(design, j, &s.values[lens]);
    let by_level = design.kind == DesignKind::Grid || levels(design, j).len() <= MAX_LEVELS;
    let per = if by_level { "level" } else { "bin" };
    let (x0, x1) = {
        let xs = design.points.iter().filter_map(|p| p.get(j).copied());
        let (a, b) = xs.fold((factor.lo, factor.hi), |(a, b), x| (a.min(x), b.max(x)));
        let (a, b) = if a.is_finite() && b.is_finite() {
            (a, b)
        } else {
            (0.0, 1.0)
        };
        let pad = if b > a { (b - a) * 0.04 } else { 0.5 };
        (a - pad, b + pad)
    };
    let dots_xy = design
        .points
        .iter()
        .zip(&outcome.mean)
        .filter_map(|(p, &m)| Some((*p.get(j)?, m)));
    let legend = legend_corner(&bins, dots_xy, (x0, x1), s.y);
    let (y0, y1) = s.y;
    let title = format!("{} against {} ({})", s.metric, factor.name, outcome.lens);
    let mut dots = String::new();
    let svg = frame(
        Frame {
            title: &title,
            size: SIZE,
            x_desc: &factor.name,
            y_desc: &s.label,
            x: x0..x1,
            y: y0..y1,
            x_labels: Labels::Plain,
            y_labels: Labels::Plain,
            y_area: 64,
            top_area: 0,
            right_area: 0,
            legend: Some(legend),
        },
        |chart| {
            let mut area: Vec<(f64, f64)> = bins.iter().map(|b| (b.x, b.p95)).collect();
            area.extend(bins.iter().rev().map(|b| (b.x, b.p05)));
            let band = if s.by_runs {
                format!("5-95% of the runs in each {per}")
            } else {
                format!("5-95% of the point means in each {per}")
            };
            chart
                .draw_series(std::iter::once(Polygon::new(area, colour.mix(0.18))))
                .map_err(draw_err)?
                .label(band)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], colour.mix(0.18).filled()));
            chart
                .draw_series(LineSeries::new(
                    bins.iter().map(|b| (b.x, b.mean)),
                    colour.stroke_width(2),
                ))
                .map_err(draw_err)?
                .label(format!("mean of each {per}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
            mark_splice(chart, (x0, y0))?;
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(draw_err)?
                .label("point means")
                .legend(move |(x, y)| Circle::new((x + 10, y), 3, colour.mix(0.6).filled()));
            let tips = design.points.len() <= MAX_TOOLTIPS;
            for (p, (point, &mean)) in design.points.iter().zip(&outcome.mean).enumerate() {
                let Some(&x) = point.get(j) else { continue };
                if !mean.is_finite() {
                    continue;
                }
                let (px, py) = chart.backend_coord(&(x, mean));
                write!(
                    dots,
                    "<circle cx=\"{px}\" cy=\"{py}\" r=\"3\" fill=\"{}\" fill-opacity=\"0.6\" stroke=\"none\">",
                    hex(colour)
                )
                .ok();
                if tips {
                    let runs = s.values[lens][p].len();
                    write!(
                        dots,
                        "<title>point {p}: {}; mean {} ({} {})</title>",
                        escape(&point_text(design, p)),
                        num(Some(mean)),
                        runs,
                        if s.by_runs { "runs" } else { "value" }
                    )
                    .ok();
                }
                dots.push_str("</circle>\n");
            }
            Ok(())
        },
    )?;
    splice(svg, &dots)
}

/// One parameter's bar in a tornado chart and its row in the table.
struct Bar {
    factor: String,
    value: f64,
    lo: f64,
    hi: f64,
    colour: RGBColor,
    /// The table cells after the parameter's name.
    cells: Vec<String>,
}

/// A sensitivity measure of one lens, as the design allows.
struct Analysis {
    /// `total Sobol index ST`.
    measure: &'static str,
    axis: &'static str,
    /// Table columns after `lens` and `parameter`.
    columns: &'static [&'static str],
    bars: Vec<Bar>,
    /// What the chart's legend says about the colours and whiskers.
    legend: Vec<(&'static str, RGBColor, bool)>,
    note: String,
}

fn interval(lo: f64, hi: f64) -> String {
    format!("[{}, {}]", short(lo), short(hi))
}

/// The sensitivity measure of the design: total Sobol indices, Morris mu* or |SRC|.
fn analyse(design: &Design, y: &[f64]) -> std::result::Result<Analysis, String> {
    let seed = design.seed;
    let blue = PALETTE[0];
    let mut a = match design.kind {
        DesignKind::Sobol => {
            let rows = sensitivity::sobol(design, y, BOOTSTRAP, seed).map_err(|e| e.to_string())?;
            let sum: f64 = rows.iter().map(|r| r.first.estimate).sum();
            Analysis {
                measure: "total Sobol index ST",
                axis: "ST: share of the variance due to the parameter, interactions included",
                columns: &["ST", "95% interval", "S1", "95% interval"],
                bars: rows
                    .iter()
                    .map(|r| Bar {
                        factor: r.factor.clone(),
                        value: r.total.estimate,
                        lo: r.total.lo,
                        hi: r.total.hi,
                        colour: blue,
                        cells: vec![
                            short(r.total.estimate),
                            interval(r.total.lo, r.total.hi),
                            short(r.first.estimate),
                            interval(r.first.lo, r.first.hi),
                        ],
                    })
                    .collect(),
                legend: vec![("95% bootstrap interval", BLACK, true)],
                note: format!(
                    "Total indices (Jansen) with 95% bootstrap intervals ({BOOTSTRAP} resamples); first order S1 \
                     (Saltelli 2010) in the table. Sum of S1 {}: 1 - sum is the share of variance from interactions.",
                    short(sum)
                ),
            }
        }
        DesignKind::Morris => {
            let rows = sensitivity::morris(design, y, BOOTSTRAP, seed).map_err(|e| e.to_string())?;
            Analysis {
                measure: "Morris mu*",
                axis: "mu*: mean absolute elementary effect per whole range",
                columns: &["mu*", "95% interval", "mu", "sigma"],
                bars: rows
                    .iter()
                    .map(|r| Bar {
                        factor: r.factor.clone(),
                        value: r.mu_star,
                        lo: r.mu_star_lo,
                        hi: r.mu_star_hi,
                        colour: blue,
                        cells: vec![
                            short(r.mu_star),
                            interval(r.mu_star_lo, r.mu_star_hi),
                            short(r.mu),
                            short(r.sigma),
                        ],
                    })
                    .collect(),
                legend: vec![("95% bootstrap interval", BLACK, true)],
                note: format!(
                    "mu*: the mean absolute change of the outcome when the parameter moves across its whole range \
                     (elementary effects, Morris 1991; Campolongo et al. 2007), with a 95% bootstrap interval \
                     ({BOOTSTRAP} resamples). mu: the mean signed effect; sigma: how much the effect varies \
                     (nonlinearity or interactions)."
                ),
            }
        }
        _ => {
            let (rows, r2) = sensitivity::regression(design, y).map_err(|e| e.to_string())?;
            Analysis {
                measure: "|SRC|",
                axis: "|SRC|: standardised regression coefficient",
                columns: &["SRC", "PRCC", "PRCC p"],
                bars: rows
                    .iter()
                    .map(|r| Bar {
                        factor: r.factor.clone(),
                        value: r.src.abs(),
                        lo: f64::NAN,
                        hi: f64::NAN,
                        colour: if r.src >= 0.0 { blue } else { PALETTE[5] },
                        cells: vec![
                            short(r.src),
                            short(r.prcc),
                            r.prcc_p.map_or("-".to_string(), |p| match p {
                                0.0 => "0".to_string(),
                                p if p < 0.001 => format!("{p:.1e}"),
                                p => short(p),
                            }),
                        ],
                    })
                    .collect(),
                legend: vec![
                    ("raises the outcome (SRC > 0)", blue, false),
                    ("lowers it (SRC < 0)", PALETTE[5], false),
                ],
                note: format!(
                    "Standardised regression coefficients of the point means on the parameters (R\u{b2} of the linear fit \
                     {}: near 1, SRC\u{b2} is the parameter's share of the variance) and partial rank correlations (PRCC).",
                    short(r2)
                ),
            }
        }
    };
    a.bars.sort_by(|x, y| {
        let key = |b: &Bar| {
            if b.value.is_finite() {
                b.value
            } else {
                f64::NEG_INFINITY
            }
        };
        key(y).total_cmp(&key(x))
    });
    Ok(a)
}

/// Horizontal bars of the measure, largest at the top, with intervals as whiskers.
fn tornado(title: &str, a: &Analysis) -> Result<String> {
    let n = a.bars.len().max(1);
    let finite = |v: f64| v.is_finite().then_some(v);
    let lowest = a
        .bars
        .iter()
        .filter_map(|b| finite(b.lo).or(finite(b.value)))
        .fold(0.0f64, f64::min);
    let highest = a
        .bars
        .iter()
        .filter_map(|b| finite(b.hi).into_iter().chain(finite(b.value)).reduce(f64::max))
        .fold(0.0f64, f64::max);
    // Every measure 0 (the outcome does not move): an axis from 0 to 1 rather than to 1e-9.
    let span = if highest - lowest > 1e-12 {
        highest - lowest
    } else {
        1.0
    };
    let (x0, x1) = (
        lowest - if lowest < 0.0 { span * 0.05 } else { 0.0 },
        lowest + span * 1.18,
    );
    let height = (90 + 34 * n as u32).max(200);
    let row = |k: usize| (n - 1 - k) as f64;
    let mut marks = String::new();
    let svg = frame(
        Frame {
            title,
            size: (SIZE.0, height),
            x_desc: a.axis,
            y_desc: "",
            x: x0..x1,
            y: -0.5..(n as f64 - 0.5),
            x_labels: Labels::Plain,
            y_labels: Labels::None,
            y_area: 210,
            top_area: 0,
            right_area: 0,
            legend: Some(SeriesLabelPosition::LowerRight),
        },
        |chart| {
            mark_splice(chart, (x0, -0.5))?;
            for (k, b) in a.bars.iter().enumerate() {
                let y = row(k);
                let (lx, ly) = chart.backend_coord(&(x0, y));
                writeln!(
                    marks,
                    "<text x=\"{}\" y=\"{ly}\" dy=\"0.5ex\" text-anchor=\"end\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#222222\">{}</text>",
                    lx - 8,
                    escape(&b.factor)
                )
                .ok();
                if !b.value.is_finite() {
                    continue;
                }
                let (ax, ay) = chart.backend_coord(&(0.0f64.max(x0), y + 0.32));
                let (bx, by) = chart.backend_coord(&(b.value, y - 0.32));
                let mut tip = format!("{}: {} {}", b.factor, a.measure, num(Some(b.value)));
                if b.lo.is_finite() && b.hi.is_finite() {
                    write!(tip, ", 95% interval {}", interval(b.lo, b.hi)).ok();
                }
                writeln!(
                    marks,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" fill-opacity=\"0.85\" stroke=\"none\"><title>{}</title></rect>",
                    ax.min(bx),
                    ay.min(by),
                    (bx - ax).abs().max(1),
                    (by - ay).abs().max(1),
                    hex(b.colour),
                    escape(&tip)
                )
                .ok();
                let end = if b.hi.is_finite() { b.hi.max(b.value) } else { b.value };
                let (tx, ty) = chart.backend_coord(&(end, y));
                writeln!(
                    marks,
                    "<text x=\"{}\" y=\"{ty}\" dy=\"0.5ex\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#444444\">{}</text>",
                    tx + 6,
                    escape(&short(b.value))
                )
                .ok();
            }
            if x0 < 0.0 {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
                        BLACK.mix(0.5),
                    )))
                    .map_err(draw_err)?;
            }
            for (k, b) in a.bars.iter().enumerate() {
                if !(b.lo.is_finite() && b.hi.is_finite()) {
                    continue;
                }
                let y = row(k);
                let whisker = |x: f64| PathElement::new(vec![(x, y - 0.12), (x, y + 0.12)], BLACK.stroke_width(1));
                chart
                    .draw_series([
                        PathElement::new(vec![(b.lo, y), (b.hi, y)], BLACK.stroke_width(1)),
                        whisker(b.lo),
                        whisker(b.hi),
                    ])
                    .map_err(draw_err)?;
            }
            for &(label, colour, line) in &a.legend {
                let anno = chart
                    .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
                    .map_err(draw_err)?
                    .label(label);
                if line {
                    anno.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(1)));
                } else {
                    anno.legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled()));
                }
            }
            Ok(())
        },
    )?;
    splice(svg, &marks)
}

/// A two-parameter grid's outcome means: one cell per pair of levels, with a colour scale.
/// Returns the chart and the cells' values, rows from the top (highest level of the second
/// parameter) down.
fn heatmap(s: &Sweep<'_>, outcome: &LensOutcome) -> Result<(String, Vec<Vec<f64>>)> {
    let design = &s.folder.design;
    let (lx, ly) = (levels(design, 0), levels(design, 1));
    let (nx, ny) = (lx.len().max(1), ly.len().max(1));
    // cells[i][j]: sum and count of the means at level i of the first and j of the second
    let mut cells = vec![vec![(0.0f64, 0usize, Vec::new()); ny]; nx];
    for (p, (point, &mean)) in design.points.iter().zip(&outcome.mean).enumerate() {
        let (Some(i), Some(j)) = (
            point.first().and_then(|x| lx.iter().position(|l| l == x)),
            point.get(1).and_then(|y| ly.iter().position(|l| l == y)),
        ) else {
            continue;
        };
        cells[i][j].2.push(p);
        if mean.is_finite() {
            cells[i][j].0 += mean;
            cells[i][j].1 += 1;
        }
    }
    let value = |i: usize, j: usize| {
        let (sum, n, _) = &cells[i][j];
        if *n > 0 { sum / *n as f64 } else { f64::NAN }
    };
    let (vmin, vmax) = (0..nx)
        .flat_map(|i| (0..ny).map(move |j| (i, j)))
        .map(|(i, j)| value(i, j))
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let (c0, c1) = if vmin > vmax {
        (0.0, 1.0)
    } else if vmax - vmin < 1e-12 * vmin.abs().max(1.0) {
        let pad = (vmin.abs() * 0.05).max(0.01);
        (vmin - pad, vmax + pad)
    } else {
        (vmin, vmax)
    };
    let scale = |v: f64| (v - c0) / (c1 - c0);
    let (fx, fy) = (&design.factors[0].name, &design.factors[1].name);
    let title = format!("{} by {fx} and {fy} ({})", s.metric, outcome.lens);
    let size = (SIZE.0, (120 + 34 * ny as u32).clamp(300, 640));
    let mut marks = String::new();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let (left, right) = root.split_horizontally(size.0 - 120);
        frame_on(
            &left,
            Frame {
                title: &title,
                size,
                x_desc: fx,
                y_desc: fy,
                x: -0.5..(nx as f64 - 0.5),
                y: -0.5..(ny as f64 - 0.5),
                x_labels: Labels::None,
                y_labels: Labels::None,
                y_area: 80,
                top_area: 0,
                right_area: 0,
                legend: None,
            },
            |chart| {
                mark_splice(chart, (-0.5, -0.5))?;
                let (ax, ay) = chart.backend_coord(&(-0.5, -0.5));
                let (bx, by) = chart.backend_coord(&(0.5, 0.5));
                let (cw, ch) = ((bx - ax).abs(), (by - ay).abs());
                let numbers = cw >= 46 && ch >= 16;
                for (i, &xl) in lx.iter().enumerate() {
                    let (px, py) = chart.backend_coord(&(i as f64, -0.5));
                    writeln!(
                        marks,
                        "<text x=\"{px}\" y=\"{}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#222222\">{}</text>",
                        py + 14,
                        escape(&tidy(xl))
                    )
                    .ok();
                }
                for (j, &yl) in ly.iter().enumerate() {
                    let (px, py) = chart.backend_coord(&(-0.5, j as f64));
                    writeln!(
                        marks,
                        "<text x=\"{}\" y=\"{py}\" dy=\"0.5ex\" text-anchor=\"end\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#222222\">{}</text>",
                        px - 6,
                        escape(&tidy(yl))
                    )
                    .ok();
                }
                for i in 0..lx.len() {
                    for j in 0..ly.len() {
                        let v = value(i, j);
                        let (ax, ay) = chart.backend_coord(&(i as f64 - 0.5, j as f64 + 0.5));
                        let (bx, by) = chart.backend_coord(&(i as f64 + 0.5, j as f64 - 0.5));
                        let fill = if v.is_finite() { viridis(scale(v)) } else { NO_VALUE };
                        let points = &cells[i][j].2;
                        let tip = format!(
                            "{fx} {}, {fy} {}: {} {} (point{} {})",
                            num(Some(lx[i])),
                            num(Some(ly[j])),
                            s.metric,
                            if v.is_finite() { num(Some(v)) } else { "no value".into() },
                            if points.len() == 1 { "" } else { "s" },
                            points.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
                        );
                        writeln!(
                            marks,
                            "<rect class=\"cell\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#FFFFFF\"><title>{}</title></rect>",
                            ax.min(bx),
                            ay.min(by),
                            (bx - ax).abs(),
                            (by - ay).abs(),
                            hex(fill),
                            escape(&tip)
                        )
                        .ok();
                        if numbers && v.is_finite() {
                            let ink = if scale(v) < 0.6 { "#FFFFFF" } else { "#000000" };
                            writeln!(
                                marks,
                                "<text x=\"{}\" y=\"{}\" dy=\"0.5ex\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"11\" fill=\"{ink}\" pointer-events=\"none\">{}</text>",
                                (ax + bx) / 2,
                                (ay + by) / 2,
                                escape(&short(v))
                            )
                            .ok();
                        }
                    }
                }
                Ok(())
            },
        )?;
        // The colour scale: a bar of the scale with the outcome's values on its right.
        let mut bar = ChartBuilder::on(&right)
            .margin(12)
            .margin_top(42)
            .x_label_area_size(40)
            .right_y_label_area_size(64)
            .build_cartesian_2d(0.0..1.0, super::drawable(c0..c1))
            .map_err(draw_err)?;
        bar.configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .y_labels(6)
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(draw_err)?;
        const STEPS: usize = 64;
        let step = (c1 - c0) / STEPS as f64;
        bar.draw_series((0..STEPS).map(|k| {
            let lo = c0 + k as f64 * step;
            Rectangle::new(
                [(0.0, lo), (1.0, lo + step)],
                viridis((k as f64 + 0.5) / STEPS as f64).filled(),
            )
        }))
        .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    let rows = (0..ly.len())
        .rev()
        .map(|j| (0..lx.len()).map(|i| value(i, j)).collect())
        .collect();
    Ok((splice(svg, &marks)?, rows))
}

/// A line of a design's description: `sobol design (Saltelli scheme, N = 64 base samples)`.
fn design_text(design: &Design) -> String {
    match design.kind {
        DesignKind::Grid => format!(
            "full grid ({} levels)",
            (0..design.factors.len())
                .map(|j| levels(design, j).len().to_string())
                .collect::<Vec<_>>()
                .join(" x ")
        ),
        DesignKind::Lhs => format!("Latin hypercube ({} samples)", design.samples),
        DesignKind::Sobol => format!("Sobol sequence, Saltelli scheme (N = {} base samples)", design.samples),
        DesignKind::Morris => format!(
            "Morris trajectories (r = {}, {} levels)",
            design.samples, design.morris_levels
        ),
        DesignKind::File => "points read from a design file".to_string(),
    }
}

fn anchor(text: &str) -> String {
    text.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
}

/// Builds the HTML page of a sweep folder for one outcome (`metric`, default: [`default_metric`]).
pub fn build_sweep(dir: &Path, metric: Option<&MetricRef>) -> Result<String> {
    let folder = SweepFolder::open(dir)?;
    let metric = metric.cloned().unwrap_or_else(|| default_metric(&folder));
    let outcomes = folder.outcome(&metric)?;
    let design = &folder.design;
    let manifest = &folder.manifest;
    let by_runs = outcomes.iter().all(|o| o.runs.is_some());
    let values: Vec<Vec<Vec<f64>>> = outcomes
        .iter()
        .map(|o| match (&o.runs, by_runs) {
            (Some(runs), true) => runs
                .iter()
                .map(|r| r.iter().copied().filter(|v| v.is_finite()).collect())
                .collect(),
            _ => o
                .mean
                .iter()
                .map(|&m| [m].into_iter().filter(|v| v.is_finite()).collect())
                .collect(),
        })
        .collect();
    let when = match metric.year {
        Some(y) => format!("in {y}"),
        None => format!(
            "at the end of the run ({})",
            if manifest.scenario.end.is_empty() {
                "?"
            } else {
                &manifest.scenario.end
            }
        ),
    };
    let label = match metric.year {
        Some(y) => format!("{} in {y}", metric.column()),
        None => format!("{} (end of run)", metric.column()),
    };
    // One y range for every outcome chart: the band of every bin and every point mean.
    let y = padded_range((0..outcomes.len()).flat_map(|l| {
        let v = &values[l];
        let o = &outcomes[l];
        (0..design.factors.len())
            .flat_map(move |j| bins(design, j, v).into_iter().flat_map(|b| [b.p05, b.p95]))
            .chain(o.mean.iter().copied())
    }));
    let s = Sweep {
        folder: &folder,
        metric: &metric,
        label,
        values,
        by_runs,
        y,
    };
    let name = if manifest.scenario.name.is_empty() {
        "comity sweep"
    } else {
        &manifest.scenario.name
    };
    let mut body = String::new();
    let mut toc = String::new();
    writeln!(body, "<h1>{}: parameter sweep</h1>", escape(name)).ok();
    writeln!(
        body,
        "<p class=\"meta\">Sweep folder <code>{}</code>: {} design, {}; {} points x {} runs per point x {} lens(es) ({}), seed {}, comity {}.</p>",
        escape(&dir.display().to_string()),
        design.kind.name(),
        escape(&design_text(design)),
        design.points.len(),
        folder.runs,
        folder.lenses.len(),
        escape(&folder.lenses.join(", ")),
        manifest.seed,
        escape(if manifest.comity_version.is_empty() {
            "?"
        } else {
            &manifest.comity_version
        })
    )
    .ok();
    body.push_str(
        "<table class=\"factors\"><thead><tr><th>varied parameter</th><th>from</th><th>to</th><th>values</th></tr></thead><tbody>\n",
    );
    for (j, f) in design.factors.iter().enumerate() {
        writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&f.name),
            escape(&tidy(f.lo)),
            escape(&tidy(f.hi)),
            levels(design, j).len()
        )
        .ok();
    }
    body.push_str("</tbody></table>\n");
    writeln!(
        body,
        "<p>Outcome: <b>{}</b>, {when}; a point's outcome is the mean of its {} runs. \
         (Another outcome: <code>comity report {} --metric COMMUNITY.METRIC[@YEAR]</code>.)</p>",
        escape(&metric.to_string()),
        folder.runs,
        escape(&dir.display().to_string())
    )
    .ok();

    // Which parameters matter.
    writeln!(toc, "<li><a href=\"#sensitivity\">Sensitivity</a></li>").ok();
    body.push_str("<section id=\"sensitivity\"><h2>Which parameters matter</h2>\n");
    let mut table: Vec<(String, Analysis)> = Vec::new();
    for o in &outcomes {
        let missing = o.mean.iter().position(|v| !v.is_finite());
        let analysis = match missing {
            Some(p) => Err(format!(
                "{metric} has no value at point {p} (no run defined it); choose a metric every run defines"
            )),
            None => analyse(design, &o.mean),
        };
        match analysis {
            Ok(a) => {
                let title = format!(
                    "{} of {metric}, {}{}",
                    capitalise(a.measure),
                    o.lens,
                    if a.bars.iter().any(|b| b.lo.is_finite()) {
                        " (95% intervals)"
                    } else {
                        ""
                    }
                );
                let svg = tornado(&title, &a)?;
                figure(&mut body, &svg, &a.note);
                table.push((o.lens.clone(), a));
            }
            Err(e) => {
                writeln!(
                    body,
                    "<p class=\"meta\">No sensitivity measure under {}: {}</p>",
                    escape(&o.lens),
                    escape(&e)
                )
                .ok();
            }
        }
    }
    if let Some((_, first)) = table.first() {
        body.push_str("<table class=\"indices\"><thead><tr><th>lens</th><th>parameter</th>");
        for c in first.columns {
            write!(body, "<th>{}</th>", escape(c)).ok();
        }
        body.push_str("</tr></thead><tbody>\n");
        for (lens, a) in &table {
            for b in &a.bars {
                write!(body, "<tr><td>{}</td><td>{}</td>", escape(lens), escape(&b.factor)).ok();
                for c in &b.cells {
                    write!(body, "<td>{}</td>", escape(c)).ok();
                }
                body.push_str("</tr>\n");
            }
        }
        body.push_str("</tbody></table>\n");
    }
    body.push_str("</section>\n");

    // The outcome against each parameter.
    let (spread, no_runs) = if by_runs {
        ("runs", "")
    } else {
        (
            "point means",
            " (The folder has no per-run values of this metric in this year: sweep with --at-years for bands over runs.)",
        )
    };
    for (l, o) in outcomes.iter().enumerate() {
        let id = format!("outcome-{}", anchor(&o.lens));
        writeln!(toc, "<li><a href=\"#{id}\">Outcome ({})</a></li>", escape(&o.lens)).ok();
        writeln!(
            body,
            "<section id=\"{id}\"><h2>{} against each parameter ({})</h2>",
            escape(&metric.to_string()),
            escape(&o.lens)
        )
        .ok();
        for j in 0..design.factors.len() {
            let svg = outcome_chart(&s, l, o, j)?;
            figure(
                &mut body,
                &svg,
                &format!(
                    "Dots: each point's mean (hover for its parameters). Line and band: the mean and the 5-95% range of the {spread} in each bin of {} (a grid's levels are its bins); the other parameters vary within a bin. Every outcome chart has the same y axis.{no_runs}",
                    design.factors[j].name
                ),
            );
        }
        body.push_str("</section>\n");
    }

    // A two-parameter grid as a heatmap.
    if design.kind == DesignKind::Grid && design.factors.len() == 2 {
        writeln!(toc, "<li><a href=\"#heatmap\">Heatmap</a></li>").ok();
        body.push_str("<section id=\"heatmap\"><h2>Heatmap</h2>\n");
        let (lx, ly) = (levels(design, 0), levels(design, 1));
        let (fx, fy) = (&design.factors[0].name, &design.factors[1].name);
        for o in &outcomes {
            let (svg, rows) = heatmap(&s, o)?;
            figure(
                &mut body,
                &svg,
                &format!(
                    "Mean {metric} per grid cell under {} (hover a cell for its exact value); colour scale on the right (viridis).",
                    o.lens
                ),
            );
            write!(
                body,
                "<table class=\"heatmap\"><thead><tr><th>{} \\ {}</th>",
                escape(fy),
                escape(fx)
            )
            .ok();
            for x in &lx {
                write!(body, "<th>{}</th>", escape(&tidy(*x))).ok();
            }
            body.push_str("</tr></thead><tbody>\n");
            for (row, yv) in rows.iter().zip(ly.iter().rev()) {
                write!(body, "<tr><th>{}</th>", escape(&tidy(*yv))).ok();
                for v in row {
                    write!(body, "<td>{}</td>", escape(&short(*v))).ok();
                }
                body.push_str("</tr>\n");
            }
            body.push_str("</tbody></table>\n");
        }
        body.push_str("</section>\n");
    }

    // The numbers behind the dots.
    writeln!(toc, "<li><a href=\"#points\">Point means</a></li>").ok();
    writeln!(
        body,
        "<section id=\"points\"><h2>Point means</h2><details{}><summary>{} points: parameters and the mean {metric} of each lens</summary>",
        if design.points.len() <= 30 { " open=\"open\"" } else { "" },
        design.points.len()
    )
    .ok();
    body.push_str("<table class=\"points\"><thead><tr><th>point</th>");
    for f in &design.factors {
        write!(body, "<th>{}</th>", escape(&f.name)).ok();
    }
    for o in &outcomes {
        write!(body, "<th>{}</th>", escape(&o.lens)).ok();
    }
    body.push_str("</tr></thead><tbody>\n");
    for (p, point) in design.points.iter().enumerate() {
        write!(body, "<tr><td>{p}</td>").ok();
        for v in point {
            write!(body, "<td>{}</td>", escape(&tidy(*v))).ok();
        }
        for o in &outcomes {
            write!(
                body,
                "<td>{}</td>",
                escape(&short(o.mean.get(p).copied().unwrap_or(f64::NAN)))
            )
            .ok();
        }
        body.push_str("</tr>\n");
    }
    body.push_str("</tbody></table></details></section>\n");
    Ok(page(&format!("{name}: parameter sweep"), &toc, &body))
}

fn capitalise(text: &str) -> String {
    let mut c = text.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_runs_from_purple_to_yellow() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(f64::NAN), RGBColor(68, 1, 84));
        assert_eq!(viridis(2.0), RGBColor(253, 231, 37));
    }

    #[test]
    fn splice_replaces_the_placeholder_text() {
        let svg = format!("<svg><rect/>\n<text x=\"1\">\n{SPLICE}\n</text>\n<text>legend</text></svg>");
        let out = splice(svg, "<circle/>\n").unwrap();
        assert_eq!(out, "<svg><rect/>\n<circle/>\n<text>legend</text></svg>");
        assert!(splice("<svg/>".into(), "").is_err());
    }

    #[test]
    fn tidy_numbers() {
        assert_eq!(tidy(0.5), "0.5");
        assert_eq!(tidy(2.0), "2");
        assert_eq!(tidy(0.03666666666666667), "0.0366667");
        assert_eq!(tidy(1234.5678), "1234.57");
        assert_eq!(tidy(0.0), "0");
        assert_eq!(tidy(-0.25), "-0.25");
    }

    #[test]
    fn quantiles_and_padded_ranges() {
        assert!(quantile(&[], 0.5).is_nan());
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.5), 3.0);
        assert!((quantile(&[0.0, 10.0], 0.05) - 0.5).abs() < 1e-12);
        assert_eq!(padded_range(std::iter::empty()), (0.0, 1.0));
        let (a, b) = padded_range([0.5, 0.5].into_iter());
        assert!(a < 0.5 && b > 0.5);
        let (a, b) = padded_range([0.0, 1.0, f64::NAN].into_iter());
        assert!((a + 0.08).abs() < 1e-12 && (b - 1.08).abs() < 1e-12);
    }
}
