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
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use thiserror::Error;

mod sweep;
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

/// One row of timeseries.csv that the report uses.
#[derive(Clone, Debug)]
struct Point {
    x: f64,
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
pub fn decimal_year(date: &str) -> Option<f64> {
    if let Some((y, q)) = date.split_once("-Q") {
        return Some(y.parse::<f64>().ok()? + (q.parse::<f64>().ok()? - 1.0) / 4.0);
    }
    if let Some((y, m)) = date.split_once('-') {
        return Some(y.parse::<f64>().ok()? + (m.parse::<f64>().ok()? - 1.0) / 12.0);
    }
    date.parse().ok()
}

fn read_series(path: &Path) -> Result<(Series, Vec<String>, Vec<String>)> {
    let bad = |e: csv::Error| ReportError::Input(format!("cannot read {}: {e}", path.display()));
    let mut r = csv::Reader::from_path(path).map_err(bad)?;
    let header: Vec<String> = r.headers().map_err(bad)?.iter().map(String::from).collect();
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            ReportError::Input(format!(
                "{} is not a comity timeseries.csv (no `{name}`)",
                path.display()
            ))
        })
    };
    let (cl, cd, cc, cm, cmean, c5, c95) = (
        col("lens")?,
        col("date")?,
        col("community")?,
        col("metric")?,
        col("mean")?,
        col("p05")?,
        col("p95")?,
    );
    let mut series: Series = BTreeMap::new();
    let (mut lenses, mut communities) = (Vec::<String>::new(), Vec::<String>::new());
    for rec in r.records() {
        let rec = rec.map_err(bad)?;
        let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
        let x = decimal_year(&rec[cd])
            .ok_or_else(|| ReportError::Input(format!("{}: bad date {}", path.display(), &rec[cd])))?;
        if !lenses.iter().any(|l| l == &rec[cl]) {
            lenses.push(rec[cl].to_string());
        }
        if !communities.iter().any(|c| c == &rec[cc]) {
            communities.push(rec[cc].to_string());
        }
        series
            .entry((rec[cl].to_string(), rec[cc].to_string(), rec[cm].to_string()))
            .or_default()
            .push(Point {
                x,
                mean: num(&rec[cmean]),
                p05: num(&rec[c5]),
                p95: num(&rec[c95]),
            });
    }
    if series.is_empty() {
        return Err(ReportError::Input(format!("{} has no rows", path.display())));
    }
    Ok((series, lenses, communities))
}

fn draw_err<E: std::fmt::Debug>(e: E) -> ReportError {
    ReportError::Draw(format!("{e:?}"))
}

/// Horizontal extent of the series, padded by half a step.
fn x_range(series: &Series) -> (f64, f64) {
    let xs = series.values().flat_map(|v| v.iter().map(|p| p.x));
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    (lo, if hi > lo { hi } else { lo + 1.0 })
}

fn draw_markers<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, XY>,
    markers: &[Marker],
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Result<()> {
    let visible: Vec<&Marker> = markers.iter().filter(|m| m.x >= x0 && m.x <= x1).collect();
    chart
        .draw_series(
            visible
                .iter()
                .map(|m| PathElement::new(vec![(m.x, y0), (m.x, y1)], RGBColor(120, 120, 120).mix(0.6))),
        )
        .map_err(draw_err)?;
    let step = (y1 - y0) * 0.055;
    chart
        .draw_series(visible.iter().enumerate().map(|(k, m)| {
            // Charts carry the event's number; the list above the charts says what it was.
            Text::new(
                format!("{}", k + 1),
                (m.x, y1 - step * (k % 3) as f64),
                ("sans-serif", 11).into_font().color(&RGBColor(60, 60, 60)),
            )
        }))
        .map_err(draw_err)?;
    Ok(())
}

