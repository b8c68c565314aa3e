//! Shards: one job split over the tasks of a scheduler (Slurm job arrays, Kubernetes Indexed
//! Jobs, or a shell loop), and the per-run metric panels that let `comity merge` rebuild the
//! unsharded files byte for byte.
//!
//! Architecture Invariant: shard K of N owns a contiguous block of the run indices of every
//! lens (a run's) or of the point indices (a sweep's): `floor(K x T / N) .. floor((K + 1) x T / N)`.
//! Runs are keyed by (seed, run) whatever shard computes them, so the union of the parts, folded
//! in (lens, run) order, is exactly what one process folds.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::ops::Range;
use std::path::Path;

/// Shard `index` of `count` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

/// Where a shard came from, for the note a task prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardSource {
    Flag,
    Slurm,
    Kubernetes,
}

impl ShardSource {
    pub fn describe(self) -> &'static str {
        match self {
            ShardSource::Flag => "--shard",
            ShardSource::Slurm => "SLURM_ARRAY_TASK_ID",
            ShardSource::Kubernetes => "JOB_COMPLETION_INDEX",
        }
    }
}

impl Shard {
    /// `K/N`, 0 <= K < N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("`{text}` is not a shard: write K/N with 0 <= K < N, e.g. 0/4 for the first of four");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = k.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The block of `0..total` this shard owns.
    pub fn range(self, total: u64) -> Range<u64> {
        let at = |k: u64| ((k as u128 * total as u128) / self.count as u128) as u64;
        at(self.index)..at(self.index + 1)
    }

    /// The part folder's name: `part-K-of-N`, K zero-padded to N's digits so that the folders
    /// sort in shard order.
    pub fn folder_name(self) -> String {
        let width = self.count.to_string().len();
        format!("part-{:0width$}-of-{}", self.index, self.count)
    }

    /// The shard of this process: `--shard K/N` if given; else, in a Slurm array task, from
    /// `SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT` (or `_MIN`/`_MAX`); else, with
    /// `--shards N`, from Kubernetes' `JOB_COMPLETION_INDEX`. `None`: not sharded.
    pub fn resolve(
        flag: Option<Shard>,
        shards: Option<u64>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<(Shard, ShardSource)>, String> {
        if let Some(s) = flag {
            if let Some(n) = shards
                && n != s.count
            {
                return Err(format!("--shard {}/{} and --shards {n} disagree", s.index, s.count));
            }
            return Ok(Some((s, ShardSource::Flag)));
        }
        let num = |name: &str| -> Result<Option<u64>, String> {
            match env(name) {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{name}={v} is not a whole number")),
            }
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let count = num("SLURM_ARRAY_TASK_COUNT")?;
            let (min, max) = (num("SLURM_ARRAY_TASK_MIN")?, num("SLURM_ARRAY_TASK_MAX")?);
            let (index, count) = match (min, max, count) {
                // An array 0-3 (or 1-4): the index counts from the array's first task.
                (Some(lo), Some(hi), c) if hi >= lo && id >= lo && id <= hi => {
                    let n = hi - lo + 1;
                    if let Some(c) = c
                        && c != n
                    {
                        return Err(format!(
                            "the Slurm array {lo}-{hi} has gaps or a step (SLURM_ARRAY_TASK_COUNT={c}): give each task --shard K/N, or submit a contiguous array such as --array=0-{}",
                            c - 1
                        ));
                    }
                    (id - lo, n)
                }
                (_, _, Some(c)) if id < c => (id, c),
                _ => {
                    return Err(format!(
                        "SLURM_ARRAY_TASK_ID={id} does not fit the array's SLURM_ARRAY_TASK_MIN/MAX/COUNT: give each task --shard K/N"
                    ));
                }
            };
            if let Some(n) = shards
                && n != count
            {
                return Err(format!("--shards {n} disagrees with the Slurm array's {count} tasks"));
            }
            return Ok(Some((Shard { index, count }, ShardSource::Slurm)));
        }
        if let Some(count) = shards {
            if count == 0 {
                return Err("--shards needs at least 1".into());
            }
            let index = num("JOB_COMPLETION_INDEX")?.ok_or_else(|| {
                "--shards N needs the task's index: JOB_COMPLETION_INDEX (set in a Kubernetes Indexed Job) is not set; outside Kubernetes give --shard K/N".to_string()
            })?;
            if index >= count {
                return Err(format!("JOB_COMPLETION_INDEX={index} is not below --shards {count}"));
            }
            return Ok(Some((Shard { index, count }, ShardSource::Kubernetes)));
        }
        Ok(None)
    }
}

// ------------------------------------------------------------------------- metric panels

/// `panels.bin`: every run's metric panel, in (lens, run) order, so that the across-run
/// summaries can be folded again exactly. Little-endian: the magic, the cells per panel (u64),
/// then per run the lens's index (u32), the run (u64) and the cells (f64 each).
pub const PANELS_MAGIC: &[u8; 8] = b"CMTYPNL1";

/// Bytes of the header.
pub const PANELS_HEADER: u64 = 16;

/// Bytes of one run's record.
pub fn panel_record_bytes(cells: usize) -> u64 {
    12 + 8 * cells as u64
}

/// Writes the header of a panels file.
pub fn write_panels_header(w: &mut dyn Write, cells: usize) -> std::io::Result<()> {
    w.write_all(PANELS_MAGIC)?;
    w.write_all(&(cells as u64).to_le_bytes())
}

/// Appends one run's record: its cells are `parts` one after the other (the communities'
/// metrics, then the pairs').
pub fn write_panel(w: &mut dyn Write, lens: u32, run: u64, parts: &[&[f64]]) -> std::io::Result<()> {
    w.write_all(&lens.to_le_bytes())?;
    w.write_all(&run.to_le_bytes())?;
    let mut buf = Vec::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() * 8);
    for x in parts.iter().flat_map(|p| p.iter()) {
        buf.extend_from_slice(&x.to_le_bytes());
    }
    w.write_all(&buf)
}

