//! Checkpoints: a run that is stopped (Ctrl-C, SIGTERM, kill -9, power loss) can be finished
//! with `comity run ... --resume`, and its files are then the bytes of an uninterrupted run.
//!
//! Architecture Invariant: runs are folded and written strictly in (lens, run) order, and every
//! run's metric panel is appended to `.panels.bin.partial` as it is written. A checkpoint is
//! written (atomically, after the partial files are flushed to the disk) every
//! [`CHECKPOINT_SECONDS`] and when the run is stopped; it names the next (lens, run) and the byte
//! length of every partial file at that moment. Resuming cuts each partial file back to that
//! length, folds the panels again in order (the across-run summaries are then bit for bit those
//! of an uninterrupted run) and computes the rest. Anything written after the last checkpoint
//! is computed again: runs are keyed by (seed, run), so it is the same.

use crate::montecarlo::{LensAggregate, Sink};
use crate::output::{AtomicFile, CHECKPOINT_FILE, FileLengths, OutputError, RunWriters};
use crate::sim::{Prepared, RunResult};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Seconds between checkpoints while a run goes on.
pub const CHECKPOINT_SECONDS: u64 = 5;

/// What a checkpoint records.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    /// The command line that started the run (shell-quoted words), to print the resume command.
    pub command: Vec<String>,
    /// What must not change on resume: the scenario's hash, seed, runs, lenses, parameters,
    /// overrides, the files asked for, the shard.
    pub identity: serde_json::Value,
    /// The next (lens, run) to compute.
    pub lens: usize,
    pub next_run: u64,
    /// Runs done, of `total`.
    pub done: u64,
    pub total: u64,
    /// Byte lengths of the partial files.
    pub lengths: FileLengths,
}

impl Checkpoint {
    pub const VERSION: u32 = 1;

    /// Reads the folder's checkpoint, `None` when there is none.
    pub fn read(dir: &Path) -> Result<Option<Checkpoint>, String> {
        let path = dir.join(CHECKPOINT_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let c: Checkpoint = serde_json::from_str(&text)
            .map_err(|e| format!("{} is damaged ({e}): start over with --force", path.display()))?;
        if c.version != Self::VERSION {
            return Err(format!(
                "{} was written by another version of comity (checkpoint version {}): start over with --force",
                path.display(),
                c.version
            ));
        }
        Ok(Some(c))
    }

    /// Writes the checkpoint atomically.
    pub fn write(&self, dir: &Path) -> Result<(), OutputError> {
        let path = dir.join(CHECKPOINT_FILE);
        let mut f = AtomicFile::create(&path)?;
        let text = serde_json::to_string_pretty(self).expect("a checkpoint serializes");
        f.writer()
            .write_all(text.as_bytes())
            .map_err(|source| OutputError::Io {
                path: path.clone(),
                source,
            })?;
        f.commit()
    }

    /// Removes the folder's checkpoint (after the run's files are complete).
    pub fn remove(dir: &Path) -> Result<(), OutputError> {
        let path = dir.join(CHECKPOINT_FILE);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(OutputError::Io { path, source: e }),
            _ => Ok(()),
        }
    }

    /// The command that finishes the run: the original one with `--resume`.
    pub fn resume_command(&self) -> String {
        let mut words = self.command.clone();
        if !words.iter().any(|w| w == "--resume") {
            words.push("--resume".into());
        }
        words.retain(|w| w != "--force");
        words.join(" ")
    }

    /// The first field of `identity` whose value differs from `other`'s, with both values.
    pub fn differs(&self, other: &serde_json::Value) -> Option<(String, String, String)> {
        let (a, b) = (self.identity.as_object()?, other.as_object()?);
        let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter().find_map(|k| {
            let (x, y) = (a.get(k), b.get(k));
            (x != y).then(|| {
                let show = |v: Option<&serde_json::Value>| v.map_or("(none)".to_string(), |v| v.to_string());
                (k.clone(), show(x), show(y))
            })
        })
    }
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The sink of a run that checkpoints: writes the rows and panels, and every
/// [`CHECKPOINT_SECONDS`] flushes them and writes a checkpoint.
pub struct Checkpointer {
    pub writers: RunWriters,
    dir: PathBuf,
    base: Checkpoint,
    runs: std::ops::Range<u64>,
    lenses: usize,
    last: Instant,
    /// `None`: no checkpoints (the run cannot be resumed).
    every: Option<Duration>,
    /// The position after the last chunk written: (lens, next run, runs done).
    at: (usize, u64, u64),
}

impl Checkpointer {
    /// `base`: the checkpoint's fixed fields (command, identity, total); `runs`: the span's run
    /// indices of each lens; `at`: where the run starts (lens, run, runs done before it).
    pub fn new(
        writers: RunWriters,
        dir: &Path,
        base: Checkpoint,
        runs: std::ops::Range<u64>,
        lenses: usize,
        at: (usize, u64, u64),
    ) -> Checkpointer {
        Checkpointer {
            writers,
            dir: dir.to_path_buf(),
            base,
            runs,
            lenses,
            last: Instant::now(),
            every: Some(Duration::from_secs(CHECKPOINT_SECONDS)),
            at,
        }
    }

