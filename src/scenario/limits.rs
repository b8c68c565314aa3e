//! Limits checked before any work: the size of input files and the memory a world needs.
//!
//! Input files are read with a bound: anything that is not a regular file (a folder,
//! `/dev/zero`, a pipe) is refused from its metadata, and a regular file is refused when its
//! size is over the limit, before it is read into memory.
//!
//! The memory estimate mirrors the dense `n x n` arrays of `scenario::DyadInit` and of
//! `sim::Relations` and `sim::Ties` (one copy held once in `sim::Prepared`, one per run in
//! flight, with a tick's temporaries) and the across-run aggregate (`stats::Summary` per tick, slot and metric).
//! `tests/reliability.rs` measures what a run really allocates and fails when the estimate
//! drifts from it.

use std::fmt;
use std::io::Read;
use std::path::Path;

/// The largest scenario file (TOML) comity reads: 64 MiB.
pub const MAX_SCENARIO_BYTES: u64 = 64 << 20;
/// The largest CSV comity reads as input (`states_csv`, `dyads_csv`, a sweep's design file):
/// 256 MiB.
pub const MAX_CSV_BYTES: u64 = 256 << 20;

/// Why a bounded read failed.
#[derive(Debug)]
pub enum ReadError {
    /// The path names something other than a regular file.
    NotAFile(&'static str),
    /// A regular file over the limit (`size` as read from its metadata, or the first byte over).
    TooLarge {
        size: u64,
        limit: u64,
    },
    /// The file is not UTF-8 text.
    NotText,
    Io(std::io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotAFile(kind) => write!(f, "it is {kind}, not a regular file"),
            ReadError::TooLarge { size, limit } => write!(
                f,
                "it is {} ({size} bytes), over the limit of {} ({limit} bytes)",
                bytes(*size),
                mebibytes(*limit)
            ),
            ReadError::NotText => write!(f, "it is not UTF-8 text"),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// What a path that is not a regular file names, in words.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_fifo() {
            return "a pipe";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// Reads a regular file of at most `limit` bytes as text. The metadata is checked before the
/// file is opened (opening a pipe would wait for a writer), and the read stops one byte past
/// the limit (a file that grows, or a file whose size the metadata does not tell).
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(kind_of(&meta)));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit + 1).read_to_end(&mut buf).map_err(ReadError::Io)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: buf.len() as u64,
            limit,
        });
    }
    String::from_utf8(buf).map_err(|_| ReadError::NotText)
}

/// Checks a CSV input's metadata without reading it (for readers that stream the file).
pub fn check_file(path: &Path, limit: u64) -> Result<(), ReadError> {
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(kind_of(&meta)));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    Ok(())
}

