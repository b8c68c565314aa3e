//! A lens aggregate's values on disk: exact percentiles at any number of runs, in memory
//! bounded by two buffers rather than by the runs.
//!
//! While an aggregate's values (runs x cells x 8 bytes) fit the memory for values
//! ([`memory_for_values`]: 16 MiB, or `COMITY_PERCENTILE_MEMORY`), every
//! [`Summary`](crate::stats::Summary) keeps its values in memory. Above it the aggregate keeps
//! only each cell's count, mean and variance, and a [`ValueSpill`] writes every run's panel to a
//! scratch file in the output folder (the temporary folder when there is none), a block of runs
//! at a time in cell-major order. The output folder, because the job's disk check already
//! looks there ([`scratch_bytes`] is part of it) and because a temporary folder is often small
//! or held in memory (tmpfs). Once the lens's runs are in, [`ValueSpill::resolve`] reads the file back a group of
//! cells at a time (every run of each), sorts each cell's values and keeps its whole
//! percentiles ([`Summary::resolve`](crate::stats::Summary)). The values are the same and a
//! sort by `total_cmp` puts them in one order, so every percentile is bit for bit the one the
//! in-memory path computes: where the values wait changes no output byte (`tests/spill.rs`).
//!
//! Architecture Invariant: the scratch file is removed as soon as it is created (on Unix the
//! open handle keeps its blocks until the aggregate is dropped, so a crash or a kill leaves
//! nothing behind); where the system refuses that, it is removed when the aggregate is dropped.

use crate::stats::Summary;
use rayon::prelude::*;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes of the buffer that gathers runs before they are written: one block of runs.
pub const WRITE_BYTES: usize = 1 << 20;
/// Bytes of values read back at once: a group of cells over every run (at least one cell).
pub const READ_BYTES: usize = 4 << 20;
/// The memory for an aggregate's values above which they go to a scratch file: 16 MiB.
pub const DEFAULT_MEMORY_FOR_VALUES: u64 = 16 << 20;
/// The environment variable that sets the memory for an aggregate's values (bytes, or a
/// number followed by `K`, `M` or `G`, powers of 1024). It changes where values wait, never
/// an output byte.
pub const MEMORY_VAR: &str = "COMITY_PERCENTILE_MEMORY";

/// The memory, in bytes, up to which an aggregate keeps its values in memory:
/// `COMITY_PERCENTILE_MEMORY` when it is set and valid, else [`DEFAULT_MEMORY_FOR_VALUES`].
/// (`comity` refuses an invalid value before it starts: [`memory_from_env`].)
pub fn memory_for_values() -> u64 {
    memory_from_env().ok().flatten().unwrap_or(DEFAULT_MEMORY_FOR_VALUES)
}

/// The memory `COMITY_PERCENTILE_MEMORY` asks for: `None` when it is unset or empty, an error
/// saying what to write when it is not a size.
pub fn memory_from_env() -> Result<Option<u64>, String> {
    let Ok(text) = std::env::var(MEMORY_VAR) else {
        return Ok(None);
    };
    parse_size(&text).map_err(|why| {
        format!("{MEMORY_VAR}={text:?} {why}: write a number of bytes, optionally followed by K, M or G (powers of 1024), e.g. {MEMORY_VAR}=64M, or unset it (default 16M)")
    })
}

/// `123`, `64K`, `16M`, `2G` (powers of 1024; `KiB`, `MB` and the like are read alike);
/// `None` for an empty text.
fn parse_size(text: &str) -> Result<Option<u64>, &'static str> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if digits == 0 {
        return Err("does not start with a number");
    }
    let number: u64 = t[..digits].parse().map_err(|_| "is too large")?;
    let unit = t[digits..].trim().to_ascii_uppercase();
    let shift = match unit.as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => return Err("has an unknown unit"),
    };
    number.checked_mul(1 << shift).map(Some).ok_or("is too large")
}

/// Whether an aggregate of `runs` runs and `cells` cells keeps its values in memory
/// (`runs x cells x 8` bytes at most `memory`), rather than in a scratch file.
pub fn fits_in_memory(runs: u64, cells: usize, memory: u64) -> bool {
    runs.checked_mul(cells as u64)
        .and_then(|v| v.checked_mul(8))
        .is_some_and(|b| b <= memory)
}

