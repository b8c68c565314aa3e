//! `comity sensitivity`: which varied parameters drive an outcome of a sweep.

use super::{Failure, emit};
use comity::design::DesignKind;
use comity::output::num;
use comity::sensitivity::{self, PrimResult};
use comity::sweep::{LensOutcome, MetricRef, ReadError, SweepFolder};
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// A folder written by `comity sweep`.
    pub sweep_dir: PathBuf,
    /// The outcome: COMMUNITY.METRIC (end of run, a runs.csv column) or COMMUNITY.METRIC@YEAR
    /// (that year's value), e.g. west.cohesion@2030. Each point's outcome is its mean over runs.
    #[arg(long, value_parser = MetricRef::parse)]
    pub metric: Option<MetricRef>,
    /// Scenario discovery: the parameter box where this condition is most likely, e.g.
    /// "west.cohesion@2030 < 0.5" (PRIM; operators <, <=, >, >=).
    #[arg(long = "where", value_name = "CONDITION")]
    pub condition: Option<String>,
    /// Only this lens of the sweep [default: every lens].
    #[arg(long)]
    pub lens: Option<String>,
    /// Bootstrap resamples for the 95% intervals of Sobol and Morris indices.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub bootstrap: u64,
    /// Also write the results as a tidy CSV (one row per lens, factor and statistic).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

fn data(e: ReadError) -> Failure {
    Failure::Data(e.message, e.hint)
}

/// A `--where` condition: metric, operator, threshold.
#[derive(Clone, Debug)]
pub struct Condition {
    pub metric: MetricRef,
    pub op: &'static str,
    pub threshold: f64,
}

impl Condition {
    pub fn parse(text: &str) -> Result<Condition, String> {
        let help = "write METRIC OP NUMBER, e.g. \"west.cohesion@2030 < 0.5\" (OP: <, <=, >, >=)";
        for op in ["<=", ">=", "<", ">"] {
            if let Some((m, v)) = text.split_once(op) {
                let metric = MetricRef::parse(m)?;
                let threshold: f64 = v
                    .trim()
                    .parse()
                    .ok()
                    .filter(|x: &f64| x.is_finite())
                    .ok_or_else(|| format!("`{}` in `{text}` is not a number; {help}", v.trim()))?;
                return Ok(Condition { metric, op, threshold });
            }
        }
        Err(format!("`{text}` has no comparison; {help}"))
    }

    pub fn holds(&self, v: f64) -> bool {
        v.is_finite()
            && match self.op {
                "<" => v < self.threshold,
                "<=" => v <= self.threshold,
                ">" => v > self.threshold,
                _ => v >= self.threshold,
            }
    }
}

/// One line of the tidy output.
#[derive(serde::Serialize)]
struct Row {
    lens: String,
    metric: String,
    method: &'static str,
    factor: String,
    statistic: &'static str,
    estimate: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
}

