"""Workspace reads and whole-symbol rewrites on real git repos of the bundled examples."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import trio

from editor_harness.edits import Edit, EditOp
from editor_harness.errors import (
    OutsideWorkspace,
    RewriteRejected,
    StaleVersion,
    SymbolMismatch,
    SymbolNotFound,
    SyntaxInvalid,
    UnsupportedFile,
)
from editor_harness.workspace import Workspace
from tests.conftest import git

APPLIES_TO = "shop/discounts.py::BulkDiscount.applies_to"
FIXED_APPLIES_TO = "def applies_to(self, quantity: int) -> bool:\n    return quantity >= self.min_quantity\n"


@pytest.fixture
def ws(python_repo: Path) -> Workspace:
    return Workspace.open(python_repo)


@pytest.fixture
def rws(rust_repo: Path) -> Workspace:
    return Workspace.open(rust_repo)


def read(repo: Path, rel: str) -> str:
    return (repo / rel).read_text()


# ----------------------------------------------------------------- reading


def test_read_symbol_returns_exact_text_and_version(ws: Workspace) -> None:
    view = ws.read_symbol(APPLIES_TO)
    assert view.text == "def applies_to(self, quantity: int) -> bool:\n        return quantity > self.min_quantity"
    assert view.version == 1
    assert (view.start_line, view.end_line) == (35, 36)
    assert not view.elided
    assert view.signature == "def applies_to(self, quantity: int) -> bool"


def test_unknown_symbol_suggests_near_names(ws: Workspace) -> None:
    with pytest.raises(SymbolNotFound, match="did you mean .*BulkDiscount.applies_to"):
        ws.read_symbol("shop/discounts.py::Bulk.applies_to")
    with pytest.raises(SymbolNotFound, match="not a symbol id"):
        ws.read_symbol("applies_to")


def test_outline_lists_file_symbols_module_first(ws: Workspace) -> None:
    ids = [s.id for s in ws.outline("shop/discounts.py")]
    assert ids[0] == "shop/discounts.py::<module>"
    assert "shop/discounts.py::BulkDiscount.amount_off" in ids
    assert len(ws.outline()) > len(ids)


def test_find_symbols_exact_names_first(ws: Workspace) -> None:
    found = [s.id for s in ws.find_symbols("total")]
    assert found[0] == "shop/cart.py::Cart.total"
    assert "shop/cart.py::Cart.subtotal" in found


def test_search_maps_hits_to_innermost_symbols(ws: Workspace) -> None:
    hits = ws.search("self.min_quantity")
    assert {h.symbol_id for h in hits} == {"shop/discounts.py::BulkDiscount.__init__", APPLIES_TO}
    hit = next(h for h in hits if h.symbol_id == APPLIES_TO)
    assert (hit.line, hit.column) == (36, 26)
    assert ws.search(r"def \w+_off", regex=True, paths=["shop/discounts.py"])
    with pytest.raises(RewriteRejected, match="bad regular expression"):
        ws.search("(", regex=True)


def test_read_symbol_shortens_big_class_to_outline(ws: Workspace) -> None:
    view = ws.read_symbol("shop/cart.py::Cart", max_chars=700)
    assert view.elided
    assert len(view.text) <= 700 + 200
    assert "def add(self, sku: str, quantity: int = 1) -> LineItem: ...  # <<elided" in view.text
    assert "read_symbol shop/cart.py::Cart.add" in view.text
    assert '"""Line items, one per product, plus an optional coupon."""' in view.text
    assert not ws.read_symbol("shop/cart.py::Cart", max_chars=100_000).elided


def test_elided_text_cannot_be_sent_back(ws: Workspace) -> None:
    view = ws.read_symbol("shop/cart.py::Cart", max_chars=700)
    with pytest.raises(SymbolMismatch, match="elision marker"):
        ws.rewrite_symbol("shop/cart.py::Cart", view.text, view.version)


def test_long_function_is_truncated_with_marker(ws: Workspace) -> None:
    view = ws.read_symbol("shop/cart.py::Cart.discount", max_chars=80)
    assert view.elided
    assert view.text.splitlines()[-1].startswith("# <<elided")


# ----------------------------------------------------------------- rewrite


def test_rewrite_at_column_zero_is_reindented_and_versioned(ws: Workspace, python_repo: Path) -> None:
    edit = ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO, base_version=1)
    assert "    def applies_to(self, quantity: int) -> bool:\n        return quantity >= self.min_quantity\n" in read(
        python_repo, "shop/discounts.py"
    )
    assert edit.op is EditOp.REWRITE
    assert (edit.base_version, edit.new_version, edit.seq) == (1, 2, 1)
    assert edit.before.endswith("quantity > self.min_quantity")
    assert edit.after.endswith("quantity >= self.min_quantity")
    assert ws.version("shop/discounts.py") == 2
    assert ws.read_symbol(APPLIES_TO).text == edit.after
    # The index follows: the next method's span moved with the new text.
    amount_off = ws.read_symbol("shop/discounts.py::BulkDiscount.amount_off")
    assert amount_off.text.startswith("def amount_off")


def test_rewrite_at_original_indentation_gives_same_file(python_repo: Path, tmp_path: Path) -> None:
    indented = "\n".join("    " + line if line else line for line in FIXED_APPLIES_TO.splitlines()) + "\n"
    first = Workspace.open(python_repo)
    first.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO, 1)
    once = read(python_repo, "shop/discounts.py")
    first.undo()
    second = Workspace.open(python_repo)
    second.rewrite_symbol(APPLIES_TO, "\n\n" + indented + "\n\n\n", second.version("shop/discounts.py"))
    assert read(python_repo, "shop/discounts.py") == once


def test_reindent_leaves_multiline_string_content_alone(ws: Workspace, python_repo: Path) -> None:
    new = (
        "def applies_to(self, quantity: int) -> bool:\n"
        '    """Threshold check.\n'
        "\n"
        "Flush-left text stays flush-left.\n"
        '      indented stays as is."""\n'
        "    return quantity >= self.min_quantity"
    )
    ws.rewrite_symbol(APPLIES_TO, new, 1)
    text = read(python_repo, "shop/discounts.py")
    assert '        """Threshold check.\n\nFlush-left text stays flush-left.\n      indented stays as is."""\n' in text


