//! Subcommands. Each file holds one command; the work lives in the library.

pub mod backtest;
pub mod compare;
pub mod completions;
pub mod explain;
pub mod import;
pub mod list;
pub mod merge;
pub mod report;
pub mod run;
pub mod scenario;
pub mod sensitivity;
pub mod sweep;
pub mod synth;
pub mod validate;

use comity::output::OutputError;
use comity::scenario::ScenarioError;

/// Exit codes (after sysexits.h), documented in the README.
pub mod exit {
    /// Bad command line (clap uses 2 as well).
    pub const USAGE: i32 = 2;
    /// The scenario (or a CSV it names) is invalid, unreadable, over the size limit, or too
    /// large for this machine's memory.
    pub const DATA: i32 = 65;
    /// The output folder cannot be used: not empty (use --force or another --out), holding an
    /// interrupted run (--force starts over), or in use by another comity process.
    pub const CANT_CREATE: i32 = 73;
    /// Writing the outputs failed.
    pub const IO: i32 = 74;
    /// Stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
    pub const INTERRUPTED: i32 = 130;
}

/// Raised by the first Ctrl-C (SIGINT), SIGTERM or SIGHUP: long commands stop at the end of
/// the chunk of runs in flight, write what is done and exit with [`exit::INTERRUPTED`]. A second
/// signal exits at once.
pub fn stop_flag() -> &'static std::sync::atomic::AtomicBool {
    use std::sync::atomic::{AtomicBool, Ordering};
    static STOP: AtomicBool = AtomicBool::new(false);
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // Without a handler (another one is installed), signals keep their default action.
        let _ = ctrlc::set_handler(|| {
            if STOP.swap(true, Ordering::SeqCst) {
                std::process::exit(exit::INTERRUPTED);
            }
            emit_err("\nstopping: finishing the runs in flight and writing a checkpoint (press Ctrl-C again to quit at once)\n");
        });
    });
    &STOP
}

/// Writes text to stdout; a closed pipe (`comity ... | head`) is not an error.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

/// Writes text to stderr, ignoring a closed pipe.
pub fn emit_err(text: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
}

/// Why a command failed.
pub enum Failure {
    Usage(String, Option<String>),
    /// Input data (an output folder, a design file) that cannot be used.
    Data(String, Option<String>),
    Scenario(Box<ScenarioError>),
    Output(OutputError),
    Compare(comity::compare::CompareError),
    Report(comity::report::ReportError),
    Import(comity::import::ImportError),
    /// Stopped by a signal (Ctrl-C, SIGTERM): what is done and how to go on.
    Interrupted(String),
}

impl From<ScenarioError> for Failure {
    fn from(e: ScenarioError) -> Self {
        Failure::Scenario(Box::new(e))
    }
}

impl From<OutputError> for Failure {
    fn from(e: OutputError) -> Self {
        Failure::Output(e)
    }
}

impl Failure {
    /// Prints the failure to stderr and returns the exit code.
    pub fn report(self) -> i32 {
        match self {
            Failure::Usage(msg, hint) => {
                let help = hint.map(|h| format!("  help: {h}\n")).unwrap_or_default();
                emit_err(&format!("error: {msg}\n{help}"));
                exit::USAGE
            }
            Failure::Data(msg, hint) => {
                let help = hint.map(|h| format!("  help: {h}\n")).unwrap_or_default();
                emit_err(&format!("error: {msg}\n{help}"));
                exit::DATA
            }
            Failure::Scenario(e) => {
                emit_err(&format!("{:?}\n", miette::Report::new(*e)));
                exit::DATA
            }
            Failure::Interrupted(msg) => {
                emit_err(&format!("{msg}\n"));
                exit::INTERRUPTED
            }
            Failure::Compare(e) => {
                emit_err(&format!("error: {e}\n"));
                exit::DATA
            }
            Failure::Import(e) => {
                let help = e.hint().map(|h| format!("  help: {h}\n")).unwrap_or_default();
                emit_err(&format!("error: {e}\n{help}"));
                exit::DATA
            }
            Failure::Report(e) => {
                emit_err(&format!("error: {e}\n"));
                match e {
                    comity::report::ReportError::Draw(_) => exit::IO,
                    _ => exit::DATA,
                }
            }
            Failure::Output(e) => {
                let (help, code) = match &e {
                    OutputError::Refused(dir) => (
                        format!(
                            "nothing was written; pass --force to replace comity's files in {}, or choose another folder with --out",
                            dir.display()
                        ),
                        exit::CANT_CREATE,
                    ),
                    OutputError::Interrupted { resume: Some(cmd), .. } => (
                        format!(
                            "finish it with: {cmd}\n  or pass --force to start over (comity's files there are removed, nothing else), or choose another folder with --out"
                        ),
                        exit::CANT_CREATE,
                    ),
                    OutputError::Interrupted { resume: None, .. } => (
                        "it left no checkpoint to resume from: pass --force to start over (comity's files there are removed, nothing else), or choose another folder with --out".to_string(),
                        exit::CANT_CREATE,
                    ),
                    OutputError::Locked { dir, .. } => (
                        format!(
                            "nothing was touched; wait until that run has finished, or choose another folder with --out (--force does not take a folder from a running process; the lock is {})",
                            dir.join(comity::output::LOCK_FILE).display()
                        ),
                        exit::CANT_CREATE,
                    ),
                    OutputError::Io { .. } => (
                        "check that the folder is writable and the disk is not full".to_string(),
                        exit::IO,
                    ),
                };
                emit_err(&format!("error: {e}\n  help: {help}\n"));
                code
            }
        }
    }
}
