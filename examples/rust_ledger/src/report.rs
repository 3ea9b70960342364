//! Rendering ledgers as text.

use crate::ledger::Ledger;

/// Anything that can render itself as a plain-text report.
pub trait Render {
    fn render(&self) -> String;

    fn title(&self) -> String {
        String::from("Report")
    }
}

/// Totals across a ledger.
#[derive(Debug, PartialEq, Eq)]
pub struct Summary {
    pub accounts: usize,
    pub total: i64,
}

impl Summary {
    pub fn of(ledger: &Ledger) -> Summary {
        let mut total = 0;
        let mut accounts = 0;
        for account in ledger.accounts() {
            accounts += 1;
            total += account.balance();
        }
        Summary { accounts, total }
    }
}

pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

impl Render for Ledger {
    fn render(&self) -> String {
        let mut out = format!("{}\n", self.title());
        for account in self.accounts() {
            out.push_str(&format!("{:<12} {:>10}\n", account.name, format_cents(account.balance())));
        }
        out
    }

    fn title(&self) -> String {
        String::from("Balances")
    }
}