def test_rewrite_keeps_decorators_in_span(ws: Workspace, python_repo: Path) -> None:
    ws.rewrite_symbol(
        APPLIES_TO, "@staticmethod\ndef applies_to(quantity: int) -> bool:\n    return quantity >= 10", 1
    )
    view = ws.read_symbol(APPLIES_TO)
    assert view.text.startswith("@staticmethod\n    def applies_to(quantity: int)")
    ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO, 2)
    assert "@staticmethod" not in read(python_repo, "shop/discounts.py")


def test_syntax_invalid_rewrite_is_refused_and_nothing_changes(ws: Workspace, python_repo: Path) -> None:
    before = read(python_repo, "shop/discounts.py")
    with pytest.raises(SyntaxInvalid, match="does not parse") as caught:
        ws.rewrite_symbol(APPLIES_TO, "def applies_to(self, quantity: int) -> bool:\n    return (quantity >=", 1)
    assert caught.value.error_lines
    assert read(python_repo, "shop/discounts.py") == before
    assert ws.version("shop/discounts.py") == 1
    assert ws.edits() == ()


def test_rewrite_that_renames_is_refused(ws: Workspace) -> None:
    with pytest.raises(SymbolMismatch, match="no longer defines BulkDiscount.applies_to .*rename_symbol"):
        ws.rewrite_symbol(APPLIES_TO, "def applies(self, quantity: int) -> bool:\n    return True", 1)


def test_rewrite_that_drops_the_symbol_is_refused(ws: Workspace) -> None:
    with pytest.raises(SymbolMismatch, match="defines no symbol"):
        ws.rewrite_symbol(APPLIES_TO, "# nothing here any more", 1)


def test_rewrite_adding_a_sibling_is_refused(ws: Workspace) -> None:
    with pytest.raises(SymbolMismatch, match="also defines BulkDiscount.helper"):
        ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO + "\ndef helper(self):\n    return 1\n", 1)


def test_rewrite_with_stray_statement_is_refused(ws: Workspace) -> None:
    with pytest.raises(SymbolMismatch, match="code outside"):
        ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO + "\nprint('side effect')\n", 1)


