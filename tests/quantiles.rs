//! Percentiles users can trust (issue 12, item 6): `timeseries.csv`'s p05/p50/p95 are the
//! exact R type 7 percentiles of the runs' values while they fit the memory budget, and
//! within the stated rank error of them when a KLL sketch is used above it.

mod common;
use comity::montecarlo::{self, Config, Sink};
use comity::sim::metrics::METRICS;
use comity::sim::{Prepared, RunResult};
use comity::stats::{KLL_K, QuantileMethod, kll_rank_error, quantile_sorted};
use common::*;
use std::sync::Arc;

const SCENARIO: &str = "scenarios/western_community.toml";

fn parse(cell: &str) -> Option<f64> {
    (!cell.is_empty()).then(|| cell.parse().unwrap())
}

/// The issue's example: realist, 500 runs. Every percentile of every metric of 2016 equals
/// the type 7 percentile of the 500 values in `runs_at.csv`, bit for bit.
#[test]
fn the_issues_example_reports_the_exact_percentiles_of_runs_at() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q");
    let o = run(&[
        "run",
        SCENARIO,
        "--lens",
        "realist",
        "--runs",
        "500",
        "--at-years",
        "2016",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "stderr: {}", text(&o.stderr));

    let (at_header, at_rows) = read_csv(&out.join("runs_at.csv"));
    assert_eq!(at_rows.len(), 500);
    let (_, ts) = read_csv(&out.join("timeseries.csv"));
    let mut checked = 0;
    for r in ts.iter().filter(|r| r[3] == "2016") {
        let column = format!("{}.{}", r[4], r[5]);
        let Some(c) = at_header.iter().position(|h| *h == column) else {
            continue;
        };
        let mut values: Vec<f64> = at_rows.iter().filter_map(|row| parse(&row[c])).collect();
        values.sort_by(f64::total_cmp);
        assert_eq!(r[6], values.len().to_string(), "{column}: n");
        let reported: Vec<Option<f64>> = r[9..12].iter().map(|x| parse(x)).collect();
        let exact: Vec<Option<f64>> = [0.05, 0.5, 0.95].iter().map(|&q| quantile_sorted(&values, q)).collect();
        assert_eq!(reported, exact, "{column}: reported p05/p50/p95 vs exact");
        if let [Some(p05), Some(p50), Some(p95)] = reported[..] {
            assert!(values[0] <= p05 && p05 <= p50 && p50 <= p95 && p95 <= values[values.len() - 1]);
        }
        checked += 1;
    }
    assert!(checked >= 3 * METRICS.len() - 3, "only {checked} cells checked");

    // The issue's cell: west cohesion in 2016, whose band the old sketch put below the data.
    let west = ts
        .iter()
        .find(|r| r[3] == "2016" && r[4] == "west" && r[5] == "cohesion")
        .unwrap();
    let c = at_header.iter().position(|h| h == "west.cohesion").unwrap();
    let mut values: Vec<f64> = at_rows.iter().map(|row| row[c].parse().unwrap()).collect();
    values.sort_by(f64::total_cmp);
    let (p05, p95): (f64, f64) = (west[9].parse().unwrap(), west[11].parse().unwrap());
    let share_in_band = values.iter().filter(|&&v| p05 <= v && v <= p95).count() as f64 / 500.0;
    assert!(
        (0.89..=0.91).contains(&share_in_band),
        "{share_in_band} of the runs in [{p05}, {p95}]"
    );

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["quantiles"]["method"], "exact (R type 7)");
    assert_eq!(manifest["quantiles"]["rank_error"], 0.0);
}

/// Keeps every run's metric panel, in run order.
struct Keep(Vec<Vec<f64>>);

impl Sink for Keep {
    fn chunk(&mut self, _lens: usize, _name: &str, _prepared: &Prepared, results: &[RunResult]) -> std::io::Result<()> {
        // The aggregate's cells: the communities' metrics, then the pairs of interest's.
        self.0.extend(
            results
                .iter()
                .map(|r| r.metrics.iter().chain(&r.pairs).copied().collect()),
        );
        Ok(())
    }
}

/// Above the budget (forced here with a budget of 0 bytes) every cell is a KLL sketch: each
/// percentile's rank is within the stated bound of the exact one, the band is ordered and
/// inside the data, constant cells are exact, and the bytes do not depend on the threads.
#[test]
fn a_forced_sketch_keeps_its_stated_rank_error_on_the_bundled_scenario() {
    let scenario = Arc::new(comity::scenario::load(&repo(SCENARIO)).unwrap());
    let prepared = Prepared::new(scenario);
    let lenses = vec![("realist".to_string(), comity::params::lens("realist").unwrap())];
    let runs = 1500; // more than the sketch holds before its first compaction
    let go = |threads: usize, sink: &mut dyn Sink| {
        let config = Config {
            runs,
            seed: 7,
            threads,
            record_disputes: false,
            dyad_year_runs: 0,
            scratch: None,
        };
        montecarlo::run_within(&prepared, &lenses, &config, sink, &|_| {}, 0).unwrap()
    };
    let mut kept = Keep(Vec::new());
    let sketched = go(2, &mut kept);
    let one_thread = go(1, &mut Keep(Vec::new()));
    assert_eq!(
        sketched[0].cells, one_thread[0].cells,
        "the sketch depends on the threads"
    );
    let bound = kll_rank_error(runs, KLL_K);
    assert!(bound > 0.0 && bound < 0.004, "{bound}");
    assert_eq!(montecarlo::quantile_method(&prepared, runs), QuantileMethod::Exact);

    let mut largest: f64 = 0.0;
    let mut constant = 0;
    for (i, cell) in sketched[0].cells.iter().enumerate() {
        assert_eq!(cell.method(), QuantileMethod::Kll);
        let mut values: Vec<f64> = kept.0.iter().map(|p| p[i]).filter(|x| x.is_finite()).collect();
        values.sort_by(f64::total_cmp);
        assert_eq!(cell.n(), values.len() as u64);
        if values.is_empty() {
            assert_eq!(cell.quantile(0.5), None);
            continue;
        }
        let n = values.len() as u64;
        let qs: Vec<f64> = [0.05, 0.5, 0.95].iter().map(|&q| cell.quantile(q).unwrap()).collect();
        assert!(
            values[0] <= qs[0] && qs[0] <= qs[1] && qs[1] <= qs[2] && qs[2] <= values[values.len() - 1],
            "cell {i}: {qs:?}"
        );
        if values[0] == values[values.len() - 1] {
            constant += 1;
            assert!(
                qs.iter().all(|&q| q == values[0]),
                "cell {i}: constant {} as {qs:?}",
                values[0]
            );
        }
        for (q, got) in [0.05, 0.5, 0.95].into_iter().zip(qs) {
            let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
            let below = values.partition_point(|&x| x < got) as u64;
            let upto = values.partition_point(|&x| x <= got) as u64;
            let off = if rank <= below {
                below + 1 - rank
            } else {
                rank.saturating_sub(upto)
            };
            let error = off as f64 / n as f64;
            largest = largest.max(error);
            assert!(error <= bound, "cell {i} q {q}: rank error {error} > {bound}");
        }
    }
    assert!(constant > 0, "no constant cell checked");
    eprintln!("{runs} runs, KLL k = {KLL_K}: stated rank error {bound:.5}, largest seen {largest:.5}");
}