/// A mean line per lens, with its p05-p95 band when `band`.
#[allow(clippy::too_many_arguments)]
fn band_chart(
    series: &Series,
    lenses: &[String],
    community: &str,
    metric: &str,
    title: &str,
    y_desc: &str,
    band: bool,
    markers: &[Marker],
) -> Result<String> {
    let (x0, x1) = x_range(series);
    let mut y1: f64 = 0.0;
    for lens in lenses {
        if let Some(points) = series.get(&(lens.clone(), community.to_string(), metric.to_string())) {
            y1 = points
                .iter()
                .map(|p| p.p95.max(p.mean))
                .filter(|v| v.is_finite())
                .fold(y1, f64::max);
        }
    }
    let y1 = if ["cohesion", "identity", "escalation_rate"].contains(&metric) {
        1.0
    } else {
        (y1 * 1.1).max(1e-6)
    };
    year_chart(
        title,
        y_desc,
        x0..x1,
        0.0..y1,
        SeriesLabelPosition::LowerLeft,
        |chart| {
            draw_markers(chart, markers, (x0, x1), (0.0, y1))?;
            for (k, lens) in lenses.iter().enumerate() {
                let Some(points) = series.get(&(lens.clone(), community.to_string(), metric.to_string())) else {
                    continue;
                };
                let colour = PALETTE[k % PALETTE.len()];
                let defined: Vec<&Point> = points
                    .iter()
                    .filter(|p| p.mean.is_finite() && p.p05.is_finite() && p.p95.is_finite())
                    .collect();
                if band {
                    let mut area: Vec<(f64, f64)> = defined.iter().map(|p| (p.x, p.p95)).collect();
                    area.extend(defined.iter().rev().map(|p| (p.x, p.p05)));
                    chart
                        .draw_series(std::iter::once(Polygon::new(area, colour.mix(0.18))))
                        .map_err(draw_err)?;
                }
                chart
                    .draw_series(LineSeries::new(
                        defined.iter().map(|p| (p.x, p.mean)),
                        colour.stroke_width(2),
                    ))
                    .map_err(draw_err)?
                    .label(if band {
                        format!("{lens}: mean (band p05-p95)")
                    } else {
                        format!("{lens}: mean")
                    })
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
            }
            Ok(())
        },
    )
}

/// Mean lines of several metrics (one colour each) for one lens.
#[allow(clippy::too_many_arguments)]
fn lines_chart(
    series: &Series,
    lens: &str,
    community: &str,
    metrics: &[(&str, &str, RGBColor)],
    title: &str,
    y_desc: &str,
    y_max: Option<f64>,
    markers: &[Marker],
) -> Result<String> {
    let (x0, x1) = x_range(series);
    let mut top: f64 = 0.0;
    for (m, _, _) in metrics {
        if let Some(points) = series.get(&(lens.to_string(), community.to_string(), m.to_string())) {
            top = points
                .iter()
                .map(|p| p.mean)
                .filter(|v| v.is_finite())
                .fold(top, f64::max);
        }
    }
    let y1 = y_max.unwrap_or((top * 1.45).max(0.05));
    year_chart(
        title,
        y_desc,
        x0..x1,
        0.0..y1,
        SeriesLabelPosition::UpperRight,
        |chart| {
            draw_markers(chart, markers, (x0, x1), (0.0, y1))?;
            for &(metric, label, colour) in metrics {
                let Some(points) = series.get(&(lens.to_string(), community.to_string(), metric.to_string())) else {
                    continue;
                };
                chart
                    .draw_series(LineSeries::new(
                        points.iter().filter(|p| p.mean.is_finite()).map(|p| (p.x, p.mean)),
                        colour.stroke_width(2),
                    ))
                    .map_err(draw_err)?
                    .label(label.to_string())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
            }
            Ok(())
        },
    )
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

/// [`frame`] on a part of a drawing.
fn frame_on<'b>(
    area: &DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    f: Frame<'_>,
    draw: impl FnOnce(&mut ChartContext<'_, SVGBackend<'b>, XY>) -> Result<()>,
) -> Result<()> {
    let mut chart = ChartBuilder::on(area)
        .caption(f.title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(f.y_area)
        .build_cartesian_2d(f.x, f.y)
        .map_err(draw_err)?;
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(f.x_desc).y_desc(f.y_desc);
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

/// The frame shared by the charts over years: caption, a year x axis, the series that
/// `draw` adds, and the legend at `legend`.
fn year_chart(
    title: &str,
    y_desc: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    legend: SeriesLabelPosition,
    draw: impl FnOnce(&mut ChartContext<'_, SVGBackend<'_>, XY>) -> Result<()>,
) -> Result<String> {
    frame(
        Frame {
            title,
            size: SIZE,
            x_desc: "year",
            y_desc,
            x,
            y,
            x_labels: Labels::Format(&|x| format!("{x:.0}")),
            y_labels: Labels::Plain,
            y_area: 56,
            legend: Some(legend),
        },
        draw,
    )
}

/// Histogram of the year of the first war, one bar colour per lens.
fn first_war_chart(runs: &OutputSet, lenses: &[String]) -> Result<(String, String)> {
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
    let top = counts.values().copied().max().unwrap_or(1) as f64;
    let width = 0.8 / lenses.len().max(1) as f64;
    let svg = year_chart(
        "Year of the first war (whole system)",
        "runs (count)",
        (lo as f64 - 0.6)..(hi as f64 + 0.6),
        0.0..top * 1.15,
        SeriesLabelPosition::UpperRight,
        |chart| {
            for (k, lens) in lenses.iter().enumerate() {
                let colour = PALETTE[k % PALETTE.len()];
                let left = -0.4 + k as f64 * width;
                chart
                    .draw_series(counts.iter().filter(|((l, _), _)| *l == k).map(|((_, y), c)| {
                        let x = *y as f64 + left;
                        Rectangle::new([(x, 0.0), (x + width, *c as f64)], colour.mix(0.8).filled())
                    }))
                    .map_err(draw_err)?
                    .label(lens.clone())
                    .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled()));
            }
            Ok(())
        },
    )?;
    Ok((svg, caption.join("; ")))
}

