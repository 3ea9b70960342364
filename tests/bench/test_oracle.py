from __future__ import annotations

import json
from pathlib import Path

from bench.oracle import summarize


def test_summary_of_a_run_directory(tmp_path: Path) -> None:
    runs = [
        {"instance_id": "a", "status": "accepted", "reason": "", "elapsed_s": 10.0, "timings": {"solve": 6.0, "environment": 3.0},
         "details": {"matches_gold": "same", "steps": [
             {"elapsed_s": 2.0, "ok": True, "stages": {"approval": {"status": "approved"}}},
             {"elapsed_s": 4.0, "ok": False, "stages": {"approval": {"status": "rejected"}}}]}},
        {"instance_id": "b", "status": "not_expressible", "reason": "x.py: a new file", "elapsed_s": 2.0,
         "timings": {}, "details": {}},
    ]
    (tmp_path / "oracle.runs.jsonl").write_text("\n".join(json.dumps(r) for r in runs) + "\n")
    (tmp_path / "oracle.eval.json").write_text(json.dumps({"resolved": 1, "unresolved_ids": [], "error_ids": []}))
    (tmp_path / "gold.eval.json").write_text(json.dumps({"resolved": 2}))
    summary = summarize(tmp_path)
    assert (summary["oracle_resolved"], summary["gold_resolved"], summary["oracle_over_gold"]) == (1, 2, 0.5)
    assert summary["ops"] == 2 and summary["ops_approved"] == 1 and summary["ops_all_stages_passed"] == 1
    assert summary["check_pipeline_s_per_rewrite"]["mean"] == 3.0
    assert summary["not_expressible"] == {"b": "x.py: a new file"}
    assert summary["statuses"] == {"accepted": 1, "not_expressible": 1}
