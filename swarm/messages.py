"""Typed messages of the swarm: kinds, addresses, bodies, and their checks.

A message goes from one address to another. An address is a role
(`coordinator`, `proxy-user`, `harness`, `human`) or a symbol id
(`shop/cart.py::Cart.total`, `src/lib.rs::impl Display for Money`): the
agent that owns that symbol.

Bodies are JSON objects. Each kind has required keys (below); extra keys
are allowed so later features can add fields without a schema change.

| kind             | required body keys (type)                                         | usual reply                       |
|------------------|-------------------------------------------------------------------|-----------------------------------|
| task             | instruction (str); optional context (object)                      | edit_proposal, done, give_up      |
| probe            | question (str)                                                    | answer                            |
| answer           | text (str)                                                        | -                                 |
| edit_proposal    | proposal_id (str), symbol_id (str), base_version (int|str),       | check_report, approval, rejection |
|                  | new_source (str), rationale (str)                                 |                                   |
| check_report     | proposal_id (str), report (object: a CheckReport as JSON);        | -                                 |
|                  | optional passed (bool)                                            |                                   |
| approval_request | proposal_id (str)                                                 | approval, rejection               |
| approval         | proposal_id (str), reason (str)                                   | -                                 |
| rejection        | proposal_id (str), reason (str)                                   | -                                 |
| follow_up        | reason (str), changed_symbol (str), old_signature (str),          | edit_proposal, done               |
|                  | new_signature (str)                                               |                                   |
| done             | reason (str)                                                      | -                                 |
| give_up          | reason (str)                                                      | -                                 |

Messages with `in_reply_to` name the message they answer; the conversation
graph is these edges.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from swarm.errors import SwarmError
from symbols.model import ID_SEPARATOR


class MessageError(SwarmError):
    """A message that cannot be sent: bad address, kind or body."""


class MalformedMessage(MessageError):
    """A message whose body does not match its kind, or is not JSON."""


class BadAddress(MessageError):
    """An address that is neither a role nor a symbol id."""


class MessageKind(StrEnum):
    TASK = "task"
    PROBE = "probe"
    ANSWER = "answer"
    EDIT_PROPOSAL = "edit_proposal"
    CHECK_REPORT = "check_report"
    APPROVAL_REQUEST = "approval_request"
    APPROVAL = "approval"
    REJECTION = "rejection"
    FOLLOW_UP = "follow_up"
    DONE = "done"
    GIVE_UP = "give_up"


class Role(StrEnum):
    """Addresses that are not symbols."""

    COORDINATOR = "coordinator"
    PROXY_USER = "proxy-user"
    HARNESS = "harness"
    HUMAN = "human"


# A role value or a symbol id; kept a plain str so ids from symbols/ pass
# through without wrapping.
Address = str

_STR = (str,)
_VERSION = (int, str)
_OBJECT = (Mapping,)
_BOOL = (bool,)

# kind -> ((key, accepted types, required), ...)
BODY_SPEC: Mapping[MessageKind, tuple[tuple[str, tuple[type, ...], bool], ...]] = {
    MessageKind.TASK: (("instruction", _STR, True), ("context", _OBJECT, False)),
    MessageKind.PROBE: (("question", _STR, True),),
    MessageKind.ANSWER: (("text", _STR, True),),
    MessageKind.EDIT_PROPOSAL: (
        ("proposal_id", _STR, True),
        ("symbol_id", _STR, True),
        ("base_version", _VERSION, True),
        ("new_source", _STR, True),
        ("rationale", _STR, True),
    ),
    MessageKind.CHECK_REPORT: (
        ("proposal_id", _STR, True),
        ("report", _OBJECT, True),
        ("passed", _BOOL, False),
    ),
    MessageKind.APPROVAL_REQUEST: (("proposal_id", _STR, True),),
    MessageKind.APPROVAL: (("proposal_id", _STR, True), ("reason", _STR, True)),
    MessageKind.REJECTION: (("proposal_id", _STR, True), ("reason", _STR, True)),
    MessageKind.FOLLOW_UP: (
        ("reason", _STR, True),
        ("changed_symbol", _STR, True),
        ("old_signature", _STR, True),
        ("new_signature", _STR, True),
    ),
    MessageKind.DONE: (("reason", _STR, True),),
    MessageKind.GIVE_UP: (("reason", _STR, True),),
}

# Kinds that expect a reply: the conversation graph draws them as questions.
REQUEST_KINDS = frozenset(
    {
        MessageKind.TASK,
        MessageKind.PROBE,
        MessageKind.EDIT_PROPOSAL,
        MessageKind.APPROVAL_REQUEST,
        MessageKind.FOLLOW_UP,
    }
)


@dataclass(frozen=True, slots=True)
class Message:
    """One message as sent, delivered and stored. Treat `body` as read-only.

    `seq` orders a run's messages (1, 2, ...); `id` is `<run_id>/<seq>`.
    `attached_to` is set on a probe that was not delivered because an
    identical probe (the one named) was already in flight: its sender gets
    that probe's answer instead.
    """

    id: str
    run_id: str
    seq: int
    kind: MessageKind
    sender: Address
    recipient: Address
    body: Mapping[str, Any]
    in_reply_to: str | None
    created_at: float
    attached_to: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "run_id": self.run_id,
            "seq": self.seq,
            "kind": self.kind.value,
            "sender": self.sender,
            "recipient": self.recipient,
            "body": dict(self.body),
            "in_reply_to": self.in_reply_to,
            "created_at": self.created_at,
            "attached_to": self.attached_to,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Message:
        """The inverse of `to_json`, checking the kind, addresses and body."""
        try:
            kind = parse_kind(data["kind"])
            sender = check_address(data["sender"])
            recipient = check_address(data["recipient"])
            body = data["body"]
            check_body(kind, body)
            return cls(
                id=str(data["id"]),
                run_id=str(data["run_id"]),
                seq=int(data["seq"]),
                kind=kind,
                sender=sender,
                recipient=recipient,
                body=body,
                in_reply_to=data.get("in_reply_to"),
                created_at=float(data["created_at"]),
                attached_to=data.get("attached_to"),
            )
        except KeyError as exc:
            raise MalformedMessage(f"message JSON lacks the key {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise MalformedMessage(f"message JSON has a bad field: {exc}") from None


def message_id(run_id: str, seq: int) -> str:
    return f"{run_id}/{seq}"


def parse_kind(value: object) -> MessageKind:
    try:
        return MessageKind(value)
    except ValueError:
        known = ", ".join(k.value for k in MessageKind)
        raise MalformedMessage(f"unknown message kind {value!r}; known kinds: {known}") from None


_ROLES = frozenset(r.value for r in Role)


def is_role(address: str) -> bool:
    return address in _ROLES


def check_address(address: object) -> Address:
    """`address` if it is a role or a symbol id, else BadAddress saying which forms exist."""
    if isinstance(address, str) and (is_role(address) or _is_symbol_id(address)):
        return address
    roles = ", ".join(r.value for r in Role)
    raise BadAddress(
        f"bad address {address!r}: use a role ({roles}) or a symbol id like 'pkg/mod.py::Class.method'"
    )


def _is_symbol_id(address: str) -> bool:
    path, sep, qualname = address.partition(ID_SEPARATOR)
    return bool(sep and path.strip() and qualname.strip()) and address.isprintable()


def check_body(kind: MessageKind, body: object) -> None:
    """Raise MalformedMessage naming the kind and key unless `body` fits `kind`."""
    if not isinstance(body, Mapping):
        raise MalformedMessage(f"{kind.value} body must be a JSON object, not {type(body).__name__}")
    for key, types, required in BODY_SPEC[kind]:
        if key not in body:
            if required:
                raise MalformedMessage(
                    f"{kind.value} body lacks required key {key!r} (required: {required_keys(kind)})"
                )
            continue
        value = body[key]
        # bool is an int subclass: a version of True is a bug, not a version.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            wanted = " or ".join(t.__name__ for t in types)
            raise MalformedMessage(
                f"{kind.value} body key {key!r} must be {wanted}, not {type(value).__name__}"
            )


def required_keys(kind: MessageKind) -> str:
    return ", ".join(key for key, _, required in BODY_SPEC[kind] if required)


# One encoder for every body: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode_body(kind: MessageKind, body: Mapping[str, Any]) -> str:
    """The body as compact JSON; MalformedMessage if it is not plain JSON data."""
    try:
        return _ENCODER.encode(body)
    except (TypeError, ValueError) as exc:
        raise MalformedMessage(f"{kind.value} body is not JSON-serialisable: {exc}") from None


def normalize_question(question: str) -> str:
    """The form two probes are compared in: case, spacing and final punctuation ignored."""
    return " ".join(question.split()).casefold().rstrip("?.!: ")