/// Bytes per ordered pair of states in a scenario's `DyadInit`: seven `f64` arrays and one
/// `bool` array.
pub const SCENARIO_BYTES_PER_DYAD: u64 = 7 * 8 + 1;
/// Bytes per ordered pair of states in one world: `Relations` (18 `f64` and 2 `bool` arrays)
/// and `Ties` (2 `f64`, 6 `u16` and one `(f64, f64)` array).
pub const WORLD_BYTES_PER_DYAD: u64 = RELATIONS_BYTES_PER_DYAD + 2 * 8 + 6 * 2 + 16;
/// Bytes per ordered pair of states in one `Relations` (18 `f64` and 2 `bool` arrays; a 19th
/// `f64` array, `gain0`, only when a state enters: [`MemoryEstimate::with_entries`]).
pub const RELATIONS_BYTES_PER_DYAD: u64 = 18 * 8 + 2;
/// Bytes per ordered pair of states that a run keeps beside its world from tick to tick (the
/// trust pass's mirrored drive and shift, the rival-alignment term and its transposed distrust
/// and columns, and one more `f64` array for the pacts' sums and the tick's temporaries).
pub const SCRATCH_BYTES_PER_DYAD: u64 = 6 * 8;
/// Bytes per ordered pair of states allocated for a while when a world is prepared (the
/// rival-alignment buffers, while the baselines are taken).
pub const PREPARE_BYTES_PER_DYAD: u64 = 3 * 8;
/// Bytes per state in one world: entities, components and per-state tables (an upper bound).
pub const WORLD_BYTES_PER_STATE: u64 = 2048;
/// Bytes of one aggregate of `cells` cells for `runs` runs: its `Summary`s and what they keep
/// for their percentiles: every value while they fit the memory for values
/// (`spill::memory_for_values`), else each cell's whole percentiles and the scratch file's
/// buffers, and a KLL sketch per cell above `stats::EXACT_BUDGET_BYTES`
/// (`stats::QuantileMethod::aggregate_bytes`).
pub fn aggregate_bytes(runs: u64, cells: u64) -> u64 {
    let cells = usize::try_from(cells).unwrap_or(usize::MAX);
    let method = crate::stats::QuantileMethod::choose(runs, cells, crate::stats::EXACT_BUDGET_BYTES);
    method.aggregate_bytes(runs, cells, crate::spill::memory_for_values())
}
/// Runs whose results are held at once before they are folded: at most three of `montecarlo`'s
/// largest chunks (`montecarlo::chunk_runs`, 84 runs), one being folded and two computed ahead.
pub const RUNS_IN_FLIGHT: u64 = 256;

/// What a scenario needs in memory, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// The world's data, held once: the scenario's dyads and the prepared world cloned into
    /// each run.
    pub world: u64,
    /// One run in flight: a world of its own and its metric panel.
    pub per_thread: u64,
    /// The across-run summaries of the lenses held at once and one chunk of finished runs.
    pub aggregate: u64,
}

impl MemoryEstimate {
    /// `states`, `ticks`, `slots` (the system plus each community), the number of lens
    /// aggregates held at once (a run holds every lens's; a sweep one point's at a time) and the
    /// runs each aggregate folds (exact percentiles keep every value, up to a budget).
    pub fn new(states: usize, ticks: u64, slots: usize, aggregates: usize, runs: u64) -> MemoryEstimate {
        let metrics = crate::sim::metrics::METRICS.len() as u64;
        let n = states as u64;
        let dyads = n.saturating_mul(n);
        let cells = ticks.saturating_mul(slots as u64).saturating_mul(metrics);
        let panel = cells.saturating_mul(8);
        MemoryEstimate {
            world: dyads
                .saturating_mul(SCENARIO_BYTES_PER_DYAD + WORLD_BYTES_PER_DYAD + PREPARE_BYTES_PER_DYAD)
                .saturating_add(n.saturating_mul(WORLD_BYTES_PER_STATE)),
            per_thread: dyads
                .saturating_mul(WORLD_BYTES_PER_DYAD + SCRATCH_BYTES_PER_DYAD)
                .saturating_add(n.saturating_mul(WORLD_BYTES_PER_STATE))
                .saturating_add(panel),
            aggregate: aggregate_bytes(runs, cells)
                .saturating_mul(aggregates as u64)
                .saturating_add(panel.saturating_mul(RUNS_IN_FLIGHT)),
        }
    }

    /// With states that enter during the run (`enter` events): the world keeps the scenario's
    /// dyads for their entries (one more `Relations`, once: [`RELATIONS_BYTES_PER_DYAD`]) and
    /// each run the relative power gain of every pair at its start (one more `f64` array) and,
    /// in a tick with an entry, the rival alignment the entrants' pairs start from (another, and
    /// the two buffers that compute it).
    pub fn with_entries(mut self, states: usize) -> MemoryEstimate {
        let dyads = (states as u64).saturating_mul(states as u64);
        self.world = self
            .world
            .saturating_add(dyads.saturating_mul(RELATIONS_BYTES_PER_DYAD + 8));
        self.per_thread = self.per_thread.saturating_add(dyads.saturating_mul(4 * 8));
        self
    }