def test_rewrite_may_bring_leading_comment(ws: Workspace, python_repo: Path) -> None:
    ws.rewrite_symbol(APPLIES_TO, "# At or above the threshold.\n" + FIXED_APPLIES_TO, 1)
    assert "    # At or above the threshold.\n    def applies_to" in read(python_repo, "shop/discounts.py")


def test_empty_rewrite_is_refused(ws: Workspace) -> None:
    with pytest.raises(RewriteRejected, match="delete_symbol"):
        ws.rewrite_symbol(APPLIES_TO, "  \n\n", 1)


def test_class_rewrite_may_add_but_not_drop_methods(ws: Workspace) -> None:
    cls = ws.read_symbol("shop/discounts.py::PercentOff")
    without_amount_off = cls.text.split("    def amount_off")[0].rstrip()
    with pytest.raises(SymbolMismatch, match="drops PercentOff.amount_off"):
        ws.rewrite_symbol(cls.symbol_id, without_amount_off, cls.version)
    edit = ws.rewrite_symbol(cls.symbol_id, cls.text + "\n\n    def describe(self) -> str:\n        return 'x'", cls.version)
    assert "shop/discounts.py::PercentOff.describe" in {s.id for s in ws.outline("shop/discounts.py")}
    assert edit.new_version == 2


def test_stale_base_version_is_refused_with_current_version(ws: Workspace) -> None:
    ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO, 1)
    with pytest.raises(StaleVersion) as caught:
        ws.rewrite_symbol("shop/discounts.py::BulkDiscount.amount_off", "def amount_off(self, a, b):\n    return a", 1)
    assert caught.value.current_version == 2
    assert "version 2" in str(caught.value)


def test_external_change_bumps_version_and_reindexes(ws: Workspace, python_repo: Path) -> None:
    path = python_repo / "shop/discounts.py"
    assert ws.version("shop/discounts.py") == 1
    path.write_text(path.read_text().replace("quantity > self", "quantity >= self") + "\n\ndef extra():\n    pass\n")
    assert ws.version("shop/discounts.py") == 2
    assert ws.read_symbol("shop/discounts.py::extra").text.startswith("def extra")
    with pytest.raises(StaleVersion):
        ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO, 1)


def test_two_rewrites_racing_on_one_file(ws: Workspace, python_repo: Path) -> None:
    outcomes: dict[str, object] = {}

    async def agent(name: str, symbol_id: str, text: str) -> None:
        base = ws.read_symbol(symbol_id).version
        await trio.sleep(0.01)  # both agents read before either writes
        try:
            outcomes[name] = ws.rewrite_symbol(symbol_id, text, base)
        except StaleVersion as exc:
            outcomes[name] = exc

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(agent, "a", APPLIES_TO, FIXED_APPLIES_TO)
            nursery.start_soon(
                agent,
                "b",
                "shop/discounts.py::BulkDiscount.amount_off",
                "def amount_off(self, unit_price, quantity):\n    return unit_price.times(quantity).percent(self.pct)",
            )

    trio.run(main)
    kinds = sorted(type(v).__name__ for v in outcomes.values())
    assert kinds == ["Edit", "StaleVersion"]
    stale = next(v for v in outcomes.values() if isinstance(v, StaleVersion))
    assert stale.current_version == 2
    winner = next(v for v in outcomes.values() if isinstance(v, Edit))
    assert winner.after in read(python_repo, "shop/discounts.py")


def test_file_lock_serialises_async_steps() -> None:
    order: list[str] = []

    async def main(ws: Workspace) -> None:
        async def step(name: str) -> None:
            async with ws.lock("shop/discounts.py"):
                order.append(f"{name}-in")
                await trio.sleep(0.01)
                order.append(f"{name}-out")

        async with trio.open_nursery() as nursery:
            nursery.start_soon(step, "a")
            nursery.start_soon(step, "b")

    from tests.conftest import EXAMPLES

    ws = Workspace(EXAMPLES / "python_shop", index=_empty_index(EXAMPLES / "python_shop"))
    trio.run(main, ws)
    assert order in (["a-in", "a-out", "b-in", "b-out"], ["b-in", "b-out", "a-in", "a-out"])


def _empty_index(root: Path):  # noqa: ANN202 - RepoIndex
    from symbols.index import RepoIndex

    return RepoIndex(root, {})


