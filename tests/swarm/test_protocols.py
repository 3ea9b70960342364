"""The protocols module: one definition of the Model protocol and its data,
which ChatModel (every provider's Model) matches member for member."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

import swarm.models
from swarm import protocols
from swarm.models.chat import ChatModel
from swarm.protocols import ChatMessage, Completion, ToolCall, Usage


def test_the_data_is_frozen_and_slotted() -> None:
    for cls in (protocols.ToolSpec, ToolCall, ChatMessage, Usage, Completion, protocols.CallRecord):
        params = getattr(cls, "__dataclass_params__")
        assert params.frozen and "__slots__" in vars(cls), cls
    with pytest.raises(dataclasses.FrozenInstanceError):
        ChatMessage("user", "x").content = "y"  # type: ignore[misc]


def test_usage_totals_tokens() -> None:
    assert Usage(120, 30, None).total_tokens == 150


def test_chat_model_implements_the_model_protocol_exactly() -> None:
    for name in ("complete", "for_agent"):
        ours = inspect.signature(getattr(ChatModel, name))
        declared = inspect.signature(getattr(protocols.Model, name))
        assert list(ours.parameters) == list(declared.parameters), name
        for param in declared.parameters.values():
            assert ours.parameters[param.name].default == param.default, (name, param.name)
    assert isinstance(inspect.getattr_static(ChatModel, "name"), property)


def test_swarm_models_re_exports_the_same_objects() -> None:
    for name in ("Model", "ChatMessage", "ToolSpec", "ToolCall", "Usage", "Completion", "CallRecord", "CallObserver"):
        assert getattr(swarm.models, name) is getattr(protocols, name)