/// Reads a panels file record by record.
#[derive(Debug)]
pub struct PanelReader {
    r: BufReader<File>,
    cells: usize,
    /// Records left to read (the file's length says how many it holds).
    left: u64,
    path: std::path::PathBuf,
}

/// One run's panel.
pub struct Panel {
    pub lens: u32,
    pub run: u64,
    pub metrics: Vec<f64>,
}

impl PanelReader {
    /// Opens `path`, reading at most `len` bytes of it (all when `None`); a file whose length
    /// is not a whole number of records is refused as damaged.
    pub fn open(path: &Path, len: Option<u64>) -> Result<PanelReader, String> {
        let f = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let size = f
            .metadata()
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .len();
        let len = len.unwrap_or(size);
        if len > size {
            return Err(format!(
                "{} is shorter ({size} bytes) than its checkpoint says ({len} bytes)",
                path.display()
            ));
        }
        let mut r = BufReader::with_capacity(1 << 20, f);
        let mut head = [0u8; 16];
        r.read_exact(&mut head)
            .map_err(|_| format!("{} is not a comity panels file (too short)", path.display()))?;
        if &head[..8] != PANELS_MAGIC {
            return Err(format!("{} is not a comity panels file", path.display()));
        }
        let cells = u64::from_le_bytes(head[8..16].try_into().expect("8 bytes")) as usize;
        let rec = panel_record_bytes(cells);
        let body = len.saturating_sub(PANELS_HEADER);
        if len < PANELS_HEADER || !body.is_multiple_of(rec) {
            return Err(format!(
                "{} is damaged: {len} bytes is not a whole number of {rec}-byte records",
                path.display()
            ));
        }
        Ok(PanelReader {
            r,
            cells,
            left: body / rec,
            path: path.to_path_buf(),
        })
    }

    pub fn cells(&self) -> usize {
        self.cells
    }

    /// Records not yet read.
    pub fn remaining(&self) -> u64 {
        self.left
    }

