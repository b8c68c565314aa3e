//! `comity compare`: do two outcome sets really differ?

use super::{Failure, emit};
use comity::compare::{self, Comparison, OutputSet, short};
use comity::output::{self, AtomicFile};
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Output folder (or its runs.csv) taken as the baseline A.
    pub a: PathBuf,
    /// Output folder (or its runs.csv) compared with A; leave out to compare two lenses of A (--lens, --vs).
    pub b: Option<PathBuf>,
    /// Lens of A (and of B, unless --vs is given).
    #[arg(long)]
    pub lens: Option<String>,
    /// Lens compared with --lens (of B, or of A when B is left out).
    #[arg(long)]
    pub vs: Option<String>,
    /// Also compare these years of timeseries.csv, e.g. --at 2020,2030.
    #[arg(long, value_delimiter = ',')]
    pub at: Vec<i64>,
    /// Compare only the --at years (needed when A and B simulate different periods).
    #[arg(long)]
    pub at_only: bool,
    /// Familywise error rate (Holm correction over every metric compared).
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Also write the table to this CSV file.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Print JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Replace an existing --csv file.
    #[arg(long)]
    pub force: bool,
    /// Show only the significant rows in the table (files keep every row).
    #[arg(long)]
    pub significant: bool,
    /// Compare only these metrics (e.g. cohesion,disputes); the Holm family is the rows kept.
    #[arg(long, value_delimiter = ',')]
    pub metric: Vec<String>,
    /// Compare only these communities (e.g. west,system).
    #[arg(long, value_delimiter = ',')]
    pub community: Vec<String>,
}

pub fn run(args: Args) -> Result<(), Failure> {
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        return Err(Failure::Usage("--alpha must be in (0, 1)".into(), None));
    }
    if args.b.is_none() && args.vs.is_none() {
        return Err(Failure::Usage(
            "compare needs a second output folder B, or --lens L --vs L2 to compare two lenses of A".into(),
            Some("comity compare output/base output/variant   or   comity compare output/run --lens a --vs b".into()),
        ));
    }
    if let Some(path) = &args.csv
        && path.exists()
        && !args.force
    {
        return Err(Failure::Usage(
            format!("{} already exists", path.display()),
            Some("pass --force to replace it, or choose another --csv file".into()),
        ));
    }
    let a = OutputSet::load(&args.a).map_err(Failure::Compare)?;
    let b = match &args.b {
        Some(p) => Some(OutputSet::load(p).map_err(Failure::Compare)?),
        None => None,
    };
    let opts = compare::Options {
        lens_a: args.lens.clone(),
        lens_b: args.vs.clone(),
        at: args.at.clone(),
        at_only: args.at_only,
        alpha: args.alpha,
        metrics: args.metric.clone(),
        communities: args.community.clone(),
    };
    let cmp = compare::compare(&a, b.as_ref(), &opts).map_err(Failure::Compare)?;
    if let Some(path) = &args.csv {
        write_csv(path, &cmp)?;
    }
    if args.json {
        emit(&(serde_json::to_string_pretty(&cmp).expect("a comparison serializes") + "\n"));
    } else {
        emit(&table(&cmp, std::io::stdout().is_terminal(), args.significant));
    }
    Ok(())
}

fn write_csv(path: &std::path::Path, cmp: &Comparison) -> Result<(), Failure> {
    let io = |e: std::io::Error| {
        Failure::Output(output::OutputError::Io {
            path: path.to_path_buf(),
            source: e,
        })
    };
    let mut file = AtomicFile::create(path)?;
    {
        let mut w = csv::Writer::from_writer(file.writer());
        w.write_record([
            "community",
            "metric",
            "year",
            "lens_a",
            "lens_b",
            "a_dir",
            "b_dir",
            "seed_a",
            "seed_b",
            "n_a",
            "n_b",
            "mean_a",
            "mean_b",
            "diff",
            "ci_low",
            "ci_high",
            "effect",
            "effect_kind",
            "test",
            "p",
            "p_holm",
            "significant",
            "note",
        ])
        .map_err(|e| io(e.into()))?;
        let seed = |s: Option<u64>| s.map_or("NA".to_string(), |v| v.to_string());
        for r in &cmp.rows {
            let method = format!("{:?}", r.method).to_lowercase();
            w.write_record([
                r.community.as_str(),
                &r.name,
                &r.year.map_or(String::new(), |y| y.to_string()),
                &r.lens_a,
                &r.lens_b,
                &cmp.a_dir,
                &cmp.b_dir,
                &seed(cmp.seed_a),
                &seed(cmp.seed_b),
                &r.n_a.to_string(),
                &r.n_b.to_string(),
                &cell(r.mean_a),
                &cell(r.mean_b),
                &cell(r.diff),
                &cell(r.ci_low),
                &cell(r.ci_high),
                &cell(r.effect),
                r.effect_kind,
                &method,
                &cell(r.p),
                &cell(r.p_adjusted),
                if r.significant { "1" } else { "0" },
                &r.note,
            ])
            .map_err(|e| io(e.into()))?;
        }
        w.flush().map_err(io)?;
    }
    file.writer().flush().map_err(io)?;
    file.commit()?;
    Ok(())
}

