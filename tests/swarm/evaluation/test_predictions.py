"""Prediction files in SWE-bench's format, and the built-in gold/empty sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swarm.evaluation.errors import PredictionFileError
from swarm.evaluation.instances import parse_instance
from swarm.evaluation.predictions import (
    Prediction,
    append_prediction,
    builtin_predictions,
    load_predictions,
    read_predictions,
    write_predictions,
)
from tests.swarm.evaluation.test_instances import record


def test_jsonl_round_trip(tmp_path: Path) -> None:
    predictions = [Prediction("a__b-1", "m", "diff --git a/x b/x\n"), Prediction("a__b-2", "m", None)]
    path = tmp_path / "out" / "preds.jsonl"
    write_predictions(path, predictions)

    assert read_predictions(path) == {p.instance_id: p for p in predictions}
    assert [json.loads(line)["instance_id"] for line in path.read_text().splitlines()] == ["a__b-1", "a__b-2"]


def test_append_keeps_earlier_predictions(tmp_path: Path) -> None:
    path = tmp_path / "preds.jsonl"
    append_prediction(path, Prediction("a__b-1", "m", "p1"))
    append_prediction(path, Prediction("a__b-2", "m", "p2"))
    assert sorted(read_predictions(path)) == ["a__b-1", "a__b-2"]


def test_json_lists_and_swe_agent_dicts_are_accepted(tmp_path: Path) -> None:
    as_list = tmp_path / "list.json"
    as_list.write_text(json.dumps([{"instance_id": "a__b-1", "model_name_or_path": "m", "model_patch": "p"}]))
    as_dict = tmp_path / "dict.json"
    as_dict.write_text(json.dumps({"a__b-1": {"instance_id": "a__b-1", "model_name_or_path": "m", "model_patch": "p"}}))

    assert read_predictions(as_list) == read_predictions(as_dict) == {"a__b-1": Prediction("a__b-1", "m", "p")}


def test_repeated_identical_predictions_are_fine_but_conflicts_are_not(tmp_path: Path) -> None:
    line = json.dumps({"instance_id": "a__b-1", "model_name_or_path": "m", "model_patch": "p"})
    same = tmp_path / "same.jsonl"
    same.write_text(line + "\n" + line + "\n")
    assert len(read_predictions(same)) == 1

    clash = tmp_path / "clash.jsonl"
    clash.write_text(line + "\n" + line.replace('"p"', '"q"') + "\n")
    with pytest.raises(PredictionFileError, match="clash.jsonl:2: two different predictions"):
        read_predictions(clash)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"model_patch": "p"}\n', "missing instance_id"),
        ('{"instance_id": "a", "model_patch": 3}\n', "model_patch must be a string or null"),
        ("[1]\n", "expected a JSON object"),
        ("{nope\n", "not valid JSON"),
    ],
)
def test_malformed_predictions_are_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(content)
    with pytest.raises(PredictionFileError, match=message):
        read_predictions(path)


def test_a_missing_model_name_becomes_unknown(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"instance_id": "a__b-1", "model_patch": ""}\n')
    prediction = read_predictions(path)["a__b-1"]
    assert prediction.model_name_or_path == "unknown" and prediction.is_empty


def test_gold_and_empty_are_built_in() -> None:
    instances = [parse_instance(record("a__b-1", patch="GOLD"), "x")]

    gold = load_predictions("gold", instances)["a__b-1"]
    empty = load_predictions("empty", instances)["a__b-1"]

    assert (gold.model_name_or_path, gold.model_patch, gold.is_empty) == ("gold", "GOLD", False)
    assert (empty.model_name_or_path, empty.model_patch, empty.is_empty) == ("empty", "", True)
    with pytest.raises(PredictionFileError, match="unknown built-in"):
        builtin_predictions("silver", instances)


def test_a_file_named_like_a_builtin_is_read_as_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("gold").write_text('{"instance_id": "a__b-1", "model_name_or_path": "mine", "model_patch": "p"}\n')
    instances = [parse_instance(record("a__b-1"), "x")]
    assert load_predictions("gold", instances)["a__b-1"].model_name_or_path == "mine"


def test_missing_predictions_file(tmp_path: Path) -> None:
    with pytest.raises(PredictionFileError, match="does not exist"):
        load_predictions(str(tmp_path / "none.jsonl"), [])