# --------------------------------------------------------------- paths


def test_path_traversal_is_refused(ws: Workspace) -> None:
    for bad in ("../outside.py", "/etc/passwd", "shop/../../x.py"):
        with pytest.raises(OutsideWorkspace):
            ws.relative(bad)
    with pytest.raises(OutsideWorkspace):
        ws.read_symbol("../shop/discounts.py::BulkDiscount")
    with pytest.raises(OutsideWorkspace):
        ws.search("x", paths=["../../etc/passwd"])


def test_symlink_escape_is_refused(python_repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("def leak():\n    return 1\n")
    (python_repo / "shop" / "linked.py").symlink_to(outside / "secret.py")
    (python_repo / "linkdir").symlink_to(outside, target_is_directory=True)
    ws = Workspace.open(python_repo)
    for symbol_id in ("shop/linked.py::leak", "linkdir/secret.py::leak"):
        with pytest.raises(OutsideWorkspace, match="symlink"):
            ws.read_symbol(symbol_id)
        with pytest.raises(OutsideWorkspace):
            ws.rewrite_symbol(symbol_id, "def leak():\n    return 2\n", None)
    assert (outside / "secret.py").read_text() == "def leak():\n    return 1\n"
    assert all(h.path not in ("shop/linked.py", "linkdir/secret.py") for h in ws.search("leak"))


def test_symlink_inside_repo_is_read_but_not_written_through(python_repo: Path) -> None:
    (python_repo / "shop" / "alias.py").symlink_to(python_repo / "shop" / "money.py")
    ws = Workspace.open(python_repo)
    assert ws.read_symbol("shop/alias.py::Money.times").text.startswith("def times")
    with pytest.raises(OutsideWorkspace, match="edit shop/money.py instead"):
        ws.rewrite_symbol("shop/alias.py::Money.times", "def times(self, q):\n    return self", None)


def test_non_utf8_file_is_readable_but_not_editable(python_repo: Path) -> None:
    (python_repo / "shop" / "legacy.py").write_bytes(b"# caf\xe9\ndef old():\n    return 1\n")
    ws = Workspace.open(python_repo)
    assert "def old" in ws.read_symbol("shop/legacy.py::old").text
    with pytest.raises(UnsupportedFile, match="not UTF-8"):
        ws.rewrite_symbol("shop/legacy.py::old", "def old():\n    return 2", None)


# ---------------------------------------------------------------- module


def test_module_rewrite_replaces_file_and_keeps_every_id(ws: Workspace, python_repo: Path) -> None:
    module = ws.read_symbol("shop/money.py::<module>")
    new = module.text.replace('"""Money as integer cents, so sums never drift."""', '"""Money, in cents."""')
    ws.rewrite_symbol(module.symbol_id, new + "\n\n\nONE = Money(100)\n", module.version)
    text = read(python_repo, "shop/money.py")
    assert text.startswith('"""Money, in cents."""') and text.endswith("ONE = Money(100)\n")
    with pytest.raises(SymbolMismatch, match=r"drops Money.__str__, Money.percent, Money.times"):
        ws.rewrite_symbol(module.symbol_id, text.split("    def times")[0], 2)


def test_pre_existing_syntax_error_elsewhere_does_not_block(python_repo: Path) -> None:
    path = python_repo / "shop" / "money.py"
    path.write_text(path.read_text() + "\n\ndef broken(:\n    pass\n")
    ws = Workspace.open(python_repo)
    assert ws.index.file("shop/money.py").has_errors
    ws.rewrite_symbol("shop/money.py::Money.times", "def times(self, quantity: int) -> Money:\n    return Money(self.cents * int(quantity))", 1)
    assert "int(quantity)" in path.read_text()
    with pytest.raises(SyntaxInvalid):
        ws.rewrite_symbol("shop/money.py::Money.times", "def times(self, quantity: int) -> Money:\n    return Money(", 2)


def test_crlf_file_keeps_crlf(python_repo: Path) -> None:
    path = python_repo / "shop" / "money.py"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    ws = Workspace.open(python_repo)
    ws.rewrite_symbol("shop/money.py::Money.times", "def times(self, quantity: int) -> Money:\n    return Money(self.cents * quantity * 1)", 1)
    data = path.read_bytes()
    assert b"* quantity * 1)\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n")