    /// The whole estimate with `threads` runs in flight.
    pub fn total(&self, threads: usize) -> u64 {
        self.world
            .saturating_add(self.per_thread.saturating_mul(threads as u64))
            .saturating_add(self.aggregate)
    }

    /// The most threads that fit in `bound` (0 when not even one does).
    pub fn threads_within(&self, bound: u64) -> usize {
        let fixed = self.world.saturating_add(self.aggregate);
        if fixed >= bound {
            return 0;
        }
        let per = self.per_thread.max(1);
        usize::try_from((bound - fixed) / per).unwrap_or(usize::MAX)
    }

    /// `N MB per thread + M MB aggregate + K MB world data`.
    pub fn describe(&self) -> String {
        format!(
            "{} per thread + {} aggregate + {} world data",
            bytes(self.per_thread),
            bytes(self.aggregate),
            bytes(self.world)
        )
    }
}

/// The memory comity may plan to use, and where the figure comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryBound {
    pub bytes: u64,
    pub source: String,
}

/// The bound used when the machine's memory cannot be read: 16 GiB.
pub const DEFAULT_MEMORY_BOUND: u64 = 16 << 30;

/// The environment variable that sets the bound (bytes, or a number with K, M, G or T: powers
/// of 1024), for a job given less than the whole machine.
pub const MEMORY_LIMIT_VAR: &str = "COMITY_MEMORY_LIMIT";

impl fmt::Display for MemoryBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", bytes(self.bytes), self.source)
    }
}

/// The memory bound: `COMITY_MEMORY_LIMIT` when set, else the machine's memory (Linux:
/// `MemTotal` of /proc/meminfo, or this process's cgroup limit when lower), else 16 GiB.
pub fn memory_bound() -> MemoryBound {
    let mut note = String::new();
    if let Ok(text) = std::env::var(MEMORY_LIMIT_VAR) {
        match parse_size(&text) {
            Some(b) => {
                return MemoryBound {
                    bytes: b,
                    source: format!("{MEMORY_LIMIT_VAR}={}", text.trim()),
                };
            }
            None => note = format!("; {MEMORY_LIMIT_VAR}={text:?} is not a size and was ignored"),
        }
    }
    let (bytes, source) = match (mem_total(), cgroup_limit()) {
        (Some(m), Some(c)) if c < m => (c, "this job's cgroup memory limit"),
        (Some(m), _) => (m, "MemTotal in /proc/meminfo"),
        (None, Some(c)) => (c, "this job's cgroup memory limit"),
        (None, None) => (DEFAULT_MEMORY_BOUND, "a fixed bound: this machine's memory is unknown"),
    };
    MemoryBound {
        bytes,
        source: format!("{source}{note}"),
    }
}

/// `4096`, `512M`, `2G`, `1.5T`, `8GiB`: bytes, or a number with a power-of-1024 suffix.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t)
        .trim_end();
    let (digits, shift) = match t.char_indices().last()? {
        (i, 'k' | 'K') => (&t[..i], 10),
        (i, 'm' | 'M') => (&t[..i], 20),
        (i, 'g' | 'G') => (&t[..i], 30),
        (i, 't' | 'T') => (&t[..i], 40),
        _ => (t, 0),
    };
    let v: f64 = digits.trim().parse().ok()?;
    let b = v * (1u64 << shift) as f64;
    (b.is_finite() && b >= 1.0 && b < u64::MAX as f64).then_some(b as u64)
}

/// `MemTotal` of /proc/meminfo, in bytes.
fn mem_total() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
}

/// This process's cgroup memory limit (v2 `memory.max`, v1 `memory.limit_in_bytes`), if any.
fn cgroup_limit() -> Option<u64> {
    let groups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let read = |path: String| -> Option<u64> {
        let text = std::fs::read_to_string(path).ok()?;
        // "max" (v2) or a huge number (v1) mean no limit.
        text.trim().parse::<u64>().ok().filter(|&b| b < 1 << 60)
    };
    groups.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (id, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        if id == "0" && controllers.is_empty() {
            read(format!("/sys/fs/cgroup{path}/memory.max"))
        } else if controllers.split(',').any(|c| c == "memory") {
            read(format!("/sys/fs/cgroup/memory{path}/memory.limit_in_bytes"))
        } else {
            None
        }
    })
}

