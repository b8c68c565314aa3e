//! Reliability guarantees (docs/reliability.md): one writer per output folder, `--force` and
//! interrupted runs, inputs read with a size bound, worlds refused before they outgrow memory.

mod common;
use common::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SCENARIO: &str = "scenarios/western_community.toml";

// ---- an allocator that counts this thread's live bytes ------------------------------------

struct Counting;

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn count(delta: i64) {
    let _ = LIVE.try_with(|live| {
        let v = live.get() + delta;
        live.set(v);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(v)));
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as i64);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as i64);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as i64));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> i64 {
    LIVE.with(Cell::get)
}

/// Runs `f` and returns how far this thread's live bytes rose above where they started.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let base = live();
    PEAK.with(|p| p.set(base));
    let out = f();
    (out, (PEAK.with(Cell::get) - base).max(0) as u64)
}

#[test]
fn memory_estimate_matches_what_a_world_and_a_run_allocate() {
    use comity::sim::Prepared;
    use comity::stats::Summary;
    // Dyads dominate at 300 states: the estimate must cover what is allocated without
    // overstating it by more than half.
    let n = 300;
    let (prepared, world) = peak_of(|| {
        let scenario = Arc::new(comity::synthetic::world(n, 5, 1));
        Prepared::new(scenario)
    });
    let estimate = prepared.scenario.memory(1, 1000);
    let params = comity::params::lens("constructivist").unwrap();
    let (_, per_run) = peak_of(|| prepared.run(&params, 3, 0, false));
    eprintln!(
        "{n} states: world {world} B (estimate {}), one run {per_run} B (estimate {})",
        estimate.world, estimate.per_thread
    );
    for (what, measured, estimated) in [
        ("world", world, estimate.world),
        ("per thread", per_run, estimate.per_thread),
    ] {
        assert!(
            estimated >= measured && estimated as f64 <= 1.5 * measured as f64,
            "{what}: estimated {estimated} bytes, measured {measured}"
        );
    }

    // The aggregate: the bundled scenario's cells folded over 1,000 runs as montecarlo folds
    // them (exact percentiles: every value is kept in memory), the same runs spilled to a
    // scratch file and read back, and sketch cells (above the budget for exact percentiles)
    // over 100,000 values. `QuantileMethod::aggregate_bytes` must cover each without
    // overstating it more than twice, and the memory estimate before a run
    // (`limits::aggregate_bytes`) uses the same bound.
    use comity::montecarlo::LensAggregate;
    use comity::stats::QuantileMethod;
    let scenario = Arc::new(comity::scenario::load(&repo(SCENARIO)).unwrap());
    let prepared = Prepared::new(scenario.clone());
    let width = comity::montecarlo::cells(&prepared);
    let method = comity::montecarlo::quantile_method(&prepared, 1000);
    assert_eq!(method, QuantileMethod::Exact);
    let results: Vec<_> = (0..1000).map(|run| prepared.run(&params, 3, run, false)).collect();
    let memory = comity::spill::memory_for_values();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let (_, aggregate) = peak_of(|| {
        let mut agg = LensAggregate::new("constructivist", method, 1000, width, None).unwrap();
        assert!(!agg.spilled());
        results.iter().for_each(|r| agg.fold(r).unwrap());
        agg
    });
    // (and the lens's name)
    let cells = method.aggregate_bytes(1000, width, memory) + "constructivist".len() as u64;
    assert_eq!(
        comity::scenario::limits::aggregate_bytes(1000, width as u64),
        method.aggregate_bytes(1000, width, memory)
    );
    eprintln!("aggregate of {width} cells after 1000 runs: {aggregate} B (bound {cells})");
    assert!(
        cells >= aggregate && cells <= 2 * aggregate,
        "aggregate: bound {cells}, measured {aggregate}"
    );
    let (_, spilled) = peak_of(|| {
        let mut agg = LensAggregate::with_memory("constructivist", method, 1000, width, None, 0).unwrap();
        assert!(agg.spilled());
        results.iter().for_each(|r| agg.fold(r).unwrap());
        agg.finish(&pool).unwrap();
        agg
    });
    let bound = method.aggregate_bytes(1000, width, 0) + "constructivist".len() as u64;
    eprintln!("spilled aggregate of {width} cells after 1000 runs: {spilled} B (bound {bound})");
    assert!(
        bound >= spilled && bound <= 2 * spilled,
        "spilled aggregate: bound {bound}, measured {spilled}"
    );
    let (_, sketches) = peak_of(|| {
        let mut cells = vec![Summary::new(QuantileMethod::Kll, 100_000); 100];
        for i in 0..100_000u64 {
            let x = (i * 7919 % 100_003) as f64;
            cells.iter_mut().for_each(|c| c.add(x));
        }
        cells
    });
    let bound = QuantileMethod::Kll.aggregate_bytes(100_000, 100, memory);
    eprintln!("100 sketch cells after 100,000 values: {sketches} B (bound {bound})");
    assert!(
        bound >= sketches && bound <= 2 * sketches,
        "sketch: bound {bound}, measured {sketches}"
    );
}

