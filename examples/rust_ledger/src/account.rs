//! Accounts and the entries posted to them.

use std::fmt;

/// Identifies an account inside one ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub u32);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "acct-{}", self.0)
    }
}

/// Whether money entered or left an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Credit,
    Debit,
}

/// One posting to an account, in cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    pub amount: i64,
    pub memo: String,
}

impl Entry {
    /// The signed effect of this entry on a balance.
    pub fn signed(&self) -> i64 {
        match self.kind {
            EntryKind::Credit => self.amount,
            EntryKind::Debit => -self.amount,
        }
    }
}

/// An account holds its entries; the balance is derived from them.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    entries: Vec<Entry>,
}

impl Account {
    pub fn new(id: AccountId, name: &str) -> Self {
        Account { id, name: name.to_string(), entries: Vec::new() }
    }

    pub fn post(&mut self, kind: EntryKind, amount: i64, memo: &str) {
        self.entries.push(Entry { kind, amount, memo: memo.to_string() });
    }

    /// Current balance in cents.
    pub fn balance(&self) -> i64 {
        self.entries.iter().map(Entry::signed).sum()
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balance_sums_signed_entries() {
        let mut a = Account::new(AccountId(1), "cash");
        a.post(EntryKind::Credit, 500, "in");
        a.post(EntryKind::Debit, 200, "out");
        assert_eq!(a.balance(), 300);
    }
}
