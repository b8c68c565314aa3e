//! The report's backtest section, drawn from `backtest.csv` (`comity backtest`): the onset rate
//! per 5-year block, observed against each lens, and a table of the whole window's figures.

use super::{Frame, Labels, PALETTE, ReportError, Result, draw_err, escape, figure, frame};
use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

/// One row of `backtest.csv` (the columns of `crate::backtest::Row`).
#[derive(Clone, Debug, serde::Deserialize)]
struct Row {
    section: String,
    scope: String,
    category: String,
    period: String,
    lens: String,
    source: String,
    value: Option<f64>,
    lo: Option<f64>,
    hi: Option<f64>,
    beats_persistence: Option<bool>,
    beats_recent: Option<bool>,
    beats_cells: Option<bool>,
}

fn read(path: &Path) -> Result<Vec<Row>> {
    let bad = |line: u64, e: &dyn std::fmt::Display| ReportError::Data {
        message: format!("{} line {line}: {e}", path.display()),
        hint: Some("backtest.csv is written by `comity backtest`; write it again with --force".into()),
    };
    let mut r = csv::Reader::from_path(path).map_err(|e| bad(0, &e))?;
    let mut rows = Vec::new();
    for rec in r.deserialize::<Row>() {
        rows.push(rec.map_err(|e| bad(e.position().map_or(0, |p| p.line()), &e))?);
    }
    Ok(rows)
}

fn years(period: &str) -> Option<(i64, i64)> {
    let (a, b) = period.split_once('-')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

fn pct(x: Option<f64>, digits: usize) -> String {
    x.map_or("-".into(), |v| format!("{:.*}%", digits, 100.0 * v))
}

fn mark(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "+",
        Some(false) => "−",
        None => "·",
    }
}

/// The all-dyads onset rate per 5-year block, the world's dyads: observed (points with their
/// 95% interval) and each lens (line, and the 2.5-97.5% range of its runs as a band).
fn blocks_chart(rows: &[Row], whole: &str, lenses: &[String]) -> Result<Option<String>> {
    let pick = |source: &str, lens: &str| -> Vec<(f64, &Row)> {
        let mut v: Vec<(f64, &Row)> = rows
            .iter()
            .filter(|r| {
                r.section == "rate"
                    && r.scope == "world"
                    && r.category == "all"
                    && r.source == source
                    && r.lens == lens
                    && r.period != whole
                    && r.value.is_some()
            })
            .filter_map(|r| years(&r.period).map(|(a, b)| ((a + b) as f64 / 2.0 + 0.5, r)))
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    };
    let observed = pick("observed", "");
    if observed.len() < 2 {
        return Ok(None);
    }
    let sims: Vec<Vec<(f64, &Row)>> = lenses.iter().map(|l| pick("simulated", l)).collect();
    let all = observed.iter().chain(sims.iter().flatten());
    let x0 = all.clone().map(|p| p.0).fold(f64::INFINITY, f64::min) - 2.5;
    let x1 = all.clone().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max) + 2.5;
    let top = all.flat_map(|(_, r)| [r.value, r.hi]).flatten().fold(0.0_f64, f64::max) * 100.0 * 1.1;
    let pc = |y: &f64| format!("{y:.2}%");
    let yr = |x: &f64| format!("{x:.0}");
    let svg = frame(
        Frame {
            title: "Onset rate per dyad-year, by 5-year block",
            size: (760, 380),
            x_desc: "year",
            y_desc: "onset rate per dyad-year",
            x: x0..x1,
            y: 0.0..top.max(0.01),
            x_labels: Labels::Format(&yr),
            y_labels: Labels::Format(&pc),
            y_area: 64,
            top_area: 0,
            right_area: 0,
            legend: Some(SeriesLabelPosition::LowerLeft),
        },
        |chart| {
            for (k, (lens, points)) in lenses.iter().zip(&sims).enumerate() {
                let colour = PALETTE[(k + 1) % PALETTE.len()];
                let band: Vec<(f64, f64)> = points
                    .iter()
                    .filter_map(|(x, r)| r.hi.map(|h| (*x, 100.0 * h)))
                    .chain(points.iter().rev().filter_map(|(x, r)| r.lo.map(|l| (*x, 100.0 * l))))
                    .collect();
                if band.len() > 2 {
                    chart
                        .draw_series(std::iter::once(Polygon::new(band, colour.mix(0.15))))
                        .map_err(draw_err)?;
                }
                chart
                    .draw_series(LineSeries::new(
                        points.iter().filter_map(|(x, r)| r.value.map(|v| (*x, 100.0 * v))),
                        colour.stroke_width(2),
                    ))
                    .map_err(draw_err)?
                    .label(lens.as_str())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
            }
            let obs = PALETTE[0];
            for (x, r) in &observed {
                if let (Some(lo), Some(hi)) = (r.lo, r.hi) {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(*x, 100.0 * lo), (*x, 100.0 * hi)],
                            obs.stroke_width(1),
                        )))
                        .map_err(draw_err)?;
                }
            }
            chart
                .draw_series(
                    observed
                        .iter()
                        .filter_map(|(x, r)| r.value.map(|v| Circle::new((*x, 100.0 * v), 4, obs.filled()))),
                )
                .map_err(draw_err)?
                .label("observed (95% interval)")
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, obs.filled()));
            Ok(())
        },
    )?;
    Ok(Some(svg))
}

