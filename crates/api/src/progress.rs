//! `GET /api/programs/{program}/progress`: a program's pairs' records, counted for its
//! coordinators.
//!
//! Counts and statuses only, never a word of a record: coaching is kept apart from evaluation, so
//! a coordinator learns how much is happening in a pair, not what was said. Drafts, the mentor's
//! private notes and anything else not shared with the pair are not counted at all.

use serde::{Deserialize, Serialize};

/// A calendar month. Months are counted in UTC, the relay's only calendar: a record made late on
/// the last evening of a month west of Greenwich may count in the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month {
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
}

impl Month {
    /// The month after this one.
    pub fn next(self) -> Month {
        if self.month >= 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }
}

/// How many of something a pair recorded in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthCount {
    pub month: Month,
    pub count: u32,
}

/// A pair's goals by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoalCounts {
    pub active: u32,
    pub achieved: u32,
    pub reworked: u32,
    pub dropped: u32,
}

impl GoalCounts {
    pub fn total(&self) -> u32 {
        self.active + self.achieved + self.reworked + self.dropped
    }
}

/// One pair's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairProgress {
    pub pair_id: String,
    /// The people in its seats now, by the names in the relay's accounts; `None` for an empty seat.
    pub mentor_name: Option<String>,
    pub associate_name: Option<String>,
    /// Observations shared with the associate, by the month of the lesson (the month it was
    /// shared when it has no date); only months with any, oldest first.
    pub observations: Vec<MonthCount>,
    pub goals: GoalCounts,
    /// Check-ins on the pair's goals, by the month they were made; only months with any.
    pub checkins: Vec<MonthCount>,
}

/// The answer of `GET /api/programs/{program}/progress`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramProgress {
    pub program_id: String,
    /// Every month from the first to the last with anything counted, oldest first: the charts'
    /// axis, with the empty months in between. Empty when nothing is counted yet.
    pub months: Vec<Month>,
    /// Every pair of the program, ended ones too (their records stay), in the relay's order.
    pub pairs: Vec<PairProgress>,
}
