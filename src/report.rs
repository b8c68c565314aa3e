//! `report.html`: the charts people would rather look at than read.
//!
//! Every chart is drawn with plotters' SVG backend into a string and inlined in
//! one self-contained page: nothing is fetched from the network and no system
//! font library is needed (text is left to the browser). The page is
//! well-formed XHTML, so any XML parser can check it. Colours follow the
//! Okabe-Ito palette, which stays distinguishable for colour-blind readers.
//!
//! A `comity run` folder gets charts over time ([`build`]); a `comity sweep` folder gets
//! charts over the varied parameters ([`build_sweep`], in `report/sweep.rs`).

use crate::compare::{self, Comparison, OutputSet, short};
use crate::results::{self, LensRuns, Manifest, PerRun, PerRunFile, Summaries, SummaryFile, SummaryRow};
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use thiserror::Error;

mod backtest;
mod sweep;
use sweep::SPLICE;
pub use sweep::{build_sweep, default_metric};

#[derive(Debug, Error)]
pub enum ReportError {
    #[error("{0}")]
    Input(String),
    /// A sweep folder or metric that cannot be used, with a hint on how to fix it.
    #[error("{message}")]
    Data { message: String, hint: Option<String> },
    #[error(transparent)]
    Compare(#[from] compare::CompareError),
    /// An output file that cannot be read, or a cell that is not a finite number.
    #[error(transparent)]
    File(#[from] results::FileError),
    #[error("drawing a chart failed: {0}")]
    Draw(String),
}

impl From<crate::sweep::ReadError> for ReportError {
    fn from(e: crate::sweep::ReadError) -> Self {
        ReportError::Data {
            message: e.message,
            hint: e.hint,
        }
    }
}

type Result<T> = std::result::Result<T, ReportError>;

/// Okabe & Ito (2008) colours, in the order lenses and series take them.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 0, 0),       // black
];
/// Colours of the hostility levels: threat, display, use of force, war.
const LEVEL_COLOURS: [RGBColor; 4] = [PALETTE[4], PALETTE[2], PALETTE[1], PALETTE[5]];
const SIZE: (u32, u32) = (760, 380);
/// Size of the charts over years: wide enough for a legend right of the plot.
const YEAR_SIZE: (u32, u32) = (900, 400);
/// Width of the area right of a chart over years, for its legend.
const LEGEND_W: u32 = 170;
/// Font size (px) and row height of the event numbers above a chart.
const MARK_FONT: f64 = 11.0;
const MARK_ROW: u32 = 13;

/// `runs.csv` of a run folder: its value columns and lens -> run -> values.
struct Runs {
    columns: Vec<String>,
    runs: LensRuns,
}

impl Runs {
    fn read(dir: &Path) -> Result<Runs> {
        let path = dir.join(results::RUNS);
        if !path.exists() {
            return Err(ReportError::Input(format!(
                "{} has no runs.csv: give an output folder written by `comity run`",
                dir.display()
            )));
        }
        let table = PerRun::open(&path, PerRunFile::Runs)?;
        if table.is_sweep() {
            return Err(ReportError::Input(format!(
                "{} belongs to a sweep (`comity sweep`), but {} is missing or not a sweep's: rerun the sweep",
                path.display(),
                dir.join(results::MANIFEST).display()
            )));
        }
        let by_run = table.by_run()?;
        let columns = by_run.columns.clone();
        let runs = by_run.by_lens();
        if runs.is_empty() {
            return Err(ReportError::Input(format!("{} has no runs", path.display())));
        }
        Ok(Runs { columns, runs })
    }
}

/// One row of timeseries.csv that the report uses.
#[derive(Clone, Debug)]
struct Point {
    x: f64,
    /// The tick's label (`2017`, `2017-Q2`), for tooltips.
    date: String,
    mean: f64,
    p05: f64,
    p95: f64,
}

/// (lens, community, metric) -> points in tick order.
type Series = BTreeMap<(String, String, String), Vec<Point>>;
/// The coordinates of every chart: f64 on both axes.
type XY = Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>;

/// A scripted event (or several on the same month) to mark on the time axis.
#[derive(Clone, Debug)]
pub struct Marker {
    pub x: f64,
    /// `2018-06`.
    pub date: String,
    pub label: String,
}

/// Decimal year of a timeseries date label: `2017`, `2017-Q2` or `2017-04`.
/// Only the labels comity writes are dates: a year in 0..=9999 (as in scenario files), a quarter
/// 1-4, a month 1-12. `inf` or `1e308` in an edited file stretched the time axis without end.
pub fn decimal_year(date: &str) -> Option<f64> {
    let year = |y: &str| {
        y.parse::<i64>()
            .ok()
            .filter(|y| (0..=9999).contains(y))
            .map(|y| y as f64)
    };
    let part = |p: &str, max: i64| {
        p.parse::<i64>()
            .ok()
            .filter(|p| (1..=max).contains(p))
            .map(|p| p as f64)
    };
    if let Some((y, q)) = date.split_once("-Q") {
        return Some(year(y)? + (part(q, 4)? - 1.0) / 4.0);
    }
    if let Some((y, m)) = date.split_once('-') {
        return Some(year(y)? + (part(m, 12)? - 1.0) / 12.0);
    }
    year(date)
}

/// A summary file read for charts: its series, and its lenses and groups (communities or
/// pairs) in the order they first appear.
struct SeriesFile {
    series: Series,
    lenses: Vec<String>,
    groups: Vec<String>,
    /// `pairs.csv`: each pair's two states.
    states: BTreeMap<String, (String, String)>,
}

/// Reads `timeseries.csv` or `pairs.csv` (through [`results::Summaries`], which refuses a cell
/// that is not a finite number, naming its line and column).
fn read_series(path: &Path, file: SummaryFile) -> Result<SeriesFile> {
    let mut out = SeriesFile {
        series: BTreeMap::new(),
        lenses: Vec::new(),
        groups: Vec::new(),
        states: BTreeMap::new(),
    };
    Summaries::open(path, file)?.each(|r: &SummaryRow<'_>| -> Result<()> {
        let x = decimal_year(r.date)
            .ok_or_else(|| ReportError::Input(format!("{}: bad date {}", path.display(), r.date)))?;
        if !out.lenses.iter().any(|l| l == r.lens) {
            out.lenses.push(r.lens.to_string());
        }
        if !out.groups.iter().any(|c| c == r.group) {
            out.groups.push(r.group.to_string());
        }
        if let Some((a, b)) = r.states {
            out.states
                .entry(r.group.to_string())
                .or_insert_with(|| (a.to_string(), b.to_string()));
        }
        // An empty cell is an undefined value (no run had one): no point on the line.
        let undefined = f64::NAN;
        out.series
            .entry((r.lens.to_string(), r.group.to_string(), r.metric.to_string()))
            .or_default()
            .push(Point {
                x,
                date: r.date.to_string(),
                mean: r.mean.unwrap_or(undefined),
                p05: r.p05.unwrap_or(undefined),
                p95: r.p95.unwrap_or(undefined),
            });
        Ok(())
    })?;
    if out.series.is_empty() {
        return Err(ReportError::Input(format!("{} has no rows", path.display())));
    }
    Ok(out)
}

fn draw_err<E: std::fmt::Debug>(e: E) -> ReportError {
    ReportError::Draw(format!("{e:?}"))
}

