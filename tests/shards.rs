//! Shards, merge and resume: a job split over tasks, or stopped and resumed, writes the bytes
//! of one uninterrupted process (docs/cluster.md, docs/reliability.md).

mod common;
use common::*;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SCENARIO: &str = "scenarios/western_community.toml";
const DATA_FILES: &[&str] = &[
    "timeseries.csv",
    "pairs.csv",
    "runs.csv",
    "disputes.csv",
    "runs_at.csv",
    "dyad_years.csv",
];

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "exit {:?}\n{}", o.status.code(), text(&o.stderr));
}

fn same_files(a: &Path, b: &Path, files: &[&str]) {
    for f in files {
        let (x, y) = (fs::read(a.join(f)).unwrap(), fs::read(b.join(f)).unwrap());
        assert!(x == y, "{f} differs between {} and {}", a.display(), b.display());
    }
}

/// The flags of the job every test below splits.
fn job(out: &Path) -> Vec<String> {
    [
        "run",
        SCENARIO,
        "--runs",
        "23",
        "--seed",
        "11",
        "--lens",
        "all",
        "--disputes",
        "--at-years",
        "2020,2030",
        // Runs 0..8 of each lens: the first shard's block, part of the second's, none of the others'.
        "--dyad-years",
        "--dyad-years-runs",
        "8",
        "-q",
        "--pairs",
        "USA-GMY,USA-CAN",
        "--out",
    ]
    .iter()
    .map(|x| x.to_string())
    .chain([s(out).to_string()])
    .collect()
}

fn comity(args: &[String]) -> Command {
    let mut c = bin();
    c.args(args);
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_MAX",
        "JOB_COMPLETION_INDEX",
        "COMITY_TEST_STOP_AFTER_RUNS",
    ] {
        c.env_remove(v);
    }
    c
}

#[test]
fn shards_from_the_flag_slurm_or_kubernetes_merge_to_the_unsharded_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("single");
    ok(&comity(&job(&single)).output().unwrap());

    // --shard K/N, given out of order; 23 runs over 4 shards: blocks of 5, 6, 6, 6.
    let parts = dir.path().join("parts");
    for k in [2, 0, 3, 1] {
        let mut args = job(&parts);
        args.extend(["--shard".into(), format!("{k}/4")]);
        ok(&comity(&args).output().unwrap());
    }
    let names: Vec<String> = {
        let mut v: Vec<String> = fs::read_dir(&parts)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names, ["part-0-of-4", "part-1-of-4", "part-2-of-4", "part-3-of-4"]);
    let m: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(parts.join("part-1-of-4/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["shard"]["runs"], serde_json::json!([5, 11]));
    assert!(
        !parts.join("part-1-of-4/timeseries.csv").exists(),
        "a part writes panels, not summaries"
    );
    let merged = dir.path().join("merged");
    let o = run(&["merge", s(&parts), "--out", s(&merged)]);
    ok(&o);
    assert!(text(&o.stdout).contains("merged 4 parts"), "{}", text(&o.stdout));
    same_files(&single, &merged, DATA_FILES);
    let mm: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(merged.join("manifest.json")).unwrap()).unwrap();
    assert!(mm.get("shard").is_none() && mm["merged_from"].as_array().unwrap().len() == 4);
    assert_eq!(
        mm["files"],
        serde_json::json!([
            "timeseries.csv",
            "pairs.csv",
            "runs.csv",
            "disputes.csv",
            "runs_at.csv",
            "dyad_years.csv",
            "manifest.json"
        ])
    );

    // A Slurm array 1-3 (one-based): the shard comes from the environment.
    let slurm = dir.path().join("slurm");
    for id in 1..=3 {
        let o = comity(&job(&slurm))
            .env("SLURM_ARRAY_TASK_ID", id.to_string())
            .env("SLURM_ARRAY_TASK_MIN", "1")
            .env("SLURM_ARRAY_TASK_MAX", "3")
            .env("SLURM_ARRAY_TASK_COUNT", "3")
            .output()
            .unwrap();
        ok(&o);
    }
    assert!(slurm.join("part-0-of-3").is_dir() && slurm.join("part-2-of-3").is_dir());
    let merged = dir.path().join("merged-slurm");
    ok(&run(&["merge", s(&slurm), "--out", s(&merged), "-q"]));
    same_files(&single, &merged, DATA_FILES);

    // A Kubernetes Indexed Job of 2: JOB_COMPLETION_INDEX with --shards 2.
    let k8s = dir.path().join("k8s");
    for k in 0..2 {
        let mut args = job(&k8s);
        args.extend(["--shards".into(), "2".into()]);
        ok(&comity(&args)
            .env("JOB_COMPLETION_INDEX", k.to_string())
            .output()
            .unwrap());
    }
    let merged = dir.path().join("merged-k8s");
    ok(&run(&[
        "merge",
        s(&k8s.join("part-1-of-2")),
        s(&k8s.join("part-0-of-2")),
        "--out",
        s(&merged),
        "-q",
    ]));
    same_files(&single, &merged, DATA_FILES);
}

