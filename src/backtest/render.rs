//! Three views of a backtest's rows: a terminal table, the tidy CSV, and JSON.

use super::{Backtest, Row};

/// The tidy CSV: one row per (section, scope, category, period, lens, source).
pub fn csv_text(b: &Backtest) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    for row in &b.rows {
        w.serialize(row).expect("rows serialise to CSV");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("CSV of UTF-8 strings")
}

/// Everything as one JSON document: the years, the notes and the rows.
pub fn json_text(b: &Backtest) -> String {
    let mut s = serde_json::to_string_pretty(b).expect("a backtest serialises to JSON");
    s.push('\n');
    s
}

fn pct(x: Option<f64>, digits: usize) -> String {
    x.map_or("-".into(), |v| format!("{:.*}%", digits, 100.0 * v))
}

fn interval(lo: Option<f64>, hi: Option<f64>, digits: usize) -> String {
    match (lo, hi) {
        (Some(a), Some(b)) => format!("[{:.*}, {:.*}]", digits, 100.0 * a, digits, 100.0 * b),
        _ => String::new(),
    }
}

fn mark(b: Option<bool>) -> char {
    match b {
        Some(true) => '+',
        Some(false) => '-',
        None => '.',
    }
}

/// Lays out rows of cells in columns (left-aligned first column, the rest right-aligned).
fn grid(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let pad = width[c].saturating_sub(cell.chars().count());
            if c == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn find(b: &Backtest, f: impl Fn(&Row) -> bool) -> Option<&Row> {
    b.rows.iter().find(|r| f(r))
}

/// A block of rows: for each (scope, category), the observed figure, the baselines, and each
/// lens's simulated figure with its marks (beats persistence / recent / cells).
fn block(
    b: &Backtest,
    section: &str,
    periods: [&str; 2],
    keys: &[(String, String)],
    digits: usize,
    cells: bool,
) -> String {
    let mut head = vec![
        "".to_string(),
        "observed".into(),
        "95%".into(),
        "persist.".into(),
        "recent".into(),
    ];
    if cells {
        head.push("cells".into());
    }
    for l in &b.lenses {
        head.push(l.clone());
        head.push("95% of runs".into());
        head.push(if cells { "PRC" } else { "PR" }.into());
    }
    let mut rows = vec![head];
    for (scope, category) in keys {
        let get = |source: &str, lens: &str| {
            find(b, |r| {
                r.section == section
                    && r.scope == *scope
                    && r.category == *category
                    && r.source == source
                    && r.lens == lens
                    && periods.contains(&r.period.as_str())
            })
        };
        let Some(o) = get("observed", "") else { continue };
        let label = if scope == "system" || scope == "world" {
            format!("{category} ({scope})")
        } else {
            category.clone()
        };
        let mut line = vec![label, pct(o.value, digits), interval(o.lo, o.hi, digits)];
        line.push(pct(get("persistence", "").and_then(|r| r.value), digits));
        line.push(pct(get("recent", "").and_then(|r| r.value), digits));
        if cells {
            line.push(pct(get("cells", "").and_then(|r| r.value), digits));
        }
        for l in &b.lenses {
            match get("simulated", l) {
                Some(s) => {
                    line.push(pct(s.value, digits));
                    line.push(interval(s.lo, s.hi, digits));
                    let mut m = format!("{}{}", mark(s.beats_persistence), mark(s.beats_recent));
                    if cells {
                        m.push(mark(s.beats_cells));
                    }
                    line.push(m);
                }
                None => line.extend(["-".into(), String::new(), String::new()]),
            }
        }
        rows.push(line);
    }
    grid(&rows)
}

/// The terminal table.
pub fn table(b: &Backtest) -> String {
    let mut out = format!(
        "Backtest of {} ({}, {} runs per lens) against {}\n",
        b.output, b.scenario, b.runs, b.data
    );
    let yr = |y: [i64; 2]| format!("{}-{}", y[0], y[1]);
    out.push_str(&format!(
        "years: simulated {}, observed {}, compared {}; persistence {}, recent {}\n",
        yr(b.simulated_years),
        yr(b.observed_years),
        yr(b.compared_years),
        b.persistence_years.map_or("-".into(), yr),
        b.recent_years.map_or("-".into(), yr),
    ));
    for n in &b.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push_str(
        "(system: every pair of COW members; world: the simulated world's pairs, counted like for like; \
         simulated: pooled over runs, with the 2.5-97.5% range of the runs; marks: + beats, - does not, \
         . no comparison: P persistence, R recent rates, C per-cell persistence)\n",
    );
    let observed = yr(b.observed_years);
    let compared = yr(b.compared_years);
    let cats = |scopes: &[&str], cs: &[&str]| -> Vec<(String, String)> {
        cs.iter()
            .flat_map(|c| scopes.iter().map(move |s| (s.to_string(), c.to_string())))
            .collect()
    };
    out.push_str(&format!(
        "\nOnset rate per dyad-year, {observed} (observed) and {compared} (simulated)\n"
    ));
    out.push_str(&block(
        b,
        "rate",
        [&observed, &compared],
        &cats(&["system", "world"], &super::CATEGORIES),
        3,
        true,
    ));

    out.push_str("\nBy 5-year block, all and politically relevant dyads (every category in --csv)\n");
    let mut periods: Vec<String> = Vec::new();
    for r in b
        .rows
        .iter()
        .filter(|r| r.section == "rate" && r.source == "observed" && r.scope == "system")
    {
        if r.period != observed && !periods.contains(&r.period) {
            periods.push(r.period.clone());
        }
    }
    let mut rows = vec![{
        let mut h = vec!["block".to_string(), "category".into(), "system".into(), "world".into()];
        h.extend(b.lenses.iter().cloned());
        h
    }];
    for p in &periods {
        for c in ["all", "prd"] {
            let v = |scope: &str, source: &str, lens: &str| {
                find(b, |r| {
                    r.section == "rate"
                        && r.period == *p
                        && r.category == c
                        && r.scope == scope
                        && r.source == source
                        && r.lens == lens
                })
                .and_then(|r| r.value)
            };
            let mut line = vec![
                p.clone(),
                c.to_string(),
                pct(v("system", "observed", ""), 3),
                pct(v("world", "observed", ""), 3),
            ];
            for l in &b.lenses {
                line.push(pct(v("world", "simulated", l), 3));
            }
            rows.push(line);
        }
    }
    out.push_str(&grid(&rows));

    out.push_str(&format!(
        "\nHighest hostility level of disputes, {observed} (observed) and {compared} (simulated)\n"
    ));
    out.push_str(&block(
        b,
        "hostility",
        [&observed, &compared],
        &cats(&["system"], &["threat", "display", "use_of_force", "war"]),
        1,
        false,
    ));

    let groups: Vec<String> = {
        let mut g: Vec<String> = Vec::new();
        for r in b.rows.iter().filter(|r| r.section == "group") {
            if !g.contains(&r.scope) {
                g.push(r.scope.clone());
            }
        }
        g
    };
    for g in &groups {
        out.push_str(&format!("\n{g}: onsets among its members, {compared}\n"));
        out.push_str(&block(
            b,
            "group",
            [&compared, &compared],
            &[(g.clone(), "onset_rate".into())],
            3,
            true,
        ));
        let mut line = String::from("runs without a war / a use of force among them:");
        for l in &b.lenses {
            let v = |c: &str| {
                find(b, |r| {
                    r.section == "group" && r.scope == *g && r.category == c && r.lens == *l
                })
                .and_then(|r| r.value)
            };
            line.push_str(&format!(
                " {l} {} / {};",
                pct(v("runs_without_war"), 1),
                pct(v("runs_without_force"), 1)
            ));
        }
        out.push_str(line.trim_end_matches(';'));
        out.push('\n');
        let mut rows = vec![{
            let mut h = vec!["pair".to_string(), "onset years (data)".into()];
            h.extend(b.lenses.iter().map(|l| format!("{l} per run")));
            h
        }];
        for r in b
            .rows
            .iter()
            .filter(|r| r.section == "pair" && r.scope == *g && r.source == "observed")
        {
            let mut line = vec![r.category.clone(), format!("{}", r.value.unwrap_or(0.0))];
            for l in &b.lenses {
                let s = find(b, |x| {
                    x.section == "pair" && x.scope == *g && x.category == r.category && x.lens == *l
                });
                line.push(s.and_then(|s| s.value).map_or("-".into(), |v| format!("{v:.3}")));
            }
            rows.push(line);
        }
        if rows.len() > 1 {
            out.push_str(&grid(&rows));
        }
    }

    out.push_str(&format!(
        "\nDyad ranking over the world's dyads with a record, {compared}\n"
    ));
    let mut rows = vec![vec!["score".to_string(), "history".into()]];
    rows[0].extend(b.lenses.iter().cloned());
    for (c, label) in [("auc", "AUC"), ("top_decile_share", "real onsets in the top decile")] {
        let v = |source: &str, lens: &str| {
            find(b, |r| {
                r.section == "ranking" && r.category == c && r.source == source && r.lens == lens
            })
            .and_then(|r| r.value)
        };
        let mut line = vec![
            label.to_string(),
            v("history", "").map_or("-".into(), |x| format!("{x:.3}")),
        ];
        for l in &b.lenses {
            line.push(v("simulated", l).map_or("-".into(), |x| format!("{x:.3}")));
        }
        rows.push(line);
    }
    out.push_str(&grid(&rows));
    out.push_str("(history: past MID onsets of the dyad in the persistence window, plus 0.5 when contiguous)\n");

    out.push_str(
        "\nSimulated figures closer to the data than each baseline (whole window: rates, hostility, groups)\n",
    );
    for l in &b.lenses {
        let sims: Vec<&Row> = b
            .rows
            .iter()
            .filter(|r| {
                r.lens == *l
                    && r.source == "simulated"
                    && matches!(r.section, "rate" | "hostility" | "group")
                    && r.period == compared
            })
            .collect();
        let count = |f: &dyn Fn(&Row) -> Option<bool>| {
            let known: Vec<bool> = sims.iter().filter_map(|r| f(r)).collect();
            format!("{} of {}", known.iter().filter(|&&x| x).count(), known.len())
        };
        out.push_str(&format!(
            "  {l}: persistence {}, recent {}, cells {}\n",
            count(&|r| r.beats_persistence),
            count(&|r| r.beats_recent),
            count(&|r| r.beats_cells)
        ));
    }
    out
}