    /// Checkpoints every chunk (tests).
    pub fn always(mut self) -> Checkpointer {
        self.every = Some(Duration::ZERO);
        self
    }

    /// Writes no checkpoint at all (the writers keep no panels).
    pub fn never(mut self) -> Checkpointer {
        self.every = None;
        self
    }

    /// Whether this run writes checkpoints.
    pub fn enabled(&self) -> bool {
        self.every.is_some()
    }

    /// Flushes the partial files and writes a checkpoint of what is written (nothing when
    /// checkpoints are off).
    pub fn commit(&mut self) -> Result<(), OutputError> {
        if self.every.is_none() {
            return Ok(());
        }
        let lengths = self.writers.sync()?;
        let (lens, next_run, done) = self.at;
        let c = Checkpoint {
            lens,
            next_run,
            done,
            lengths,
            ..self.base.clone()
        };
        c.write(&self.dir)?;
        self.last = Instant::now();
        Ok(())
    }

    /// Runs done so far.
    pub fn done(&self) -> u64 {
        self.at.2
    }
}

impl Sink for Checkpointer {
    fn chunk(&mut self, lens: usize, name: &str, prepared: &Prepared, results: &[RunResult]) -> std::io::Result<()> {
        self.writers.chunk(lens, name, prepared, results)?;
        if let Some(last) = results.last() {
            let next = last.run + 1;
            self.at = if next >= self.runs.end && lens + 1 < self.lenses {
                (lens + 1, self.runs.start, self.at.2 + results.len() as u64)
            } else {
                (lens, next, self.at.2 + results.len() as u64)
            };
        }
        if self.every.is_some_and(|every| self.last.elapsed() >= every) {
            self.commit().map_err(std::io::Error::other)?;
        }
        Ok(())
    }
}

/// Folds the panels a checkpoint vouches for into fresh aggregates, in (lens, run) order: the
/// aggregates of an uninterrupted run at that point. Lenses complete before `checkpoint.lens`
/// are finished (sorted).
pub fn refold(
    dir: &Path,
    checkpoint: &Checkpoint,
    lenses: &[String],
    make: &dyn Fn(&str) -> std::io::Result<LensAggregate>,
    pool: &rayon::ThreadPool,
) -> Result<Vec<LensAggregate>, String> {
    let path = dir.join(format!(".{}.partial", crate::results::PANELS));
    let len = checkpoint.lengths.get(crate::results::PANELS).copied();
    let mut reader = crate::shard::PanelReader::open(&path, len)?;
    let mut aggs: Vec<LensAggregate> = Vec::new();
    let mut scratch = RunResult {
        run: 0,
        metrics: Vec::new(),
        pairs: Vec::new(),
        disputes: Vec::new(),
        dyad_years: Vec::new(),
    };
    while let Some(p) = reader.next_panel()? {
        let l = p.lens as usize;
        if l >= lenses.len() || l + 1 < aggs.len() || l > aggs.len() {
            return Err(format!(
                "{} is out of order at lens {l}: start over with --force",
                path.display()
            ));
        }
        if l == aggs.len() {
            // The lens before is complete: finish it now, so that at most one lens's values
            // wait in a scratch file at a time.
            if let Some(done) = aggs.last_mut() {
                done.finish(pool).map_err(|e| e.to_string())?;
            }
            aggs.push(make(&lenses[l]).map_err(|e| e.to_string())?);
        }
        scratch.run = p.run;
        scratch.metrics = p.metrics;
        aggs[l].fold(&scratch).map_err(|e| e.to_string())?;
    }
    while aggs.len() < checkpoint.lens {
        aggs.push(make(&lenses[aggs.len()]).map_err(|e| e.to_string())?);
    }
    // (finishing again is a no-op)
    for agg in aggs.iter_mut().take(checkpoint.lens) {
        agg.finish(pool).map_err(|e| e.to_string())?;
    }
    Ok(aggs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("scenarios/w.toml"), "scenarios/w.toml");
        assert_eq!(shell_word("--set=a.b=0.5"), "--set=a.b=0.5");
        assert_eq!(shell_word("my file"), "'my file'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn the_resume_command_adds_resume_and_drops_force() {
        let c = Checkpoint {
            version: 1,
            command: vec!["comity".into(), "run".into(), "s.toml".into(), "--force".into()],
            identity: serde_json::json!({"seed": 1}),
            lens: 0,
            next_run: 0,
            done: 0,
            total: 1,
            lengths: FileLengths::new(),
        };
        assert_eq!(c.resume_command(), "comity run s.toml --resume");
        assert_eq!(c.differs(&serde_json::json!({"seed": 1})), None);
        let d = c.differs(&serde_json::json!({"seed": 2})).unwrap();
        assert_eq!((d.0.as_str(), d.1.as_str(), d.2.as_str()), ("seed", "1", "2"));
    }
}
