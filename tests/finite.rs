//! No scenario drives a state's numbers to NaN or infinity (issue 12, item 5: "two `shock` events
//! with factor 1e300 silently turn trade and cohesion into empty cells for every later tick").
//!
//! - The magnitudes the model multiplies are bounded when a scenario is loaded: `power` (a share,
//!   0..1), `gdp` (0..1e6 trillion USD), `trade` (0..1e6 bn USD), shock factors (0.001..1000);
//!   a value over its bound is refused with file, line, column and field, from TOML and CSV alike.
//! - During a run, drift and shocks may still grow power, GDP and trade without end; they
//!   saturate at ceilings (`sim::mechanisms::POWER_CEILING`, ...), so a scenario at every bound,
//!   with thousandfold shocks piled up, the most extreme parameters and a long calendar, runs to
//!   outputs whose every cell is a finite number, or empty only where a metric is undefined.
//!
//! docs/scenario-format.md, section Bounds, lists every numeric field and why it stays finite.

mod common;
use comity::sim::mechanisms::{GDP_CEILING, POWER_CEILING, TRADE_CEILING};
use comity::sim::{Prepared, tick_schedule, world::*};
use common::*;
use std::path::Path;
use std::sync::Arc;

const HEAD: &str = "[scenario]\nname = \"finite\"\nstart = 2016\nend = 2020\n\n";

fn validate(dir: &Path, name: &str, toml: &str) -> (Option<i32>, String) {
    let path = dir.join(name);
    std::fs::write(&path, toml).unwrap();
    let o = run(&["validate", path.to_str().unwrap()]);
    (o.status.code(), text(&o.stderr))
}

#[test]
fn oversized_magnitudes_are_refused_by_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let two = "[[state]]\nid = \"AAA\"\npower = 0.2\ngdp = 10\n\n[[state]]\nid = \"BBB\"\npower = 0.1\ngdp = 1\n\n";
    // (file, what it holds, the offending line, the message)
    let cases = [
        (
            "power.toml",
            format!("{HEAD}[[state]]\nid = \"AAA\"\npower = 1e308\n\n[[state]]\nid = \"BBB\"\npower = 0.1\n"),
            "power = 1e308",
            "power = 1e308 is out of range: it must be in [0, 1]",
        ),
        (
            "power_share.toml",
            format!("{HEAD}[[state]]\nid = \"AAA\"\npower = 1.5\n\n[[state]]\nid = \"BBB\"\npower = 0.1\n"),
            "power = 1.5",
            "power = 1.5 is out of range: it must be in [0, 1]",
        ),
        (
            "gdp.toml",
            format!(
                "{HEAD}[[state]]\nid = \"AAA\"\npower = 0.2\ngdp = 1.7976931348623157e308\n\n[[state]]\nid = \"BBB\"\npower = 0.1\n"
            ),
            "gdp = 1.79",
            "gdp = 1.7976931348623157e308 is out of range: it must be in [0, 1000000]",
        ),
        (
            "trade.toml",
            format!("{HEAD}{two}[[dyad]]\nstates = [\"AAA\", \"BBB\"]\ntrade = 1e308\n"),
            "trade = 1e308",
            "trade = 1e308 is out of range: it must be in [0, 1000000]",
        ),
        (
            "defaults.toml",
            format!("{HEAD}{two}[defaults]\ntrade = 2e6\n"),
            "trade = 2e6",
            "trade = 2000000 is out of range: it must be in [0, 1000000]",
        ),
        (
            "shock.toml",
            format!("{HEAD}{two}[[event]]\nat = 2017\nkind = \"shock\"\nstate = \"AAA\"\npower_factor = 1e300\n"),
            "power_factor = 1e300",
            "power_factor must be between 0.001 and 1000",
        ),
        (
            "nan.toml",
            format!("{HEAD}[[state]]\nid = \"AAA\"\npower = nan\n\n[[state]]\nid = \"BBB\"\npower = 0.1\n"),
            "power = nan",
            "power = NaN is out of range",
        ),
    ];
    for (name, toml, needle, message) in &cases {
        let line = 1 + toml
            .lines()
            .position(|l| l.starts_with(needle))
            .expect("the offending line");
        let (code, err) = validate(dir.path(), name, toml);
        assert_eq!(code, Some(65), "{name}: {err}");
        assert!(
            err.contains(&format!("{name}:{line}:")),
            "{name}: not located at line {line}:\n{err}"
        );
        assert!(err.contains(message), "{name}: expected {message:?} in:\n{err}");
        if !name.starts_with("shock") {
            assert!(err.contains("section Bounds"), "{name}: no hint:\n{err}");
        }
    }
    // The same bounds hold in the CSV files, located at the CSV's line.
    std::fs::write(
        dir.path().join("states.csv"),
        "id,power,gdp\nAAA,0.2,10\nBBB,0.1,1e300\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("dyads.csv"), "state_a,state_b,trade\nAAA,BBB,1e308\n").unwrap();
    let (code, err) = validate(dir.path(), "csv.toml", &format!("{HEAD}states_csv = \"states.csv\"\n"));
    assert_eq!(code, Some(65), "{err}");
    assert!(
        err.contains("states.csv:3:") && err.contains("gdp = 1e300 is out of range"),
        "{err}"
    );
    std::fs::write(dir.path().join("states.csv"), "id,power,gdp\nAAA,0.2,10\nBBB,0.1,1\n").unwrap();
    let (code, err) = validate(
        dir.path(),
        "csv.toml",
        &format!("{HEAD}states_csv = \"states.csv\"\ndyads_csv = \"dyads.csv\"\n"),
    );
    assert_eq!(code, Some(65), "{err}");
    assert!(
        err.contains("dyads.csv:2:") && err.contains("trade = 1e308 is out of range"),
        "{err}"
    );
    // A CSV ccode past the 64-bit range was saved as i64::MAX without a word.
    std::fs::write(
        dir.path().join("states.csv"),
        "id,power,ccode\nAAA,0.2,2\nBBB,0.1,1e308\n",
    )
    .unwrap();
    let (code, err) = validate(dir.path(), "csv.toml", &format!("{HEAD}states_csv = \"states.csv\"\n"));
    assert_eq!(code, Some(65), "{err}");
    assert!(
        err.contains("states.csv:3:") && err.contains("ccode must be an integer"),
        "{err}"
    );
}