# ------------------------------------------------------------------- rust


def test_rust_method_rewrite_reindents_into_impl(rws: Workspace, rust_repo: Path) -> None:
    transfer = rws.read_symbol("src/ledger.rs::Ledger::transfer")
    assert transfer.text.startswith("/// Move `amount` cents")
    fixed = transfer.text.replace("balance <= amount", "balance < amount")
    dedented = "\n".join(line[4:] if line.startswith("    ") else line for line in fixed.splitlines())
    rws.rewrite_symbol(transfer.symbol_id, dedented, transfer.version)
    text = read(rust_repo, "src/ledger.rs")
    assert "        if balance < amount {\n" in text
    assert "    /// Move `amount` cents from one account to another." in text


def test_rust_syntax_error_refused(rws: Workspace) -> None:
    with pytest.raises(SyntaxInvalid):
        rws.rewrite_symbol("src/report.rs::format_cents", "pub fn format_cents(cents: i64) -> String {\n    format!(\"{}\", cents\n}", 1)


def test_rust_trait_impl_method_ids(rws: Workspace) -> None:
    view = rws.read_symbol("src/report.rs::<Ledger as Render>::title")
    rws.rewrite_symbol(view.symbol_id, 'fn title(&self) -> String {\n    String::from("Ledger balances")\n}', view.version)
    assert 'String::from("Ledger balances")' in rws.text("src/report.rs")


# ------------------------------------------------------------- insert


def test_insert_method_at_end_of_class(ws: Workspace, python_repo: Path) -> None:
    edit = ws.insert_symbol("shop/discounts.py::BulkDiscount", "def describe(self) -> str:\n    return f'{self.pct}%'")
    assert edit.op is EditOp.INSERT and edit.symbol_id == "shop/discounts.py::BulkDiscount.describe"
    assert edit.parent_id == "shop/discounts.py::BulkDiscount" and edit.before == ""
    text = read(python_repo, "shop/discounts.py")
    assert "        return unit_price.times(quantity).percent(self.pct)\n\n    def describe(self) -> str:\n        return f'{self.pct}%'\n\n\ndef parse_coupon" in text


def test_insert_after_given_child(ws: Workspace, python_repo: Path) -> None:
    ws.insert_symbol(
        "shop/discounts.py::BulkDiscount",
        "def threshold(self) -> int:\n    return self.min_quantity",
        after="shop/discounts.py::BulkDiscount.__init__",
    )
    children = ws.symbol("shop/discounts.py::BulkDiscount").children
    assert [c.rsplit(".", 1)[1] for c in children] == ["__init__", "threshold", "applies_to", "amount_off"]
    assert "        self.pct = pct\n\n    def threshold(self) -> int:\n        return self.min_quantity\n\n    def applies_to" in read(
        python_repo, "shop/discounts.py"
    )


def test_insert_function_at_end_of_module(ws: Workspace, python_repo: Path) -> None:
    ws.insert_symbol("shop/money.py::<module>", "def cents(amount: int) -> Money:\n    return Money(amount)\n")
    assert read(python_repo, "shop/money.py").endswith("ZERO = Money(0)\n\n\ndef cents(amount: int) -> Money:\n    return Money(amount)\n")


def test_insert_refusals(ws: Workspace) -> None:
    with pytest.raises(SymbolMismatch, match="already defines applies_to"):
        ws.insert_symbol("shop/discounts.py::BulkDiscount", "def applies_to(self, q):\n    return True")
    with pytest.raises(SymbolMismatch, match="exactly one definition"):
        ws.insert_symbol("shop/discounts.py::BulkDiscount", "def a(self):\n    pass\n\ndef b(self):\n    pass")
    with pytest.raises(RewriteRejected, match="is a method"):
        ws.insert_symbol(APPLIES_TO, "def inner():\n    pass")
    with pytest.raises(SymbolNotFound, match="not a direct child"):
        ws.insert_symbol("shop/discounts.py::BulkDiscount", "def z(self):\n    pass", after="shop/discounts.py::PercentOff.__init__")
    with pytest.raises(SyntaxInvalid):
        ws.insert_symbol("shop/discounts.py::BulkDiscount", "def z(self):\n    return (")
    assert ws.edits() == ()