/// Standardised differences B - A with their 95% intervals.
fn comparison_chart(cmp: &Comparison) -> Result<String> {
    let rows: Vec<&compare::Row> = cmp
        .rows
        .iter()
        .filter(|r| r.effect.is_finite() && r.effect != 0.0 && !r.metric.contains('@'))
        .collect();
    // Several lenses compared: each row names its lens.
    let several = rows.iter().any(|r| r.lens_a != rows[0].lens_a);
    let scaled: Vec<(String, f64, f64, f64, bool)> = rows
        .iter()
        .map(|r| {
            let sd = r.diff / r.effect;
            let label = if several {
                format!("{}: {}", r.lens_a, r.metric)
            } else {
                r.metric.clone()
            };
            (label, r.effect, r.ci_low / sd, r.ci_high / sd, r.significant)
        })
        .map(|(m, e, a, b, s)| (m, e, a.min(b), a.max(b), s))
        .collect();
    let reach = scaled.iter().map(|r| r.2.abs().max(r.3.abs())).fold(0.5f64, f64::max) * 1.1;
    let n = scaled.len().max(1);
    let height = (60 + 22 * n as u32).max(200);
    let labels: Vec<String> = scaled.iter().map(|r| r.0.clone()).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (SIZE.0, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Differences B - A in standard deviations, with 95% intervals",
                ("sans-serif", 17),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(230)
            .build_cartesian_2d(-reach..reach, -0.5..(n as f64 - 0.5))
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
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
                BLACK.mix(0.5),
            )))
            .map_err(draw_err)?;
        for (k, (_, e, lo, hi, sig)) in scaled.iter().enumerate() {
            let colour = if *e > 0.0 { PALETTE[0] } else { PALETTE[5] };
            let y = k as f64;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(*lo, y), (*hi, y)],
                    colour.stroke_width(2),
                )))
                .map_err(draw_err)?;
            let style = if *sig { colour.filled() } else { colour.stroke_width(2) };
            chart
                .draw_series(std::iter::once(Circle::new((*e, y), 4, style)))
                .map_err(draw_err)?;
        }
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Scenario events from the scenario file named in the manifest, if it can still be read.
fn markers(manifest: &serde_json::Value) -> (Vec<Marker>, Option<String>) {
    // Outputs of this version carry their events in the manifest: the page never needs the
    // scenario file again.
    if let Some(events) = manifest["scenario"]["events"].as_array() {
        let mut merged: Vec<Marker> = Vec::new();
        for e in events {
            let (Some(date), Some(label)) = (e["date"].as_str(), e["label"].as_str()) else {
                continue;
            };
            let Some(x) = decimal_year(date) else { continue };
            match merged.last_mut() {
                Some(last) if (last.x - x).abs() < 1e-9 => {
                    if !last.label.contains(label) {
                        last.label = format!("{}, {label}", last.label);
                    }
                }
                _ => merged.push(Marker {
                    x,
                    date: date.to_string(),
                    label: label.to_string(),
                }),
            }
        }
        return (merged, None);
    }
    let Some(path) = manifest["scenario"]["path"].as_str() else {
        return (Vec::new(), Some("no scenario path in manifest.json".into()));
    };
    // The path as given to `comity run`, else the absolute path it resolved to.
    let absolute = manifest["scenario"]["absolute_path"].as_str().unwrap_or("");
    let found = [path, absolute]
        .into_iter()
        .find(|p| !p.is_empty() && Path::new(p).exists())
        .unwrap_or(path);
    match crate::scenario::load(Path::new(found)) {
        Ok(s) => {
            let list = s
                .events
                .iter()
                .map(|e| {
                    let what = s.event_label(e);
                    Marker {
                        x: e.at.year() as f64 + (e.at.month() - 1) as f64 / 12.0,
                        date: format!("{}-{:02}", e.at.year(), e.at.month()),
                        label: what,
                    }
                })
                .collect::<Vec<_>>();
            // One marker per date: join the labels of events on the same month.
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
            (merged, None)
        }
        Err(_) => (
            Vec::new(),
            Some(format!(
                "scenario events are not marked: {path} could not be read from here"
            )),
        ),
    }
}