/// Three states at every bound: all of the system's power, the largest GDP and trade, thousandfold
/// shocks on power and GDP piled up (the "power-doubling shocks" at the largest factor
/// allowed), tariffs, crises and a summit; and two states near zero shrunk by thousandfold shocks.
fn extreme_scenario(years: u32) -> String {
    let end = 2016 + years - 1;
    let mut s = format!(
        "[scenario]\nname = \"every bound\"\nstart = 2016\nend = {end}\nseed = 5\nlens = [\"realist\", \"liberal\", \"constructivist\"]\n\n"
    );
    for (id, power, gdp, democracy) in [
        ("AAA", "1", "1e6", "1"),
        ("BBB", "1", "1e6", "0"),
        ("CCC", "1", "1e6", "0.5"),
        ("TNY", "5e-324", "5e-324", "0.5"),
        ("ZER", "0", "0", "0.5"),
    ] {
        s.push_str(&format!(
            "[[state]]\nid = \"{id}\"\npower = {power}\ngdp = {gdp}\ndemocracy = {democracy}\nmajor = true\n\n"
        ));
    }
    s.push_str(
        "[[treaty]]\nid = \"PACT\"\nkind = \"defense\"\nmembers = [\"AAA\", \"BBB\"]\nsalience = 1\n\n\
         [[treaty]]\nid = \"PTA\"\nkind = \"trade\"\nmembers = []\nsalience = 1\n\n\
         [[community]]\nid = \"big\"\nmembers = [\"AAA\", \"BBB\", \"CCC\"]\n\n\
         [[community]]\nid = \"small\"\nmembers = [\"TNY\", \"ZER\", \"AAA\"]\n\n\
         [defaults]\ntrade = 1e6\ndistance = 1e308\npeace_years = 1e308\nrivalry = 1e308\nshared_igos = 1e308\n\n\
         [[dyad]]\nstates = [\"AAA\", \"TNY\"]\ntrade = 1e6\ndistance = 0\ncontiguous = true\npeace_years = 0\nrivalry = 0\nshared_igos = 0\n\n\
         [parameters]\ngdp_growth = 0.5\ngdp_volatility = 1\npower_volatility = 1\ntrade_gdp_elasticity = 3\n\
         trade_pta_effect = 5\ntrade_institution_effect = 5\ntrade_adjustment = 1\nsecurity_power_sensitivity = 100\n\
         onset_trade = 0\nonset_base = 5\n\n",
    );
    for k in 0..years.min(40) {
        let at = 2016 + k;
        for (state, factor) in [("AAA", "1000"), ("CCC", "1000"), ("TNY", "0.001")] {
            s.push_str(&format!(
                "[[event]]\nat = {at}\nkind = \"shock\"\nstate = \"{state}\"\npower_factor = {factor}\ngdp_factor = {factor}\n\n"
            ));
        }
    }
    s.push_str(
        "[[event]]\nat = 2017\nkind = \"join\"\nstate = \"AAA\"\ntreaty = \"PTA\"\n\n\
         [[event]]\nat = 2017\nkind = \"join\"\nstate = \"TNY\"\ntreaty = \"PTA\"\n\n\
         [[event]]\nat = 2018\nkind = \"tariff\"\nby = \"AAA\"\nagainst = [\"BBB\", \"CCC\"]\nrate = 1\n\n\
         [[event]]\nat = 2019\nkind = \"crisis\"\naggressor = \"BBB\"\ntarget = \"AAA\"\nlevel = 5\n\n\
         [[event]]\nat = 2019\nkind = \"summit\"\nstates = [\"AAA\", \"BBB\", \"CCC\"]\ntrust = 1\n\n",
    );
    s
}