def test_insert_into_rust_impl_and_empty_impl(rws: Workspace, rust_repo: Path) -> None:
    rws.insert_symbol("src/account.rs::impl Entry", "pub fn is_credit(&self) -> bool {\n    self.kind == EntryKind::Credit\n}")
    text = read(rust_repo, "src/account.rs")
    assert "    }\n\n    pub fn is_credit(&self) -> bool {\n        self.kind == EntryKind::Credit\n    }\n}" in text
    rws.insert_symbol("src/report.rs::<module>", "pub struct Empty;")
    rws.insert_symbol("src/report.rs::<module>", "impl Empty {}")
    edit = rws.insert_symbol("src/report.rs::impl Empty", "pub fn new() -> Self {\n    Empty\n}")
    assert edit.symbol_id == "src/report.rs::Empty::new"
    assert read(rust_repo, "src/report.rs").endswith("impl Empty {\n    pub fn new() -> Self {\n        Empty\n    }\n}\n")


# ------------------------------------------------------------- delete


def test_delete_method_removes_its_lines_and_gap(ws: Workspace, python_repo: Path) -> None:
    edit = ws.delete_symbol("shop/discounts.py::BulkDiscount.applies_to")
    assert edit.op is EditOp.DELETE and edit.after == ""
    text = read(python_repo, "shop/discounts.py")
    assert "applies_to(self" not in text
    assert "        self.pct = pct\n\n    def amount_off" in text
    assert APPLIES_TO not in {s.id for s in ws.outline("shop/discounts.py")}


def test_delete_last_top_level_function_leaves_tidy_end(ws: Workspace, python_repo: Path) -> None:
    ws.delete_symbol("shop/discounts.py::parse_coupon")
    assert read(python_repo, "shop/discounts.py").endswith("        return unit_price.times(quantity).percent(self.pct)\n")


def test_delete_only_method_is_refused(ws: Workspace, python_repo: Path) -> None:
    with pytest.raises(RewriteRejected, match="rewrite its parent Discount"):
        ws.delete_symbol("shop/discounts.py::Discount.amount_off")
    with pytest.raises(RewriteRejected, match="module cannot be deleted"):
        ws.delete_symbol("shop/discounts.py::<module>")


# ------------------------------------------------------------- rename


def test_rename_changes_definition_and_child_ids(ws: Workspace, python_repo: Path) -> None:
    edit = ws.rename_symbol("shop/discounts.py::BulkDiscount", "QuantityBreak")
    assert edit.op is EditOp.RENAME
    assert (edit.previous_id, edit.symbol_id) == ("shop/discounts.py::BulkDiscount", "shop/discounts.py::QuantityBreak")
    ids = {s.id for s in ws.outline("shop/discounts.py")}
    assert "shop/discounts.py::QuantityBreak.applies_to" in ids and APPLIES_TO not in ids
    assert "class QuantityBreak:" in read(python_repo, "shop/discounts.py")
    # References are the caller's follow-ups: cart.py still says BulkDiscount.
    assert "BulkDiscount(min_quantity=10" in read(python_repo, "shop/cart.py")


def test_rename_refusals(ws: Workspace, rws: Workspace) -> None:
    with pytest.raises(RewriteRejected, match="not a valid identifier"):
        ws.rename_symbol(APPLIES_TO, "applies-to")
    with pytest.raises(SymbolMismatch, match="pick a name no sibling uses"):
        ws.rename_symbol(APPLIES_TO, "amount_off")
    with pytest.raises(RewriteRejected, match="no name of its own"):
        rws.rename_symbol("src/account.rs::impl Entry", "Other")


def test_rust_rename_method(rws: Workspace, rust_repo: Path) -> None:
    rws.rename_symbol("src/account.rs::Entry::signed", "signed_amount")
    assert "pub fn signed_amount(&self) -> i64" in read(rust_repo, "src/account.rs")


# --------------------------------------------------------------- undo


def test_undo_restores_exact_bytes(ws: Workspace, python_repo: Path) -> None:
    original = read(python_repo, "shop/discounts.py")
    ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO, 1)
    undo = ws.undo()
    assert undo.op is EditOp.UNDO and undo.undoes == 1
    assert read(python_repo, "shop/discounts.py") == original
    assert ws.version("shop/discounts.py") == 3  # versions never go back
    with pytest.raises(Exception, match="no edit to undo"):
        ws.undo()


