//! Numbers in range, and the bounds that keep a run's numbers finite.

use super::{Loader, Result, Val, shown};

/// Upper bounds of the magnitudes that the model multiplies (issue 12: no field may lead to a
/// non-finite number). Power is a share of the system's capabilities (COW CINC scores sum to
/// 1); GDP in trillion USD and trade in bn USD per year at most 10,000 and 40 times today's world
/// totals. During a run they may grow past these, up to the ceilings of `sim::mechanisms`.
const POWER_MAX: f64 = 1.0;
const GDP_MAX: f64 = 1e6;
const TRADE_MAX: f64 = 1e6;

impl Loader {
    pub(super) fn unit(&self, v: &Option<Val<f64>>, what: &str, default: f64) -> Result<f64> {
        match v {
            None => Ok(default),
            Some(x) => self.range(x, what, 0.0, 1.0),
        }
    }

    pub(super) fn range(&self, x: &Val<f64>, what: &str, min: f64, max: f64) -> Result<f64> {
        if x.v.is_finite() && x.v >= min && x.v <= max {
            Ok(x.v)
        } else {
            let expected = if max.is_infinite() {
                format!(">= {min}")
            } else {
                format!("in [{min}, {max}]")
            };
            Err(self.err(
                &x.loc,
                format!("{what} = {} is out of range: it must be {expected}", shown(x.v)),
                format!("expected {expected}"),
                None,
            ))
        }
    }

    /// [`Loader::range`] for a bound that keeps a run's numbers finite: the help says why.
    pub(super) fn bounded(&self, x: &Val<f64>, what: &str, min: f64, max: f64, why: &str) -> Result<f64> {
        self.range(x, what, min, max).map_err(|mut e| {
            e.help = Some(format!("{why} (docs/scenario-format.md, section Bounds)"));
            e
        })
    }

    pub(super) fn power(&self, x: &Val<f64>) -> Result<f64> {
        self.bounded(
            x,
            "power",
            0.0,
            POWER_MAX,
            "power is a share of the system's capabilities, like a COW CINC score: divide raw capabilities by the system's total",
        )
    }

    pub(super) fn gdp(&self, x: &Val<f64>) -> Result<f64> {
        self.bounded(
            x,
            "gdp",
            0.0,
            GDP_MAX,
            "gdp is in trillion USD (world GDP is about 100): at most 1000000",
        )
    }

    pub(super) fn trade(&self, x: &Val<f64>) -> Result<f64> {
        self.bounded(
            x,
            "trade",
            0.0,
            TRADE_MAX,
            "trade is the pair's trade in bn USD per year (world trade is about 25000): at most 1000000",
        )
    }
}
