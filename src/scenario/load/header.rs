//! The `[scenario]` table: dates, the calendar, and whether the world fits in memory.

use super::compose::Header;
use super::{Loader, Result, Val};
use crate::scenario::error::Loc;
use crate::scenario::limits::{self, MemoryEstimate};
use crate::time::{Calendar, Month, Step, parse_year_month};

impl Loader {
    pub(super) fn month(&self, value: &Val<toml::Value>, end_of_year: bool, what: &str) -> Result<Month> {
        let bad = || {
            self.err(
                &value.loc,
                format!("{what} must be a year like 2017 or a month like \"2017-06\""),
                "not a year or \"YYYY-MM\"",
                Some("write a bare integer year (2017) or a quoted year-month (\"2017-06\")".into()),
            )
        };
        match &value.v {
            toml::Value::Integer(y) if (1..=9999).contains(y) => Ok(if end_of_year {
                Month::from_ym(*y, 12)
            } else {
                Month::from_ym(*y, 1)
            }),
            toml::Value::String(s) => parse_year_month(s).ok_or_else(bad),
            _ => Err(bad()),
        }
    }

    /// Refuses a world that would not fit in this machine's memory on one thread.
    pub(super) fn fits_in_memory(&self, at: &Loc, states: usize, estimate: &MemoryEstimate) -> Result<()> {
        let bound = limits::memory_bound();
        let need = estimate.total(1);
        if need <= bound.bytes {
            return Ok(());
        }
        Err(self.err(
            at,
            format!(
                "the scenario is too large for this machine: {states} states need about {} on one thread ({}), more than the {} comity may use ({})",
                limits::bytes(need),
                estimate.describe(),
                limits::bytes(bound.bytes),
                bound.source,
            ),
            format!("{states} states"),
            Some(format!(
                "memory grows with the square of the number of states: model fewer states (a region, or the states that matter to the question), or run on a machine with more memory; {} sets the bound (docs/reliability.md)",
                limits::MEMORY_LIMIT_VAR
            )),
        ))
    }

    pub(super) fn calendar(&self, h: &Header) -> Result<Calendar> {
        let start = self.month(&h.start, false, "start")?;
        let end = self.month(&h.end, true, "end")?;
        if end < start {
            return Err(self.err(&h.end.loc, "end is before start", "ends before it starts", None));
        }
        let step = match &h.step {
            None => Step::Year,
            Some(s) => Step::parse(&s.v).ok_or_else(|| {
                self.err(
                    &s.loc,
                    format!("unknown step \"{}\"", s.v),
                    "expected year, quarter or month",
                    Some("step = \"year\" (default), \"quarter\" or \"month\"".into()),
                )
            })?,
        };
        let cal = Calendar { start, end, step };
        if cal.n_ticks() > 100_000 {
            return Err(self.err(&h.end.loc, "the calendar has more than 100000 steps", "too long", None));
        }
        Ok(cal)
    }
}
