//! The ledger: opens accounts and moves money between them.

use std::collections::BTreeMap;
use std::fmt;

use crate::account::{Account, AccountId, EntryKind};

#[derive(Debug, PartialEq, Eq)]
pub enum LedgerError {
    UnknownAccount(AccountId),
    InsufficientFunds { account: AccountId, balance: i64, wanted: i64 },
    NonPositiveAmount(i64),
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::UnknownAccount(id) => write!(f, "unknown account {id}"),
            LedgerError::InsufficientFunds { account, balance, wanted } => {
                write!(f, "insufficient funds in {account}: balance {balance}, wanted {wanted}")
            }
            LedgerError::NonPositiveAmount(a) => write!(f, "amount must be positive, got {a}"),
        }
    }
}

impl std::error::Error for LedgerError {}

#[derive(Debug, Default)]
pub struct Ledger {
    accounts: BTreeMap<AccountId, Account>,
    next_id: u32,
}

impl Ledger {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn open(&mut self, name: &str, opening: i64) -> AccountId {
        self.next_id += 1;
        let id = AccountId(self.next_id);
        let mut account = Account::new(id, name);
        if opening > 0 {
            account.post(EntryKind::Credit, opening, "opening balance");
        }
        self.accounts.insert(id, account);
        id
    }

    pub fn account(&self, id: AccountId) -> Result<&Account, LedgerError> {
        self.accounts.get(&id).ok_or(LedgerError::UnknownAccount(id))
    }

    pub fn balance(&self, id: AccountId) -> Result<i64, LedgerError> {
        Ok(self.account(id)?.balance())
    }

    /// Move `amount` cents from one account to another. An account may be
    /// emptied completely, but never overdrawn.
    pub fn transfer(&mut self, from: AccountId, to: AccountId, amount: i64) -> Result<(), LedgerError> {
        if amount <= 0 {
            return Err(LedgerError::NonPositiveAmount(amount));
        }
        let balance = self.balance(from)?;
        self.account(to)?;
        if balance <= amount {
            return Err(LedgerError::InsufficientFunds { account: from, balance, wanted: amount });
        }
        let memo = format!("transfer {from} -> {to}");
        self.accounts.get_mut(&from).expect("checked").post(EntryKind::Debit, amount, &memo);
        self.accounts.get_mut(&to).expect("checked").post(EntryKind::Credit, amount, &memo);
        Ok(())
    }

    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }
}