    /// The next record, `None` at the end.
    pub fn next_panel(&mut self) -> Result<Option<Panel>, String> {
        if self.left == 0 {
            return Ok(None);
        }
        let mut head = [0u8; 12];
        let mut body = vec![0u8; self.cells * 8];
        self.r
            .read_exact(&mut head)
            .and_then(|_| self.r.read_exact(&mut body))
            .map_err(|e| format!("cannot read {}: {e}", self.path.display()))?;
        self.left -= 1;
        Ok(Some(Panel {
            lens: u32::from_le_bytes(head[..4].try_into().expect("4 bytes")),
            run: u64::from_le_bytes(head[4..].try_into().expect("8 bytes")),
            metrics: body
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect(),
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_tile_the_runs_in_contiguous_blocks() {
        for total in [0u64, 1, 7, 40, 1000] {
            for count in 1..=9u64 {
                let mut next = 0;
                for index in 0..count {
                    let r = Shard { index, count }.range(total);
                    assert_eq!(r.start, next, "total {total}, {index}/{count}");
                    assert!(r.end - r.start <= total / count + 1);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
        assert_eq!(Shard { index: 1, count: 4 }.range(10), 2..5);
    }

    #[test]
    fn parsing_and_names() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert!(Shard::parse("4/4").is_err());
        assert!(Shard::parse("0/0").is_err());
        assert!(Shard::parse("a/4").is_err());
        assert!(Shard::parse("3").is_err());
        assert_eq!(Shard { index: 3, count: 16 }.folder_name(), "part-03-of-16");
        assert_eq!(Shard { index: 0, count: 4 }.folder_name(), "part-0-of-4");
    }

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn the_shard_comes_from_the_flag_slurm_or_kubernetes() {
        let none = env(&[]);
        assert_eq!(Shard::resolve(None, None, &none), Ok(None));
        let s = Shard { index: 1, count: 3 };
        assert_eq!(Shard::resolve(Some(s), None, &none), Ok(Some((s, ShardSource::Flag))));
        assert!(Shard::resolve(Some(s), Some(4), &none).is_err());
        let slurm = env(&[("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_COUNT", "4")]);
        assert_eq!(
            Shard::resolve(None, None, &slurm),
            Ok(Some((Shard { index: 2, count: 4 }, ShardSource::Slurm)))
        );
        // An array 1-4: task 1 is shard 0.
        let one_based = env(&[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(
            Shard::resolve(None, None, &one_based),
            Ok(Some((Shard { index: 0, count: 4 }, ShardSource::Slurm)))
        );
        // An array with a step (0-6:2) is not a tiling of shards.
        let stepped = env(&[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "6"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert!(
            Shard::resolve(None, None, &stepped)
                .unwrap_err()
                .contains("--shard K/N")
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "3")]);
        assert_eq!(
            Shard::resolve(None, Some(4), &k8s),
            Ok(Some((Shard { index: 3, count: 4 }, ShardSource::Kubernetes)))
        );
        assert!(Shard::resolve(None, Some(3), &k8s).is_err());
        assert!(
            Shard::resolve(None, Some(4), &none)
                .unwrap_err()
                .contains("JOB_COMPLETION_INDEX")
        );
        // Kubernetes' index alone, without --shards, does not shard (the count is unknown).
        assert_eq!(Shard::resolve(None, None, &k8s), Ok(None));
    }

    #[test]
    fn panels_round_trip_and_damage_is_named() {
        let dir = std::env::temp_dir().join(format!("comity-panels-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("panels.bin");
        let mut f = File::create(&path).unwrap();
        write_panels_header(&mut f, 3).unwrap();
        write_panel(&mut f, 0, 5, &[&[1.0, f64::NAN], &[-2.5]]).unwrap();
        write_panel(&mut f, 1, 6, &[&[0.0, 3.0, 1e-300]]).unwrap();
        drop(f);
        let mut r = PanelReader::open(&path, None).unwrap();
        assert_eq!((r.cells(), r.remaining()), (3, 2));
        let p = r.next_panel().unwrap().unwrap();
        assert_eq!((p.lens, p.run, p.metrics[0], p.metrics[2]), (0, 5, 1.0, -2.5));
        assert!(p.metrics[1].is_nan());
        let p = r.next_panel().unwrap().unwrap();
        assert_eq!((p.lens, p.run, p.metrics[2]), (1, 6, 1e-300));
        assert!(r.next_panel().unwrap().is_none());
        // A torn last record is damage, not a shorter file.
        let len = std::fs::metadata(&path).unwrap().len();
        assert!(PanelReader::open(&path, Some(len - 1)).unwrap_err().contains("damaged"));
        assert_eq!(
            PanelReader::open(&path, Some(PANELS_HEADER + 36)).unwrap().remaining(),
            1
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