/// Horizontal extent of the series.
fn x_range(series: &Series) -> (f64, f64) {
    let xs = series.values().flat_map(|v| v.iter().map(|p| p.x));
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    (lo, if hi > lo { hi } else { lo + 1.0 })
}

/// What a y axis shows, and so how it is fitted to the data.
#[derive(Clone, Copy, PartialEq)]
enum Axis {
    /// A share: fitted to the data, kept inside 0-1.
    Share,
    /// A level (trust, trade, a phase code): fitted to the data.
    Level,
    /// A count or rate of counts: from 0 to the largest value.
    Count,
    /// A share on the whole 0-1 scale (`comity report --unit-axes`).
    Unit,
}

/// How the page is drawn.
#[derive(Clone, Debug, Default)]
pub struct ReportOptions {
    /// Shares (cohesion, identity, trust, ...) on the whole 0-1 axis instead of fitted to the
    /// data: comparable across pages, at the cost of flattening small effects.
    pub unit_axes: bool,
}

/// The y range of `values` with 8% padding, as `axis` wants it.
fn fitted(values: impl Iterator<Item = f64>, axis: Axis) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if lo > hi || axis == Axis::Unit {
        return (0.0, 1.0);
    }
    let lo = if axis == Axis::Count { 0.0 } else { lo };
    let span = hi - lo;
    let pad = if span > 1e-9 {
        span * 0.08
    } else {
        (hi.abs() * 0.05).max(0.01)
    };
    let (mut lo, mut hi) = (if axis == Axis::Count { 0.0 } else { lo - pad }, hi + pad);
    if axis == Axis::Share {
        lo = lo.max(0.0);
        hi = hi.min(1.0);
        if hi - lo < 0.01 {
            (lo, hi) = if hi >= 1.0 { (0.99, 1.0) } else { (lo, lo + 0.01) };
        }
    }
    (lo, hi)
}

/// `#rrggbb` of a colour.
fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// A number for tooltips: at most four significant decimals.
fn num(x: f64) -> String {
    if !x.is_finite() {
        return "undefined".into();
    }
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// Inserts raw SVG `elements` just before the closing tag of `svg`: drawn on top.
fn on_top(svg: String, elements: &str) -> String {
    match svg.rfind("</svg>") {
        Some(at) => format!("{}{elements}{}", &svg[..at], &svg[at..]),
        None => svg,
    }
}

/// A dot with a tooltip (SVG `<title>`) at pixel `(x, y)`.
fn tip_dot((x, y): (i32, i32), colour: RGBColor, text: &str) -> String {
    format!(
        "<circle cx=\"{x}\" cy=\"{y}\" r=\"2.5\" fill=\"{}\"><title>{}</title></circle>\n",
        hex(colour),
        escape(text)
    )
}

/// Where the event numbers of a chart go: (marker index, row above the plot) for each
/// marker on the time axis `x0..x1` of a plot `width` pixels wide. Greedy in date order: a
/// number takes the lowest row where it does not touch the numbers already placed.
fn marker_rows(markers: &[Marker], (x0, x1): (f64, f64), width: f64) -> Vec<(usize, usize)> {
    let mut visible: Vec<usize> = (0..markers.len())
        .filter(|&k| markers[k].x >= x0 && markers[k].x <= x1)
        .collect();
    visible.sort_by(|&a, &b| markers[a].x.total_cmp(&markers[b].x));
    let mut right_edges: Vec<f64> = Vec::new();
    visible
        .into_iter()
        .map(|k| {
            let px = (markers[k].x - x0) / (x1 - x0) * width;
            let half = (label_width(&(k + 1).to_string()) + 5.0) / 2.0;
            let row = right_edges
                .iter()
                .position(|&r| r <= px - half)
                .unwrap_or(right_edges.len());
            if row == right_edges.len() {
                right_edges.push(f64::NEG_INFINITY);
            }
            right_edges[row] = px + half;
            (k, row)
        })
        .collect()
}

/// The width of an event number in pixels (0.6 em a character).
fn label_width(text: &str) -> f64 {
    text.chars().count() as f64 * 0.6 * MARK_FONT
}

/// Width in pixels of the plot of a chart over years with `y_area` left of it.
fn plot_width(y_area: u32) -> f64 {
    f64::from(YEAR_SIZE.0 - 2 * 12 - y_area - LEGEND_W)
}

/// The event lines (dashed, under the data: `under`) and their numbers above the plot, with
/// the event as a tooltip (`over`).
fn draw_markers<DB: DrawingBackend>(
    chart: &ChartContext<'_, DB, XY>,
    markers: &[Marker],
    rows: &[(usize, usize)],
    (y0, y1): (f64, f64),
    under: &mut String,
    over: &mut String,
) {
    for &(k, row) in rows {
        let m = &markers[k];
        let (px, top) = chart.backend_coord(&(m.x, y1));
        let (_, bottom) = chart.backend_coord(&(m.x, y0));
        writeln!(
            under,
            "<line x1=\"{px}\" y1=\"{top}\" x2=\"{px}\" y2=\"{bottom}\" stroke=\"#5a5a5a\" stroke-opacity=\"0.75\" stroke-width=\"1\" stroke-dasharray=\"5 3\"><title>{}. {} {}</title></line>",
            k + 1,
            escape(&m.date),
            escape(&m.label)
        )
        .ok();
        let y = top - 3 - (row as u32 * MARK_ROW) as i32;
        writeln!(
            over,
            "<text class=\"event\" x=\"{px}\" y=\"{y}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"{MARK_FONT}\" fill=\"#333333\"><title>{}. {} {}</title>{}</text>",
            k + 1,
            escape(&m.date),
            escape(&m.label),
            k + 1
        )
        .ok();
    }
}

/// The frame of a chart over years.
struct YearAxes<'a> {
    title: &'a str,
    y_desc: &'a str,
    x: (f64, f64),
    y: (f64, f64),
    y_labels: Labels<'a>,
    y_area: u32,
    markers: &'a [Marker],
}

/// Draws a chart over years: caption, a year x axis, the event lines and numbers, the series
/// that `draw` adds (it may add raw SVG on top, with tooltips), and the legend right of the plot.
fn year_chart(
    a: YearAxes<'_>,
    draw: impl FnOnce(&mut ChartContext<'_, SVGBackend<'_>, XY>, &mut String) -> Result<()>,
) -> Result<String> {
    let rows = marker_rows(a.markers, a.x, plot_width(a.y_area));
    let n_rows = rows.iter().map(|r| r.1 + 1).max().unwrap_or(0) as u32;
    let (mut under, mut over) = (String::new(), String::new());
    let width = plot_width(a.y_area) as i32;
    let svg = frame(
        Frame {
            title: a.title,
            size: YEAR_SIZE,
            x_desc: "year",
            y_desc: a.y_desc,
            x: a.x.0..a.x.1,
            y: a.y.0..a.y.1,
            x_labels: Labels::Format(&|x| format!("{x:.0}")),
            y_labels: a.y_labels,
            y_area: a.y_area,
            top_area: if n_rows > 0 { n_rows * MARK_ROW + 6 } else { 8 },
            right_area: LEGEND_W,
            legend: Some(SeriesLabelPosition::Coordinate(width + 10, 0)),
        },
        |chart| {
            draw_markers(chart, a.markers, &rows, a.y, &mut under, &mut over);
            if !under.is_empty() {
                chart
                    .draw_series(std::iter::once(Text::new(SPLICE, (a.x.0, a.y.0), ("sans-serif", 1))))
                    .map_err(draw_err)?;
            }
            draw(chart, &mut over)
        },
    )?;
    let svg = if under.is_empty() {
        svg
    } else {
        sweep::splice(svg, &under)?
    };
    Ok(on_top(svg, &over))
}