/// A CSV cell: the number in a form every common reader parses exactly (exponent form for tiny
/// and huge values), `NA` when undefined, `Inf`/`-Inf` when infinite.
fn cell(x: f64) -> String {
    if x.is_nan() {
        "NA".into()
    } else if x.is_infinite() {
        if x > 0.0 { "Inf".into() } else { "-Inf".into() }
    } else {
        output::num(Some(x))
    }
}

/// A p-value for the table: `< 1e-16` where it underflows the precision of a double.
fn p_cell(p: f64) -> String {
    if p.is_finite() && p < 1e-16 {
        "< 1e-16".into()
    } else {
        short(p)
    }
}

/// The aligned text table.
pub fn table(cmp: &Comparison, colour: bool, only_significant: bool) -> String {
    let mut out = String::new();
    writeln!(out, "A: {}\nB: {}", cmp.a, cmp.b).ok();
    for n in &cmp.notes {
        writeln!(out, "note: {n}").ok();
    }
    let header = [
        "metric", "n", "mean A", "mean B", "B - A", "95% CI", "effect", "p (Holm)", "",
    ];
    let several = cmp.rows.iter().any(|r| r.lens_a != cmp.rows[0].lens_a);
    let mut cells: Vec<[String; 9]> = Vec::new();
    for r in cmp.rows.iter().filter(|r| !only_significant || r.significant) {
        cells.push([
            if several {
                format!("{}: {}", r.lens_a, r.metric)
            } else {
                r.metric.clone()
            },
            if r.n_a == r.n_b {
                r.n_a.to_string()
            } else {
                format!("{}/{}", r.n_a, r.n_b)
            },
            short(r.mean_a),
            short(r.mean_b),
            short(r.diff),
            format!("[{}, {}]", short(r.ci_low), short(r.ci_high)),
            if r.effect.is_infinite() {
                (if r.effect > 0.0 { "Inf" } else { "-Inf" }).to_string()
            } else {
                short(r.effect)
            },
            p_cell(r.p_adjusted),
            if r.significant { "*".into() } else { String::new() },
        ]);
    }
    let widths: Vec<usize> = (0..9)
        .map(|k| {
            cells
                .iter()
                .map(|c| c[k].chars().count())
                .chain([header[k].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |c: &[String], diff_sign: f64, out: &mut String| {
        for (k, cell) in c.iter().enumerate() {
            let pad = widths[k] - cell.chars().count();
            let text = if k == 0 {
                format!("{cell}{}", " ".repeat(pad))
            } else {
                format!("{}{cell}", " ".repeat(pad))
            };
            // Okabe-Ito blue for increases, vermillion for decreases: distinguishable for colour-blind readers.
            let text = if colour && k == 4 && diff_sign > 0.0 {
                format!("\x1b[38;2;0;114;178m{text}\x1b[0m")
            } else if colour && k == 4 && diff_sign < 0.0 {
                format!("\x1b[38;2;213;94;0m{text}\x1b[0m")
            } else {
                text
            };
            write!(out, "{}{}", if k == 0 { "" } else { "  " }, text).ok();
        }
        out.push('\n');
    };
    let head: Vec<String> = header.iter().map(|s| s.to_string()).collect();
    line(&head, 0.0, &mut out);
    let rows: Vec<&compare::Row> = cmp.rows.iter().filter(|r| !only_significant || r.significant).collect();
    for (c, r) in cells.iter().zip(rows) {
        line(c, r.diff, &mut out);
    }
    let n_sig = cmp.rows.iter().filter(|r| r.significant).count();
    writeln!(
        out,
        "{n_sig} of {} metrics differ significantly (* : Holm-adjusted p < {}); effect: standardised difference ({})",
        cmp.rows.len(),
        cmp.alpha,
        match (
            cmp.rows.iter().any(|r| r.effect_kind == "d_z"),
            cmp.rows.iter().any(|r| r.effect_kind == "d")
        ) {
            (true, false) => "d_z: mean difference / sd of the run-by-run differences",
            (false, true) => "Cohen's d: difference / root mean of the two variances",
            _ => "d_z for paired rows, Cohen's d for Welch rows; --csv has effect_kind",
        }
    )
    .ok();
    if cmp.rows.iter().any(|r| r.effect.is_infinite()) {
        writeln!(
            out,
            "Inf: the run-by-run differences do not vary (every run moved by the same amount)"
        )
        .ok();
    }
    if !cmp.skipped.is_empty() {
        writeln!(out, "not compared (undefined in every run): {}", cmp.skipped.join(", ")).ok();
    }
    out
}
