//! A small double-entry-ish ledger: accounts, transfers and reports.

pub mod account;
pub mod ledger;
pub mod report;

pub use account::{Account, AccountId, Entry, EntryKind};
pub use ledger::{Ledger, LedgerError};
pub use report::{Render, Summary};

/// Build an amount in cents from a whole-currency literal and cents.
#[macro_export]
macro_rules! cents {
    ($whole:expr) => {
        ($whole as i64) * 100
    };
    ($whole:expr, $frac:expr) => {
        ($whole as i64) * 100 + ($frac as i64)
    };
}