/// Integer labels only: for axes of whole counts.
fn integer_label(y: &f64) -> String {
    if (y - y.round()).abs() < 1e-9 {
        format!("{y:.0}")
    } else {
        String::new()
    }
}

/// Names of the Adler-Barnett phases, by code.
const PHASES: [&str; 4] = ["0 none", "1 nascent", "2 ascendant", "3 mature"];

fn phase_label(y: &f64) -> String {
    let k = y.round();
    if (y - k).abs() < 1e-9 && (0.0..=3.0).contains(&k) {
        PHASES[k as usize].to_string()
    } else {
        format!("{y:.1}")
    }
}

/// What a chart of one metric of one community shows.
struct BandSpec<'a> {
    community: &'a str,
    metric: &'a str,
    title: String,
    y_desc: &'a str,
    band: bool,
    axis: Axis,
    y_labels: Labels<'a>,
    y_area: u32,
}

/// A mean line per lens, with its p05-p95 band when `band`, on a y axis fitted to the data.
/// Also returns a sentence for the caption on lenses whose lines coincide or whose band is
/// too narrow to see.
fn band_chart(series: &Series, lenses: &[String], s: &BandSpec<'_>, markers: &[Marker]) -> Result<(String, String)> {
    let (x0, x1) = x_range(series);
    let defined = |lens: &String| -> Vec<Point> {
        series
            .get(&(lens.clone(), s.community.to_string(), s.metric.to_string()))
            .map(|ps| {
                ps.iter()
                    .filter(|p| p.mean.is_finite() && (!s.band || (p.p05.is_finite() && p.p95.is_finite())))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    };
    let data: Vec<Vec<Point>> = lenses.iter().map(defined).collect();
    let (y0, y1) = fitted(
        data.iter().flatten().flat_map(|p| {
            if s.band {
                vec![p.mean, p.p05, p.p95]
            } else {
                vec![p.mean]
            }
        }),
        s.axis,
    );
    // Lenses whose mean lines coincide (less than 0.5% of the axis apart everywhere).
    let mut notes = Vec::new();
    let mut coincide = false;
    for i in 0..lenses.len() {
        for j in i + 1..lenses.len() {
            let (a, b) = (&data[i], &data[j]);
            if a.is_empty() || a.len() != b.len() {
                continue;
            }
            let gap = a
                .iter()
                .zip(b)
                .map(|(p, q)| (p.mean - q.mean).abs())
                .fold(0.0, f64::max);
            if gap <= 0.005 * (y1 - y0) {
                coincide = true;
                let apart = if gap < 1e-12 {
                    "identical".to_string()
                } else {
                    format!("at most {} apart", num(gap))
                };
                notes.push(format!(
                    "the {} and {} lines coincide ({apart}): the wider line underneath is {}",
                    lenses[i], lenses[j], lenses[i]
                ));
            }
        }
    }
    if s.band {
        for (lens, points) in lenses.iter().zip(&data) {
            let widest = points.iter().map(|p| p.p95 - p.p05).fold(0.0, f64::max);
            if !points.is_empty() && widest < 0.01 * (y1 - y0) {
                notes.push(if widest < 1e-12 {
                    format!("the {lens} band is hidden by its line (p05 = p95: every run agrees)")
                } else {
                    format!(
                        "the {lens} band is narrower than its line (p95 - p05 at most {})",
                        num(widest)
                    )
                });
            }
        }
    }
    let n = lenses.len();
    let svg = year_chart(
        YearAxes {
            title: &s.title,
            y_desc: s.y_desc,
            x: (x0, x1),
            y: (y0, y1),
            y_labels: s.y_labels,
            y_area: s.y_area,
            markers,
        },
        |chart, over| {
            for (k, points) in data.iter().enumerate() {
                if points.is_empty() {
                    continue;
                }
                let colour = PALETTE[k % PALETTE.len()];
                if s.band {
                    let mut area: Vec<(f64, f64)> = points.iter().map(|p| (p.x, p.p95)).collect();
                    area.extend(points.iter().rev().map(|p| (p.x, p.p05)));
                    chart
                        .draw_series(std::iter::once(Polygon::new(area, colour.mix(0.15))))
                        .map_err(draw_err)?;
                    for edge in [
                        points.iter().map(|p| (p.x, p.p95)).collect::<Vec<_>>(),
                        points.iter().map(|p| (p.x, p.p05)).collect(),
                    ] {
                        chart
                            .draw_series(std::iter::once(PathElement::new(edge, colour.mix(0.45))))
                            .map_err(draw_err)?;
                    }
                }
            }
            for (k, (lens, points)) in lenses.iter().zip(&data).enumerate() {
                let colour = PALETTE[k % PALETTE.len()];
                // Coinciding lines: the earlier lens wider, so that every one shows.
                let width = if coincide { 2 + 2 * (n - 1 - k) as u32 } else { 2 };
                chart
                    .draw_series(LineSeries::new(
                        points.iter().map(|p| (p.x, p.mean)),
                        colour.stroke_width(width),
                    ))
                    .map_err(draw_err)?
                    .label(lens.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(width)));
                for p in points {
                    let text = if s.band {
                        format!(
                            "{lens}, {}: mean {} (p05 {}, p95 {})",
                            p.date,
                            num(p.mean),
                            num(p.p05),
                            num(p.p95)
                        )
                    } else {
                        format!("{lens}, {}: mean {}", p.date, num(p.mean))
                    };
                    over.push_str(&tip_dot(chart.backend_coord(&(p.x, p.mean)), colour, &text));
                }
            }
            Ok(())
        },
    )?;
    Ok((svg, notes.join("; ")))
}

/// Mean lines of several metrics (one colour each) for one lens, on the y range `y`.
#[allow(clippy::too_many_arguments)]
fn lines_chart(
    series: &Series,
    lens: &str,
    community: &str,
    metrics: &[(&str, &str, RGBColor)],
    title: &str,
    y_desc: &str,
    y: (f64, f64),
    markers: &[Marker],
) -> Result<String> {
    let (x0, x1) = x_range(series);
    year_chart(
        YearAxes {
            title,
            y_desc,
            x: (x0, x1),
            y,
            y_labels: Labels::Plain,
            y_area: 56,
            markers,
        },
        |chart, over| {
            for &(metric, label, colour) in metrics {
                let Some(points) = series.get(&(lens.to_string(), community.to_string(), metric.to_string())) else {
                    continue;
                };
                let points: Vec<&Point> = points.iter().filter(|p| p.mean.is_finite()).collect();
                chart
                    .draw_series(LineSeries::new(
                        points.iter().map(|p| (p.x, p.mean)),
                        colour.stroke_width(2),
                    ))
                    .map_err(draw_err)?
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
                for p in points {
                    let text = format!("{lens}, {label}, {}: {} per step", p.date, num(p.mean));
                    over.push_str(&tip_dot(chart.backend_coord(&(p.x, p.mean)), colour, &text));
                }
            }
            Ok(())
        },
    )
}

/// The share of runs with no use of force among the members of `community` by the end of
/// each year, per lens (from runs.csv `<community>.first_force_year`).
fn survival_chart(
    runs: &Runs,
    lenses: &[String],
    community: &str,
    (x0, x1): (f64, f64),
    markers: &[Marker],
    share: Axis,
) -> Result<Option<String>> {
    let Some(col) = runs
        .columns
        .iter()
        .position(|c| *c == format!("{community}.first_force_year"))
    else {
        return Ok(None);
    };
    let years: Vec<i64> = ((x0.floor() as i64)..=(x1.floor() as i64)).collect();
    /// Per lens (by index): (year, runs without use of force by its end, runs).
    type Curve = (usize, Vec<(i64, usize, usize)>);
    let curves: Vec<Curve> = lenses
        .iter()
        .enumerate()
        .filter_map(|(k, lens)| {
            let by_run = runs.runs.get(lens)?;
            let total = by_run.len();
            let curve = years
                .iter()
                .map(|&t| {
                    let free = by_run.values().filter(|v| v[col].is_none_or(|y| y > t as f64)).count();
                    (t, free, total)
                })
                .collect();
            Some((k, curve))
        })
        .collect();
    if curves.is_empty() {
        return Ok(None);
    }
    let (y0, y1) = fitted(
        curves
            .iter()
            .flat_map(|(_, c)| c.iter().map(|&(_, f, n)| f as f64 / n.max(1) as f64)),
        share,
    );
    let svg = year_chart(
        YearAxes {
            title: &format!("No use of force yet, {community}"),
            y_desc: "share of runs without use of force so far",
            x: (x0, x1),
            y: (y0, y1),
            y_labels: Labels::Plain,
            y_area: 56,
            markers,
        },
        |chart, over| {
            for (k, curve) in &curves {
                let colour = PALETTE[k % PALETTE.len()];
                let lens = &lenses[*k];
                let share = |f: usize, n: usize| f as f64 / n.max(1) as f64;
                chart
                    .draw_series(LineSeries::new(
                        curve.iter().map(|&(t, f, n)| (t as f64, share(f, n))),
                        colour.stroke_width(2),
                    ))
                    .map_err(draw_err)?
                    .label(lens.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
                for &(t, f, n) in curve {
                    let text = format!(
                        "{lens}, end of {t}: {f} of {n} runs without use of force ({})",
                        num(share(f, n))
                    );
                    over.push_str(&tip_dot(chart.backend_coord(&(t as f64, share(f, n))), colour, &text));
                }
            }
            Ok(())
        },
    )?;
    Ok(Some(svg))
}

/// Histogram of the year of the first war, one bar colour per lens.
fn first_war_chart(runs: &Runs, lenses: &[String]) -> Result<(String, String)> {
    let col = runs.columns.iter().position(|c| c == "system.first_war_year");
    let mut counts: BTreeMap<(usize, i64), usize> = BTreeMap::new();
    let mut caption = Vec::new();
    for (k, lens) in lenses.iter().enumerate() {
        let Some(by_run) = runs.runs.get(lens) else { continue };
        let years: Vec<i64> = col
            .map(|c| by_run.values().filter_map(|v| v[c]).map(|y| y as i64).collect())
            .unwrap_or_default();
        for y in &years {
            *counts.entry((k, *y)).or_default() += 1;
        }
        caption.push(format!(
            "{lens}: {} of {} runs had no war",
            by_run.len() - years.len(),
            by_run.len()
        ));
    }
    let (lo, hi) = counts
        .keys()
        .fold((i64::MAX, i64::MIN), |(a, b), (_, y)| (a.min(*y), b.max(*y)));
    let (lo, hi) = if lo > hi { (0, 1) } else { (lo, hi) };
    let top = counts.values().copied().max().unwrap_or(1).max(1) as f64;
    let width = 0.8 / lenses.len().max(1) as f64;
    let svg = year_chart(
        YearAxes {
            title: "Year of the first war (whole system)",
            y_desc: "runs (count)",
            x: (lo as f64 - 0.6, hi as f64 + 0.6),
            y: (0.0, (top * 1.1).max(top + 1.0)),
            y_labels: Labels::Format(&integer_label),
            y_area: 56,
            markers: &[],
        },
        |chart, over| {
            for (k, lens) in lenses.iter().enumerate() {
                let colour = PALETTE[k % PALETTE.len()];
                let left = -0.4 + k as f64 * width;
                let bars: Vec<(f64, i64, usize)> = counts
                    .iter()
                    .filter(|((l, _), _)| *l == k)
                    .map(|((_, y), c)| (*y as f64 + left, *y, *c))
                    .collect();
                chart
                    .draw_series(
                        bars.iter().map(|&(x, _, c)| {
                            Rectangle::new([(x, 0.0), (x + width, c as f64)], colour.mix(0.8).filled())
                        }),
                    )
                    .map_err(draw_err)?
                    .label(lens.clone())
                    .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled()));
                for &(x, year, c) in &bars {
                    let (ax, ay) = chart.backend_coord(&(x, c as f64));
                    let (bx, by) = chart.backend_coord(&(x + width, 0.0));
                    writeln!(
                        over,
                        "<rect x=\"{ax}\" y=\"{ay}\" width=\"{}\" height=\"{}\" fill=\"#ffffff\" fill-opacity=\"0\"><title>{}</title></rect>",
                        (bx - ax).max(1),
                        (by - ay).max(1),
                        escape(&format!("{lens}, {year}: first war in {c} runs"))
                    )
                    .ok();
                }
            }
            Ok(())
        },
    )?;
    Ok((svg, caption.join("; ")))
}