/// Issue 13's memory target: an aggregate's memory must not grow with the runs once its values
/// are spilled. 200 cells folded over 10,000 and over 40,000 runs (16 and 64 MB of values in
/// the scratch file) and read back: the peaks differ by less than a fifth.
#[test]
fn a_spilled_aggregate_does_not_grow_with_the_runs() {
    use comity::montecarlo::LensAggregate;
    use comity::sim::RunResult;
    use comity::stats::QuantileMethod;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let cells = 200;
    let peak = |runs: u64| {
        let (_, peak) = peak_of(|| {
            let mut agg = LensAggregate::with_memory("realist", QuantileMethod::Exact, runs, cells, None, 0).unwrap();
            let mut r = RunResult {
                run: 0,
                metrics: vec![0.0; cells],
                pairs: vec![],
                disputes: vec![],
                dyad_years: vec![],
            };
            for run in 0..runs {
                r.run = run;
                for (c, x) in r.metrics.iter_mut().enumerate() {
                    *x = ((run * 7919 + c as u64 * 104_729) % 100_003) as f64;
                }
                agg.fold(&r).unwrap();
            }
            agg.finish(&pool).unwrap();
            assert_eq!(agg.cells[7].n(), runs);
            agg
        });
        peak
    };
    let (small, large) = (peak(10_000), peak(40_000));
    eprintln!("spilled aggregate of {cells} cells: {small} B at 10,000 runs, {large} B at 40,000");
    assert!(
        (large as f64) <= 1.2 * small as f64,
        "{large} B at 40,000 runs against {small} B at 10,000"
    );
}

// ---- helpers ---------------------------------------------------------------------------------