/// Decimal units: `0.4 MB`, `13.5 TB`.
pub fn bytes(b: u64) -> String {
    let x = b as f64;
    if x < 1e9 {
        format!("{:.1} MB", x / 1e6)
    } else if x < 1e12 {
        format!("{:.1} GB", x / 1e9)
    } else {
        format!("{:.1} TB", x / 1e12)
    }
}

/// Runs (all lenses together) above which a run or sweep asks for `--yes`.
pub const MAX_RUNS_WITHOUT_YES: u64 = 10_000_000;
/// Estimated wall time above which a run or sweep asks for `--yes`.
pub const MAX_SECONDS_WITHOUT_YES: f64 = 24.0 * 3600.0;

/// CSV bytes per number written (measured on the bundled scenario's `runs.csv`: 9.4), rounded up.
pub const CSV_BYTES_PER_CELL: u64 = 10;
/// Bytes of one `disputes.csv` row (measured: 95-110 on the bundled scenario), rounded up.
pub const DISPUTE_ROW_BYTES: u64 = 120;

/// What a job will take, from the world, the runs and a timed pilot run.
#[derive(Clone, Debug, PartialEq)]
pub struct JobEstimate {
    /// Runs of all lenses (or points) together.
    pub runs: u64,
    /// Seconds of wall time on `threads` threads.
    pub seconds: f64,
    pub threads: usize,
    /// Bytes written at the peak (the final files and the checkpoint's panels).
    pub disk: u64,
}

impl JobEstimate {
    /// `per_run`: seconds of one run on one thread; `row_cells`: numbers per `runs.csv` row;
    /// `at_cells`: numbers per run in `runs_at.csv`; `disputes_per_run`: rows per run in
    /// `disputes.csv` (0 when not written); `panel_bytes`: checkpoint bytes per run (0 without);
    /// `fixed`: bytes that do not grow with the runs (`timeseries.csv`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        runs: u64,
        per_run: f64,
        threads: usize,
        row_cells: u64,
        at_cells: u64,
        disputes_per_run: f64,
        panel_bytes: u64,
        fixed: u64,
    ) -> JobEstimate {
        let per_run_bytes = (row_cells + at_cells).saturating_mul(CSV_BYTES_PER_CELL)
            + (disputes_per_run * DISPUTE_ROW_BYTES as f64).ceil() as u64
            + panel_bytes;
        JobEstimate {
            runs,
            seconds: per_run * runs as f64 / threads.max(1) as f64,
            threads,
            disk: runs.saturating_mul(per_run_bytes).saturating_add(fixed),
        }
    }

    /// Why the job needs `--yes`, if it does: too many runs, too long, or more disk than `free`.
    pub fn needs_yes(&self, free: Option<u64>) -> Option<String> {
        if self.runs > MAX_RUNS_WITHOUT_YES {
            return Some(format!("{} runs is more than {MAX_RUNS_WITHOUT_YES}", self.runs));
        }
        if let Some(f) = free
            && self.disk > f
        {
            return Some(format!(
                "it would write about {}, more than the {} free on the output's disk",
                bytes(self.disk),
                bytes(f)
            ));
        }
        if self.seconds > MAX_SECONDS_WITHOUT_YES {
            return Some(format!(
                "it would take about {}, more than a day",
                duration(self.seconds)
            ));
        }
        None
    }

    /// `about 12 min on 2 threads, 85.0 MB of disk`.
    pub fn describe(&self) -> String {
        format!(
            "about {} on {} thread(s), {} of disk",
            duration(self.seconds),
            self.threads,
            bytes(self.disk)
        )
    }
}