/// Whether `dir` holds the output of `comity sweep` (its manifest says `"kind": "sweep"`).
pub fn is_sweep(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|m| m["kind"] == "sweep")
}

/// Builds the HTML page for an output folder, with an optional comparison of two folders.
/// A sweep folder gets the sweep page of its default metric ([`build_sweep`]).
pub fn build(dir: &Path, compare_with: Option<(&Path, &Path)>, compare_lens: Option<&str>) -> Result<String> {
    if is_sweep(dir) {
        if compare_with.is_some() {
            return Err(ReportError::Input(format!(
                "{} is a sweep folder: --compare draws two `comity run` folders",
                dir.display()
            )));
        }
        return build_sweep(dir, None);
    }
    let ts = dir.join("timeseries.csv");
    if !ts.exists() {
        return Err(ReportError::Input(format!(
            "{} has no timeseries.csv: give an output folder written by `comity run`",
            dir.display()
        )));
    }
    let (series, lenses, communities) = read_series(&ts)?;
    let runs = OutputSet::load(dir)?;
    let manifest: serde_json::Value = std::fs::read_to_string(dir.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    let (marks, marks_note) = markers(&manifest);
    let name = manifest["scenario"]["name"]
        .as_str()
        .unwrap_or("comity results")
        .to_string();

    let mut body = String::new();
    writeln!(body, "<h1>{}</h1>", escape(&name)).ok();
    writeln!(
        body,
        "<p class=\"meta\">Output folder <code>{}</code>: {} runs x {} lens(es) ({}), seed {}, comity {}.</p>",
        escape(&dir.display().to_string()),
        manifest["runs"].as_u64().map_or("?".to_string(), |r| r.to_string()),
        lenses.len(),
        escape(&lenses.join(", ")),
        manifest["seed"].as_u64().map_or("?".to_string(), |r| r.to_string()),
        escape(manifest["comity_version"].as_str().unwrap_or("?"))
    )
    .ok();
    writeln!(
        body,
        "<p>Lines are means across runs; shaded bands span the 5th to 95th percentiles. Numbered grey vertical lines mark the scenario's scripted events.{}</p>",
        marks_note.map(|n| format!(" ({})", escape(&n))).unwrap_or_default()
    )
    .ok();
    if !marks.is_empty() {
        body.push_str("<details open=\"open\"><summary>Scripted events</summary><ol class=\"events\">\n");
        for m in &marks {
            writeln!(body, "<li><b>{}</b> {}</li>", escape(&m.date), escape(&m.label)).ok();
        }
        body.push_str("</ol></details>\n");
    }
    let mut toc = String::new();
    for community in &communities {
        let anchor = format!("c-{}", community.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
        writeln!(toc, "<li><a href=\"#{anchor}\">{}</a></li>", escape(community)).ok();
        writeln!(
            body,
            "<section id=\"{anchor}\"><h2>Community: {}</h2>",
            escape(community)
        )
        .ok();
        let svg = band_chart(
            &series,
            &lenses,
            community,
            "cohesion",
            &format!("Cohesion, {community}"),
            "mean trust among members (0-1)",
            true,
            &marks,
        )?;
        figure(&mut body, &svg, "Cohesion: mean directed trust among the members.");
        let svg = band_chart(
            &series,
            &lenses,
            community,
            "identity",
            &format!("Identity (we-feeling), {community}"),
            "mean identity among members (0-1)",
            true,
            &marks,
        )?;
        figure(
            &mut body,
            &svg,
            "Identity: mean directed we-feeling among the members (Deutsch).",
        );
        for lens in &lenses {
            let levels = [
                ("disputes_threat", "threat (2)", LEVEL_COLOURS[0]),
                ("disputes_display", "display of force (3)", LEVEL_COLOURS[1]),
                ("disputes_force", "use of force (4)", LEVEL_COLOURS[2]),
                ("disputes_war", "war (5)", LEVEL_COLOURS[3]),
            ];
            let svg = lines_chart(
                &series,
                lens,
                community,
                &levels,
                &format!("Disputes by highest hostility level, {community} ({lens})"),
                "disputes per step (mean across runs)",
                None,
                &marks,
            )?;
            figure(
                &mut body,
                &svg,
                "New disputes between members per step, by the highest level reached on the Correlates of War ladder.",
            );
        }
        let svg = band_chart(
            &series,
            &lenses,
            community,
            "escalation_rate",
            &format!("Escalation rate, {community}"),
            "share reaching use of force (0-1)",
            false,
            &marks,
        )?;
        figure(
            &mut body,
            &svg,
            "Escalation rate: share of the step's disputes that reached use of force or war (steps without a dispute are left out of the mean).",
        );
        body.push_str("</section>\n");
    }
    let (svg, caption) = first_war_chart(&runs, &lenses)?;
    body.push_str("<section id=\"first-war\"><h2>First war</h2>\n");
    figure(
        &mut body,
        &svg,
        &format!("Distribution of the year of the first war anywhere in the system, across runs. {caption}."),
    );
    body.push_str("</section>\n");
    writeln!(toc, "<li><a href=\"#first-war\">First war</a></li>").ok();

    if let Some((a, b)) = compare_with {
        let set_a = OutputSet::load(a)?;
        let set_b = OutputSet::load(b)?;
        let opts = compare::Options {
            lens_a: compare_lens.map(String::from),
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
            &mut body,
            &svg,
            "Filled dots: significant after Holm's correction (alpha 0.05). Blue: B above A; vermillion: B below A.",
        );
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
    }

    Ok(page(&name, &toc, &body))
}

/// A chart and its caption.
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
figure svg{max-width:100%;height:auto}\n\
figcaption{font-size:0.85em;color:#555;margin-top:0.3em}\n\
.meta{color:#555;font-size:0.9em}\n\
table{border-collapse:collapse;font-size:0.85em}\n\
td,th{border-bottom:1px solid #ddd;padding:0.2em 0.6em;text-align:right}\n\
td:first-child,th:first-child{text-align:left}\n\
tr.sig td{font-weight:600}\n\
ol.events{columns:2;font-size:0.85em;color:#444}\n";

/// Where `comity report` writes by default.
pub fn default_path(dir: &Path) -> PathBuf {
    dir.join("report.html")
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
    }
}
