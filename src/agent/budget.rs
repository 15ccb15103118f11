//! Hard budgets for a run: turns, tokens, cost and wall time, checked before every
//! model call (a model call is what spends money, so nothing is spent past a limit
//! that was already reached). Cost comes from the registry's prices, through each
//! reply's `usage.cost` (see [`crate::llm::Usage::finalize`]).

use std::fmt;
use std::time::{Duration, Instant};

use crate::llm::Usage;

/// The limits of a run; `None` means unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Budget {
    /// Model replies (a turn is one reply and its tool executions).
    pub max_turns: Option<u64>,
    /// Tokens of every kind (input, output, cache read and write) over all replies.
    pub max_tokens: Option<u64>,
    /// USD over all replies, at the registry's prices.
    pub max_cost: Option<f64>,
    /// Wall time from the start of the run.
    pub timeout: Option<Duration>,
}

/// Which limit stopped a run, with the limit and what was used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LimitHit {
    Turns { limit: u64 },
    Tokens { limit: u64, used: u64 },
    Cost { limit: f64, used: f64 },
    Time { limit: Duration },
}

impl fmt::Display for LimitHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitHit::Turns { limit } => write!(f, "--max-turns {limit} reached"),
            LimitHit::Tokens { limit, used } => {
                write!(f, "--max-tokens {limit} reached ({used} tokens used)")
            }
            LimitHit::Cost { limit, used } => {
                write!(f, "--max-cost {limit} reached (${used:.6} spent)")
            }
            LimitHit::Time { limit } => write!(f, "--timeout {} s reached", limit.as_secs()),
        }
    }
}

/// What a run has spent so far.
#[derive(Debug, Clone, Copy)]
pub struct Spent {
    pub turns: u64,
    pub tokens: u64,
    pub cost: f64,
    pub started: Instant,
}

impl Default for Spent {
    fn default() -> Self {
        Spent {
            turns: 0,
            tokens: 0,
            cost: 0.0,
            started: Instant::now(),
        }
    }
}

impl Spent {
    /// Adds one reply's usage.
    pub fn add(&mut self, usage: &Usage) {
        self.turns += 1;
        self.tokens += usage.total_tokens;
        self.cost += usage.cost.total;
    }
}

impl Budget {
    /// The first limit `spent` has reached, if any: the check before a model call.
    pub fn check(&self, spent: &Spent) -> Option<LimitHit> {
        if let Some(limit) = self.max_turns.filter(|&l| spent.turns >= l) {
            return Some(LimitHit::Turns { limit });
        }
        if let Some(limit) = self.max_tokens.filter(|&l| spent.tokens >= l) {
            return Some(LimitHit::Tokens {
                limit,
                used: spent.tokens,
            });
        }
        if let Some(limit) = self.max_cost.filter(|&l| spent.cost >= l) {
            return Some(LimitHit::Cost {
                limit,
                used: spent.cost,
            });
        }
        if let Some(limit) = self.timeout.filter(|&l| spent.started.elapsed() >= l) {
            return Some(LimitHit::Time { limit });
        }
        None
    }

    /// When the run's wall time ends, if it is limited.
    pub fn deadline(&self, spent: &Spent) -> Option<Instant> {
        self.timeout.map(|t| spent.started + t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{Cost, Usage};

    #[test]
    fn each_limit_stops_once_reached_not_before() {
        let mut spent = Spent::default();
        let usage = Usage {
            total_tokens: 100,
            cost: Cost {
                total: 0.5,
                ..Cost::default()
            },
            ..Usage::default()
        };
        let budget = Budget {
            max_turns: Some(2),
            ..Budget::default()
        };
        assert_eq!(budget.check(&spent), None);
        spent.add(&usage);
        assert_eq!(budget.check(&spent), None);
        spent.add(&usage);
        assert_eq!(budget.check(&spent), Some(LimitHit::Turns { limit: 2 }));
        let tokens = Budget {
            max_tokens: Some(150),
            ..Budget::default()
        };
        assert!(matches!(
            tokens.check(&spent),
            Some(LimitHit::Tokens { used: 200, .. })
        ));
        let cost = Budget {
            max_cost: Some(1.5),
            ..Budget::default()
        };
        assert_eq!(cost.check(&spent), None);
        spent.add(&usage);
        assert!(matches!(cost.check(&spent), Some(LimitHit::Cost { .. })));
        let time = Budget {
            timeout: Some(Duration::ZERO),
            ..Budget::default()
        };
        assert!(matches!(time.check(&spent), Some(LimitHit::Time { .. })));
        assert!(
            LimitHit::Turns { limit: 2 }
                .to_string()
                .contains("--max-turns 2")
        );
    }
}