def test_undo_of_one_symbol_rebases_over_other_edits(ws: Workspace, python_repo: Path) -> None:
    ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO, 1)
    ws.rewrite_symbol("shop/discounts.py::parse_coupon", 'def parse_coupon(code: str) -> PercentOff:\n    return PercentOff(int(code.strip().upper().removeprefix("SAVE")))', 2)
    undo = ws.undo(APPLIES_TO)
    text = read(python_repo, "shop/discounts.py")
    assert "return quantity > self.min_quantity" in text
    assert 'removeprefix("SAVE")' in text
    assert undo.undoes == 1 and undo.op is EditOp.UNDO
    assert [e.op for e in ws.edits()] == [EditOp.REWRITE, EditOp.REWRITE, EditOp.UNDO]


def test_undo_refused_when_symbol_changed_again_by_others(ws: Workspace, python_repo: Path) -> None:
    from editor_harness.errors import EditConflict

    ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO, 1)
    path = python_repo / "shop/discounts.py"
    path.write_text(path.read_text().replace("quantity >= self.min_quantity", "quantity >= self.min_quantity - 0"))
    with pytest.raises(EditConflict, match="changed again"):
        ws.undo(APPLIES_TO)


def test_undo_insert_and_rename_after_other_edits(ws: Workspace, python_repo: Path) -> None:
    ws.insert_symbol("shop/discounts.py::BulkDiscount", "def describe(self) -> str:\n    return 'bulk'")
    ws.rename_symbol("shop/discounts.py::PercentOff", "Coupon")
    ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO, 3)
    ws.undo("shop/discounts.py::Coupon")
    ws.undo("shop/discounts.py::BulkDiscount.describe")
    text = read(python_repo, "shop/discounts.py")
    assert "class PercentOff:" in text and "describe" not in text
    assert "quantity >= self.min_quantity" in text


def test_undo_delete_after_other_change_is_refused(ws: Workspace) -> None:
    from editor_harness.errors import EditConflict

    ws.delete_symbol("shop/discounts.py::parse_coupon")
    ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO, 2)
    with pytest.raises(EditConflict, match="insert_symbol"):
        ws.undo("shop/discounts.py::parse_coupon")


# -------------------------------------------------------------- patch


def test_diff_is_a_git_patch_that_applies_to_the_original(ws: Workspace, python_repo: Path, tmp_path: Path) -> None:
    assert ws.diff() == ""
    ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO, 1)
    ws.insert_symbol("shop/money.py::<module>", "def cents(amount: int) -> Money:\n    return Money(amount)")
    patch = ws.diff()
    assert patch.startswith("diff --git a/shop/discounts.py b/shop/discounts.py\n")
    assert "diff --git a/shop/money.py b/shop/money.py" in patch
    assert "-        return quantity > self.min_quantity\n+        return quantity >= self.min_quantity\n" in patch
    assert ws.changed_paths() == ("shop/discounts.py", "shop/money.py")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(python_repo), str(clone)], check=True)
    (tmp_path / "fix.patch").write_text(patch)
    git(clone, "apply", "--check", str(tmp_path / "fix.patch"))
    git(clone, "apply", str(tmp_path / "fix.patch"))
    assert read(clone, "shop/discounts.py") == read(python_repo, "shop/discounts.py")
    # Nothing was written into the user's repository by making the patch.
    assert git(python_repo, "status", "--porcelain").split() == ["M", "shop/discounts.py", "M", "shop/money.py"]


def test_diff_is_empty_after_undoing_everything(ws: Workspace) -> None:
    ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO, 1)
    ws.undo()
    assert ws.diff() == "" and ws.changed_paths() == ()


def test_edit_json_round_trip(ws: Workspace) -> None:
    import json

    edit = ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO, 1)
    assert Edit.from_json(json.loads(json.dumps(edit.to_json()))) == edit


def test_search_in_files_the_index_does_not_cover(ws: Workspace) -> None:
    hits = ws.search("testpaths", paths=["pyproject.toml"])
    assert [(h.path, h.line, h.symbol_id) for h in hits] == [("pyproject.toml", 7, "pyproject.toml::<module>")]
    assert ws.changed_paths() == () and ws.search("nothing-like-this-anywhere") == ()