/// The heap bytes an aggregate of `cells` cells spends on a spill for `runs` runs, beyond
/// its summaries: the write buffer, and the group of cells read back (at most [`READ_BYTES`],
/// or one cell when one cell's values outgrow it) with the bytes of one block of it.
pub fn spill_bytes(runs: u64, cells: usize) -> u64 {
    let block = block_runs(cells) as u64;
    let group = read_group(runs, cells) as u64;
    let write = block.saturating_mul(cells as u64).saturating_mul(8);
    let read = group.saturating_mul(runs.saturating_add(block)).saturating_mul(8);
    write.saturating_add(read)
}

/// Cells read back at once: as many as [`READ_BYTES`] holds over every run, at least one.
fn read_group(runs: u64, cells: usize) -> usize {
    let per_cell = runs.max(1).saturating_mul(8);
    usize::try_from(READ_BYTES as u64 / per_cell)
        .unwrap_or(usize::MAX)
        .clamp(1, cells.max(1))
}

/// Runs per block: as many as fill [`WRITE_BYTES`], at least one.
fn block_runs(cells: usize) -> usize {
    (WRITE_BYTES / (cells.max(1) * 8)).max(1)
}

/// The disk an aggregate of `runs` runs and `cells` cells needs for its scratch file at the
/// peak: `runs x cells x 8` bytes when its values are exact and outgrow the memory for values,
/// else 0. One lens's file exists at a time.
pub fn scratch_bytes(runs: u64, cells: usize) -> u64 {
    let method = crate::stats::QuantileMethod::choose(runs, cells, crate::stats::EXACT_BUDGET_BYTES);
    if method == crate::stats::QuantileMethod::Exact && !fits_in_memory(runs, cells, memory_for_values()) {
        runs.saturating_mul(cells as u64).saturating_mul(8)
    } else {
        0
    }
}

/// The scratch file of one aggregate's values (see the module's header).
#[derive(Debug)]
pub struct ValueSpill {
    file: File,
    path: PathBuf,
    /// Whether the file is still to be removed on drop (it could not be removed while open).
    remove_on_drop: bool,
    cells: usize,
    /// Runs per block.
    block_runs: usize,
    /// The block being filled: cell c's value of the block's run r at `(c * block_runs + r) * 8`.
    buf: Vec<u8>,
    /// Runs in `buf`.
    filled: usize,
    /// Runs in each block written (every block is written whole, `cells x block_runs` values).
    blocks: Vec<usize>,
}

