"""Loading and selecting SWE-bench instances."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swarm.evaluation.errors import InstanceFileError
from swarm.evaluation.instances import load_instances, parse_instance, read_ids


def record(instance_id: str = "acme__tiny-1", **changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "instance_id": instance_id,
        "repo": "acme/tiny",
        "base_commit": "a" * 40,
        "version": "1.0",
        "patch": "diff --git a/x b/x\n",
        "test_patch": "diff --git a/tests/test_x.py b/tests/test_x.py\n",
        "FAIL_TO_PASS": ["tests/test_x.py::test_a"],
        "PASS_TO_PASS": [],
    }
    base.update(changes)
    return base


def write_jsonl(path: Path, *records: dict[str, object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_test_ids_come_as_lists_or_as_json_strings(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "i.jsonl",
        record("a__b-1", FAIL_TO_PASS='["t::one", "t::two"]', PASS_TO_PASS="[]"),
        record("a__b-2"),
    )
    first, second = load_instances([path])

    assert first.fail_to_pass == ("t::one", "t::two") and first.pass_to_pass == ()
    assert second.fail_to_pass == ("tests/test_x.py::test_a",)


def test_environment_setup_commit_defaults_to_the_base_commit() -> None:
    instance = parse_instance(record(), "here")
    assert instance.environment_setup_commit == "a" * 40
    assert instance.version == "1.0"


def test_a_number_version_is_read_as_text() -> None:
    assert parse_instance(record(version=2.1), "here").version == "2.1"


def test_swebench_shape_round_trips() -> None:
    instance = parse_instance(record(created_at="2020-01-01"), "here")
    again = parse_instance(instance.as_swebench(), "again")
    assert again == instance


def test_json_list_files_are_read_too(tmp_path: Path) -> None:
    path = tmp_path / "i.json"
    path.write_text(json.dumps([record("a__b-1"), record("a__b-2")]))
    assert [i.instance_id for i in load_instances([path])] == ["a__b-1", "a__b-2"]


def test_identical_duplicates_across_files_are_merged(tmp_path: Path) -> None:
    one = write_jsonl(tmp_path / "one.jsonl", record("a__b-1"), record("a__b-2"))
    two = write_jsonl(tmp_path / "two.jsonl", record("a__b-2"), record("a__b-3"))
    assert [i.instance_id for i in load_instances([one, two])] == ["a__b-1", "a__b-2", "a__b-3"]


def test_conflicting_duplicates_are_refused(tmp_path: Path) -> None:
    one = write_jsonl(tmp_path / "one.jsonl", record("a__b-1"))
    two = write_jsonl(tmp_path / "two.jsonl", record("a__b-1", version="2.0"))
    with pytest.raises(InstanceFileError, match="two.jsonl:1: a__b-1 appears twice"):
        load_instances([one, two])


def test_selection_keeps_the_order_asked_for(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "i.jsonl", record("a__b-1"), record("a__b-2"), record("a__b-3"))
    assert [i.instance_id for i in load_instances([path], ["a__b-3", "a__b-1"])] == ["a__b-3", "a__b-1"]


def test_unknown_selected_ids_are_named(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "i.jsonl", record("a__b-1"))
    with pytest.raises(InstanceFileError, match="1 selected id.*nope__nope-1"):
        load_instances([path], ["a__b-1", "nope__nope-1"])


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"repo": None}, "repo must be a string"),
        ({"repo": "noslash"}, "owner/name"),
        ({"FAIL_TO_PASS": "not json"}, "FAIL_TO_PASS is a string but not a JSON list"),
        ({"PASS_TO_PASS": [1, 2]}, "PASS_TO_PASS must be a list of test ids"),
    ],
)
def test_bad_fields_are_named_with_their_place(bad: dict[str, object], message: str) -> None:
    with pytest.raises(InstanceFileError, match=message):
        parse_instance({**record(), **bad}, "file.jsonl:7")


def test_missing_fields_are_listed() -> None:
    broken = record()
    del broken["test_patch"], broken["version"]
    with pytest.raises(InstanceFileError, match=r"file.jsonl:3: missing field\(s\) version, test_patch"):
        parse_instance(broken, "file.jsonl:3")


def test_malformed_lines_and_missing_files_are_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "i.jsonl"
    path.write_text(json.dumps(record()) + "\n{oops\n")
    with pytest.raises(InstanceFileError, match="i.jsonl:2: not valid JSON"):
        load_instances([path])
    with pytest.raises(InstanceFileError, match="does not exist"):
        load_instances([tmp_path / "absent.jsonl"])
    with pytest.raises(InstanceFileError, match="expected a JSON object"):
        parse_instance(["a list"], "x")


def test_ids_files_allow_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("# runnable\na__b-1\n\n  a__b-2  # flaky?\n")
    assert read_ids(path) == ["a__b-1", "a__b-2"]
    with pytest.raises(InstanceFileError):
        read_ids(tmp_path / "none.txt")
