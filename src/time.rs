//! Calendar time: months since year 0, simulation steps and ticks.
//!
//! A date is stored as a month count (`year * 12 + month - 1`) so that a
//! year-only date and a `"YYYY-MM"` date compare and subtract exactly.

use serde::Serialize;
use std::fmt;

/// A calendar month, counted from January of year 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Month(pub i64);

impl Month {
    pub fn from_ym(year: i64, month: u32) -> Month {
        Month(year * 12 + i64::from(month) - 1)
    }
    pub fn year(self) -> i64 {
        self.0.div_euclid(12)
    }
    /// 1-based month of the year.
    pub fn month(self) -> u32 {
        (self.0.rem_euclid(12) + 1) as u32
    }
}

/// Parses `"YYYY-MM"` (month 01..12). Returns `None` on any other text.
pub fn parse_year_month(text: &str) -> Option<Month> {
    let (y, m) = text.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let year: i64 = y.parse().ok()?;
    let month: u32 = m.parse().ok()?;
    (1..=12).contains(&month).then(|| Month::from_ym(year, month))
}

/// Length of one simulation step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Year,
    Quarter,
    Month,
}

impl Step {
    pub fn months(self) -> i64 {
        match self {
            Step::Year => 12,
            Step::Quarter => 3,
            Step::Month => 1,
        }
    }
    pub fn per_year(self) -> u32 {
        (12 / self.months()) as u32
    }
    pub fn parse(text: &str) -> Option<Step> {
        match text {
            "year" => Some(Step::Year),
            "quarter" => Some(Step::Quarter),
            "month" => Some(Step::Month),
            _ => None,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Year => "year",
            Step::Quarter => "quarter",
            Step::Month => "month",
        })
    }
}

/// The simulated period: ticks `0..n_ticks`, tick 0 starting at `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Calendar {
    pub start: Month,
    /// Last month covered (inclusive).
    pub end: Month,
    pub step: Step,
}

impl Calendar {
    /// Number of ticks: every step that starts on or before `end`.
    pub fn n_ticks(&self) -> u32 {
        ((self.end.0 - self.start.0).div_euclid(self.step.months()) + 1) as u32
    }
    /// The tick whose period contains `m` (caller guarantees `start <= m <= end`).
    pub fn tick_of(&self, m: Month) -> u32 {
        ((m.0 - self.start.0).div_euclid(self.step.months())) as u32
    }
    /// First month of a tick.
    pub fn month_of(&self, tick: u32) -> Month {
        Month(self.start.0 + i64::from(tick) * self.step.months())
    }
    /// Label of a tick: `2017` for yearly steps, `2017-Q2` for quarters, `2017-04` for months.
    pub fn label(&self, tick: u32) -> String {
        let m = self.month_of(tick);
        match self.step {
            Step::Year => format!("{}", m.year()),
            Step::Quarter => format!("{}-Q{}", m.year(), (m.month() - 1) / 3 + 1),
            Step::Month => format!("{}-{:02}", m.year(), m.month()),
        }
    }
    /// Length of one step in years.
    pub fn dt(&self) -> f64 {
        self.step.months() as f64 / 12.0
    }
}

/// Converts a yearly probability to a per-step probability:
/// `p_step = 1 - (1 - p_year)^dt` (model brief section 1).
pub fn per_step_probability(p_year: f64, dt: f64) -> f64 {
    if p_year >= 1.0 {
        return 1.0;
    }
    if dt == 1.0 {
        return p_year.max(0.0);
    }
    1.0 - crate::sim::math::pow(1.0 - p_year.max(0.0), dt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_month_round_trip() {
        let m = parse_year_month("2020-11").unwrap();
        assert_eq!((m.year(), m.month()), (2020, 11));
        assert!(parse_year_month("2020-13").is_none());
        assert!(parse_year_month("2020-1").is_none());
        assert!(parse_year_month("20-11").is_none());
    }

    #[test]
    fn ticks_for_each_step() {
        let cal = |step| Calendar {
            start: Month::from_ym(2016, 1),
            end: Month::from_ym(2030, 12),
            step,
        };
        assert_eq!(cal(Step::Year).n_ticks(), 15);
        assert_eq!(cal(Step::Quarter).n_ticks(), 60);
        assert_eq!(cal(Step::Month).n_ticks(), 180);
        let c = cal(Step::Quarter);
        assert_eq!(c.tick_of(Month::from_ym(2017, 6)), 5);
        assert_eq!(c.label(5), "2017-Q2");
        assert_eq!(cal(Step::Year).label(4), "2020");
        assert_eq!(cal(Step::Month).label(1), "2016-02");
    }

    #[test]
    fn per_step_probability_compounds_back() {
        let p = per_step_probability(0.19, 0.25);
        let back = 1.0 - (1.0 - p).powi(4);
        assert!((back - 0.19).abs() < 1e-12);
        assert!((per_step_probability(0.3, 1.0) - 0.3).abs() < 1e-12);
    }
}