/// A p-value for the terminal: 3 decimals, else 2 significant digits, "<1e-16" at the limit of f64.
fn p_value(p: f64) -> String {
    if p < 1e-16 {
        "<1e-16".to_string()
    } else if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn row(
    lens: &str,
    metric: &str,
    method: &'static str,
    factor: &str,
    statistic: &'static str,
    v: (f64, f64, f64),
) -> Row {
    Row {
        lens: lens.to_string(),
        metric: metric.to_string(),
        method,
        factor: factor.to_string(),
        statistic,
        estimate: finite(v.0),
        ci_low: finite(v.1),
        ci_high: finite(v.2),
    }
}

/// The analysis that fits the design: Sobol indices, Morris statistics or regression.
fn indices(
    folder: &SweepFolder,
    outcome: &LensOutcome,
    metric: &str,
    bootstrap: usize,
    seed: u64,
    text: &mut String,
) -> Result<Vec<Row>, Failure> {
    let design = &folder.design;
    if let Some(p) = outcome.mean.iter().position(|v| !v.is_finite()) {
        return Err(Failure::Data(
            format!("{metric} has no value at point {p} under {} (no run defined it)", outcome.lens),
            Some("choose a metric every run defines (first_war_year is empty in runs without a war), or a year inside the scenario".into()),
        ));
    }
    let lens = outcome.lens.as_str();
    let y = &outcome.mean;
    let fail = |e: sensitivity::SensitivityError| Failure::Data(format!("{metric} under {lens}: {e}"), None);
    let mut rows = Vec::new();
    let w = text;
    let na = |x: f64| if x.is_finite() { format!("{x:.3}") } else { "-".into() };
    match design.kind {
        DesignKind::Sobol => {
            let mut s = sensitivity::sobol(design, y, bootstrap, seed).map_err(fail)?;
            writeln!(w, "Sobol indices (Saltelli 2010 first order, Jansen total; 95% bootstrap intervals, {bootstrap} resamples)").ok();
            writeln!(w, "  {:<32} {:>24} {:>24}", "parameter", "first order S1", "total ST").ok();
            for r in &s {
                rows.push(row(
                    lens,
                    metric,
                    "sobol",
                    &r.factor,
                    "S1",
                    (r.first.estimate, r.first.lo, r.first.hi),
                ));
                rows.push(row(
                    lens,
                    metric,
                    "sobol",
                    &r.factor,
                    "ST",
                    (r.total.estimate, r.total.lo, r.total.hi),
                ));
            }
            s.sort_by(|a, b| b.total.estimate.total_cmp(&a.total.estimate));
            for r in &s {
                let cell = |i: &sensitivity::Interval| format!("{} [{}, {}]", na(i.estimate), na(i.lo), na(i.hi));
                writeln!(w, "  {:<32} {:>24} {:>24}", r.factor, cell(&r.first), cell(&r.total)).ok();
            }
            let sum: f64 = s.iter().map(|r| r.first.estimate).sum();
            writeln!(
                w,
                "  sum of S1 = {sum:.3} (1 - sum: the share of variance from interactions)"
            )
            .ok();
        }
        DesignKind::Morris => {
            let mut m = sensitivity::morris(design, y, bootstrap, seed).map_err(fail)?;
            writeln!(
                w,
                "Morris elementary effects (per whole range of the parameter; mu* with a 95% bootstrap interval)"
            )
            .ok();
            writeln!(w, "  {:<32} {:>26} {:>10} {:>10}", "parameter", "mu*", "mu", "sigma").ok();
            for r in &m {
                rows.push(row(
                    lens,
                    metric,
                    "morris",
                    &r.factor,
                    "mu_star",
                    (r.mu_star, r.mu_star_lo, r.mu_star_hi),
                ));
                rows.push(row(lens, metric, "morris", &r.factor, "mu", (r.mu, f64::NAN, f64::NAN)));
                rows.push(row(
                    lens,
                    metric,
                    "morris",
                    &r.factor,
                    "sigma",
                    (r.sigma, f64::NAN, f64::NAN),
                ));
            }
            m.sort_by(|a, b| b.mu_star.total_cmp(&a.mu_star));
            for r in &m {
                let ms = format!("{} [{}, {}]", na(r.mu_star), na(r.mu_star_lo), na(r.mu_star_hi));
                writeln!(w, "  {:<32} {:>26} {:>10} {:>10}", r.factor, ms, na(r.mu), na(r.sigma)).ok();
            }
        }
        _ => {
            let (mut r, r2) = sensitivity::regression(design, y).map_err(fail)?;
            writeln!(
                w,
                "Standardised regression coefficients and partial rank correlations (R^2 of the linear fit {r2:.3})"
            )
            .ok();
            writeln!(w, "  {:<32} {:>10} {:>10} {:>12}", "parameter", "SRC", "PRCC", "PRCC p").ok();
            for x in &r {
                rows.push(row(
                    lens,
                    metric,
                    "regression",
                    &x.factor,
                    "src",
                    (x.src, f64::NAN, f64::NAN),
                ));
                rows.push(row(
                    lens,
                    metric,
                    "regression",
                    &x.factor,
                    "prcc",
                    (x.prcc, f64::NAN, f64::NAN),
                ));
                rows.push(row(
                    lens,
                    metric,
                    "regression",
                    &x.factor,
                    "prcc_p",
                    (x.prcc_p.unwrap_or(f64::NAN), f64::NAN, f64::NAN),
                ));
            }
            rows.push(row(
                lens,
                metric,
                "regression",
                "",
                "r_squared",
                (r2, f64::NAN, f64::NAN),
            ));
            r.sort_by(|a, b| b.src.abs().total_cmp(&a.src.abs()));
            for x in &r {
                let p = x.prcc_p.map_or("-".to_string(), p_value);
                writeln!(w, "  {:<32} {:>10} {:>10} {:>12}", x.factor, na(x.src), na(x.prcc), p).ok();
            }
        }
    }
    Ok(rows)
}

/// PRIM on the cases of one lens: every run at its point when per-run values exist, else the points.
fn discover(
    folder: &SweepFolder,
    outcome: &LensOutcome,
    cond: &Condition,
    cond_text: &str,
    text: &mut String,
) -> Result<(Vec<Row>, PrimResult, &'static str, serde_json::Value), Failure> {
    let design = &folder.design;
    let names = design.names();
    let mut point_of = Vec::new();
    let (points, hits, cases): (Vec<Vec<f64>>, Vec<bool>, &'static str) = match &outcome.runs {
        Some(runs) => {
            let mut pts = Vec::new();
            let mut hit = Vec::new();
            for (p, values) in runs.iter().enumerate() {
                for &v in values {
                    pts.push(design.points[p].clone());
                    hit.push(cond.holds(v));
                    point_of.push(p);
                }
            }
            (pts, hit, "runs")
        }
        None => {
            point_of.extend(0..design.points.len());
            (
                design.points.clone(),
                outcome.mean.iter().map(|&v| cond.holds(v)).collect(),
                "point means",
            )
        }
    };
    let lens = outcome.lens.as_str();
    let n_hits = hits.iter().filter(|&&h| h).count();
    if n_hits == 0 || n_hits == hits.len() {
        let values: Vec<f64> = match &outcome.runs {
            Some(runs) => runs.iter().flatten().copied().filter(|v| v.is_finite()).collect(),
            None => outcome.mean.iter().copied().filter(|v| v.is_finite()).collect(),
        };
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        return Err(Failure::Data(
            format!(
                "{cond_text} holds in {} of the {} {cases} under {lens}: there is no box to find",
                if n_hits == 0 { "none" } else { "all" },
                hits.len()
            ),
            Some(format!(
                "{} ranges from {} to {} in this sweep; choose a threshold inside that range",
                cond.metric,
                num(Some(lo)),
                num(Some(hi))
            )),
        ));
    }
    // The design unit of each case: a Saltelli base sample, a Morris trajectory, else a point.
    let k = names.len();
    let unit = |p: usize| match design.kind {
        DesignKind::Sobol => p / (k + 2),
        DesignKind::Morris => p / (k + 1),
        _ => p,
    };
    let unit_of: Vec<usize> = point_of.iter().map(|&p| unit(p)).collect();
    let found = sensitivity::discover(
        &points,
        &names,
        &hits,
        &point_of,
        &unit_of,
        sensitivity::PRIM_DEFAULT_ALPHA,
        sensitivity::PRIM_DEFAULT_MIN_MASS,
    )
    .map_err(|e| Failure::Data(format!("{cond_text} under {lens}: {e}"), None))?;
    let result = &found.peeling;
    let peeled = &result.trajectory[result.chosen];
    let (restrictions, chosen) = (found.restrictions.clone(), found.found.clone());
    let w = text;
    writeln!(
        w,
        "Scenario discovery (PRIM, Friedman & Fisher 1999): where {cond_text} ({} of {} {cases}: {:.1}%)",
        n_hits,
        hits.len(),
        100.0 * n_hits as f64 / hits.len() as f64
    )
    .ok();
    if cases == "point means" {
        writeln!(
            w,
            "  (cases are point means: run the sweep with --at-years {} to find the box over single runs)",
            cond.metric.year.map_or("YEAR".to_string(), |y| y.to_string())
        )
        .ok();
    }
    if restrictions.is_empty() {
        writeln!(
            w,
            "  no restriction of the parameters makes it significantly more likely (density {:.3} everywhere)",
            chosen.density
        )
        .ok();
    }
    for r in &restrictions {
        // Sides at the edge of the sampled values are not restrictions: say ">= lo" or "<= hi".
        let j = names
            .iter()
            .position(|n| *n == r.factor)
            .expect("PRIM names the design's factors");
        let column = design.points.iter().map(|p| p[j]);
        let (min, max) = (
            column.clone().fold(f64::INFINITY, f64::min),
            column.fold(f64::NEG_INFINITY, f64::max),
        );
        let (lo, hi) = (r.lo, r.hi);
        let rule = match (lo > min, hi < max) {
            (true, true) => format!("between {lo:.4} and {hi:.4}"),
            (true, false) => format!(">= {lo:.4}"),
            (false, true) => format!("<= {hi:.4}"),
            (false, false) => "anywhere".to_string(),
        };
        let spec = &design.factors[j];
        let qp = p_value(r.quasi_p);
        let kept = 100.0 * (hi.min(spec.hi) - lo.max(spec.lo)) / (spec.hi - spec.lo);
        writeln!(
            w,
            "  {:<32} {rule:<28} ({kept:.0}% of the swept {}..{}; quasi-p {qp})",
            r.factor,
            num(Some(spec.lo)),
            num(Some(spec.hi))
        )
        .ok();
    }
    let dropped = peeled.bounds.len() - restrictions.len();
    if found.held_out {
        writeln!(
            w,
            "  (box peeled on half of the design, its restrictions tested on the other half; quasi-p from that half)"
        )
        .ok();
    } else {
        writeln!(w, "  (too few design units to hold half out: box peeled and tested on the same cases, so quasi-p values are optimistic)").ok();
    }
    if dropped > 0 {
        writeln!(
            w,
            "  ({dropped} more restriction(s) from peeling dropped: quasi-p above {} or a density gain under {:.0}%)",
            sensitivity::PRIM_PRUNE_P,
            100.0 * sensitivity::PRIM_MIN_GAIN
        )
        .ok();
    }
    writeln!(
        w,
        "  coverage {:.3} (share of all such {cases} inside the box), density {:.3} (share of the box's {cases} where it holds), mass {:.3}",
        chosen.coverage, chosen.density, chosen.mass
    )
    .ok();
    let metric = cond_text.to_string();
    let mut rows = vec![
        row(
            lens,
            &metric,
            "prim",
            "",
            "base_density",
            (n_hits as f64 / hits.len() as f64, f64::NAN, f64::NAN),
        ),
        row(
            lens,
            &metric,
            "prim",
            "",
            "coverage",
            (chosen.coverage, f64::NAN, f64::NAN),
        ),
        row(
            lens,
            &metric,
            "prim",
            "",
            "density",
            (chosen.density, f64::NAN, f64::NAN),
        ),
        row(lens, &metric, "prim", "", "mass", (chosen.mass, f64::NAN, f64::NAN)),
    ];
    for r in &restrictions {
        rows.push(row(
            lens,
            &metric,
            "prim",
            &r.factor,
            "box_low",
            (r.lo, f64::NAN, f64::NAN),
        ));
        rows.push(row(
            lens,
            &metric,
            "prim",
            &r.factor,
            "box_high",
            (r.hi, f64::NAN, f64::NAN),
        ));
        rows.push(row(
            lens,
            &metric,
            "prim",
            &r.factor,
            "quasi_p",
            (r.quasi_p, f64::NAN, f64::NAN),
        ));
    }
    let summary = serde_json::json!({
        "base_density": n_hits as f64 / hits.len() as f64,
        "coverage": chosen.coverage, "density": chosen.density, "mass": chosen.mass, "n": chosen.n, "held_out": found.held_out,
        "restrictions": restrictions.iter().map(|r| serde_json::json!({"factor": r.factor, "lo": r.lo, "hi": r.hi, "quasi_p": r.quasi_p})).collect::<Vec<_>>(),
    });
    Ok((rows, found.peeling, cases, summary))
}

pub fn run(args: Args) -> Result<(), Failure> {
    if args.metric.is_none() && args.condition.is_none() {
        return Err(Failure::Usage(
            "nothing to analyse".into(),
            Some(
                "give --metric COMMUNITY.METRIC[@YEAR] (e.g. west.cohesion@2030), --where \"CONDITION\", or both"
                    .into(),
            ),
        ));
    }
    let condition = match &args.condition {
        Some(c) => Some(Condition::parse(c).map_err(|e| Failure::Usage(e, None))?),
        None => None,
    };
    let folder = SweepFolder::open(&args.sweep_dir).map_err(data)?;
    let lenses: Vec<String> = match &args.lens {
        Some(l) if folder.lenses.contains(l) => vec![l.clone()],
        Some(l) => {
            return Err(Failure::Usage(
                format!("the sweep did not run lens `{l}`"),
                Some(format!("its lenses: {}", folder.lenses.join(", "))),
            ));
        }
        None => folder.lenses.clone(),
    };
    let seed = folder.design.seed;
    let mut text = String::new();
    let mut rows: Vec<Row> = Vec::new();
    let mut json_lenses = Vec::new();
    writeln!(
        text,
        "{}: {} design, {} points x {} runs, parameters: {}",
        args.sweep_dir.display(),
        folder.design.kind.name(),
        folder.design.points.len(),
        folder.runs,
        folder.design.names().join(", ")
    )
    .ok();
    let metric_outcomes = match &args.metric {
        Some(m) => Some(folder.outcome(m).map_err(data)?),
        None => None,
    };
    let cond_outcomes = match &condition {
        Some(c) => Some(folder.outcome(&c.metric).map_err(data)?),
        None => None,
    };
    for lens in &lenses {
        writeln!(text, "\n{lens}").ok();
        let mut entry = serde_json::json!({ "lens": lens });
        if let (Some(m), Some(outs)) = (&args.metric, &metric_outcomes) {
            let o = outs.iter().find(|o| &o.lens == lens).expect("one outcome per lens");
            let name = m.to_string();
            let mean = o.mean.iter().sum::<f64>() / o.mean.len() as f64;
            writeln!(
                text,
                "outcome {name}: mean over points {mean:.4} (each point: mean of its runs)"
            )
            .ok();
            let r = indices(&folder, o, &name, args.bootstrap as usize, seed, &mut text)?;
            entry["metric"] = name.into();
            entry["indices"] = serde_json::to_value(&r).expect("rows serialize");
            rows.extend(r);
        }
        if let (Some(c), Some(outs), Some(ct)) = (&condition, &cond_outcomes, &args.condition) {
            let o = outs.iter().find(|o| &o.lens == lens).expect("one outcome per lens");
            let (r, result, cases, summary) = discover(&folder, o, c, ct.trim(), &mut text)?;
            let traj: Vec<serde_json::Value> = result
                .trajectory
                .iter()
                .map(|b| serde_json::json!({"coverage": b.coverage, "density": b.density, "mass": b.mass, "n": b.n, "bounds": b.bounds}))
                .collect();
            entry["where"] = serde_json::json!({
                "condition": ct.trim(),
                "cases": cases,
                "base_density": summary["base_density"],
                "box": summary,
                "chosen": result.chosen,
                "trajectory": traj,
            });
            rows.extend(r);
        }
        json_lenses.push(entry);
    }
    if let Some(path) = &args.csv {
        let io = |e: String| {
            Failure::Output(comity::output::OutputError::Io {
                path: path.clone(),
                source: std::io::Error::other(e),
            })
        };
        let mut w = csv::Writer::from_writer(comity::output::AtomicFile::create(path)?);
        w.write_record([
            "lens",
            "metric",
            "method",
            "factor",
            "statistic",
            "estimate",
            "ci_low",
            "ci_high",
        ])
        .map_err(|e| io(e.to_string()))?;
        for r in &rows {
            w.write_record([
                r.lens.as_str(),
                &r.metric,
                r.method,
                &r.factor,
                r.statistic,
                &num(r.estimate),
                &num(r.ci_low),
                &num(r.ci_high),
            ])
            .map_err(|e| io(e.to_string()))?;
        }
        w.into_inner().map_err(|e| io(e.to_string()))?.commit()?;
    }
    if args.json {
        let value = serde_json::json!({
            "sweep": args.sweep_dir.display().to_string(),
            "design": folder.design.kind.name(),
            "points": folder.design.points.len(),
            "runs": folder.runs,
            "parameters": folder.design.names(),
            "lenses": json_lenses,
        });
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&value).expect("JSON values serialize")
        ));
    } else {
        emit(&text);
    }
    Ok(())
}
