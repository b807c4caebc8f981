import csv
from pathlib import Path

from vidstyle.training.losslog import LossLog


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def test_a_resumed_log_drops_steps_past_the_checkpoint_and_adds_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "losses.csv"
    first = LossLog(path)
    for step in range(1, 6):  # killed at step 5, last checkpoint at 3
        first.write({"total": float(step), "step": step})
    first.close()

    resumed = LossLog(path, after_step=3)
    resumed.write({"total": 40.0, "step": 4, "stability": 0.5})
    resumed.close()

    fields, rows = read_rows(path)
    assert fields == ["total", "step", "stability"]
    assert [r["step"] for r in rows] == ["1", "2", "3", "4"]
    assert rows[3]["total"] == "40.0" and rows[0]["stability"] == ""
    assert resumed.first_total == 1.0  # step 1's, for the model card


def test_a_new_log_writes_its_header_once(tmp_path: Path) -> None:
    path = tmp_path / "losses.csv"
    log = LossLog(path)
    log.write({"total": 1.0, "step": 1})
    log.write({"total": 0.5, "step": 2})
    log.close()
    assert path.read_text().splitlines() == ["total,step", "1.0,1", "0.5,2"]