/// The section, when the folder holds `backtest.csv`.
pub(super) fn section(dir: &Path, body: &mut String, toc: &mut String) -> Result<()> {
    let path = dir.join(crate::results::BACKTEST);
    if !path.exists() {
        return Ok(());
    }
    let rows = read(&path)?;
    let mut lenses: Vec<String> = Vec::new();
    for r in rows.iter().filter(|r| r.source == "simulated") {
        if !lenses.contains(&r.lens) {
            lenses.push(r.lens.clone());
        }
    }
    // The whole window is the period of the first world row (blocks follow it).
    let whole = rows
        .iter()
        .find(|r| r.section == "rate" && r.scope == "world")
        .map(|r| r.period.clone())
        .unwrap_or_default();
    body.push_str("<section id=\"backtest\"><h2>Backtest against the dispute record</h2>\n");
    writeln!(
        body,
        "<p>From <code>backtest.csv</code> (<code>comity backtest</code>), {}: the simulated world's dyads counted like for like \
         in the years the record covers. Simulated figures are pooled over runs, with the 2.5–97.5% range of the runs; \
         marks say whether each beats persistence, recent rates and per-cell persistence (+ closer to the data, − not, · no comparison).</p>",
        escape(&whole)
    )
    .ok();
    if let Some(svg) = blocks_chart(&rows, &whole, &lenses)? {
        figure(
            body,
            &svg,
            "All-dyads onset rate of the simulated world's dyads per 5-year block: the record (points, exact Poisson 95% interval) and each lens (line; band: 2.5-97.5% of runs).",
        );
    }
    body.push_str(
        "<table><thead><tr><th>quantity</th><th>observed</th><th>persistence</th><th>recent</th><th>cells</th>",
    );
    for l in &lenses {
        write!(body, "<th>{}</th><th>PRC</th>", escape(l)).ok();
    }
    body.push_str("</tr></thead><tbody>\n");
    let find = |r0: &Row, source: &str, lens: &str| {
        rows.iter().find(|r| {
            r.section == r0.section
                && r.scope == r0.scope
                && r.category == r0.category
                && r.source == source
                && r.lens == lens
                && (r.period == r0.period || source == "simulated")
        })
    };
    for o in rows.iter().filter(|r| {
        r.source == "observed"
            && ((r.section == "rate" && r.scope == "world" && r.period == whole)
                || r.section == "hostility"
                || (r.section == "group" && r.category == "onset_rate"))
    }) {
        let digits = if o.section == "hostility" { 1 } else { 3 };
        let label = match o.section.as_str() {
            "rate" => format!("onset rate, {}", o.category),
            "hostility" => format!("highest level: {}", o.category.replace('_', " ")),
            _ => format!("onset rate among {}", o.scope),
        };
        let base = |s: &str| pct(find(o, s, "").and_then(|r| r.value), digits);
        write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            escape(&label),
            pct(o.value, digits),
            base("persistence"),
            base("recent"),
            base("cells")
        )
        .ok();
        for l in &lenses {
            match find(o, "simulated", l) {
                Some(s) => write!(
                    body,
                    "<td>{}</td><td>{}{}{}</td>",
                    pct(s.value, digits),
                    mark(s.beats_persistence),
                    mark(s.beats_recent),
                    mark(s.beats_cells)
                ),
                None => write!(body, "<td>-</td><td></td>"),
            }
            .ok();
        }
        body.push_str("</tr>\n");
    }
    for (category, label) in [
        ("auc", "dyad ranking: AUC"),
        ("top_decile_share", "real onsets in the top decile"),
    ] {
        let v = |source: &str, lens: &str| {
            rows.iter()
                .find(|r| r.section == "ranking" && r.category == category && r.source == source && r.lens == lens)
                .and_then(|r| r.value)
                .map_or("-".into(), |x| format!("{x:.3}"))
        };
        write!(
            body,
            "<tr><td>{label}</td><td></td><td>history {}</td><td></td><td></td>",
            v("history", "")
        )
        .ok();
        for l in &lenses {
            write!(body, "<td>{}</td><td></td>", v("simulated", l)).ok();
        }
        body.push_str("</tr>\n");
    }
    body.push_str("</tbody></table>\n</section>\n");
    writeln!(toc, "<li><a href=\"#backtest\">Backtest</a></li>").ok();
    Ok(())
}
