//! Exact percentiles from a scratch file (`comity::spill`): an aggregate whose values outgrow
//! the memory for values (16 MiB, `COMITY_PERCENTILE_MEMORY`) writes them to a scratch file in
//! the output folder and reads them back a group of cells at a time. Where the values wait must
//! change no output byte, must leave no file behind, and a bad setting or a folder that cannot
//! hold the file must be a clear error.

mod common;
use comity::montecarlo::LensAggregate;
use comity::sim::{Prepared, RunResult};
use comity::stats::QuantileMethod;
use common::*;
use std::fs;
use std::path::Path;
use std::sync::Arc;

fn pool() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap()
}

/// One cell's count, mean, sd and whole percentiles, as bits.
type CellBits = (u64, Option<u64>, Option<u64>, Vec<Option<u64>>);

/// Every cell's [`CellBits`].
fn cells_of(agg: &LensAggregate) -> Vec<CellBits> {
    agg.cells
        .iter()
        .map(|c| {
            (
                c.n(),
                c.mean().map(f64::to_bits),
                c.sd().map(f64::to_bits),
                (0..=100)
                    .map(|k| c.quantile(k as f64 / 100.0).map(f64::to_bits))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn spilled_percentiles_are_the_in_memory_ones_bit_for_bit() {
    let scenario = Arc::new(comity::scenario::load(&repo("scenarios/western_community.toml")).unwrap());
    let prepared = Prepared::new(scenario);
    let params = comity::params::lens("realist").unwrap();
    let cells = comity::montecarlo::cells(&prepared);
    let mut results: Vec<RunResult> = (0..300).map(|run| prepared.run(&params, 11, run, false)).collect();
    // Undefined and infinite values are skipped alike, and a short panel counts as undefined.
    results[3].metrics[0] = f64::NAN;
    results[5].metrics[1] = f64::INFINITY;
    results[7].pairs.truncate(2);
    let pool = pool();
    let mut memory = LensAggregate::with_memory("realist", QuantileMethod::Exact, 300, cells, None, u64::MAX).unwrap();
    // A few runs per block and per group, so that both are crossed many times.
    let mut spilled = LensAggregate::with_memory("realist", QuantileMethod::Exact, 300, cells, None, 0).unwrap();
    assert!(!memory.spilled() && spilled.spilled());
    for r in &results {
        memory.fold(r).unwrap();
        spilled.fold(r).unwrap();
    }
    memory.finish(&pool).unwrap();
    spilled.finish(&pool).unwrap();
    assert!(
        !spilled.spilled(),
        "the scratch file is read back and gone after finish"
    );
    let (a, b) = (cells_of(&memory), cells_of(&spilled));
    assert_eq!(a.len(), cells);
    let differing = a.iter().zip(&b).filter(|(x, y)| x != y).count();
    assert_eq!(differing, 0, "{differing} of {cells} cells differ");
    assert!(a.iter().any(|c| c.0 == 299), "the undefined values were skipped");
    assert!(
        a.iter().any(|c| c.3[5] != c.3[95]),
        "some cell has a spread, so the percentiles are tested"
    );
}

#[test]
fn an_empty_or_undefined_cell_has_no_percentiles() {
    let mut agg = LensAggregate::with_memory("realist", QuantileMethod::Exact, 4, 2, None, 0).unwrap();
    for run in 0..4 {
        let r = RunResult {
            run,
            metrics: vec![f64::NAN, run as f64],
            pairs: vec![],
            disputes: vec![],
            dyad_years: vec![],
        };
        agg.fold(&r).unwrap();
    }
    agg.finish(&pool()).unwrap();
    assert_eq!(agg.cells[0].n(), 0);
    assert_eq!(agg.cells[0].quantile(0.5), None);
    assert_eq!(agg.cells[1].quantile(0.5), Some(1.5));
    assert_eq!(agg.cells[1].quantile(0.0), Some(0.0));
    assert_eq!(agg.cells[1].quantile(1.0), Some(3.0));
}

#[test]
fn comity_run_writes_the_same_bytes_whether_values_wait_in_memory_or_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("scratch");
    fs::create_dir(&scratch).unwrap();
    let scenario = repo("scenarios/western_community.toml");
    let go = |out: &str, memory: Option<&str>| {
        let mut cmd = bin();
        cmd.env("TMPDIR", &scratch).env_remove("COMITY_PERCENTILE_MEMORY");
        if let Some(m) = memory {
            cmd.env("COMITY_PERCENTILE_MEMORY", m);
        }
        let o = cmd
            .args(["run", scenario.to_str().unwrap(), "--runs", "60", "--lens", "all"])
            .args(["--threads", "2", "--quiet", "--out"])
            .arg(dir.path().join(out))
            .output()
            .unwrap();
        assert!(o.status.success(), "{out}: {}", text(&o.stderr));
        csv_files(&dir.path().join(out))
    };
    let memory = go("memory", None);
    let disk = go("disk", Some("0"));
    let small = go("small", Some("64K"));
    assert!(memory.iter().any(|(n, _)| n == "timeseries.csv") && memory.iter().any(|(n, _)| n == "pairs.csv"));
    for other in [&disk, &small] {
        assert_eq!(memory.len(), other.len());
        for ((name, a), (_, b)) in memory.iter().zip(other) {
            assert!(a == b, "{name} differs between values in memory and on disk");
        }
    }
    let left: Vec<_> = fs::read_dir(&scratch).unwrap().collect();
    assert!(left.is_empty(), "the temporary folder is not used: {left:?}");
    for out in ["memory", "disk", "small"] {
        let hidden: Vec<_> = fs::read_dir(dir.path().join(out))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("values"))
            .collect();
        assert!(hidden.is_empty(), "scratch files left in {out}: {hidden:?}");
    }
}

#[test]
fn a_bad_memory_setting_or_temporary_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = repo("scenarios/western_community.toml");
    let o = bin()
        .env("COMITY_PERCENTILE_MEMORY", "lots")
        .args(["run", scenario.to_str().unwrap(), "--runs", "2", "--quiet", "--out"])
        .arg(dir.path().join("a"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("COMITY_PERCENTILE_MEMORY") && err.contains("64M"), "{err}");
    assert!(
        !dir.path().join("a").exists(),
        "nothing is written before the setting is checked"
    );

    // A folder that cannot hold the scratch file: named, with the fix, and no panic.
    let missing = dir.path().join("no-such-folder");
    let e = LensAggregate::new("realist", QuantileMethod::Exact, 1 << 40, 8, Some(&missing)).unwrap_err();
    let e = e.to_string();
    assert!(
        e.contains("scratch file") && e.contains("no-such-folder") && e.contains("COMITY_PERCENTILE_MEMORY"),
        "{e}"
    );
}

/// A run resumed after a stop refolds its checkpoint's panels into aggregates that spill, and
/// `comity merge` folds its parts' panels into aggregates that spill: both must write the bytes
/// of one uninterrupted run whose values stayed in memory.
#[test]
fn resume_and_merge_write_the_same_bytes_with_spilled_values() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = repo("scenarios/western_community.toml");
    let job = |out: &Path| -> Vec<String> {
        let mut v: Vec<String> = ["run", scenario.to_str().unwrap(), "--runs", "40", "--seed", "5"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(["--lens", "all", "--threads", "2", "-q", "--out"].map(String::from));
        v.push(out.to_str().unwrap().into());
        v
    };
    let comity = |args: &[String], memory: &str| {
        let mut c = bin();
        c.args(args).env("COMITY_PERCENTILE_MEMORY", memory);
        for v in ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX"] {
            c.env_remove(v);
        }
        c
    };
    let single = dir.path().join("single");
    let o = comity(&job(&single), "16M").output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let expected = csv_files(&single);
    assert!(expected.iter().any(|(n, _)| n == "timeseries.csv"));

    // Stopped in the second lens: the first lens's aggregate is refolded and finished from the
    // checkpoint, the second's refolded and continued.
    let stopped = dir.path().join("stopped");
    let o = comity(&job(&stopped), "0")
        .env("COMITY_TEST_STOP_AFTER_RUNS", "50")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
    let mut resume = job(&stopped);
    resume.push("--resume".into());
    let o = comity(&resume, "0").output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(csv_files(&stopped), expected, "a resumed run with spilled values");

    let parts = dir.path().join("parts");
    for k in 0..2 {
        let mut args = job(&parts);
        args.extend(["--shard".into(), format!("{k}/2")]);
        let o = comity(&args, "0").output().unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let merged = dir.path().join("merged");
    let args: Vec<String> = [
        "merge",
        parts.to_str().unwrap(),
        "-q",
        "--out",
        merged.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec();
    let o = comity(&args, "0").output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let merged_csvs = csv_files(&merged);
    for (name, bytes) in &expected {
        let other = merged_csvs.iter().find(|(n, _)| n == name).map(|(_, b)| b);
        assert!(other == Some(bytes), "{name} of the merged parts with spilled values");
    }
}
