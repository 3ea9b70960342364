"""Message kinds, addresses, body checks and JSON round trips."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swarm.errors import SwarmError
from swarm.messages import (
    BODY_SPEC,
    REQUEST_KINDS,
    BadAddress,
    MalformedMessage,
    Message,
    MessageKind,
    Role,
    check_address,
    check_body,
    encode_body,
    message_id,
    normalize_question,
    parse_kind,
    required_keys,
)

VALID_BODIES: dict[MessageKind, dict[str, object]] = {
    MessageKind.TASK: {"instruction": "make total() round half up", "context": {"issue": "#1"}},
    MessageKind.PROBE: {"question": "What does Money.round return?"},
    MessageKind.ANSWER: {"text": "a Money rounded to cents"},
    MessageKind.EDIT_PROPOSAL: {
        "proposal_id": "p1",
        "symbol_id": "shop/discounts.py::BulkDiscount.applies_to",
        "base_version": 3,
        "new_source": "def applies_to(self, cart):\n    return cart.count >= self.threshold\n",
        "rationale": "the threshold is inclusive",
    },
    MessageKind.CHECK_REPORT: {"proposal_id": "p1", "report": {"stages": []}, "passed": True},
    MessageKind.APPROVAL_REQUEST: {"proposal_id": "p1"},
    MessageKind.APPROVAL: {"proposal_id": "p1", "reason": "tests pass"},
    MessageKind.REJECTION: {"proposal_id": "p1", "reason": "new pyright error"},
    MessageKind.FOLLOW_UP: {
        "reason": "signature changed",
        "changed_symbol": "shop/money.py::Money.round",
        "old_signature": "def round(self)",
        "new_signature": "def round(self, places=2)",
    },
    MessageKind.DONE: {"reason": "fixed"},
    MessageKind.GIVE_UP: {"reason": "cannot reproduce"},
}


def test_every_kind_has_a_body_spec_and_a_valid_example() -> None:
    assert set(BODY_SPEC) == set(MessageKind)
    assert set(VALID_BODIES) == set(MessageKind)
    for kind, body in VALID_BODIES.items():
        check_body(kind, body)


def test_the_eleven_kinds_of_the_design() -> None:
    assert {k.value for k in MessageKind} == {
        "task",
        "probe",
        "answer",
        "edit_proposal",
        "check_report",
        "approval_request",
        "approval",
        "rejection",
        "follow_up",
        "done",
        "give_up",
    }
    assert MessageKind.PROBE in REQUEST_KINDS and MessageKind.ANSWER not in REQUEST_KINDS


@pytest.mark.parametrize("kind", list(MessageKind))
def test_a_missing_required_key_is_named_in_the_error(kind: MessageKind) -> None:
    required = [key for key, _, req in BODY_SPEC[kind] if req]
    for key in required:
        body = {k: v for k, v in VALID_BODIES[kind].items() if k != key}
        with pytest.raises(MalformedMessage) as info:
            check_body(kind, body)
        assert repr(key) in str(info.value)
        assert kind.value in str(info.value)


def test_optional_keys_may_be_left_out() -> None:
    check_body(MessageKind.TASK, {"instruction": "go"})
    check_body(MessageKind.CHECK_REPORT, {"proposal_id": "p", "report": {}})


def test_wrong_types_are_refused_with_the_expected_type() -> None:
    with pytest.raises(MalformedMessage, match="'question' must be str, not int"):
        check_body(MessageKind.PROBE, {"question": 42})
    with pytest.raises(MalformedMessage, match="'report' must be Mapping"):
        check_body(MessageKind.CHECK_REPORT, {"proposal_id": "p", "report": "ok"})
    # bool is an int to Python, but True is no version.
    body = dict(VALID_BODIES[MessageKind.EDIT_PROPOSAL], base_version=True)
    with pytest.raises(MalformedMessage, match="base_version"):
        check_body(MessageKind.EDIT_PROPOSAL, body)
    check_body(MessageKind.EDIT_PROPOSAL, dict(body, base_version="v7"))


def test_a_body_must_be_an_object() -> None:
    with pytest.raises(MalformedMessage, match="must be a JSON object, not list"):
        check_body(MessageKind.DONE, ["reason"])


def test_extra_keys_are_allowed_for_later_features() -> None:
    check_body(MessageKind.ANSWER, {"text": "yes", "confidence": 0.9})


def test_required_keys_lists_them_in_order() -> None:
    assert required_keys(MessageKind.FOLLOW_UP) == "reason, changed_symbol, old_signature, new_signature"


def test_unknown_kind_lists_the_known_ones() -> None:
    assert parse_kind("probe") is MessageKind.PROBE
    with pytest.raises(MalformedMessage, match="unknown message kind 'ask'.*probe"):
        parse_kind("ask")


@pytest.mark.parametrize(
    "address",
    [
        "coordinator",
        "proxy-user",
        "harness",
        "human",
        "shop/cart.py::Cart.total",
        "shop/cart.py::<module>",
        "src/lib.rs::impl Display for Money",
        "src/lib.rs::<Money as Display>::fmt",
        "src/lib.rs::Parser::next_token#2",
    ],
)
def test_roles_and_symbol_ids_are_addresses(address: str) -> None:
    assert check_address(address) == address


@pytest.mark.parametrize(
    "address", ["", "proxy_user", "Coordinator", "cart.py", "::Cart.total", "cart.py::", "a.py::f\nb", None, 7]
)
def test_other_strings_are_not_addresses(address: object) -> None:
    with pytest.raises(BadAddress, match="use a role"):
        check_address(address)


def test_errors_are_swarm_errors() -> None:
    assert issubclass(MalformedMessage, SwarmError)
    assert issubclass(BadAddress, SwarmError)
    assert {r.value for r in Role} == {"coordinator", "proxy-user", "harness", "human"}


def test_encode_body_is_compact_json_and_refuses_what_json_cannot_hold() -> None:
    assert encode_body(MessageKind.ANSWER, {"text": "héllo"}) == '{"text":"héllo"}'
    with pytest.raises(MalformedMessage, match="not JSON-serialisable"):
        encode_body(MessageKind.ANSWER, {"text": "x", "obj": object()})
    with pytest.raises(MalformedMessage, match="not JSON-serialisable"):
        encode_body(MessageKind.ANSWER, {"text": "x", "score": math.nan})


def test_questions_compare_without_case_spacing_or_final_punctuation() -> None:
    a = normalize_question("What does  Money.round return?")
    assert a == normalize_question("what does money.round return")
    assert a == normalize_question("  WHAT does\nMoney.round return ?! ")
    assert a != normalize_question("What does Money.floor return?")


def _message(**overrides: object) -> Message:
    fields: dict[str, object] = {
        "id": message_id("r1", 4),
        "run_id": "r1",
        "seq": 4,
        "kind": MessageKind.PROBE,
        "sender": "shop/cart.py::Cart.total",
        "recipient": "shop/money.py::Money.round",
        "body": {"question": "rounding?"},
        "in_reply_to": None,
        "created_at": 1700000000.5,
    }
    fields.update(overrides)
    return Message(**fields)  # type: ignore[arg-type]


def test_message_json_round_trip() -> None:
    message = _message(in_reply_to="r1/2", attached_to="r1/3")
    data = json.loads(json.dumps(message.to_json()))
    assert Message.from_json(data) == message
    assert data["id"] == "r1/4" and data["kind"] == "probe"


def test_message_from_bad_json_says_what_is_wrong() -> None:
    data = _message().to_json()
    del data["sender"]
    with pytest.raises(MalformedMessage, match="lacks the key 'sender'"):
        Message.from_json(data)
    data = _message().to_json()
    data["body"] = {}
    with pytest.raises(MalformedMessage, match="question"):
        Message.from_json(data)
    data = _message().to_json()
    data["seq"] = "four"
    with pytest.raises(MalformedMessage, match="bad field"):
        Message.from_json(data)


_json_scalars = st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False, allow_infinity=False)
_json = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(text=st.text(), extra=st.dictionaries(st.text().filter(lambda k: k != "text"), _json, max_size=4))
def test_any_json_body_survives_encode_and_decode(text: str, extra: dict[str, object]) -> None:
    body = {"text": text, **extra}
    check_body(MessageKind.ANSWER, body)
    assert json.loads(encode_body(MessageKind.ANSWER, body)) == body
