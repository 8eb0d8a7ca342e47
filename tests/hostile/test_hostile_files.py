"""Scenario files, weights files and CSV files, hostile: nesting and numbers past the parsers'
limits, escapes and markup in text, files that are not the CSV asked for (never echoed),
non-finite targets; and issue 13's CSV that just works."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gradstep.bounded import MAX_DEPTH, ParseLimit, check_json, check_toml, loads_json
from gradstep.errors import GradstepError
from gradstep.export import read_weights_json
from gradstep.scenarios import load_scenario
from gradstep.workspace import Workspace
from hostile_tools import PLANE, run_cli, run_measured, scenario

SECRET = "hunter2-DO-NOT-ECHO"


# --- TOML ---------------------------------------------------------------------------------------


TOML_CASES = {
    "500 nested [": "x = " + "[" * 500 + "]" * 500 + "\n",
    "100,000 nested [": "x = " + "[" * 100_000 + "\n",
    "500 nested {": "x = " + "{a = " * 500 + "1" + "}" * 500 + "\n",
    "a 4,301-digit integer": "x = " + "9" * 4301 + "\n",
    "a 400-digit integer": "[training]\nepochs = " + "1" * 400 + "\n",
    "a 100,000-digit float": "x = 0." + "1" * 100_000 + "\n",
    "a long hex integer": "x = 0x" + "f" * 5000 + "\n",
    "deep tables": "".join(f"[{'.'.join(['a'] * k)}]\n" for k in range(1, 40)),
    "a NUL byte": "title = \"a\0b\"\n",
    "not UTF-8": b"title = \"\xff\xfe\"\n",
    "UTF-16": "title = 'x'\n".encode("utf-16"),
    "binary junk": bytes(range(256)) * 10,
}


@pytest.mark.parametrize("case", list(TOML_CASES))
def test_toml_past_the_parser_limits_is_one_line(tmp_path, refuse, case):
    text = TOML_CASES[case]
    path = tmp_path / "bad.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    line = refuse("train", path)
    assert len(line) < 400


def test_brackets_inside_strings_and_comments_are_not_nesting():
    check_toml('title = "' + "[" * 1000 + '"\n# ' + "{" * 1000 + "\nx = '" + "[" * 99 + "'\n"
               'd = """\n' + "[[[" * 300 + '\n"""\n')
    check_json(json.dumps({"a": "[" * 1000, "b": [[1]]}))
    with pytest.raises(ParseLimit):
        check_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert loads_json("[" * MAX_DEPTH + "]" * MAX_DEPTH)


def test_markup_and_escapes_in_a_scenario_are_printed_as_text(tmp_path, capsys):
    path = scenario(tmp_path, PLANE.replace(
        'title = "t"', 'name = "x\\u001b]52;c;SGVsbG8=\\u0007"\n'
        'title = "[/bold] closing [link=file:///etc/passwd]x \\u001b]0;PWNED\\u0007\\u001b[2J"'))
    status, out, err = run_cli(capsys, "train", path)
    assert status == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;PWNED\\x07" in out and "[/bold] closing [link=file:///etc/passwd]" in out
    assert "\\x1b]52;c;SGVsbG8=" in out
    status, out, err = run_cli(capsys, "train", path, "--json")
    assert "\x1b" not in out and json.loads(out)["preset"].startswith("x\x1b")


# --- weights JSON -------------------------------------------------------------------------------


WEIGHTS_CASES = {
    "100,000 nested [": '{"weights": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "a 4,301-digit number": '{"weights": [[[' + "9" * 4301 + "]], [[1]]]}",
    "a 400-digit number": '{"weights": [[[1' + "0" * 400 + "], [1]]]}",
    "1e400": '{"weights": [[[1e400], [1]]], "biases": [[0]]}',
    "NaN": '{"weights": [[[NaN], [1]]], "biases": [[0]]}',
    "not an object": "[1, 2, 3]",
    "no weights": '{"biases": []}',
    "weights a string": '{"weights": "[[1]]"}',
    "ragged": '{"weights": [[[1, 2], [3]]]}',
    "wrong shape": '{"weights": [[[1, 2, 3]]]}',
    "a million numbers": '{"weights": [[' + ",".join(["[1]"] * 1_000_000) + "]]}",
    "five million commas": '{"weights": [' + ",".join(["0"] * 5_000_000) + "]}",
    "truncated": '{"weights": [[[1',
    "not UTF-8": b'{"weights": "\xff"}',
    "empty": "",
}


@pytest.mark.parametrize("case", list(WEIGHTS_CASES))
def test_bad_weights_files_change_nothing(tmp_path, case):
    text = WEIGHTS_CASES[case]
    path = tmp_path / "w.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    workspace = Workspace(load_scenario("plane").build())
    before = workspace.trainer.network.params.copy()
    with pytest.raises(GradstepError) as info:
        workspace.load_weights(str(path))
    assert "\n" not in str(info.value) and len(str(info.value)) < 500
    assert np.array_equal(workspace.trainer.network.params, before)
    assert not workspace.undo_stack.can_undo


def test_a_good_weights_file_still_loads(tmp_path):
    path = tmp_path / "w.json"
    path.write_text('{"weights": [[[2.5], [-1]]], "biases": [[3]]}')
    weights, biases, _ = read_weights_json(path)
    workspace = Workspace(load_scenario("plane").build())
    workspace.load_weights(str(path))
    assert workspace.trainer.network.weights[0].tolist() == [[2.5], [-1.0]]


# --- CSV: never echo a file that is not the CSV asked for ------------------------------------------


def csv_scenario(tmp_path, csv_name, features='["a", "b"]', target='"t"', extra="",
                 layers="[2, 1]", output="linear", loss="mse"):
    return scenario(tmp_path, f"""
        [data]
        kind = "csv"
        path = "{csv_name}"
        features = {features}
        target = {target}
        {extra}
        [network]
        layers = {layers}
        output = "{output}"
        [training]
        loss = "{loss}"
        epochs = 2
    """)


NOT_CSV = {
    "shadow": f"root:$6${SECRET}$abc:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n",
    "env": f"SECRET_KEY={SECRET}\nDEBUG=1\n",
    "passwd": f"root:x:0:0:{SECRET}:/root:/bin/bash\n",
    "ssh key": f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRET}\n-----END OPENSSH PRIVATE KEY-----\n",
    "semicolons": f"a;b;t\n1;2;{SECRET}\n",
    "json": json.dumps({"password": SECRET}) + "\n",
    "one long line": SECRET * 1000 + "\n",
}


@pytest.mark.parametrize("case", list(NOT_CSV))
def test_a_file_that_is_not_the_csv_is_never_echoed(tmp_path, refuse, case):
    (tmp_path / "secret.csv").write_text(NOT_CSV[case])
    line = refuse("train", csv_scenario(tmp_path, "secret.csv"))
    assert SECRET not in line and "hunter" not in line


def test_a_real_csv_lists_a_few_short_column_names(tmp_path, refuse):
    header = ",".join(["a", "b\x1b[2J", "c" * 100] + [f"col{i}" for i in range(50)])
    (tmp_path / "d.csv").write_text(header + "\n" + ",".join(["1"] * 53) + "\n")
    line = refuse("train", csv_scenario(tmp_path, "d.csv", features='["a", "col0"]',
                                        target='"missing"'))
    assert "no column 'missing'" in line and "'a'" in line and "\\x1b[2J" in line
    assert "c" * 30 not in line and "(53 columns)" in line and "col10" not in line


def test_a_bad_cell_is_quoted_short(tmp_path, refuse):
    (tmp_path / "d.csv").write_text(f"a,b,t\n1,{SECRET * 20},3\n")
    line = refuse("train", csv_scenario(tmp_path, "d.csv"))
    assert "row 2, column 'b'" in line and SECRET * 2 not in line


@pytest.mark.parametrize("cell", ["nan", "inf", "-inf", "NaN", "Infinity"])
def test_a_non_finite_regression_target_names_its_row_and_column(tmp_path, refuse, cell):
    rows = "".join(f"{i},{i},{i * 0.5}\n" for i in range(20))
    (tmp_path / "d.csv").write_text(f"a,b,t\n{rows}1,2,{cell}\n")
    line = refuse("train", csv_scenario(tmp_path, "d.csv"))
    assert "row 22, column 't'" in line and "not a finite number" in line


def test_text_labels_are_still_classes(tmp_path, capsys):
    rows = "".join(f"{i},{-i},{'cat' if i % 2 else 'dog'}\n" for i in range(20))
    (tmp_path / "d.csv").write_text(f"a,b,t\n{rows}")
    status, out, err = run_cli(capsys, "train", csv_scenario(tmp_path, "d.csv",
                                                             output="tanh"))
    assert status == 0 and "accuracy" in out, err


def test_a_line_of_a_hundred_million_commas_is_refused_before_it_is_split(tmp_path, refuse):
    """One line of 100 million empty cells would be a list of 800 MB before any check."""
    with open(tmp_path / "d.csv", "w") as f:
        f.write("a,b,t\n1,2,3\n")
        f.write("," * 100_000_000 + "\n")
    status, out, err, peak = run_measured("train", csv_scenario(tmp_path, "d.csv"))
    assert status == 2 and "line longer than 1,000,000 characters" in err
    assert peak < 500_000_000, peak


def test_too_many_columns(tmp_path, refuse):
    (tmp_path / "d.csv").write_text(",".join(f"c{i}" for i in range(10_001)) + "\n")
    assert "at most 10,000" in refuse("train", csv_scenario(tmp_path, "d.csv"))


def test_rows_past_the_budget(tmp_path, refuse, monkeypatch):
    monkeypatch.setenv("GRADSTEP_MEMORY_BUDGET", "100MB")
    with open(tmp_path / "d.csv", "w") as f:
        f.write("a,b,t\n")
        f.write("1,2,3\n" * 1_500_000)
    line = refuse("train", csv_scenario(tmp_path, "d.csv"))
    assert "rows of 3 columns" in line and "memory budget is 100 MB" in line


# --- issue 13: a CSV that just works ------------------------------------------------------------


def digits_csv(tmp_path, rows=300, seed=0):
    """784 pixel columns and a digit 0-9: one bright pixel says which."""
    rng = np.random.default_rng(seed)
    digits = rng.integers(0, 10, rows)
    pixels = rng.integers(0, 40, (rows, 784))
    pixels[np.arange(rows), digits * 78 + 3] = 255
    lines = [",".join([f"px{i}" for i in range(784)] + ["digit"])]
    lines += [",".join(map(str, row)) + f",{d}" for row, d in zip(pixels, digits)]
    (tmp_path / "digits.csv").write_text("\n".join(lines) + "\n")
    return '[' + ", ".join(f'"px{i}"' for i in range(784)) + ']'


def test_784_pixels_and_a_digit_train_without_a_task(tmp_path, capsys):
    features = digits_csv(tmp_path)
    path = scenario(tmp_path, f"""
        [data]
        kind = "csv"
        path = "digits.csv"
        features = {features}
        target = "digit"
        [network]
        layers = [784, 16, 10]
        activation = "relu"
        output = "softmax"
        [training]
        loss = "cross-entropy"
        optimizer = "adam"
        learning_rate = 0.01
        batch_size = 30
        standardize = true
        epochs = 30
    """)
    status, out, err = run_cli(capsys, "train", path, "--json")
    assert status == 0, err
    result = json.loads(out)
    assert result["accuracy"] > 0.9 and not result["diverged"]


@pytest.mark.parametrize("output, loss, task", [
    ("softmax", "cross-entropy", "classification"), ("sigmoid", "bce", "classification"),
    ("linear", "mse", "regression"), ("tanh", "mae", "regression"),
])
def test_whole_number_targets_follow_the_output_and_loss(tmp_path, output, loss, task):
    from gradstep.scenarios.data import load_data
    (tmp_path / "d.csv").write_text("a,t\n" + "".join(f"{i},{i % 2}\n" for i in range(10)))
    spec = {"kind": "csv", "path": "d.csv", "features": ["a"], "target": "t"}
    train, _ = load_data(spec, tmp_path, "s.toml", output=output, loss=loss)
    assert train.task == task
    train, _ = load_data({**spec, "task": "regression"}, tmp_path, "s.toml", output=output,
                         loss=loss)
    assert train.task == "regression"  # task still overrides


def test_a_shape_mismatch_names_the_fix(tmp_path, refuse):
    features = digits_csv(tmp_path, rows=40)
    path = csv_scenario(tmp_path, "digits.csv", features=features, target='"digit"',
                        layers="[784, 10]", output="linear", loss="mse")
    line = refuse("train", path)
    assert "the output has 10 neurons but the target 'digit' is one number per row" in line
    assert 'add task = "classification" to [data] or make the output 1 wide' in line


def test_a_gzip_csv_is_read_within_its_bounds(tmp_path, refuse, capsys, monkeypatch):
    import gzip
    rows = "".join(f"{i},{-i},{i % 2}\n" for i in range(40))
    with gzip.open(tmp_path / "d.csv.gz", "wt") as f:
        f.write("a,b,t\n" + rows)
    status, out, err = run_cli(capsys, "train", csv_scenario(tmp_path, "d.csv.gz"))
    assert status == 0, err
    with gzip.open(tmp_path / "wide.csv.gz", "wt") as f:  # 100 MB of commas in 100 kB
        f.write("a,b,t\n" + "," * 100_000_000 + "\n")
    assert "line longer" in refuse("train", csv_scenario(tmp_path, "wide.csv.gz"))
    monkeypatch.setattr("gradstep.scenarios.data.MAX_UNZIPPED", 100_000)
    with gzip.open(tmp_path / "bomb.csv.gz", "wt") as f:
        f.write("a,b,t\n" + "1,2,3\n" * 100_000)
    assert "unpacks to more than" in refuse("train", csv_scenario(tmp_path, "bomb.csv.gz"))
    (tmp_path / "cut.csv.gz").write_bytes((tmp_path / "d.csv.gz").read_bytes()[:30])
    assert "not a whole gzip file" in refuse("train", csv_scenario(tmp_path, "cut.csv.gz"))