def test_recorded_edits_replay_to_the_same_patch(python_repo: Path, tmp_path: Path) -> None:
    import json

    from tests.conftest import make_repo

    ws = Workspace.open(python_repo)
    ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO, 1)
    ws.insert_symbol("shop/discounts.py::BulkDiscount", "def describe(self) -> str:\n    return 'bulk'")
    ws.rename_symbol("shop/discounts.py::PercentOff", "Coupon")
    ws.delete_symbol("shop/money.py::Money.__str__")
    ws.rewrite_symbol("shop/discounts.py::parse_coupon", "def parse_coupon(code: str) -> Coupon:\n    return Coupon(10)", None)
    ws.undo("shop/discounts.py::parse_coupon")
    log = [json.dumps(e.to_json()) for e in ws.edits()]

    fresh = Workspace.open(make_repo(tmp_path / "again", "python_shop"))
    replayed = [fresh.replay(Edit.from_json(json.loads(line))) for line in log]
    assert [e.after for e in replayed] == [e.after for e in ws.edits()]
    assert fresh.diff() == ws.diff()


def test_sending_back_what_was_read_changes_nothing(ws: Workspace, python_repo: Path) -> None:
    before = read(python_repo, "shop/cart.py")
    for symbol in ws.outline("shop/cart.py")[1:]:
        view = ws.read_symbol(symbol.id)
        ws.rewrite_symbol(symbol.id, view.text, view.version)
    assert read(python_repo, "shop/cart.py") == before
    assert ws.diff() == ""


def test_read_modify_write_touches_only_the_changed_line(rws: Workspace, ws: Workspace) -> None:
    transfer = rws.read_symbol("src/ledger.rs::Ledger::transfer")
    rws.rewrite_symbol(transfer.symbol_id, transfer.text.replace("balance <= amount", "balance < amount"), transfer.version)
    changed = [line for line in rws.diff().splitlines() if line.startswith(("+ ", "- ", "+\t", "-\t", "+    ", "-    "))]
    assert changed == ["-        if balance <= amount {", "+        if balance < amount {"]
    add = ws.read_symbol("shop/cart.py::Cart.add")
    ws.rewrite_symbol(add.symbol_id, add.text.replace("quantity <= 0", "quantity < 1"), add.version)
    changed = [line for line in ws.diff().splitlines() if line.startswith(("+ ", "- "))]
    assert changed == ["-        if quantity <= 0:", "+        if quantity < 1:"]


def test_workspace_selects_and_runs_tests(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # this venv's dev plugins stay out of the example's run
    chosen = [t.node_id for t in ws.select_tests(APPLIES_TO)]
    assert chosen[0] == "tests/test_discounts.py::test_bulk_discount_applies_at_threshold"
    run = trio.run(lambda: ws.run_tests(chosen, timeout=120))
    assert run.counts["failed"] == 1 and run.counts["passed"] == 1
    with pytest.raises(SymbolNotFound):
        ws.select_tests("shop/discounts.py::Nope")


def test_incremental_parses_stay_equal_to_a_full_scope(ws: Workspace, python_repo: Path) -> None:
    from symbols.scope import scope_source

    rel = "shop/discounts.py"
    ws.rewrite_symbol(APPLIES_TO, FIXED_APPLIES_TO, 1)
    with pytest.raises(SyntaxInvalid):  # refused: the kept parse must survive it untouched
        ws.rewrite_symbol("shop/discounts.py::PercentOff.amount_off", "def amount_off(self, a, b):\n    return (", 2)
    ws.insert_symbol("shop/discounts.py::PercentOff", "def describe(self) -> str:\n    return f'{self.pct}%'")
    ws.rename_symbol("shop/discounts.py::parse_coupon", "coupon_from_code")
    ws.delete_symbol("shop/discounts.py::BulkDiscount.amount_off")
    ws.undo("shop/discounts.py::coupon_from_code")
    full = scope_source(rel, (python_repo / rel).read_bytes())
    assert ws.index.file(rel).symbols == full.symbols
    kept = ws._parsed.get(rel)  # noqa: SLF001 - checking the cache against the truth
    assert kept is None or kept.symbols.symbols == full.symbols
