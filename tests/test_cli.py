"""The command line: presets, train (table, --json, --csv), and one-line errors with status 2."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradstep import cli
from gradstep.scenarios import list_presets, load_scenario, presets_dir

PRESETS = [scenario.name for scenario in list_presets()]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_error_line(status: int, out: str, err: str) -> str:
    assert status == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradstep: error: "), err
    assert "Traceback" not in err
    return lines[0]


# --- presets -------------------------------------------------------------------------------------


def test_presets_lists_names_and_titles_aligned(capsys):
    status, out, err = run(capsys, "presets")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == PRESETS
    title_columns = {len(line) - len(line[len(line.split()[0]):].lstrip()) for line in lines}
    assert len(title_columns) == 1  # every title starts in the same column
    assert any("Grades" in line for line in lines)


# --- train ---------------------------------------------------------------------------------------


def test_train_table_shows_sums_and_least_squares(capsys):
    status, out, err = run(capsys, "train", "plane")
    assert status == 0 and err == ""
    assert "Σw" in out and "Σ|w|" in out and "Σw²" in out and "neuron sums" in out
    assert "least squares" in out and "x1 → y" in out and "bias → y" in out
    assert "epochs      40" in out and "not diverged" in out


def test_train_table_reports_divergence(capsys):
    status, out, _ = run(capsys, "train", "standardize")
    assert status == 0
    assert "diverged at step" in out


def test_train_json_is_one_object(capsys):
    status, out, err = run(capsys, "train", "plane", "--json")
    assert status == 0 and err == ""
    result = json.loads(out)
    assert list(result) == ["preset", "steps", "epochs", "train_loss", "test_loss", "accuracy",
                            "confusion", "r2", "rmse", "diverged", "layers"]
    assert result["preset"] == "plane" and result["epochs"] == 40 and result["steps"] == 800
    assert result["test_loss"] is None and result["accuracy"] is None and result["diverged"] is False
    (layer,) = result["layers"]
    (w1,), (w2,) = layer["weights"]
    assert abs(w1 - 2.79) < 0.05 and abs(w2 - 2.01) < 0.05 and abs(layer["biases"][0] - 4.11) < 0.05
    assert layer["sum"] == pytest.approx(w1 + w2) and layer["neuron_sums"] == [pytest.approx(w1 + w2)]
    assert layer["abs_sum"] == pytest.approx(abs(w1) + abs(w2))
    assert layer["sq_sum"] == pytest.approx(w1 * w1 + w2 * w2)


def test_train_json_steps_epochs_seed_lr(capsys):
    _, out, _ = run(capsys, "train", "xor", "--steps", "7", "--json")
    result = json.loads(out)
    assert result["steps"] == 7 and result["epochs"] == 0 and 0 <= result["accuracy"] <= 1
    assert len(result["layers"]) == 2 and len(result["layers"][0]["weights"]) == 2
    _, out, _ = run(capsys, "train", "xor", "--epochs", "2", "--json")
    assert json.loads(out)["epochs"] == 2
    runs = [json.loads(run(capsys, "train", "xor", "--steps", "3", "--seed", s, "--json")[1])
            for s in ("1", "1", "2")]
    assert runs[0] == runs[1] != runs[2]
    slow, fast = (json.loads(run(capsys, "train", "plane", "--steps", "5", "--lr", lr, "--json")[1])
                  for lr in ("0.001", "0.1"))
    assert fast["train_loss"] < slow["train_loss"]


def test_train_json_diverged_has_nulls_not_nan(capsys):
    status, out, _ = run(capsys, "train", "standardize", "--json")
    assert status == 0 and "NaN" not in out and "Infinity" not in out
    result = json.loads(out)
    assert result["diverged"] is True
    # the guard stops before the weights overflow, so the kept weights still evaluate: the
    # losses are the (huge but finite) mse of those weights, here computed by hand
    from gradstep.scenarios.data import load_data
    scenario = load_scenario("standardize")
    train, test = load_data(scenario.data, scenario.path.parent, "standardize")
    (layer,) = result["layers"]
    w, b = np.array(layer["weights"]), np.array(layer["biases"])
    for split, key in ((train, "train_loss"), (test, "test_loss")):
        assert isinstance(result[key], float) and math.isfinite(result[key])
        expected = np.mean((np.array(split.x) @ w + b - np.array(split.y)) ** 2)
        assert result[key] == pytest.approx(expected, rel=1e-9)


def test_train_accepts_a_toml_path(capsys):
    status, out, _ = run(capsys, "train", str(presets_dir() / "slope-two.toml"), "--json")
    assert status == 0 and json.loads(out)["preset"] == "slope-two"


def test_csv_history(tmp_path, capsys):
    target = tmp_path / "history.csv"
    status, _, err = run(capsys, "train", "circle", "--epochs", "3", "--csv", str(target))
    assert status == 0 and err == ""
    lines = target.read_text().splitlines()
    assert lines[0].startswith("step,train_loss,test_loss,sum_W0,W0:h1,")
    rows = [line.split(",") for line in lines[1:]]
    assert [int(row[0]) for row in rows] == [0, 25, 50, 75]
    assert all(math.isfinite(float(cell)) for row in rows for cell in row[1:])
    assert [p.name for p in tmp_path.iterdir()] == ["history.csv"]  # no temporary file left


def test_csv_empty_cell_for_missing_test_loss(tmp_path, capsys):
    target = tmp_path / "h.csv"
    target.write_text("old contents\n")
    assert run(capsys, "train", "plane", "--epochs", "2", "--csv", str(target))[0] == 0
    lines = target.read_text().splitlines()
    assert lines[0] == "step,train_loss,test_loss,sum_W0,W0:y" and len(lines) == 4
    assert all(line.split(",")[2] == "" for line in lines[1:])  # no test split


def test_subprocess_json():
    done = subprocess.run([sys.executable, "-m", "gradstep", "train", "plane", "--json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == ""
    result = json.loads(done.stdout)
    assert result["preset"] == "plane" and result["diverged"] is False


def test_subprocess_error_is_one_line():
    done = subprocess.run([sys.executable, "-m", "gradstep", "train", "nosuch"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("gradstep: error: ")


# --- bad input -----------------------------------------------------------------------------------


def bad_file(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


BAD_ARGV = [
    (["train", "nosuch"], "unknown scenario 'nosuch'"),
    (["--pace", "0"], "--pace"),
    (["plane", "--pace", "fast"], "--pace"),
    (["train", "plane", "--steps", "0"], "--steps"),
    (["train", "plane", "--steps", "-3"], "--steps"),
    (["train", "plane", "--steps", "x"], "--steps"),
    (["train", "plane", "--epochs", "0"], "--epochs"),
    (["train", "plane", "--steps", "3", "--epochs", "2"], "not allowed with"),
    (["train", "plane", "--lr", "nan"], "--lr"),
    (["train", "plane", "--lr", "inf"], "--lr"),
    (["train", "plane", "--lr", "0"], "--lr"),
    (["train", "plane", "--lr", "-1"], "--lr"),
    (["train", "plane", "--seed", "-1"], "--seed"),
    (["train", "plane", "--seed", "1.5"], "--seed"),
    (["train", "plane", "--csv", "/no/such/folder/h.csv"], "--csv"),
    (["train", "plane", "--bogus"], "unrecognized arguments"),
    (["train", "plane", "extra"], "unrecognized arguments"),
    (["presets", "extra"], "unrecognized arguments"),
    (["--bogus"], "unrecognized arguments"),
    (["nosuch"], "unknown scenario 'nosuch'"),
]


@pytest.mark.parametrize("argv, words", BAD_ARGV)
def test_bad_argv_one_line(capsys, argv, words):
    line = assert_one_error_line(*run(capsys, *argv))
    assert words in line


def test_unknown_scenario_lists_shipped_names(capsys):
    line = assert_one_error_line(*run(capsys, "train", "nosuch"))
    assert all(name in line for name in PRESETS)


def test_csv_to_a_folder_or_unwritable(tmp_path, capsys):
    assert "is a folder" in assert_one_error_line(*run(capsys, "train", "plane", "--csv", str(tmp_path)))
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert "--csv" in assert_one_error_line(
            *run(capsys, "train", "plane", "--csv", str(locked / "h.csv")))


@pytest.mark.parametrize("text, words", [
    ("[data\n", "not valid TOML"),
    ('title = "t"\nbogus = 1\n', "unknown top-level"),
    ('[data]\nkind = "linear"\ncoefficients = [1.0]\n[network]\nlayers = [1, 1]\nlr = 1\n',
     "[network]: unknown key 'lr'"),
    ('[data]\nkind = "linear"\ncoefficients = [1.0]\n[network]\nlayers = [2, 1]\n',
     "[network] layers: the data has 1 inputs"),
    ('[data]\nkind = "csv"\npath = "rows.csv"\nfeatures = ["a"]\ntarget = "b"\n'
     '[network]\nlayers = [1, 1]\n', "[data] path"),
    (b'title = "caf\xe9"\n', "not UTF-8"),
])
def test_bad_scenario_files_one_line(tmp_path, capsys, text, words):
    bad_file(tmp_path, "rows.csv", b"a,b\n1,\xff\xfe\n")  # not UTF-8: unreadable CSV
    path = bad_file(tmp_path, "bad.toml", text)
    line = assert_one_error_line(*run(capsys, "train", path))
    assert path in line and words in line


def test_missing_scenario_file(tmp_path, capsys):
    path = str(tmp_path / "gone.toml")
    assert "file not found" in assert_one_error_line(*run(capsys, "train", path))


def test_help_exits_zero(capsys):
    status, out, _ = run(capsys, "--help")
    assert status == 0 and "presets" in out and "train" in out
    status, out, _ = run(capsys, "train", "--help")
    assert status == 0 and "--steps" in out


# --- the app entry -----------------------------------------------------------------------------


def test_no_subcommand_launches_the_app_lazily(capsys, tmp_path):
    calls = []
    fake = type(sys)("gradstep.tui.app")

    def launch_app(scenario=None, session=None, pace="lesson"):
        calls.append(scenario.name if scenario else session)
        return 0

    fake.launch_app = launch_app
    session = tmp_path / "s.npz"
    assert cli.main(["train", "plane", "--steps", "3", "--save", str(session)]) == 0
    capsys.readouterr()
    with mock.patch.dict(sys.modules, {"gradstep.tui.app": fake}):
        assert cli.main([]) == 0 and cli.main(["xor"]) == 0 and cli.main([str(session)]) == 0
    assert calls == ["grades", "xor", str(session)]


def test_a_bad_session_file_is_refused_before_the_app_starts(capsys, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really")
    fake = type(sys)("gradstep.tui.app")
    fake.launch_app = lambda **kw: pytest.fail("the app must not start")
    with mock.patch.dict(sys.modules, {"gradstep.tui.app": fake}):
        line = assert_one_error_line(*run(capsys, str(bad)))
    assert str(bad) in line


# --- sessions ------------------------------------------------------------------------------------


def test_a_saved_session_continues_bit_for_bit(capsys, tmp_path):
    session = tmp_path / "plane.gradstep.npz"
    status, _, _ = run(capsys, "train", "circle", "--steps", "40", "--save", str(session))
    assert status == 0 and session.exists()
    status, resumed, _ = run(capsys, "train", str(session), "--steps", "35", "--json")
    status2, straight, _ = run(capsys, "train", "circle", "--steps", "75", "--json")
    assert status == status2 == 0
    resumed, straight = json.loads(resumed), json.loads(straight)
    assert resumed["steps"] == straight["steps"] == 75
    assert resumed["layers"] == straight["layers"]
    assert resumed["preset"] == "circle"


@pytest.mark.parametrize("argv", [
    ["train", "missing.npz"],
    ["train", "plane", "--save", "no/such/folder/s.npz"],
    ["train", "plane", "--save", "."],
])
def test_bad_sessions_and_save_targets_are_one_line(capsys, argv):
    assert_one_error_line(*run(capsys, *argv))


def test_seed_does_not_apply_to_a_session(capsys, tmp_path):
    session = tmp_path / "s.npz"
    run(capsys, "train", "plane", "--steps", "2", "--save", str(session))
    line = assert_one_error_line(*run(capsys, "train", str(session), "--seed", "3"))
    assert "--seed" in line
    status, out, _ = run(capsys, "train", str(session), "--steps", "1", "--lr", "0.5", "--json")
    assert status == 0 and json.loads(out)["steps"] == 3


# --- random argv ---------------------------------------------------------------------------------

WORDS = st.sampled_from(
    ["train", "presets", "bench", "plane", "grades", "slope-two", "xor", "nosuch", "x.toml", "",
     "--steps", "--epochs", "--seed", "--lr", "--json", "--csv", "-h", "--", "-", "0", "1", "3",
     "-1", "1e-3", "nan", "inf", "1e400", "h.csv", "sub/h.csv", ".", "--step", "--ep=2",
     "--steps=2", "\x00", "é", "\ud800"]
)
ARGV = st.lists(st.one_of(WORDS, st.text(max_size=6)), max_size=6)


def _no_app(args):
    if cli.is_session(args.scenario):
        cli.load_session(args.scenario)
    else:
        cli.load_scenario(args.scenario)
    raise cli.UsageError("(the app is not started in this test)")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=ARGV)
def test_random_argv_exits_zero_or_two_without_traceback(tmp_path, capsys, argv):
    os.chdir(tmp_path)  # --csv writes land here
    with mock.patch.object(cli, "run_app", _no_app), \
            mock.patch("gradstep.bench.run_bench", lambda **kw: {}), \
            mock.patch("gradstep.bench.format_table", lambda results: "bench"):
        try:
            status = cli.main(argv)
        except BaseException as error:  # noqa: BLE001 - the point is that nothing escapes
            pytest.fail(f"{argv!r} raised {error!r}")
    out, err = capsys.readouterr()
    assert status in (0, 2), (argv, status)
    assert "Traceback" not in err
    if status == 2:
        assert len(err.splitlines()) == 1 and err.startswith("gradstep: error: "), (argv, err)


@pytest.fixture(autouse=True)
def _keep_cwd():
    cwd = os.getcwd()
    yield
    os.chdir(cwd)


def test_bench_prints_json_and_a_table(capsys):
    status, out, _ = run(capsys, "bench", "--json", "--quick", "--seconds", "0.05")
    results = json.loads(out)
    rows = results["engine"]
    assert status == 0 and all(r["steps_per_s"] > 0 and r["ratio"] > 0 for r in rows)
    with mock.patch("gradstep.bench.run_bench", lambda **kw: results):  # the same figures
        status, out, _ = run(capsys, "bench", "--quick")
    assert status == 0 and "circle 2-4-2-1" in out and "×" in out
    status, _, err = run(capsys, "bench", "--seconds", "-1")
    assert status == 2 and err.startswith("gradstep: error:")


def test_output_piped_into_a_closed_reader_ends_quietly():
    # `true` exits at once without reading, so the result is written into a closed pipe
    result = subprocess.run(f"{sys.executable} -m gradstep train deep-normalized | true",
                            shell=True, capture_output=True, text=True, timeout=60)
    assert result.stderr == ""


def test_train_without_a_scenario_trains_the_default_one_as_the_app_opens_it(capsys):
    assert cli.main(["train", "--steps", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["preset"] == "grades"


def test_help_names_scenario_and_pace(capsys):
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "SCENARIO" in text and "--pace" in text and "presets" in text
