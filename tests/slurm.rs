//! Sharded runs on a real Slurm cluster: a job array of four tasks, each taking its shard from
//! `SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT`, merges to the bytes of one unsharded run.
//!
//! Needs a Slurm cluster that answers `sinfo` (CI starts a single-node one with
//! `examples/slurm/single-node.sh`, see `.ci/run` and docs/cluster.md); elsewhere the test
//! prints `SKIPPED: why` on stderr and passes, and `tests/environment.rs` says so in the normal
//! `cargo test` output.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// The same flags for every task of the array and for the unsharded run.
const FLAGS: &str = "--runs 40 --seed 7 --lens all --disputes -q";

/// `word` quoted for a shell script.
fn quoted(word: &Path) -> String {
    format!("'{}'", word.display().to_string().replace('\'', r"'\''"))
}

#[test]
fn a_slurm_array_of_four_shards_merges_to_the_unsharded_bytes() {
    let partitions = match slurm() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            return;
        }
    };
    // The first partition that is up with a responding node (the default one carries a `*`).
    let partition = partitions[0]
        .split_whitespace()
        .next()
        .expect("a partition name")
        .trim_end_matches('*')
        .to_string();
    // Under target/ rather than /tmp: on a cluster of several machines the tasks see the files
    // where the binary is (a shared filesystem), not this machine's /tmp.
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary folder");
    let dir = tmp.path();
    let scenario = repo("scenarios/western_community.toml");
    let comity = Path::new(env!("CARGO_BIN_EXE_comity"));
    let parts = dir.join("parts");

    // Each task: no --shard; comity takes it from the array task's environment.
    let script = dir.join("job.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nset -eu\necho \"task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT on $(hostname)\"\nexec {} run {} {FLAGS} --out {}\n",
            quoted(comity),
            quoted(&scenario),
            quoted(&parts),
        ),
    )
    .expect("the job script is written");
    let job_name = format!("comity-test-{}", std::process::id());
    // `timeout`: a cluster that accepts the job but never runs it must not hang the tests.
    let submitted = Command::new("timeout")
        .arg("300")
        .arg("sbatch")
        .arg("--wait")
        .arg("--array=0-3")
        .arg(format!("--partition={partition}"))
        .arg(format!("--job-name={job_name}"))
        .args(["--ntasks=1", "--cpus-per-task=1", "--time=10"])
        .arg(format!("--chdir={}", dir.display()))
        .arg(format!("--output={}", dir.join("task-%a.out").display()))
        .arg(&script)
        .output()
        .expect("timeout and sbatch run");
    // What the tasks printed, for the failure messages.
    let task_outputs = || {
        (0..4)
            .map(|k| {
                let path = dir.join(format!("task-{k}.out"));
                let body = std::fs::read_to_string(&path).unwrap_or_else(|e| format!("(none: {e})"));
                format!("--- {}:\n{}", path.display(), body.trim_end())
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if !submitted.status.success() {
        let queue = Command::new("timeout")
            .args(["20", "squeue", "--name", &job_name])
            .output()
            .map(|o| text(&o.stdout))
            .unwrap_or_default();
        // Leave nothing behind on the cluster (a timed-out sbatch leaves its job queued).
        let _ = Command::new("timeout")
            .args(["20", "scancel", "--name", &job_name])
            .status();
        panic!(
            "sbatch --wait --array=0-3 failed ({}; 124: still not done after 300 s)\nsbatch: {}{}\nsqueue:\n{queue}\n{}",
            submitted.status,
            text(&submitted.stdout),
            text(&submitted.stderr),
            task_outputs()
        );
    }

    // Four part folders, one per shard.
    let mut folders: Vec<String> = std::fs::read_dir(&parts)
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", parts.display(), task_outputs()))
        .map(|e| e.expect("a folder entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("part-"))
        .collect();
    folders.sort();
    assert_eq!(
        folders,
        ["part-0-of-4", "part-1-of-4", "part-2-of-4", "part-3-of-4"],
        "{}",
        task_outputs()
    );
    let mut shards: Vec<(u64, u64)> = folders
        .iter()
        .map(|folder| {
            let path = parts.join(folder).join("manifest.json");
            let manifest: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            )
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let shard = &manifest["shard"];
            (
                shard["index"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("{}: no shard.index", path.display())),
                shard["count"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("{}: no shard.count", path.display())),
            )
        })
        .collect();
    shards.sort();
    assert_eq!(
        shards,
        [(0, 4), (1, 4), (2, 4), (3, 4)],
        "the parts' shards (index, count)"
    );

    // The merge of the parts and one unsharded run, with the same flags.
    let merged = dir.join("merged");
    let out = run(&[
        "merge",
        &parts.to_string_lossy(),
        "--out",
        &merged.to_string_lossy(),
        "-q",
    ]);
    assert!(out.status.success(), "comity merge failed:\n{}", text(&out.stderr));
    let single = dir.join("single");
    let mut args = vec!["run".to_string(), scenario.to_string_lossy().into_owned()];
    args.extend(FLAGS.split_whitespace().map(String::from));
    args.extend(["--out".to_string(), single.to_string_lossy().into_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args);
    assert!(
        out.status.success(),
        "the unsharded comity run failed:\n{}",
        text(&out.stderr)
    );

    for file in ["timeseries.csv", "runs.csv", "disputes.csv"] {
        let a = std::fs::read(single.join(file)).unwrap_or_else(|e| panic!("single/{file}: {e}"));
        let b = std::fs::read(merged.join(file)).unwrap_or_else(|e| panic!("merged/{file}: {e}"));
        assert!(a.len() > 100, "single/{file} is nearly empty ({} bytes)", a.len());
        if a != b {
            let (sa, sb) = (text(&a), text(&b));
            let line = sa.lines().zip(sb.lines()).position(|(x, y)| x != y);
            panic!(
                "merged/{file} differs from the unsharded run's ({} vs {} bytes; first different line: {:?})\nsingle: {:?}\nmerged: {:?}",
                a.len(),
                b.len(),
                line.map(|l| l + 1),
                line.and_then(|l| sa.lines().nth(l)),
                line.and_then(|l| sb.lines().nth(l)),
            );
        }
    }
    // Every run of every lens once: 40 runs x 3 lenses (and the header).
    let (_, rows) = read_csv(&merged.join("runs.csv"));
    assert_eq!(rows.len(), 120, "merged runs.csv rows");
}