impl ValueSpill {
    /// A new scratch file for panels of `cells` values in `dir` (the job's output folder), or
    /// in the temporary folder when `None`.
    pub fn create(dir: Option<&Path>, cells: usize) -> std::io::Result<ValueSpill> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let mut tries = 0;
        loop {
            tries += 1;
            let k = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(".comity-values-{}-{k}.partial", std::process::id()));
            match OpenOptions::new().read(true).write(true).create_new(true).open(&path) {
                Ok(file) => {
                    let removed = std::fs::remove_file(&path).is_ok();
                    let block_runs = block_runs(cells);
                    return Ok(ValueSpill {
                        file,
                        path,
                        remove_on_drop: !removed,
                        cells,
                        block_runs,
                        buf: vec![0; cells * block_runs * 8],
                        filled: 0,
                        blocks: Vec::new(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tries < 1000 => continue,
                Err(e) => return Err(Self::explain(&path, e)),
            }
        }
    }

    /// An I/O error that names the file and what to do.
    fn explain(path: &std::path::Path, e: std::io::Error) -> std::io::Error {
        std::io::Error::new(
            e.kind(),
            format!(
                "the scratch file for exact percentiles, {} ({e}): it needs runs x cells x 8 bytes of one lens on that disk; free room there, or set {MEMORY_VAR} (e.g. 2G) to keep the values in memory",
                path.display()
            ),
        )
    }

    /// Adds one run's panel: its first `cells` values (missing ones count as undefined, NaN).
    pub fn push(&mut self, panel: impl Iterator<Item = f64>) -> std::io::Result<()> {
        let mut panel = panel.fuse();
        let r = self.filled;
        for c in 0..self.cells {
            let x = panel.next().unwrap_or(f64::NAN);
            let at = (c * self.block_runs + r) * 8;
            self.buf[at..at + 8].copy_from_slice(&x.to_le_bytes());
        }
        self.filled += 1;
        if self.filled == self.block_runs {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.filled > 0 {
            self.file
                .write_all(&self.buf)
                .map_err(|e| Self::explain(&self.path, e))?;
            self.blocks.push(self.filled);
            self.filled = 0;
        }
        Ok(())
    }

    /// Reads every run's values back, a group of cells at a time, and resolves each cell's
    /// summary (its values sorted, its whole percentiles kept), sorting on `pool`'s threads.
    /// `summaries`: the aggregate's cells, in panel order. The file goes with `self`.
    pub fn resolve(mut self, summaries: &mut [Summary], pool: &rayon::ThreadPool) -> std::io::Result<()> {
        self.flush()?;
        let runs: usize = self.blocks.iter().sum();
        let cells = self.cells.min(summaries.len());
        let group = read_group(runs as u64, cells);
        let stride = self.block_runs * 8;
        let block_bytes = (self.cells * stride) as u64;
        let mut values: Vec<Vec<f64>> = (0..group).map(|_| Vec::with_capacity(runs)).collect();
        let mut bytes = vec![0u8; group * stride];
        for c0 in (0..cells).step_by(group) {
            let g = group.min(cells - c0);
            values.iter_mut().for_each(Vec::clear);
            for (k, &filled) in self.blocks.iter().enumerate() {
                let seg = &mut bytes[..g * stride];
                self.file
                    .seek(SeekFrom::Start(k as u64 * block_bytes + (c0 * stride) as u64))
                    .and_then(|_| self.file.read_exact(seg))
                    .map_err(|e| Self::explain(&self.path, e))?;
                for (i, v) in values[..g].iter_mut().enumerate() {
                    let cell = &seg[i * stride..i * stride + filled * 8];
                    v.extend(
                        cell.chunks_exact(8)
                            .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
                            .filter(|x| x.is_finite()),
                    );
                }
            }
            pool.install(|| {
                summaries[c0..c0 + g]
                    .par_iter_mut()
                    .zip(values[..g].par_iter_mut())
                    .for_each(|(s, v)| s.resolve(v));
            });
        }
        Ok(())
    }
}

impl Drop for ValueSpill {
    fn drop(&mut self) {
        if self.remove_on_drop {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_read_in_powers_of_1024() {
        assert_eq!(parse_size("123"), Ok(Some(123)));
        assert_eq!(parse_size(" 64K "), Ok(Some(64 << 10)));
        assert_eq!(parse_size("16M"), Ok(Some(16 << 20)));
        assert_eq!(parse_size("16 MiB"), Ok(Some(16 << 20)));
        assert_eq!(parse_size("2g"), Ok(Some(2 << 30)));
        assert_eq!(parse_size("0"), Ok(Some(0)));
        assert_eq!(parse_size(""), Ok(None));
        assert!(parse_size("M").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("-5").is_err());
        assert!(parse_size("99999999999999999999").is_err());
        assert!(parse_size("99999999999G").is_err());
    }

    #[test]
    fn what_fits_in_memory() {
        assert!(fits_in_memory(1000, 855, DEFAULT_MEMORY_FOR_VALUES));
        assert!(!fits_in_memory(100_000, 855, DEFAULT_MEMORY_FOR_VALUES));
        assert!(fits_in_memory(2, 1, 16));
        assert!(!fits_in_memory(3, 1, 16));
        assert!(!fits_in_memory(u64::MAX, 2, u64::MAX));
        assert!(fits_in_memory(0, 855, 0));
    }

    /// The file leaves no name behind on Unix, and is gone once the spill is dropped anywhere.
    #[test]
    fn the_scratch_file_leaves_nothing_behind() {
        let spill = ValueSpill::create(None, 3).unwrap();
        let path = spill.path.clone();
        #[cfg(unix)]
        assert!(!path.exists(), "{} should be unlinked at once", path.display());
        drop(spill);
        assert!(!path.exists());
        let dir = tempfile::tempdir().unwrap();
        let spill = ValueSpill::create(Some(dir.path()), 3).unwrap();
        assert!(spill.path.starts_with(dir.path()));
        drop(spill);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_folder_that_cannot_hold_the_file_is_named_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-folder");
        let e = ValueSpill::create(Some(&missing), 3).unwrap_err().to_string();
        assert!(e.contains("no-such-folder") && e.contains(MEMORY_VAR), "{e}");
    }

    #[test]
    fn the_scratch_disk_is_one_lens_of_values_when_they_outgrow_memory() {
        assert_eq!(scratch_bytes(1000, 1215), 0);
        assert_eq!(scratch_bytes(100_000, 1215), 100_000 * 1215 * 8);
        // Above the budget for exact percentiles the sketch needs no file.
        assert_eq!(scratch_bytes(10_000_000, 1215), 0);
    }
}
