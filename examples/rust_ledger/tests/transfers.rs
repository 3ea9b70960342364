use ledger::{cents, Ledger, LedgerError, Render, Summary};

#[test]
fn transfer_moves_money() {
    let mut l = Ledger::new();
    let a = l.open("alice", cents!(100));
    let b = l.open("bob", 0);
    l.transfer(a, b, cents!(30)).unwrap();
    assert_eq!(l.balance(a).unwrap(), cents!(70));
    assert_eq!(l.balance(b).unwrap(), cents!(30));
}

#[test]
fn transfer_rejects_overdraft() {
    let mut l = Ledger::new();
    let a = l.open("alice", cents!(10));
    let b = l.open("bob", 0);
    let err = l.transfer(a, b, cents!(11)).unwrap_err();
    assert!(matches!(err, LedgerError::InsufficientFunds { .. }));
}

#[test]
fn transfer_can_empty_an_account() {
    let mut l = Ledger::new();
    let a = l.open("alice", cents!(25, 50));
    let b = l.open("bob", 0);
    l.transfer(a, b, cents!(25, 50)).unwrap();
    assert_eq!(l.balance(a).unwrap(), 0);
}

#[test]
fn summary_and_render() {
    let mut l = Ledger::new();
    l.open("alice", cents!(12, 5));
    l.open("bob", cents!(3));
    assert_eq!(Summary::of(&l), Summary { accounts: 2, total: 1505 });
    assert!(l.render().starts_with("Balances\nalice"));
}
