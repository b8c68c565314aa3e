//! Scenario errors: a message that names file, line and column, the offending
//! source text with a label, and a hint.

use miette::{Diagnostic, NamedSource, SourceSpan};
use std::ops::Range;
use std::sync::Arc;
use thiserror::Error;

/// A source file read while loading a scenario (the TOML file or one of its CSVs).
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: Arc<String>,
}

impl SourceFile {
    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
        (line, col)
    }
}

/// Where a value came from: a source file and a byte range in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    pub src: usize,
    pub span: Range<usize>,
}

/// Why a scenario could not be loaded. Every variant is a user-data problem
/// (exit code 65), except that the file may not exist or be unreadable.
#[derive(Debug, Error, Diagnostic)]
#[error("{location}: {message}")]
pub struct ScenarioError {
    /// `path:line:col`, or just the path when there is no position.
    pub location: String,
    pub message: String,
    #[source_code]
    pub source_code: NamedSource<Arc<String>>,
    #[label("{label}")]
    pub span: Option<SourceSpan>,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

impl ScenarioError {
    /// An error located in `file` at `span`.
    pub fn at(
        file: &SourceFile,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) -> ScenarioError {
        let (line, col) = file.line_col(span.start);
        let len = span.end.saturating_sub(span.start);
        ScenarioError {
            location: format!("{}:{}:{}", file.path, line, col),
            message: message.into(),
            source_code: NamedSource::new(file.path.clone(), file.text.clone()),
            span: Some(SourceSpan::new(span.start.into(), len)),
            label: label.into(),
            help,
        }
    }

    /// An error about a whole file (it cannot be read, for instance).
    pub fn file(path: &str, message: impl Into<String>, help: Option<String>) -> ScenarioError {
        ScenarioError {
            location: path.to_string(),
            message: message.into(),
            source_code: NamedSource::new(path, Arc::new(String::new())),
            span: None,
            label: String::new(),
            help,
        }
    }
}