/// Columns and metrics that may be empty: undefined by definition (docs/outputs.md).
fn may_be_empty(name: &str) -> bool {
    [
        "intra_trade_share",
        "escalation_rate",
        "first_force_year",
        "first_war_year",
    ]
    .iter()
    .any(|m| name == *m || name.ends_with(&format!(".{m}")))
}

/// Every numeric cell of a CSV is a finite number; a cell is empty only in a column (or, for the
/// summaries, a metric) that may be undefined.
fn assert_finite_cells(path: &Path, numeric_from: usize) {
    let (header, rows) = read_csv(path);
    assert!(!rows.is_empty(), "{} has no rows", path.display());
    let metric_col = header.iter().position(|h| h == "metric");
    for (k, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate().skip(numeric_from) {
            let what = metric_col.map_or(header[c].as_str(), |m| row[m].as_str());
            if cell.is_empty() {
                assert!(
                    may_be_empty(what),
                    "{} line {}: `{}` ({what}) is empty",
                    path.display(),
                    k + 2,
                    header[c]
                );
                continue;
            }
            let v: f64 = cell
                .parse()
                .unwrap_or_else(|_| panic!("{} line {}: {cell:?} is not a number", path.display(), k + 2));
            assert!(
                v.is_finite(),
                "{} line {}, `{}`: {cell}",
                path.display(),
                k + 2,
                header[c]
            );
        }
    }
}

#[test]
fn a_scenario_at_every_bound_runs_to_finite_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("extreme.toml");
    std::fs::write(&file, extreme_scenario(60)).unwrap();
    let out = dir.path().join("out");
    let o = run(&[
        "run",
        file.to_str().unwrap(),
        "--runs",
        "30",
        "--quiet",
        "--disputes",
        "--at-years",
        "2020,2075",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_finite_cells(&out.join("runs.csv"), 2);
    assert_finite_cells(&out.join("runs_at.csv"), 3);
    // timeseries.csv: lens,tick,date,year,community,metric,n,mean,sd,p05,p50,p95
    assert_finite_cells(&out.join("timeseries.csv"), 6);
    // No metric lost runs silently: every defined metric has all 30 runs at every tick (the issue
    // saw trade and cohesion turn into empty cells, n = 0, after the shocks).
    let (header, rows) = read_csv(&out.join("timeseries.csv"));
    let (metric, n) = (
        header.iter().position(|h| h == "metric").unwrap(),
        header.iter().position(|h| h == "n").unwrap(),
    );
    for row in rows.iter().filter(|r| !may_be_empty(&r[metric])) {
        assert_eq!(row[n], "30", "{row:?}");
    }
}

#[test]
fn ceilings_hold_the_magnitudes_of_a_run() {
    // The library's view of the same world: every value of every tick finite, and power, GDP and
    // trade saturated at their ceilings rather than overflowing.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("extreme.toml");
    std::fs::write(&file, extreme_scenario(400)).unwrap();
    let scenario = comity::scenario::load(&file).unwrap();
    let ticks = scenario.calendar.n_ticks();
    let prepared = Prepared::new(Arc::new(scenario));
    let (mut power, mut gdp, mut trade) = (0.0f64, 0.0f64, 0.0f64);
    for lens in ["realist", "liberal", "constructivist"] {
        let params = prepared.scenario.params_for(lens).unwrap();
        let mut world = prepared.world(&params, 5, 0, false);
        let mut schedule = tick_schedule();
        for tick in 0..ticks {
            schedule.run(&mut world);
            let t = world.resource::<StateTable>();
            let r = world.resource::<Relations>();
            for (name, values) in [
                ("power", &t.power),
                ("gdp", &t.gdp),
                ("trust", &r.trust),
                ("identity", &r.identity),
                ("trade", &r.trade),
                ("anchor", &r.anchor),
                ("rivalry", &r.rivalry),
                ("peace_years", &r.peace_years),
            ] {
                assert!(
                    values.iter().all(|x| x.is_finite()),
                    "{lens}, tick {tick}: {name} {values:?}"
                );
            }
            power = t.power.iter().fold(power, |a, &b| a.max(b));
            gdp = t.gdp.iter().fold(gdp, |a, &b| a.max(b));
            trade = r.trade.iter().fold(trade, |a, &b| a.max(b));
        }
        let metrics = &world.resource::<Outcomes>().metrics;
        let names = comity::sim::metrics::METRICS;
        for (k, v) in metrics.iter().enumerate() {
            let m = names[k % names.len()];
            assert!(v.is_finite() || (v.is_nan() && may_be_empty(m)), "{lens}: {m} = {v}");
        }
    }
    assert_eq!(power, POWER_CEILING);
    assert_eq!(gdp, GDP_CEILING);
    assert_eq!(trade, TRADE_CEILING);
}