/// Why a row of a comparison is not on its chart, or `None` when it is.
fn left_out(r: &compare::Row) -> Option<&'static str> {
    if r.metric.contains('@') {
        Some("a value in one year (the chart shows end-of-run values; see the table)")
    } else if r.effect.is_nan() {
        Some("no standardised difference (the values do not vary)")
    } else if r.effect.is_infinite() {
        Some("infinite standardised difference (B - A is the same non-zero number in every run)")
    } else if r.effect == 0.0 {
        Some("no difference (B - A is 0)")
    } else {
        None
    }
}

/// Standardised differences B - A with their 95% intervals.
fn comparison_chart(cmp: &Comparison) -> Result<String> {
    let rows: Vec<&compare::Row> = cmp.rows.iter().filter(|r| left_out(r).is_none()).collect();
    // Several lenses compared: each row names its lens.
    let several = rows.iter().any(|r| r.lens_a != rows[0].lens_a);
    let scaled: Vec<(String, f64, f64, f64, &compare::Row)> = rows
        .iter()
        .map(|r| {
            let sd = r.diff / r.effect;
            let label = if several {
                format!("{}: {}", r.lens_a, r.metric)
            } else {
                r.metric.clone()
            };
            let (a, b) = (r.ci_low / sd, r.ci_high / sd);
            (label, r.effect, a.min(b), a.max(b), *r)
        })
        .collect();
    let reach = scaled
        .iter()
        .map(|r| r.2.abs().max(r.3.abs()).max(r.1.abs()))
        .filter(|v| v.is_finite())
        .fold(0.5f64, f64::max)
        * 1.1;
    let n = scaled.len().max(1);
    let height = (70 + 24 * n as u32).max(200);
    let labels: Vec<String> = scaled.iter().map(|r| r.0.clone()).collect();
    let mut over = String::new();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (YEAR_SIZE.0, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Differences B - A in standard deviations, with 95% intervals",
                ("sans-serif", 17),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(260)
            .build_cartesian_2d(drawable(-reach..reach), -0.5..(n as f64 - 0.5))
            .map_err(draw_err)?;
        let label_of = |y: &f64| {
            let k = y.round();
            if (y - k).abs() < 1e-6 && k >= 0.0 {
                labels.get(k as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_desc("standardised difference (effect size)")
            .y_desc("metric")
            .y_labels(n)
            .y_label_formatter(&label_of)
            .bold_line_style(RGBColor(222, 222, 222))
            .light_line_style(RGBColor(244, 244, 244))
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
                BLACK.mix(0.5),
            )))
            .map_err(draw_err)?;
        for (k, (label, e, lo, hi, r)) in scaled.iter().enumerate() {
            let colour = if *e > 0.0 { PALETTE[0] } else { PALETTE[5] };
            let y = k as f64;
            // The interval as a thick bar with end caps, so that a narrow one still shows.
            let (lx, py) = chart.backend_coord(&(*lo, y));
            let (hx, _) = chart.backend_coord(&(*hi, y));
            let (lx, hx) = if hx - lx < 6 {
                ((lx + hx) / 2 - 3, (lx + hx) / 2 + 3)
            } else {
                (lx, hx)
            };
            let c = hex(colour);
            writeln!(
                over,
                "<g stroke=\"{c}\" stroke-width=\"3\"><line x1=\"{lx}\" y1=\"{py}\" x2=\"{hx}\" y2=\"{py}\"/><line x1=\"{lx}\" y1=\"{}\" x2=\"{lx}\" y2=\"{}\" stroke-width=\"2\"/><line x1=\"{hx}\" y1=\"{}\" x2=\"{hx}\" y2=\"{}\" stroke-width=\"2\"/></g>",
                py - 6,
                py + 6,
                py - 6,
                py + 6
            )
            .ok();
            let (ex, ey) = chart.backend_coord(&(*e, y));
            writeln!(
                over,
                "<circle cx=\"{ex}\" cy=\"{ey}\" r=\"5\" fill=\"{}\" stroke=\"{c}\" stroke-width=\"2\"><title>{}</title></circle>",
                if r.significant { c.as_str() } else { "#ffffff" },
                escape(&format!(
                    "{label}: B - A = {} [{}, {}], {} {} [{}, {}], p (Holm) {}",
                    num(r.diff),
                    num(r.ci_low),
                    num(r.ci_high),
                    r.effect_kind,
                    num(*e),
                    num(*lo),
                    num(*hi),
                    short(r.p_adjusted)
                ))
            )
            .ok();
        }
        root.present().map_err(draw_err)?;
    }
    Ok(on_top(svg, &over))
}