/// Seconds as `40 s`, `12 min`, `3.5 h` or `2.1 days`.
pub fn duration(s: f64) -> String {
    if s < 90.0 {
        format!("{s:.0} s")
    } else if s < 5400.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 48.0 * 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} days", s / 86400.0)
    }
}

/// Free bytes on the filesystem that holds `path` (or its nearest existing parent); `None`
/// where it cannot be told.
pub fn free_disk(path: &std::path::Path) -> Option<u64> {
    let mut p = path.to_path_buf();
    while !p.exists() {
        if !p.pop() {
            p = std::path::PathBuf::from(".");
            break;
        }
        if p.as_os_str().is_empty() {
            p = std::path::PathBuf::from(".");
        }
    }
    free_disk_at(&p)
}

#[cfg(unix)]
fn free_disk_at(p: &std::path::Path) -> Option<u64> {
    let st = nix::sys::statvfs::statvfs(p).ok()?;
    #[allow(clippy::unnecessary_cast)]
    Some((st.blocks_available() as u64).saturating_mul(st.fragment_size() as u64))
}

#[cfg(not(unix))]
fn free_disk_at(_: &std::path::Path) -> Option<u64> {
    None
}

/// A limit that is a whole number of MiB: `64 MiB`.
fn mebibytes(b: u64) -> String {
    if b.is_multiple_of(1 << 20) {
        format!("{} MiB", b >> 20)
    } else {
        format!("{b} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("512M"), Some(512 << 20));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("8GiB"), Some(8 << 30));
        assert_eq!(parse_size(" 1.5 T "), Some(3 << 39));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("0"), None);
        assert_eq!(parse_size("-1G"), None);
        assert_eq!(parse_size(""), None);
    }

    #[test]
    fn the_issue_worlds_are_refused_and_small_ones_are_not() {
        // 5,000 states: the issue's "memory allocation of 200000000 bytes failed" is one f64 array.
        let e = MemoryEstimate::new(5_000, 15, 3, 1, 1000);
        assert!(e.per_thread > 25_000_000 * 8 && e.total(1) > 8_000_000_000, "{e:?}");
        // 1.3 M states: the scenario's trust array alone is 13.5 TB.
        let e = MemoryEstimate::new(1_300_000, 15, 1, 1, 1000);
        assert!(e.world > 13_500_000_000_000);
        assert_eq!(e.threads_within(1 << 40), 0);
        // The bundled scenario: well under a gigabyte on 16 threads.
        let e = MemoryEstimate::new(16, 15, 3, 3, 1000);
        assert!(e.total(16) < 100_000_000, "{e:?}");
        assert!(e.threads_within(1 << 30) > 1000);
    }

    #[test]
    fn jobs_that_are_too_large_ask_for_yes() {
        // The issue's runs = 10^12: refused on the count alone.
        let e = JobEstimate::new(1_000_000_000_000, 0.001, 2, 60, 0, 0.0, 0, 0);
        assert!(e.needs_yes(None).unwrap().contains("runs"));
        // 1000 runs of the bundled scenario: fine.
        let e = JobEstimate::new(1000, 0.002, 2, 60, 0, 0.0, 6852, 100_000);
        assert_eq!(e.disk, 1000 * (600 + 6852) + 100_000);
        assert_eq!(e.needs_yes(Some(1 << 40)), None);
        assert!(e.needs_yes(Some(1000)).unwrap().contains("free"));
        // A week of compute.
        let e = JobEstimate::new(1000, 1200.0, 2, 60, 0, 0.0, 0, 0);
        assert!(e.needs_yes(None).unwrap().contains("more than a day"), "{e:?}");
        assert_eq!(duration(600_000.0), "6.9 days");
        assert!(free_disk(std::path::Path::new("/no/such/folder/here")).is_some_and(|b| b > 0));
    }

    #[test]
    fn byte_counts_read_well() {
        assert_eq!(bytes(13_520_000_000_000), "13.5 TB");
        assert_eq!(bytes(400_000), "0.4 MB");
        assert_eq!(mebibytes(MAX_SCENARIO_BYTES), "64 MiB");
    }
}