#[test]
fn merge_refuses_missing_duplicate_unfinished_and_foreign_parts() {
    let dir = tempfile::tempdir().unwrap();
    let parts = dir.path().join("parts");
    for k in 0..3 {
        let mut args = job(&parts);
        args.extend(["--shard".into(), format!("{k}/3")]);
        ok(&comity(&args).output().unwrap());
    }
    let p = |k: u32| parts.join(format!("part-{k}-of-3"));
    let out = dir.path().join("out");
    let merge = |args: &[&Path]| {
        let mut c = bin();
        c.arg("merge");
        for a in args {
            c.arg(a);
        }
        c.args(["--out", s(&out), "-q"]).output().unwrap()
    };
    let refused = |o: std::process::Output, want: &[&str]| {
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(65), "{err}");
        for w in want {
            assert!(err.contains(w), "`{w}` in: {err}");
        }
        assert!(!out.exists(), "nothing is written when parts are refused");
    };
    refused(
        merge(&[&p(0), &p(2)]),
        &["missing", "part-1-of-3", "run the missing shards"],
    );
    refused(merge(&[&p(0), &p(1), &p(1), &p(2)]), &["given twice"]);
    // A part of another job: same shard layout, another seed.
    let other = dir.path().join("other");
    let mut args = job(&other);
    args[5] = "12".into(); // --seed
    args.extend(["--shard".into(), "1/3".into()]);
    ok(&comity(&args).output().unwrap());
    refused(
        merge(&[&p(0), &other.join("part-1-of-3"), &p(2)]),
        &["disagree", "seed"],
    );
    // An unfinished part: no manifest.
    fs::rename(p(2).join("manifest.json"), dir.path().join("m.json")).unwrap();
    refused(merge(&[&parts]), &["part-2-of-3", "not complete"]);
    fs::rename(dir.path().join("m.json"), p(2).join("manifest.json")).unwrap();
    // A damaged panels file.
    let panels = p(1).join("panels.bin");
    let bytes = fs::read(&panels).unwrap();
    fs::write(&panels, &bytes[..bytes.len() - 3]).unwrap();
    refused(merge(&[&parts]), &["panels.bin", "damaged"]);
    fs::write(&panels, &bytes).unwrap();
    // A folder that holds no parts.
    refused(merge(&[dir.path()]), &["neither a part folder"]);
    // Bad shard flags are usage errors.
    let mut args = job(&parts);
    args.extend(["--shard".into(), "3/3".into()]);
    let o = comity(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let mut args = job(&parts);
    args.extend(["--shards".into(), "3".into()]);
    let o = comity(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("JOB_COMPLETION_INDEX"), "{}", text(&o.stderr));
    // Every part present: the merge goes through.
    ok(&merge(&[&parts]));
}

#[test]
fn a_sweep_sharded_by_points_merges_to_the_unsharded_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = |out: &Path, shard: Option<&str>| {
        let mut args: Vec<String> = [
            "sweep",
            SCENARIO,
            "--vary",
            "trust_half_life=3..9:5",
            "--runs",
            "4",
            "--lens",
            "realist,liberal",
            "--at-years",
            "2020",
            "--disputes",
            "-q",
            "--out",
        ]
        .iter()
        .map(|x| x.to_string())
        .collect();
        args.push(s(out).into());
        if let Some(k) = shard {
            args.extend(["--shard".into(), k.into()]);
        }
        ok(&comity(&args).output().unwrap());
    };
    let single = dir.path().join("single");
    sweep(&single, None);
    let parts = dir.path().join("parts");
    for k in ["0/3", "1/3", "2/3"] {
        sweep(&parts, Some(k));
    }
    let merged = dir.path().join("merged");
    ok(&run(&["merge", s(&parts), "--out", s(&merged), "-q"]));
    same_files(
        &single,
        &merged,
        &[
            "points.csv",
            "timeseries.csv",
            "runs.csv",
            "runs_at.csv",
            "disputes.csv",
        ],
    );
    // The merged folder is a sweep folder: sensitivity reads it.
    let o = run(&["sensitivity", s(&merged), "--metric", "west.cohesion"]);
    ok(&o);
}