/// How an axis is labelled.
#[derive(Clone, Copy)]
enum Labels<'a> {
    /// plotters' own numbers.
    Plain,
    /// Numbers written by this function.
    Format(&'a dyn Fn(&f64) -> String),
    /// No labels or ticks: the chart writes its own (categories).
    None,
}

/// What the frame of a chart shows: caption, size, axes and where the legend goes.
struct Frame<'a> {
    title: &'a str,
    /// Of the whole drawing ([`frame`]; [`frame_on`] draws on the area it is given).
    size: (u32, u32),
    x_desc: &'a str,
    y_desc: &'a str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    x_labels: Labels<'a>,
    y_labels: Labels<'a>,
    /// Width of the area left of the plot, for the y labels.
    y_area: u32,
    /// Height of the area above the plot (event numbers), and width of the area right of it
    /// (the legend); 0 for none.
    top_area: u32,
    right_area: u32,
    legend: Option<SeriesLabelPosition>,
}

/// Draws a chart: the frame `f`, the series that `draw` adds, then the legend.
fn frame(f: Frame<'_>, draw: impl FnOnce(&mut ChartContext<'_, SVGBackend<'_>, XY>) -> Result<()>) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, f.size).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        frame_on(&root, f, draw)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// A range that plotters can draw: finite ends and a finite, positive span. Values edited into
/// an output file (1.7e308 beside 0) made a padded axis overflow to infinity, and plotters'
/// search for tick marks never ended (found by tests/fuzz.rs). Ranges of real outputs pass
/// unchanged.
pub(crate) fn drawable(r: std::ops::Range<f64>) -> std::ops::Range<f64> {
    const BIG: f64 = 1e300;
    if r.start.is_finite() && r.end.is_finite() && (r.end - r.start).is_finite() && r.end > r.start {
        return r;
    }
    let start = if r.start.is_nan() {
        0.0
    } else {
        r.start.clamp(-BIG, BIG)
    };
    let end = if r.end.is_nan() { start } else { r.end.clamp(-BIG, BIG) };
    if end > start {
        start..end
    } else {
        let pad = 1.0 + 0.5 * start.abs();
        start - pad..start + pad
    }
}

/// [`frame`] on a part of a drawing.
fn frame_on<'b>(
    area: &DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    f: Frame<'_>,
    draw: impl FnOnce(&mut ChartContext<'_, SVGBackend<'b>, XY>) -> Result<()>,
) -> Result<()> {
    // The caption first, then the margin (and the event numbers above the plot) below it.
    let area = area.titled(f.title, ("sans-serif", 17)).map_err(draw_err)?;
    let mut chart = ChartBuilder::on(&area)
        .margin(12)
        .margin_top(12 + f.top_area)
        .margin_right(12 + f.right_area)
        .x_label_area_size(40)
        .y_label_area_size(f.y_area)
        .build_cartesian_2d(drawable(f.x), drawable(f.y))
        .map_err(draw_err)?;
    let mut mesh = chart.configure_mesh();
    // Light gridlines, so that the dashed event lines and the data stand out.
    mesh.x_desc(f.x_desc)
        .y_desc(f.y_desc)
        .bold_line_style(RGBColor(222, 222, 222))
        .light_line_style(RGBColor(244, 244, 244));
    match f.x_labels {
        Labels::Plain => {}
        Labels::Format(g) => {
            mesh.x_label_formatter(g);
        }
        Labels::None => {
            mesh.x_labels(0);
        }
    }
    match f.y_labels {
        Labels::Plain => {}
        Labels::Format(g) => {
            mesh.y_label_formatter(g);
        }
        Labels::None => {
            mesh.y_labels(0);
        }
    }
    mesh.draw().map_err(draw_err)?;
    draw(&mut chart)?;
    if let Some(position) = f.legend {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(position)
            .draw()
            .map_err(draw_err)?;
    }
    Ok(())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The scripted events to mark: from the manifest, or (a manifest written before it listed
/// them) from the scenario file it names, if that can still be read; with a note when they cannot.
fn markers(manifest: Option<&Manifest>) -> (Vec<Marker>, Option<String>) {
    let Some(manifest) = manifest else {
        return (Vec::new(), Some("no scenario path in manifest.json".into()));
    };
    // Outputs of this version carry their events in the manifest: the page never needs the
    // scenario file again.
    if let Some(events) = &manifest.scenario.events {
        let list = events.iter().filter_map(|e| {
            Some(Marker {
                x: decimal_year(&e.date)?,
                date: e.date.clone(),
                label: e.label.clone(),
            })
        });
        return (one_per_date(list), None);
    }
    let path = manifest.scenario.path.as_str();
    if path.is_empty() {
        return (Vec::new(), Some("no scenario path in manifest.json".into()));
    }
    // The path as given to `comity run`, else the absolute path it resolved to.
    let absolute = manifest.scenario.absolute_path.as_str();
    let found = [path, absolute]
        .into_iter()
        .find(|p| !p.is_empty() && Path::new(p).exists())
        .unwrap_or(path);
    match crate::scenario::load(Path::new(found)) {
        Ok(s) => {
            let list = s.events.iter().map(|e| Marker {
                x: e.at.year() as f64 + (e.at.month() - 1) as f64 / 12.0,
                date: format!("{}-{:02}", e.at.year(), e.at.month()),
                label: s.event_label(e),
            });
            (one_per_date(list), None)
        }
        Err(_) => (
            Vec::new(),
            Some(format!(
                "scenario events are not marked: {path} could not be read from here"
            )),
        ),
    }
}

/// One marker per date: the labels of events on the same month joined.
fn one_per_date(list: impl Iterator<Item = Marker>) -> Vec<Marker> {
    let mut merged: Vec<Marker> = Vec::new();
    for m in list {
        match merged.last_mut() {
            Some(last) if (last.x - m.x).abs() < 1e-9 => {
                if !last.label.contains(&m.label) {
                    last.label = format!("{}, {}", last.label, m.label);
                }
            }
            _ => merged.push(m),
        }
    }
    merged
}

/// Whether `dir` holds the output of `comity sweep` (its manifest says `"kind": "sweep"`).
pub fn is_sweep(dir: &Path) -> bool {
    Manifest::read(dir).is_ok_and(|m| m.is_sweep())
}

/// Builds the HTML page for an output folder, with an optional comparison of two folders.
/// A sweep folder gets the sweep page of its default metric ([`build_sweep`]).
pub fn build(dir: &Path, compare_with: Option<(&Path, &Path)>, compare_lens: Option<&str>) -> Result<String> {
    build_with(dir, compare_with, compare_lens, &ReportOptions::default())
}

/// [`build`] drawn as `opts` says.
pub fn build_with(
    dir: &Path,
    compare_with: Option<(&Path, &Path)>,
    compare_lens: Option<&str>,
    opts: &ReportOptions,
) -> Result<String> {
    let share = if opts.unit_axes { Axis::Unit } else { Axis::Share };
    if is_sweep(dir) {
        if compare_with.is_some() {
            return Err(ReportError::Input(format!(
                "{} is a sweep folder: --compare draws two `comity run` folders",
                dir.display()
            )));
        }
        return build_sweep(dir, None);
    }
    let ts = dir.join(results::TIMESERIES);
    if !ts.exists() {
        return Err(ReportError::Input(format!(
            "{} has no timeseries.csv: give an output folder written by `comity run`",
            dir.display()
        )));
    }
    let SeriesFile {
        series,
        lenses,
        groups: communities,
        ..
    } = read_series(&ts, SummaryFile::Timeseries)?;
    let runs = Runs::read(dir)?;
    let manifest = Manifest::read(dir).ok();
    let (marks, marks_note) = markers(manifest.as_ref());
    let name = manifest
        .as_ref()
        .map_or("comity results", |m| m.scenario.name.as_str())
        .to_string();
    let mut body = String::new();
    let mut toc = String::new();
    introduction(&mut body, dir, &name, manifest.as_ref(), &lenses, (&marks, marks_note));
    let page_of = Charts {
        series: &series,
        lenses: &lenses,
        marks: &marks,
        share,
    };
    for community in &communities {
        community_section(&mut body, &mut toc, &page_of, &runs, community)?;
    }
    let pairs_csv = dir.join(results::PAIRS);
    if pairs_csv.exists() {
        pair_sections(&pairs_csv, &lenses, &marks, &mut body, &mut toc, share)?;
    }
    first_war_section(&mut body, &mut toc, &runs, &lenses)?;
    backtest::section(dir, &mut body, &mut toc)?;
    if let Some((a, b)) = compare_with {
        comparison_section(&mut body, &mut toc, (a, b), compare_lens)?;
    }
    Ok(page(&name, &toc, &body))
}

/// What every chart of a run folder's page draws from.
struct Charts<'a> {
    series: &'a Series,
    lenses: &'a [String],
    marks: &'a [Marker],
    /// The axis of shares (fitted, or 0-1 with `--unit-axes`).
    share: Axis,
}

/// The page's title, what it shows (folder, runs, lenses, seed) and how to read it, and the
/// list of scripted events (with `note` when they could not be read).
fn introduction(
    body: &mut String,
    dir: &Path,
    name: &str,
    manifest: Option<&Manifest>,
    lenses: &[String],
    (marks, note): (&[Marker], Option<String>),
) {
    writeln!(body, "<h1>{}</h1>", escape(name)).ok();
    writeln!(
        body,
        "<p class=\"meta\">Output folder <code>{}</code>: {} runs x {} lens(es) ({}), seed {}, comity {}.</p>",
        escape(&dir.display().to_string()),
        manifest.map_or("?".to_string(), |m| m.runs.to_string()),
        lenses.len(),
        escape(&lenses.join(", ")),
        manifest.map_or("?".to_string(), |m| m.seed.to_string()),
        escape(manifest.map_or("?", |m| m.comity_version.as_str()))
    )
    .ok();
    let step = manifest.map_or("year", |m| m.scenario.step.as_str());
    let when = if step.starts_with("year") {
        "A point at a year is the state at the end of that year (after its events)"
    } else {
        "A point at a date is the state at the end of that step (after its events)"
    };
    writeln!(
        body,
        "<p>Lines are means across runs; shaded bands span the 5th to 95th percentiles; y axes are fitted to the data (counts start at 0). {when}. Dashed vertical lines mark the scenario's scripted events at their dates, numbered as in the list below; hover over a number, a dot or a bar for its values.{}</p>",
        note.map(|n| format!(" ({})", escape(&n))).unwrap_or_default()
    )
    .ok();
    if !marks.is_empty() {
        body.push_str("<details open=\"open\"><summary>Scripted events</summary><table class=\"events\"><thead><tr><th>no.</th><th>date</th><th>events</th></tr></thead><tbody>\n");
        for (k, m) in marks.iter().enumerate() {
            writeln!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                k + 1,
                escape(&m.date),
                escape(&m.label)
            )
            .ok();
        }
        body.push_str("</tbody></table></details>\n");
    }
}

