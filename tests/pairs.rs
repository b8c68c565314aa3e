//! Pairs of interest: `pairs.csv`, their `runs.csv` columns, `--pairs`, report and compare.

mod common;
use common::*;
use std::fs;
use std::path::Path;

const SCENARIO: &str = "scenarios/western_community.toml";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn pairs_are_recorded_summarised_and_compared_without_changing_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (with, without) = (dir.path().join("with"), dir.path().join("without"));
    let o = run(&[
        "run",
        SCENARIO,
        "--runs",
        "40",
        "--lens",
        "realist,liberal",
        "--quiet",
        "--out",
        s(&with),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // The same run with other pairs: recording pairs draws nothing, so the rest is unchanged.
    let o = run(&[
        "run",
        SCENARIO,
        "--runs",
        "40",
        "--lens",
        "realist,liberal",
        "--quiet",
        "--pairs",
        "GMY-FRN",
        "--out",
        s(&without),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        fs::read(with.join("timeseries.csv")).unwrap(),
        fs::read(without.join("timeseries.csv")).unwrap()
    );

    // pairs.csv: the scenario's four pairs x 6 metrics x 15 years x 2 lenses.
    let (header, rows) = read_csv(&with.join("pairs.csv"));
    assert_eq!(
        header,
        [
            "lens", "tick", "date", "year", "pair", "state_a", "state_b", "metric", "n", "mean", "sd", "p05", "p50",
            "p95"
        ]
    );
    assert_eq!(rows.len(), 4 * 6 * 15 * 2);
    let pairs: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[4].as_str()).collect();
    assert_eq!(
        pairs.into_iter().collect::<Vec<_>>(),
        ["USA-CAN", "USA-GMY", "USA-JPN", "USA-UKG"]
    );
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for r in &rows {
        assert_eq!(r[col("n")], "40");
        let (lo, mid, hi, mean) = (
            r[col("p05")].parse::<f64>().unwrap(),
            r[col("p50")].parse::<f64>().unwrap(),
            r[col("p95")].parse::<f64>().unwrap(),
            r[col("mean")].parse::<f64>().unwrap(),
        );
        assert!(lo <= mid && mid <= hi && mean.is_finite(), "{r:?}");
        if r[col("metric")].starts_with("trust") || r[col("metric")] == "identity" {
            assert!((0.0..=1.0).contains(&mean));
        }
    }
    // The first year's USA-GMY trust comes from the world as written (both directions differ).
    let first = |m: &str| {
        rows.iter()
            .find(|r| r[0] == "liberal" && r[1] == "0" && r[4] == "USA-GMY" && r[7] == m)
            .map(|r| r[col("mean")].parse::<f64>().unwrap())
            .unwrap()
    };
    assert!(first("trust_ab") > 0.3 && first("trust_ba") > 0.3 && first("trade") > 0.0);
    assert_eq!(first("allied"), 1.0, "the US and Germany share NATO");

    // runs.csv carries each pair's final values; they agree with pairs.csv's last-year means.
    let (rh, rrows) = read_csv(&with.join("runs.csv"));
    let c = rh.iter().position(|h| h == "USA-GMY.trade").expect("a pair column");
    let liberal: Vec<f64> = rrows
        .iter()
        .filter(|r| r[0] == "liberal")
        .map(|r| r[c].parse().unwrap())
        .collect();
    let mean = liberal.iter().sum::<f64>() / liberal.len() as f64;
    let last = rows
        .iter()
        .find(|r| r[0] == "liberal" && r[1] == "14" && r[4] == "USA-GMY" && r[7] == "trade")
        .map(|r| r[col("mean")].parse::<f64>().unwrap())
        .unwrap();
    assert!((mean - last).abs() < 1e-9 * last.abs().max(1.0), "{mean} vs {last}");

    // compare pairs them like communities.
    let o = run(&[
        "compare",
        s(&with),
        s(&with),
        "--community",
        "USA-GMY",
        "--lens",
        "liberal",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("USA-GMY.trust_ba"), "{}", text(&o.stdout));

    // Without --community naming them, pairs stay out of the comparison (and its Holm family).
    let o = run(&["compare", s(&with), s(&without), "--lens", "liberal"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let all = text(&o.stdout) + &text(&o.stderr);
    assert!(
        !all.contains("USA-GMY.trust") && all.contains("--community USA-GMY"),
        "{all}"
    );

    // The report draws each pair.
    let o = run(&["report", s(&with)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let html = fs::read_to_string(with.join("report.html")).unwrap();
    assert!(
        html.contains("Pair: USA and GMY")
            && html.contains("Trust of GMY in USA")
            && html.contains("Trade, USA and JPN")
    );

    // A misspelt pair on the command line: a usage error with a did-you-mean.
    let o = run(&[
        "run",
        SCENARIO,
        "--runs",
        "2",
        "--pairs",
        "USA-GMX",
        "--out",
        s(&dir.path().join("x")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("did you mean \"GMY\""), "{}", text(&o.stderr));
    assert!(!dir.path().join("x").exists());
}