fn stopped_after(out: &Path, runs: u64) -> std::process::Output {
    comity(&job(out))
        .env("COMITY_TEST_STOP_AFTER_RUNS", runs.to_string())
        .output()
        .unwrap()
}

#[test]
fn a_stopped_run_resumes_to_the_bytes_of_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("single");
    ok(&comity(&job(&single)).output().unwrap());

    // Stopped as by Ctrl-C after the first chunk of the second lens (23 runs a lens): exit 130,
    // the resume command printed, a checkpoint left.
    let out = dir.path().join("stopped");
    let o = stopped_after(&out, 30);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted after") && err.contains("--resume"), "{err}");
    assert!(out.join(".comity-checkpoint.json").is_file());
    assert!(!out.join("manifest.json").exists());

    // A plain rerun is refused with the resume command.
    let o = comity(&job(&out)).output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(73), "{err}");
    assert!(err.contains("runs done") && err.contains("--resume"), "{err}");
    // Resuming with other flags is refused, naming what differs.
    let mut other = job(&out);
    other[5] = "12".into(); // --seed
    other.push("--resume".into());
    let o = comity(&other).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("`seed` differs"), "{}", text(&o.stderr));

    // What a killed process wrote after its last checkpoint is cut back: append junk to every
    // partial file, as a run killed between checkpoints leaves.
    for e in fs::read_dir(&out).unwrap() {
        let path = e.unwrap().path();
        if path.to_string_lossy().ends_with(".partial") {
            let mut bytes = fs::read(&path).unwrap();
            bytes.extend_from_slice(b"half a row,0.5,");
            fs::write(&path, bytes).unwrap();
        }
    }
    // Resumed (stopped once more on the way, on one thread), then finished on two.
    let mut again = job(&out);
    again.extend(["--resume".into(), "--threads".into(), "1".into()]);
    let o = comity(&again)
        .env("COMITY_TEST_STOP_AFTER_RUNS", "50")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
    let mut last = job(&out);
    last.extend(["--resume".into(), "--threads".into(), "2".into()]);
    ok(&comity(&last).output().unwrap());
    same_files(&single, &out, DATA_FILES);
    assert!(!out.join(".comity-checkpoint.json").exists() && !out.join(".panels.bin.partial").exists());
    let m: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["resumed"], true);
    // Nothing left to resume.
    let o = comity(&last).output().unwrap();
    assert_eq!(o.status.code(), Some(65));
    assert!(text(&o.stderr).contains("nothing to resume"), "{}", text(&o.stderr));

    // A shard resumes the same way, and its part merges as if never stopped.
    let parts = dir.path().join("parts");
    for k in 0..2 {
        let mut args = job(&parts);
        args.extend(["--shard".into(), format!("{k}/2")]);
        if k == 1 {
            let o = comity(&args).env("COMITY_TEST_STOP_AFTER_RUNS", "12").output().unwrap();
            assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
            args.push("--resume".into());
        }
        ok(&comity(&args).output().unwrap());
    }
    let merged = dir.path().join("merged");
    ok(&run(&["merge", s(&parts), "--out", s(&merged), "-q"]));
    same_files(&single, &merged, DATA_FILES);
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_run_with_code_130_and_the_command_that_resumes_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sigint");
    let err_path = dir.path().join("err.txt");
    let mut child = comity(&[
        "run".into(),
        SCENARIO.into(),
        "--runs".into(),
        "100000".into(),
        "--out".into(),
        s(&out).into(),
        "-q".into(),
    ])
    .stdout(Stdio::null())
    .stderr(fs::File::create(&err_path).unwrap())
    .spawn()
    .unwrap();
    let start = Instant::now();
    let partial = out.join(".runs.csv.partial");
    while fs::metadata(&partial).map(|m| m.len() < 20_000).unwrap_or(true) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the run never started writing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the run did not stop after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let err = fs::read_to_string(&err_path).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("resume with:") && err.contains("--resume"), "{err}");
    let cp: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join(".comity-checkpoint.json")).unwrap()).unwrap();
    assert!(cp["done"].as_u64().unwrap() > 0 && cp["done"].as_u64().unwrap() < 100_000);
}