/// A community's chart of one metric with bands: (metric, title, y axis, axis, y labels, y
/// area width, caption).
type CommunityBand<'a> = (&'a str, &'a str, &'a str, Axis, Labels<'a>, u32, &'a str);

/// The community charts with bands, in page order.
fn community_bands(share: Axis) -> [CommunityBand<'static>; 6] {
    [
        (
            "cohesion",
            "Cohesion",
            "mean trust among members",
            share,
            Labels::Plain,
            56,
            "Cohesion: mean directed trust among the members.",
        ),
        (
            "identity",
            "Identity (we-feeling)",
            "mean identity among members",
            share,
            Labels::Plain,
            56,
            "Identity: mean directed we-feeling among the members (Deutsch).",
        ),
        (
            "peaceful_change_share",
            "Dependable expectations of peaceful change",
            "share of member pairs",
            share,
            Labels::Plain,
            56,
            "Peaceful change: share of member pairs with trust and identity above the peace threshold both ways and no use of force within the peace window (Deutsch).",
        ),
        (
            "kantian_share",
            "Kantian culture",
            "share of member pairs",
            share,
            Labels::Plain,
            56,
            "Kantian share: share of member pairs in Wendt's Kantian culture of friendship.",
        ),
        (
            "phase",
            "Phase (Adler-Barnett)",
            "mean phase code",
            Axis::Level,
            Labels::Format(&phase_label),
            96,
            "Phase: mean across runs of the Adler-Barnett phase code (0 none, 1 nascent, 2 ascendant, 3 mature); a mean of 1.9 means mostly ascendant.",
        ),
        (
            "trade",
            "Trade among members",
            "trade (scenario units)",
            Axis::Count,
            Labels::Plain,
            70,
            "Trade: total trade among the members.",
        ),
    ]
}