/// The estimate of a world whose last state enters at the second tick (`enter`): the scenario's
/// dyads kept for the entry and each pair's power gain at its start are covered too.
#[test]
fn memory_estimate_covers_a_growing_world() {
    use comity::scenario::{EventKind, EventSpec};
    use comity::sim::Prepared;
    let n = 300;
    let (prepared, world) = peak_of(|| {
        let mut scenario = comity::synthetic::world(n, 5, 1);
        for t in &mut scenario.treaties {
            t.members.retain(|&m| m != n - 1);
        }
        let at = scenario.calendar.month_of(1);
        scenario.events.push(EventSpec {
            at,
            tick: 1,
            order: scenario.events.len(),
            probability: 1.0,
            kind: EventKind::Enter {
                state: n - 1,
                treaties: Vec::new(),
            },
        });
        Prepared::new(Arc::new(scenario))
    });
    let estimate = prepared.scenario.memory(1, 1000);
    let params = comity::params::lens("constructivist").unwrap();
    let (_, per_run) = peak_of(|| prepared.run(&params, 3, 0, false));
    for (what, measured, estimated) in [
        ("world", world, estimate.world),
        ("per thread", per_run, estimate.per_thread),
    ] {
        assert!(
            estimated >= measured && estimated as f64 <= 1.5 * measured as f64,
            "{what}: estimated {estimated} bytes, measured {measured}"
        );
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Waits until `cond` holds, at most `limit`.
fn wait_until(limit: Duration, cond: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

/// Waits for a child at most `limit`; kills it (and fails) past that.
fn finish(child: &mut Child, limit: Duration, what: &str) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {limit:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `comity run SCENARIO` in the background, stderr to `err`.
fn spawn_run(args: &[&str], err: &Path) -> Child {
    bin()
        .arg("run")
        .arg(SCENARIO)
        .args(args)
        .stdout(Stdio::null())
        .stderr(File::create(err).unwrap())
        .spawn()
        .unwrap()
}

/// Runs per background run: long enough for a second command to meet it running (a few
/// seconds in a release build), short enough to finish in the test's time.
fn long_runs() -> u64 {
    if cfg!(debug_assertions) { 300 } else { 4000 }
}

/// Checks `runs.csv`: the header and exactly runs 0..n of one lens, once each.
fn assert_runs_csv(out: &Path, n: u64) {
    let (header, rows) = read_csv(&out.join("runs.csv"));
    assert_eq!(header[..2], ["lens", "run"]);
    assert_eq!(rows.len() as u64, n, "rows of runs.csv");
    let mut ids: Vec<u64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    ids.sort();
    assert!(ids.iter().copied().eq(0..n), "run ids are 0..{n}, once each");
    assert!(rows.iter().all(|r| r.len() == header.len()), "every row is complete");
}

fn hidden_partials(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    v.sort();
    v
}

// ---- one writer per output folder ------------------------------------------------------------

#[test]
fn a_second_run_into_a_busy_folder_is_refused_and_the_first_completes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("busy");
    let n = long_runs();
    let mut first = spawn_run(
        &["--runs", &n.to_string(), "--seed", "7", "--quiet", "--out", s(&out)],
        &dir.path().join("first.err"),
    );
    assert!(
        wait_until(Duration::from_secs(20), || out.join(".runs.csv.partial").exists()),
        "the first run never started writing"
    );
    for force in [false, true] {
        let mut args = vec![
            "run",
            SCENARIO,
            "--runs",
            "5",
            "--seed",
            "8",
            "--quiet",
            "--out",
            s(&out),
        ];
        if force {
            args.push("--force");
        }
        let started = Instant::now();
        let o = run(&args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(73), "force {force}: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "refused at once, not after waiting"
        );
        assert!(
            err.contains(s(&out)) && err.contains("in use by another comity process"),
            "{err}"
        );
        assert!(err.contains(&format!("pid {}", first.id())), "names the holder: {err}");
        assert!(first.try_wait().unwrap().is_none(), "the first run was still running");
        assert!(
            out.join(".runs.csv.partial").exists(),
            "the first run's partial file is untouched"
        );
    }
    let status = finish(&mut first, Duration::from_secs(90), "the first run");
    let err = fs::read_to_string(dir.path().join("first.err")).unwrap();
    assert!(status.success(), "{err}");
    assert_runs_csv(&out, n);
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        (manifest["seed"].as_u64(), manifest["runs"].as_u64()),
        (Some(7), Some(n))
    );
    assert!(hidden_partials(&out).is_empty());
}

#[test]
fn concurrent_forced_runs_never_mix_their_rows() {
    // The race: two `--force` runs into one folder corrupted runs.csv every time.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("race");
    let n = long_runs() / 3;
    let mut children: Vec<(u64, Child)> = [1u64, 2]
        .iter()
        .map(|&seed| {
            let args = [
                "--runs",
                &n.to_string(),
                "--seed",
                &seed.to_string(),
                "--quiet",
                "--force",
                "--out",
                s(&out),
            ];
            (seed, spawn_run(&args, &dir.path().join(format!("{seed}.err"))))
        })
        .collect();
    let mut winners = Vec::new();
    for (seed, child) in children.iter_mut() {
        let status = finish(child, Duration::from_secs(90), "a forced run");
        let err = fs::read_to_string(dir.path().join(format!("{seed}.err"))).unwrap();
        match status.code() {
            Some(0) => winners.push(*seed),
            Some(73) => assert!(err.contains("in use by another comity process"), "{err}"),
            other => panic!("seed {seed}: exit {other:?}: {err}"),
        }
    }
    assert!(!winners.is_empty());
    assert_runs_csv(&out, n);
    // The folder holds exactly the output of the run its manifest names.
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let seed = manifest["seed"].as_u64().unwrap();
    assert!(winners.contains(&seed), "the manifest names a run that finished");
    let reference = dir.path().join("reference");
    let o = run(&[
        "run",
        SCENARIO,
        "--runs",
        &n.to_string(),
        "--seed",
        &seed.to_string(),
        "--quiet",
        "--out",
        s(&reference),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    for file in ["runs.csv", "timeseries.csv"] {
        assert!(
            fs::read(out.join(file)).unwrap() == fs::read(reference.join(file)).unwrap(),
            "{file} differs from a clean run"
        );
    }
}

/// Takes the folder's lock as another process would, with `pid` in the lock file.
fn hold_lock(out: &Path) -> File {
    fs::create_dir_all(out).unwrap();
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(out.join(".comity.lock"))
        .unwrap();
    f.try_lock().unwrap();
    f.set_len(0).unwrap();
    writeln!(f, "{}", std::process::id()).unwrap();
    f
}

#[test]
fn sweep_and_run_refuse_a_folder_another_process_has_locked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locked");
    let lock = hold_lock(&out);
    // What another process's run would have written so far.
    fs::write(out.join(".runs.csv.partial"), "lens,run\n").unwrap();
    let sweep = [
        "sweep",
        SCENARIO,
        "--vary",
        "identity_decay=0.01..0.05:2",
        "--runs",
        "2",
        "--quiet",
        "--out",
        s(&out),
    ];
    let run_args = ["run", SCENARIO, "--runs", "2", "--quiet", "--out", s(&out)];
    for args in [&sweep[..], &run_args[..]] {
        for force in [false, true] {
            let mut args = args.to_vec();
            if force {
                args.push("--force");
            }
            let o = run(&args);
            let err = text(&o.stderr);
            assert_eq!(o.status.code(), Some(73), "{args:?}: {err}");
            assert!(err.contains(s(&out)), "names the folder: {err}");
            assert!(
                err.contains(&format!("(pid {})", std::process::id())),
                "names the holder: {err}"
            );
        }
    }
    assert_eq!(
        fs::read_to_string(out.join(".runs.csv.partial")).unwrap(),
        "lens,run\n",
        "untouched"
    );
    assert_eq!(hidden_partials(&out), [".runs.csv.partial"]);
    drop(lock);
    // Released: the folder now reads as an interrupted run, and --force starts over.
    let o = run(&run_args);
    assert_eq!(o.status.code(), Some(73));
    assert!(text(&o.stderr).contains("interrupted"), "{}", text(&o.stderr));
    let mut forced = run_args.to_vec();
    forced.push("--force");
    let o = run(&forced);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_runs_csv(&out, 2);
}

#[test]
fn a_killed_run_leaves_an_interrupted_folder_that_force_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("killed");
    let mut child = spawn_run(
        &["--runs", "200000", "--quiet", "--out", s(&out)],
        &dir.path().join("killed.err"),
    );
    assert!(
        wait_until(Duration::from_secs(20), || out.join(".runs.csv.partial").exists()),
        "the run never started writing"
    );
    child.kill().unwrap(); // SIGKILL on Unix: no destructor runs, the OS releases the lock
    child.wait().unwrap();
    assert!(out.join(".comity.lock").exists(), "a stale lock file is left behind");
    assert!(!hidden_partials(&out).is_empty());

    let o = run(&["run", SCENARIO, "--runs", "3", "--quiet", "--out", s(&out)]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(73), "{err}");
    assert!(
        err.contains("interrupted") && err.contains("--force") && err.contains(".runs.csv.partial"),
        "{err}"
    );
    // Killed before its first checkpoint: nothing to resume, and the message says so.
    assert!(!err.contains("not empty") && !err.contains("--resume"), "{err}");
    assert!(err.contains("no checkpoint"), "{err}");

    // The stale lock file does not block the next run.
    let o = run(&["run", SCENARIO, "--runs", "3", "--quiet", "--force", "--out", s(&out)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_runs_csv(&out, 3);
    assert!(hidden_partials(&out).is_empty());
    // Sweeps tell an interrupted folder apart in the same way.
    let sweep_out = dir.path().join("sweep");
    fs::create_dir_all(&sweep_out).unwrap();
    fs::write(sweep_out.join(".points.csv.partial"), "").unwrap();
    let o = run(&[
        "sweep",
        SCENARIO,
        "--vary",
        "identity_decay=0.01..0.05:2",
        "--runs",
        "2",
        "--quiet",
        "--out",
        s(&sweep_out),
    ]);
    assert_eq!(o.status.code(), Some(73));
    assert!(text(&o.stderr).contains("interrupted"), "{}", text(&o.stderr));
}

#[test]
fn force_removes_every_file_comity_writes_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mixed");
    fs::create_dir_all(&out).unwrap();
    let ours = comity::output::OUTPUT_FILES;
    for name in ours.iter().chain(&[comity::output::CHECKPOINT_FILE]) {
        fs::write(out.join(name), "stale").unwrap();
        fs::write(out.join(format!(".{name}.partial")), "stale").unwrap();
    }
    let users = [
        "notes.txt",
        ".hidden_notes",
        "draft.partial",
        ".notes.txt.partial",
        "runs.csv.bak",
    ];
    for name in users {
        fs::write(out.join(name), "mine").unwrap();
    }
    // Without --force the folder is refused as not empty, and no lock file is left in it.
    let o = run(&["run", SCENARIO, "--runs", "3", "--quiet", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(73));
    assert!(text(&o.stderr).contains("not empty"), "{}", text(&o.stderr));
    assert!(!out.join(".comity.lock").exists());

    let o = run(&["run", SCENARIO, "--runs", "3", "--quiet", "--force", "--out", s(&out)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    for name in users {
        assert_eq!(fs::read_to_string(out.join(name)).unwrap(), "mine", "{name} survives");
    }
    for name in [
        "points.csv",
        "runs_at.csv",
        "disputes.csv",
        "dyad_years.csv",
        "report.html",
    ] {
        assert!(!out.join(name).exists(), "stale {name} removed");
    }
    assert!(
        hidden_partials(&out).iter().all(|n| users.contains(&n.as_str())),
        "{:?}",
        hidden_partials(&out)
    );
    assert_runs_csv(&out, 3);
    // A sweep over the run's folder removes the run's files the same way.
    let o = run(&[
        "sweep",
        SCENARIO,
        "--vary",
        "identity_decay=0.01..0.05:2",
        "--runs",
        "2",
        "--quiet",
        "--force",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    for name in users {
        assert_eq!(fs::read_to_string(out.join(name)).unwrap(), "mine", "{name} survives");
    }
    assert!(out.join("points.csv").exists());
}

/// Every file a run, a shard's part, a merge, a sweep and a report leave in their folder, and
/// every file their manifests list, is one that `--force` may remove (`OUTPUT_FILES`, which
/// comes from the output schema's names in `results::files`, as the writers' names do).
#[test]
fn every_file_comity_writes_is_one_force_may_remove() {
    let dir = tempfile::tempdir().unwrap();
    let ours = comity::output::OUTPUT_FILES;
    let check = |out: &Path| {
        let mut names = Vec::new();
        for e in fs::read_dir(out).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            if name == comity::output::LOCK_FILE || fs::metadata(out.join(&name)).unwrap().is_dir() {
                continue;
            }
            assert!(
                ours.contains(&name.as_str()),
                "{}: {name} is not in OUTPUT_FILES",
                out.display()
            );
            names.push(name);
        }
        let m = comity::results::Manifest::read(out).unwrap();
        for f in &m.files {
            assert!(ours.contains(&f.as_str()), "{}: the manifest lists {f}", out.display());
            assert!(
                names.contains(f),
                "{}: the manifest lists {f}, not written",
                out.display()
            );
        }
        names
    };
    let with = |extra: &[&str]| {
        let mut args = vec![
            "run",
            SCENARIO,
            "--runs",
            "4",
            "--quiet",
            "--disputes",
            "--at-years",
            "2020",
            "--dyad-years",
            "--pairs",
            "USA-GMY",
        ];
        args.extend_from_slice(extra);
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>()
    };
    let comity = |args: &[String]| {
        let mut c = bin();
        for v in [
            "SLURM_ARRAY_TASK_ID",
            "SLURM_ARRAY_TASK_COUNT",
            "SLURM_ARRAY_TASK_MIN",
            "SLURM_ARRAY_TASK_MAX",
            "JOB_COMPLETION_INDEX",
        ] {
            c.env_remove(v);
        }
        let o = c.args(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
    };
    // A run with every optional file, then its report.
    let one = dir.path().join("run");
    comity(&with(&["--out", s(&one)]));
    comity(&["report".to_string(), s(&one).to_string()]);
    let names = check(&one);
    for f in [
        "timeseries.csv",
        "runs.csv",
        "runs_at.csv",
        "disputes.csv",
        "dyad_years.csv",
        "pairs.csv",
        "manifest.json",
        "report.html",
    ] {
        assert!(names.iter().any(|n| n == f), "{f} in {names:?}");
    }
    // Two shards' parts (each keeps panels.bin) and their merge.
    let parts = dir.path().join("parts");
    for k in ["0/2", "1/2"] {
        comity(&with(&["--out", s(&parts), "--shard", k]));
    }
    for part in ["part-0-of-2", "part-1-of-2"] {
        assert!(check(&parts.join(part)).iter().any(|n| n == "panels.bin"));
    }
    let merged = dir.path().join("merged");
    comity(&[
        "merge".to_string(),
        s(&parts).to_string(),
        "--out".to_string(),
        s(&merged).to_string(),
        "-q".to_string(),
    ]);
    check(&merged);
    // A sweep with every optional file.
    let sweep = dir.path().join("sweep");
    comity(
        &[
            "sweep",
            SCENARIO,
            "--vary",
            "identity_decay=0.01..0.05:2",
            "--runs",
            "2",
            "--quiet",
            "--disputes",
            "--at-years",
            "2020",
            "--out",
            s(&sweep),
        ]
        .map(String::from),
    );
    assert!(check(&sweep).iter().any(|n| n == "points.csv"));
}

// ---- inputs read with a size bound -----------------------------------------------------------

fn validate(path: &Path) -> (Option<i32>, String) {
    let o = run(&["validate", s(path)]);
    (o.status.code(), text(&o.stderr))
}

#[test]
fn scenario_files_are_read_with_a_bound() {
    let dir = tempfile::tempdir().unwrap();
    // A sparse file of 65 MiB: no disk used, no byte read.
    let big = dir.path().join("big.toml");
    File::create(&big).unwrap().set_len(65 << 20).unwrap();
    let (code, err) = validate(&big);
    assert_eq!(code, Some(65), "{err}");
    assert!(
        err.contains(s(&big)) && err.contains("64 MiB") && err.contains("68157440 bytes"),
        "{err}"
    );

    // A folder: refused, and a folder scenario points at its scenario.toml.
    let (code, err) = validate(&repo("scenarios/world_1990"));
    assert_eq!(code, Some(65), "{err}");
    assert!(err.contains("a folder") && err.contains("scenario.toml"), "{err}");

    // `run` refuses before it creates its output folder.
    let out = dir.path().join("out");
    let o = run(&["run", s(&big), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(65));
    assert!(!out.exists());

    if cfg!(unix) {
        // /dev/zero would be read until memory runs out.
        let started = Instant::now();
        let (code, err) = validate(Path::new("/dev/zero"));
        assert_eq!(code, Some(65), "{err}");
        assert!(err.contains("/dev/zero") && err.contains("not a regular file"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    } else {
        eprintln!("skipped: /dev/zero exists on Unix only");
    }
}

/// A scenario of two states whose header adds `extra` (e.g. a states_csv line).
fn scenario_with(dir: &Path, name: &str, extra: &str, states: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(
        &path,
        format!("[scenario]\nname = \"bounded\"\nstart = 2000\nend = 2004\n{extra}\n{states}"),
    )
    .unwrap();
    path
}

const TWO_STATES: &str = "[[state]]\nid = \"A\"\npower = 0.5\n\n[[state]]\nid = \"B\"\npower = 0.5\n";

#[test]
fn csv_inputs_are_read_with_a_bound() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("states.csv");
    File::create(&big).unwrap().set_len(257 << 20).unwrap();
    let path = scenario_with(dir.path(), "big_csv.toml", "states_csv = \"states.csv\"", "");
    let (code, err) = validate(&path);
    assert_eq!(code, Some(65), "{err}");
    assert!(
        err.contains("big_csv.toml:5:") && err.contains("256 MiB") && err.contains("269484032 bytes"),
        "located at the states_csv line: {err}"
    );
    if cfg!(unix) {
        let path = scenario_with(dir.path(), "zero_csv.toml", "dyads_csv = \"/dev/zero\"", TWO_STATES);
        let (code, err) = validate(&path);
        assert_eq!(code, Some(65), "{err}");
        assert!(err.contains("/dev/zero") && err.contains("not a regular file"), "{err}");
    }
    // A design file: the same bound (a usage error, like every design-file problem).
    for design in [s(&big), "/dev/zero"] {
        if design == "/dev/zero" && !cfg!(unix) {
            continue;
        }
        let o = run(&[
            "sweep",
            SCENARIO,
            "--design-file",
            design,
            "--quiet",
            "--out",
            s(&dir.path().join("sw")),
        ]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains(design) && (err.contains("256 MiB") || err.contains("not a regular file")),
            "{err}"
        );
    }
}

// ---- worlds too large for memory -------------------------------------------------------------

/// A scenario of `n` states from a states CSV.
fn world_of(dir: &Path, n: usize) -> PathBuf {
    let mut csv = String::from("id,power\n");
    for i in 0..n {
        csv.push_str(&format!("S{i},{}\n", 1.0 / n as f64));
    }
    fs::write(dir.join(format!("states{n}.csv")), csv).unwrap();
    scenario_with(
        dir,
        &format!("world{n}.toml"),
        &format!("states_csv = \"states{n}.csv\""),
        "",
    )
}

#[test]
fn a_world_too_large_for_memory_is_refused_before_it_is_allocated() {
    let dir = tempfile::tempdir().unwrap();
    // 200,000 states: 4e10 cells per dyad array, far more than any machine (the 1.3 M
    // states made validate try to allocate 13.5 TB).
    let path = world_of(dir.path(), 200_000);
    let started = Instant::now();
    let (code, err) = validate(&path);
    assert_eq!(code, Some(65), "{err}");
    assert!(
        err.contains("too large for this machine") && err.contains("200000 states") && err.contains("TB"),
        "{err}"
    );
    assert!(err.contains("world200000.toml:5:"), "located at states_csv: {err}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "refused before any n x n work"
    );
}

#[test]
fn run_and_sweep_check_memory_against_their_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = world_of(dir.path(), 200);
    let scenario = comity::scenario::load(&path).unwrap();
    // A bound where one thread fits and two do not (the sweep's estimate is the larger).
    let e = scenario.memory(2, 2);
    let bound = e.world + e.aggregate + e.per_thread * 3 / 2;
    let with_bound = |args: &[&str], bound: u64| {
        bin()
            .args(args)
            .env("COMITY_MEMORY_LIMIT", bound.to_string())
            .output()
            .unwrap()
    };
    let out = dir.path().join("out");
    let run_args = |threads: &'static str| -> Vec<String> {
        [
            "run",
            s(&path),
            "--runs",
            "2",
            "--threads",
            threads,
            "--force",
            "--out",
            s(&out),
        ]
        .iter()
        .map(|x| x.to_string())
        .collect()
    };
    let sweep_args = |threads: &'static str| -> Vec<String> {
        let o = dir.path().join("sweep");
        [
            "sweep",
            s(&path),
            "--vary",
            "identity_decay=0.01..0.05:2",
            "--runs",
            "1",
            "--threads",
            threads,
            "--force",
            "--out",
            s(&o),
        ]
        .iter()
        .map(|x| x.to_string())
        .collect()
    };
    for args in [run_args("2"), sweep_args("2")] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = with_bound(&args, bound);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("--threads 2 needs") && err.contains("--threads 1 fits"),
            "{err}"
        );
    }
    // Asked for every core, it runs on as many threads as fit, and says so.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for args in [run_args("0"), sweep_args("0"), run_args("1")] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = with_bound(&args, bound);
        let err = text(&o.stderr);
        assert!(o.status.success(), "{args:?}: {err}");
        if cores > 1 && args.contains(&"0") {
            assert!(err.contains(&format!("running on 1 of {cores} threads")), "{err}");
        }
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["threads"], 1);
    // Not even one thread: validate, run and sweep refuse the scenario (exit 65) and write nothing.
    let tiny = e.world / 2;
    let fresh = dir.path().join("fresh");
    for args in [
        vec!["validate", s(&path)],
        vec!["run", s(&path), "--out", s(&fresh)],
        vec![
            "sweep",
            s(&path),
            "--vary",
            "identity_decay=0.01..0.05:2",
            "--out",
            s(&fresh),
        ],
    ] {
        let o = with_bound(&args, tiny);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(65), "{args:?}: {err}");
        assert!(
            err.contains("too large for this machine") && err.contains("COMITY_MEMORY_LIMIT="),
            "{err}"
        );
    }
    assert!(!fresh.exists());
}

#[test]
fn validate_prints_the_memory_estimate() {
    let o = run(&["validate", SCENARIO]);
    let out = text(&o.stdout);
    assert!(o.status.success());
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("memory"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("MB per thread + ") && line.contains("MB aggregate"),
        "{line}"
    );
    assert!(line.contains("; limit "), "{line}");
}

// ---- limits before work ----------------------------------------------------------------------

#[test]
fn a_job_of_a_trillion_runs_is_refused_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("huge");
    let o = run(&["run", SCENARIO, "--runs", "1000000000000", "--out", s(&out)]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(65), "{err}");
    assert!(
        err.contains("very large") && err.contains("--yes") && err.contains("TB of disk"),
        "{err}"
    );
    assert!(!out.exists(), "nothing is created for a refused job");
    let o = run(&[
        "sweep",
        SCENARIO,
        "--vary",
        "identity_decay=0.01..0.05:2",
        "--runs",
        "100000000000",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(65), "{}", text(&o.stderr));
    assert!(!out.exists());
}

#[test]
fn report_does_not_write_into_a_folder_a_run_is_writing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("done");
    let o = run(&["run", SCENARIO, "--runs", "3", "--quiet", "--out", s(&out)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let held = hold_lock(&out);
    let o = run(&["report", s(&out)]);
    assert_eq!(o.status.code(), Some(73), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("in use by another comity process"));
    assert!(!out.join("report.html").exists());
    drop(held);
    let o = run(&["report", s(&out)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}