/// `caption`, with the band chart's note on lenses that coincide, if any.
fn with_note(caption: &str, note: &str) -> String {
    if note.is_empty() {
        caption.to_string()
    } else {
        format!("{caption} Note: {note}.")
    }
}

/// A community's section: its charts with bands, the survival curve of no use of force, the
/// disputes by hostility level per lens, and the escalation rate.
fn community_section(body: &mut String, toc: &mut String, c: &Charts<'_>, runs: &Runs, community: &str) -> Result<()> {
    let anchor = format!("c-{}", community.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    writeln!(toc, "<li><a href=\"#{anchor}\">{}</a></li>", escape(community)).ok();
    writeln!(
        body,
        "<section id=\"{anchor}\"><h2>Community: {}</h2>",
        escape(community)
    )
    .ok();
    let drawn = |metric: &str| {
        c.lenses.iter().any(|l| {
            c.series
                .contains_key(&(l.clone(), community.to_string(), metric.to_string()))
        })
    };
    for (metric, title, y_desc, axis, y_labels, y_area, caption) in community_bands(c.share) {
        if !drawn(metric) {
            continue;
        }
        let spec = BandSpec {
            community,
            metric,
            title: format!("{title}, {community}"),
            y_desc,
            band: true,
            axis,
            y_labels,
            y_area,
        };
        let (svg, note) = band_chart(c.series, c.lenses, &spec, c.marks)?;
        figure(body, &svg, &with_note(caption, &note));
    }
    if let Some(svg) = survival_chart(runs, c.lenses, community, x_range(c.series), c.marks, c.share)? {
        figure(
            body,
            &svg,
            &format!(
                "No use of force yet: share of runs in which no dispute among the members of {community} has reached use of force or war by the end of each year (from runs.csv first_force_year), a survival curve."
            ),
        );
    }
    dispute_level_charts(body, c, community)?;
    let spec = BandSpec {
        community,
        metric: "escalation_rate",
        title: format!("Escalation rate, {community}"),
        y_desc: "share reaching use of force",
        band: false,
        axis: c.share,
        y_labels: Labels::Plain,
        y_area: 56,
    };
    let (svg, note) = band_chart(c.series, c.lenses, &spec, c.marks)?;
    let caption = "Escalation rate: share of the step's disputes that reached use of force or war (steps without a dispute are left out of the mean; no band, as a single run's rate is mostly 0 or 1).";
    figure(body, &svg, &with_note(caption, &note));
    body.push_str("</section>\n");
    Ok(())
}

/// One chart per lens of a community's new disputes by highest hostility level, all on one y
/// axis so that they compare at a glance.
fn dispute_level_charts(body: &mut String, c: &Charts<'_>, community: &str) -> Result<()> {
    let levels = [
        ("disputes_threat", "threat (2)", LEVEL_COLOURS[0]),
        ("disputes_display", "display of force (3)", LEVEL_COLOURS[1]),
        ("disputes_force", "use of force (4)", LEVEL_COLOURS[2]),
        ("disputes_war", "war (5)", LEVEL_COLOURS[3]),
    ];
    let y = fitted(
        c.lenses.iter().flat_map(|lens| {
            levels.iter().flat_map(|(m, _, _)| {
                c.series
                    .get(&(lens.clone(), community.to_string(), m.to_string()))
                    .into_iter()
                    .flatten()
                    .map(|p| p.mean)
            })
        }),
        Axis::Count,
    );
    for lens in c.lenses {
        let svg = lines_chart(
            c.series,
            lens,
            community,
            &levels,
            &format!("Disputes by highest hostility level, {community} ({lens})"),
            "disputes per step (mean across runs)",
            y,
            c.marks,
        )?;
        figure(
            body,
            &svg,
            "New disputes between members per step, by the highest level reached on the Correlates of War ladder. The charts of all lenses share one y axis.",
        );
    }
    Ok(())
}

/// The section on the year of the first war anywhere in the system.
fn first_war_section(body: &mut String, toc: &mut String, runs: &Runs, lenses: &[String]) -> Result<()> {
    let (svg, caption) = first_war_chart(runs, lenses)?;
    body.push_str("<section id=\"first-war\"><h2>First war</h2>\n");
    figure(
        body,
        &svg,
        &format!("Distribution of the year of the first war anywhere in the system, across runs. {caption}."),
    );
    body.push_str("</section>\n");
    writeln!(toc, "<li><a href=\"#first-war\">First war</a></li>").ok();
    Ok(())
}

/// The section comparing output folders A and B (`--compare A B`): the chart of differences,
/// what it left out, and the table of every row.
fn comparison_section(body: &mut String, toc: &mut String, (a, b): (&Path, &Path), lens: Option<&str>) -> Result<()> {
    let set_a = OutputSet::load(a)?;
    let set_b = OutputSet::load(b)?;
    let opts = compare::Options {
        lens_a: lens.map(String::from),
        lens_b: None,
        at: Vec::new(),
        at_only: false,
        alpha: 0.05,
        metrics: Vec::new(),
        communities: Vec::new(),
    };
    let cmp = compare::compare(&set_a, Some(&set_b), &opts)?;
    writeln!(toc, "<li><a href=\"#compare\">Comparison</a></li>").ok();
    writeln!(
        body,
        "<section id=\"compare\"><h2>Comparison</h2><p>A: <code>{}</code><br/>B: <code>{}</code></p>",
        escape(&cmp.a),
        escape(&cmp.b)
    )
    .ok();
    for n in &cmp.notes {
        writeln!(body, "<p class=\"meta\">{}</p>", escape(n)).ok();
    }
    let svg = comparison_chart(&cmp)?;
    figure(
        body,
        &svg,
        "Filled dots: significant after Holm's correction (alpha 0.05). Blue: B above A; vermillion: B below A. Bars with end caps: 95% intervals (drawn at least 6 pixels wide). Hover over a dot for its numbers.",
    );
    left_out_list(body, &cmp);
    body.push_str("<table><thead><tr><th>metric</th><th>n</th><th>mean A</th><th>mean B</th><th>B - A</th><th>95% CI</th><th>effect</th><th>p (Holm)</th></tr></thead><tbody>\n");
    for r in &cmp.rows {
        let f = |x: f64| escape(&short(x));
        writeln!(
            body,
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>[{}, {}]</td><td>{}</td><td>{}</td></tr>",
            if r.significant { "sig" } else { "" },
            escape(&r.metric),
            r.n_a,
            f(r.mean_a),
            f(r.mean_b),
            f(r.diff),
            f(r.ci_low),
            f(r.ci_high),
            f(r.effect),
            f(r.p_adjusted)
        )
        .ok();
    }
    body.push_str("</tbody></table></section>\n");
    Ok(())
}

/// The rows of a comparison its chart leaves out, and why, folded away under the chart.
fn left_out_list(body: &mut String, cmp: &Comparison) {
    let several_lenses = |r: &compare::Row| cmp.rows.iter().any(|q| q.lens_a != r.lens_a);
    let mut out: Vec<String> = cmp
        .rows
        .iter()
        .filter_map(|r| {
            left_out(r).map(|why| {
                let lens = if several_lenses(r) {
                    format!("{}: ", r.lens_a)
                } else {
                    String::new()
                };
                format!(
                    "<li><code>{}{}</code>: {}</li>",
                    escape(&lens),
                    escape(&r.metric),
                    escape(why)
                )
            })
        })
        .collect();
    out.extend(cmp.skipped.iter().map(|m| {
        format!(
            "<li><code>{}</code>: undefined in every run of both sets (not compared)</li>",
            escape(m)
        )
    }));
    if !out.is_empty() {
        writeln!(
            body,
            "<details><summary>Left out of the chart: {} row(s)</summary><ul class=\"left-out\">{}</ul></details>",
            out.len(),
            out.join("")
        )
        .ok();
    }
}

/// A section per pair of interest (`pairs.csv`): trust both ways, identity and trade, each a
/// mean line per lens with its p05-p95 band and the event markers.
fn pair_sections(
    path: &Path,
    lenses: &[String],
    marks: &[Marker],
    body: &mut String,
    toc: &mut String,
    share: Axis,
) -> Result<()> {
    let SeriesFile {
        series,
        groups: pairs,
        states,
        ..
    } = read_series(path, SummaryFile::Pairs)?;
    for pair in &pairs {
        let (a, b) = states.get(pair).cloned().unwrap_or_else(|| ("A".into(), "B".into()));
        let anchor = format!("p-{}", pair.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
        writeln!(toc, "<li><a href=\"#{anchor}\">pair {}</a></li>", escape(pair)).ok();
        writeln!(
            body,
            "<section id=\"{anchor}\"><h2>Pair: {} and {}</h2>",
            escape(&a),
            escape(&b)
        )
        .ok();
        let charts: [(&str, String, &str, Axis, String); 4] = [
            (
                "trust_ab",
                format!("Trust of {a} in {b}"),
                "trust, 0-1",
                share,
                format!("How {a} trusts {b} (directed trust, trust_ab)."),
            ),
            (
                "trust_ba",
                format!("Trust of {b} in {a}"),
                "trust, 0-1",
                share,
                format!("How {b} trusts {a} (directed trust, trust_ba)."),
            ),
            (
                "identity",
                format!("Identity, {a} and {b}"),
                "we-feeling, 0-1",
                share,
                "We-feeling between the two, the mean of both directions.".to_string(),
            ),
            (
                "trade",
                format!("Trade, {a} and {b}"),
                "trade (scenario units)",
                Axis::Count,
                "Trade between the two.".to_string(),
            ),
        ];
        for (metric, title, y_desc, axis, caption) in charts {
            if !lenses
                .iter()
                .any(|l| series.contains_key(&(l.clone(), pair.clone(), metric.to_string())))
            {
                continue;
            }
            let (svg, note) = band_chart(
                &series,
                lenses,
                &BandSpec {
                    community: pair,
                    metric,
                    title,
                    y_desc,
                    band: true,
                    axis,
                    y_labels: Labels::Plain,
                    y_area: if axis == Axis::Count { 70 } else { 56 },
                },
                marks,
            )?;
            let caption = if note.is_empty() {
                caption
            } else {
                format!("{caption} Note: {note}.")
            };
            figure(body, &svg, &caption);
        }
        body.push_str("</section>\n");
    }
    Ok(())
}

fn figure(body: &mut String, svg: &str, caption: &str) {
    writeln!(
        body,
        "<figure>{}<figcaption>{}</figcaption></figure>",
        strip_xml_decl(svg),
        escape(caption)
    )
    .ok();
}

/// The whole page: title, table of contents and body.
fn page(title: &str, toc: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>{title}</title>\n<style>\n{CSS}</style>\n</head>\n\
         <body>\n<nav><ul>\n{toc}</ul></nav>\n<main>\n{body}</main>\n</body>\n</html>\n",
        title = escape(title),
    )
}

fn strip_xml_decl(svg: &str) -> &str {
    match svg.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(svg, |(_, r)| r.trim_start()),
        None => svg,
    }
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}\n\
nav{position:fixed;top:0;left:0;width:11em;padding:1em;font-size:0.9em}\n\
main{margin-left:13em;padding:1em 2em;max-width:62em}\n\
figure{margin:1.2em 0;background:#fff;border:1px solid #ddd;padding:0.5em}\n\
figure svg{width:100%;height:auto}\n\
figcaption{font-size:0.85em;color:#555;margin-top:0.3em}\n\
.meta{color:#555;font-size:0.9em}\n\
table{border-collapse:collapse;font-size:0.85em}\n\
td,th{border-bottom:1px solid #ddd;padding:0.2em 0.6em;text-align:right}\n\
td:first-child,th:first-child{text-align:left}\n\
tr.sig td{font-weight:600}\n\
table.events{font-size:0.85em;color:#444}\n\
table.events td{text-align:left;vertical-align:top}\n\
table.events td:first-child{text-align:right}\n\
table.events th{text-align:left}\n";

/// Where `comity report` writes by default.
pub fn default_path(dir: &Path) -> PathBuf {
    dir.join(crate::results::REPORT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_years() {
        assert_eq!(decimal_year("2017"), Some(2017.0));
        assert_eq!(decimal_year("2017-Q3"), Some(2017.5));
        assert_eq!(decimal_year("2017-04"), Some(2017.25));
        assert_eq!(decimal_year("soon"), None);
        // Found by tests/fuzz.rs: `inf` as a date made `comity report` run forever, `1e308` panic.
        for bad in [
            "inf", "1e308", "-1e308", "NaN", "10000", "2017-13", "2017-Q5", "2017-00", "2017.5",
        ] {
            assert_eq!(decimal_year(bad), None, "{bad}");
        }
    }

    #[test]
    fn axes_are_drawable_whatever_the_values() {
        // Found by tests/fuzz.rs: 1.7e308 beside 0 in timeseries.csv padded an axis to infinity,
        // and plotters looked for its tick marks forever.
        assert_eq!(drawable(0.25..0.75), 0.25..0.75);
        for r in [
            0.0..f64::INFINITY,
            f64::NEG_INFINITY..f64::INFINITY,
            -1.7e308..1.7e308,
            f64::NAN..1.0,
            0.0..f64::NAN,
            1.0..1.0,
            f64::INFINITY..f64::INFINITY,
        ] {
            let d = drawable(r.clone());
            assert!(
                d.start.is_finite() && d.end.is_finite() && (d.end - d.start).is_finite() && d.end > d.start,
                "{r:?} -> {d:?}"
            );
        }
        let chart = frame(
            Frame {
                title: "t",
                size: SIZE,
                x_desc: "x",
                y_desc: "y",
                x: 0.0..1.0,
                y: -1.7e308..f64::INFINITY,
                x_labels: Labels::Plain,
                y_labels: Labels::Plain,
                y_area: 56,
                top_area: 0,
                right_area: 0,
                legend: None,
            },
            |_| Ok(()),
        );
        assert!(chart.is_ok());
    }
}
