"""Exports other tools read: the ONNX graph run in onnxruntime, the safetensors file read by the
safetensors package and run by a plain numpy Sequential, and `gradstep export` refusing bad
input in one line with nothing written."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from safetensors import safe_open
from safetensors.numpy import load as load_safetensors_bytes
from safetensors.numpy import load_file

from gradstep import cli
from gradstep.errors import GradstepError
from gradstep.export import history_csv, weights_json
from gradstep.interchange import command
from gradstep.interchange.formats import FORMATS
from gradstep.interchange.onnx_graph import ACTIVATIONS, onnx_export, onnx_model
from gradstep.interchange.safetensors_file import safetensors_bytes
from gradstep.interchange.sequential import (
    MODULES, safetensors_export, sequential_source, state_dict,
)
from gradstep.model import Network
from gradstep.model.activations import HIDDEN, OUTPUT
from gradstep.scenarios import list_presets
from gradstep.scenarios.data import Dataset
from gradstep.session import save_session
from gradstep.lesson import Lesson
from gradstep.names import trainer_names
from gradstep.training import Trainer, TrainingSettings

PRESETS = list_presets()
TOLERANCE = {"float32": 1e-5, "float64": 1e-12}
LEAKY_FLOAT64 = 1e-7  # ONNX's LeakyRelu alpha is a 32-bit float attribute (see the test below)


def tolerance(trainer):
    net = trainer.network
    if net.dtype == np.float64 and "leaky-relu" in net.activations:
        return LEAKY_FLOAT64
    return TOLERANCE[net.dtype.name]


# --- networks to export ----------------------------------------------------------------------


def data(task, n_in, n_out, n=60, seed=0):
    """Inputs on very different scales and off centre, so standardization matters."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_in)) * np.geomspace(0.01, 100, n_in) + np.arange(n_in) * 10
    names = tuple(f"x{i}" for i in range(n_in))
    if task == "classification":
        y = rng.integers(0, n_out, n)
        y[:n_out] = np.arange(n_out)
        return Dataset(x, y, task, n_out, names, tuple(str(c) for c in range(n_out)))
    y = np.tanh(rng.normal(size=(n, n_out)))
    return Dataset(x, y, task, 0, names, tuple(f"y{j}" for j in range(n_out)))


# (hidden sizes, hidden activations, output, bias, standardize): every activation and output
CASES = [
    ([4], ["tanh"], "linear", True, False),
    ([5, 3], ["relu", "relu"], "sigmoid", False, True),
    ([4], ["leaky-relu"], "softmax", True, True),
    ([3], ["sigmoid"], "tanh", False, False),
    ([3], ["linear"], "linear", True, True),
    ([4, 4, 4, 4, 4], ["relu", "leaky-relu", "sigmoid", "tanh", "linear"], "softmax", False, False),
    ([], [], "linear", False, True),
    ([6, 2], ["tanh", "relu"], "tanh", True, True),
]


def build(case, dtype, steps=30):
    hidden, activations, output, bias, standardize = case
    n_in, n_out = 3, 3 if output == "softmax" else 2
    task = "classification" if output == "softmax" else "regression"
    loss = "cross-entropy" if output == "softmax" else "mse"
    network = Network([n_in, *hidden, n_out], activations, output, bias=bias, seed=1,
                      dtype=dtype)
    train = data(task, n_in, n_out)
    trainer = Trainer(network, train, train.subset(np.zeros(len(train), bool)),
                      TrainingSettings(loss=loss, optimizer="adam", learning_rate=0.01,
                                       standardize=standardize), seed=1)
    trainer.run(steps=steps)  # biases move off zero, weights off their init
    assert not trainer.diverged
    return trainer


def case_id(case):
    hidden, activations, output, bias, standardize = case
    return "-".join(activations + [output, "bias" if bias else "nobias",
                                   "std" if standardize else "raw"])


def preset(scenario, dtype):
    """A shipped scenario in float64 (as shipped) or float32, trained for its run."""
    scenario = dataclasses.replace(scenario, network=scenario.network.replace(dtype=dtype))
    trainer = scenario.build()
    trainer.run(epochs=scenario.settings.epochs)
    return trainer


def raw_inputs(trainer):
    return np.concatenate([trainer.raw_train.x, trainer.raw_test.x])


# --- ONNX --------------------------------------------------------------------------------------


def session_of(data_bytes):
    return ort.InferenceSession(data_bytes, providers=["CPUExecutionProvider"])


def run_onnx(session, x, dtype):
    return session.run(["y"], {"x": np.asarray(x, dtype)})[0]


def assert_onnx_matches(trainer, data_bytes, x):
    dtype = trainer.network.dtype
    session = session_of(data_bytes)
    got = run_onnx(session, x, dtype)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, trainer.predict(x), rtol=tolerance(trainer),
                               atol=tolerance(trainer))
    return float(np.abs(got - trainer.predict(x)).max())


def test_every_activation_has_an_onnx_node_and_a_torch_module():
    assert set(ACTIVATIONS) == set(MODULES) == set(HIDDEN) | set(OUTPUT)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_onnx_graph_computes_what_the_trainer_predicts(case, dtype):
    trainer = build(case, dtype)
    model = onnx_model(trainer)
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == 17
    x = raw_inputs(trainer)
    assert_onnx_matches(trainer, onnx_export(trainer), x)

    session = session_of(model.SerializeToString())
    for batch in (1, 7):  # the batch dimension is dynamic
        out = run_onnx(session, x[:batch], dtype)
        assert out.shape == (batch, trainer.network.sizes[-1])
        np.testing.assert_allclose(out, trainer.predict(x[:batch]), rtol=tolerance(trainer),
                                   atol=tolerance(trainer))
    shape = model.graph.input[0].type.tensor_type.shape.dim
    assert shape[0].dim_param == "batch" and shape[1].dim_value == trainer.network.sizes[0]


def test_leaky_relu_slope_is_a_32_bit_attribute_even_in_a_float64_graph():
    """Why float64 graphs with leaky-relu match to about 1e-8, not 1e-16: ONNX's LeakyRelu
    takes alpha as a FLOAT attribute, so 0.01 becomes 0.009999999776... in every runtime."""
    net = Network([1, 1, 1], "leaky-relu", "linear", weights=[[[-1.0]], [[1.0]]])
    train = data("regression", 1, 1)
    trainer = Trainer(net, train, train, TrainingSettings())
    y = run_onnx(session_of(onnx_export(trainer)), [[1.0]], np.float64)
    assert y[0, 0] == float(np.float32(0.01)) * -1 != trainer.predict([[1.0]])[0, 0] == -0.01


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_onnx_graph_holds_one_gemm_per_layer_and_the_activations(case):
    trainer = build(case, "float64", steps=0)
    net = trainer.network
    graph = onnx_model(trainer).graph
    ops = [node.op_type for node in graph.node]
    expected = ["Sub", "Div"] if trainer.settings.standardize else []
    for layer in range(net.depth):
        expected.append("Gemm")
        node = ACTIVATIONS[net.activation_of(layer + 1)]
        expected += [node[0]] if node else []
    assert ops == expected
    gemms = [node for node in graph.node if node.op_type == "Gemm"]
    assert all(len(node.input) == (3 if net.bias else 2) for node in gemms)
    assert graph.node[-1].output == ["y"] and graph.input[0].name == "x"
    leaky = [node for node in graph.node if node.op_type == "LeakyRelu"]
    assert all(onnx.helper.get_attribute_value(node.attribute[0]) == pytest.approx(0.01)
               for node in leaky)
    softmax = [node for node in graph.node if node.op_type == "Softmax"]
    assert all(onnx.helper.get_attribute_value(node.attribute[0]) == 1 for node in softmax)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("scenario", PRESETS, ids=lambda s: s.name)
def test_shipped_scenarios_trained_then_exported_to_onnx(scenario, dtype):
    trainer = preset(scenario, dtype)
    assert_onnx_matches(trainer, onnx_export(trainer), raw_inputs(trainer))


# --- safetensors -------------------------------------------------------------------------------


NUMPY = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "leaky-relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "tanh": np.tanh,
    "sigmoid": lambda z: np.exp(-np.logaddexp(0, -z)),
    "softmax": lambda z: np.exp(z - z.max(1, keepdims=True))
    / np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True),
}


def sequential_forward(tensors, meta, x):
    """What torch's nn.Sequential would compute, from the file alone: Linear (y = x W^T + b)
    at even indexes, the activation module after each."""
    x = (x - np.array(json.loads(meta["mean"]))) / np.array(json.loads(meta["std"]))
    a = x.astype(tensors["0.weight"].dtype)
    names = json.loads(meta["activation"]) + [meta["output"]]
    for l, name in enumerate(names):
        a = a @ tensors[f"{2 * l}.weight"].T
        if f"{2 * l}.bias" in tensors:
            a = a + tensors[f"{2 * l}.bias"]
        a = NUMPY[name](a)
    return a


def read(path):
    with safe_open(str(path), "np") as f:
        return load_file(str(path)), f.metadata()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_safetensors_holds_the_sequential_state_dict(tmp_path, case, dtype):
    trainer = build(case, dtype)
    net = trainer.network
    path = tmp_path / "model.safetensors"
    path.write_bytes(safetensors_export(trainer))
    tensors, meta = read(path)

    keys = {f"{2 * l}.weight" for l in range(net.depth)}
    if net.bias:
        keys |= {f"{2 * l}.bias" for l in range(net.depth)}
    assert set(tensors) == keys
    for l in range(net.depth):
        weight = tensors[f"{2 * l}.weight"]
        assert weight.dtype == net.dtype and weight.shape == net.weights[l].shape[::-1]
        np.testing.assert_array_equal(weight, net.weights[l].T)
        if net.bias:
            np.testing.assert_array_equal(tensors[f"{2 * l}.bias"], net.biases[l])

    assert json.loads(meta["layers"]) == net.sizes and meta["dtype"] == dtype
    assert json.loads(meta["bias"]) == net.bias
    assert json.loads(meta["standardize"]) == trainer.settings.standardize
    np.testing.assert_array_equal(json.loads(meta["mean"]), trainer.mean)
    np.testing.assert_array_equal(json.loads(meta["std"]), trainer.std)
    assert meta["sequential"] == sequential_source(net, width=10**6)

    x = raw_inputs(trainer)
    np.testing.assert_allclose(sequential_forward(tensors, meta, x), trainer.predict(x),
                               rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


@pytest.mark.parametrize("scenario", PRESETS, ids=lambda s: s.name)
def test_shipped_scenarios_round_trip_through_safetensors(tmp_path, scenario):
    trainer = preset(scenario, "float64")
    path = tmp_path / "model.safetensors"
    path.write_bytes(safetensors_export(trainer))
    x = raw_inputs(trainer)
    np.testing.assert_allclose(sequential_forward(*read(path), x), trainer.predict(x),
                               rtol=1e-12, atol=1e-12)


def test_sequential_source_and_the_keys_agree_on_module_indexes():
    net = Network([2, 3, 3, 1], ["relu", "leaky-relu"], "sigmoid", bias=False, dtype="float32")
    assert sequential_source(net, width=200) == (
        "nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU(), nn.Linear(3, 3, bias=False), "
        "nn.LeakyReLU(0.01), nn.Linear(3, 1, bias=False), nn.Sigmoid())")
    assert list(state_dict(net)) == ["0.weight", "2.weight", "4.weight"]

    net = Network([2, 4, 3], "linear", "softmax")
    assert sequential_source(net, width=200) == (
        "nn.Sequential(nn.Linear(2, 4), nn.Identity(), nn.Linear(4, 3), nn.Softmax(dim=1))"
        ".double()")
    assert list(state_dict(net)) == ["0.weight", "0.bias", "2.weight", "2.bias"]

    deep = Network([2] + [8] * 8 + [1], "tanh", "tanh")
    lines = sequential_source(deep).splitlines()
    assert lines[0] == "nn.Sequential(" and lines[-1] == ").double()" and len(lines) == 20
    assert all(len(line) <= 88 for line in lines)
    modules = [line.strip().rstrip(",") for line in lines[1:-1]]
    linears = {int(key.split(".")[0]) for key in state_dict(deep)}
    assert linears == {i for i, m in enumerate(modules) if m.startswith("nn.Linear")}


def test_safetensors_writer_aligns_its_header_and_packs_tensors_without_gaps():
    tensors = {"a": np.arange(6, dtype=np.float32).reshape(2, 3),
               "b": np.array([1.5, -2.0]), "n": np.array(7, dtype=np.int64),
               "empty": np.zeros((0, 3), np.float32)}
    data = safetensors_bytes(tensors, {"note": "hi"})
    length = int.from_bytes(data[:8], "little")
    assert (8 + length) % 8 == 0
    header = json.loads(data[8:8 + length])
    assert header["__metadata__"] == {"note": "hi"}
    assert [header[k]["dtype"] for k in tensors] == ["F32", "F64", "I64", "F32"]
    back = load_safetensors_bytes(data)
    for name, array in tensors.items():
        assert back[name].dtype == array.dtype and back[name].shape == array.shape
        np.testing.assert_array_equal(back[name], array)
    with pytest.raises(ValueError):
        safetensors_bytes({"c": np.zeros(2, np.complex64)})
    with pytest.raises(ValueError):
        safetensors_bytes({"a": tensors["a"]}, {"n": 1})


# --- the command -------------------------------------------------------------------------------


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def assert_refused(status, out, err, folder):
    assert status == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradstep: error: "), err
    assert not [p for p in folder.iterdir() if p.is_file()], "nothing may be written"
    return lines[0]


def scenario_trained(name):
    return preset(next(s for s in PRESETS if s.name == name), "float64")


@pytest.mark.parametrize("name", ["xor", "grades", "softmax-outputs", "house-prices"])
def test_export_a_scenario_trains_it_for_its_run_first(tmp_path, capsys, name):
    expected = scenario_trained(name)
    x = raw_inputs(expected)
    status, out, err = run(capsys, "export", name, tmp_path / "m.onnx")
    assert status == 0 and err == "" and out.startswith(f"wrote {tmp_path / 'm.onnx'}: ONNX")
    assert_onnx_matches(expected, (tmp_path / "m.onnx").read_bytes(), x)

    status, out, _ = run(capsys, "export", name, tmp_path / "m.safetensors")
    assert status == 0 and sequential_source(expected.network) in out
    assert ("mean and std" in out) == expected.settings.standardize
    tensors, meta = read(tmp_path / "m.safetensors")
    np.testing.assert_allclose(sequential_forward(tensors, meta, x), expected.predict(x),
                               rtol=1e-12, atol=1e-12)


def test_export_a_session_as_saved(tmp_path, capsys):
    trainer = build(CASES[2], "float32", steps=17)
    session = tmp_path / "s.gradstep.npz"
    save_session(session, trainer, Lesson("mine"))
    for suffix in FORMATS:
        status, out, _ = run(capsys, "export", session, tmp_path / f"out{suffix}")
        assert status == 0 and out.startswith("wrote")
    assert_onnx_matches(trainer, (tmp_path / "out.onnx").read_bytes(), raw_inputs(trainer))
    assert (tmp_path / "out.json").read_text() == weights_json(trainer.network)
    assert (tmp_path / "out.csv").read_text() == history_csv(trainer.history,
                                                             trainer_names(trainer))
    tensors, _ = read(tmp_path / "out.safetensors")
    np.testing.assert_array_equal(tensors["0.weight"], trainer.network.weights[0].T)


def test_a_scenario_toml_path_is_a_source(tmp_path, capsys):
    scenario = next(s for s in PRESETS if s.name == "plane")
    status, _, _ = run(capsys, "export", scenario.path, tmp_path / "w.json")
    assert status == 0
    expected = scenario_trained("plane")
    assert (tmp_path / "w.json").read_text() == weights_json(expected.network)


@pytest.mark.parametrize("out, words", [
    ("model.txt", "'.txt'; the suffix chooses it: .onnx, .safetensors, .json, .csv"),
    ("model", "no suffix"),
    ("model.onnx.bak", "'.bak'"),
])
def test_an_unknown_suffix_lists_the_allowed_ones(tmp_path, capsys, out, words):
    line = assert_refused(*run(capsys, "export", "plane", tmp_path / out), tmp_path)
    assert words in line


def test_an_unwritable_out_is_refused_before_training(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("gradstep.interchange.command.open_trained",
                        lambda source: pytest.fail("nothing is trained for a bad OUT"))
    folder = tmp_path / "m.onnx"
    folder.mkdir()
    assert "is a folder" in assert_refused(*run(capsys, "export", "plane", folder), tmp_path)
    line = assert_refused(*run(capsys, "export", "plane", tmp_path / "no" / "m.onnx"), tmp_path)
    assert "does not exist" in line
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert_refused(*run(capsys, "export", "plane", locked / "m.onnx"), locked)


def test_a_session_that_fails_to_load(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really")
    out = tmp_path / "out"
    out.mkdir()
    line = assert_refused(*run(capsys, "export", bad, out / "m.onnx"), out)
    assert str(bad) in line
    assert_refused(*run(capsys, "export", tmp_path / "missing.npz", out / "m.json"), out)


@pytest.mark.parametrize("source, words", [
    ("nosuch", "unknown scenario 'nosuch'"),
    ("bad.toml", "not valid TOML"),
    ("gone.toml", "file not found"),
])
def test_a_scenario_that_fails_to_load(tmp_path, capsys, source, words):
    (tmp_path / "bad.toml").write_text("[data\n")
    out = tmp_path / "out"
    out.mkdir()
    source = tmp_path / source if source.endswith(".toml") else source
    line = assert_refused(*run(capsys, "export", source, out / "m.safetensors"), out)
    assert words in line


def test_without_onnx_installed_one_line_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` now raises ImportError
    with monkeypatch.context() as patch:
        patch.setattr("gradstep.interchange.command.open_trained",
                      lambda source: pytest.fail("nothing is trained without the extra"))
        line = assert_refused(*run(capsys, "export", "plane", tmp_path / "m.onnx"), tmp_path)
    assert line == 'gradstep: error: writing .onnx needs the onnx package: ' \
                   'pip install "gradstep[onnx]"'
    status, out, _ = run(capsys, "export", "slope-two", tmp_path / "m.safetensors")
    assert status == 0 and out.startswith("wrote")  # the other formats need no extra


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, capsys, monkeypatch):
    out = tmp_path / "m.safetensors"
    out.write_bytes(b"old")

    def fail(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail)
    line = assert_one_line(*run(capsys, "export", "slope-two", out))
    assert "No space left" in line
    assert out.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == [out.name]


def test_a_failure_while_rendering_writes_nothing(tmp_path, capsys, monkeypatch):
    def broken(trainer):
        raise GradstepError("simulated")

    monkeypatch.setitem(FORMATS, ".onnx", dataclasses.replace(FORMATS[".onnx"], render=broken))
    assert "simulated" in assert_refused(*run(capsys, "export", "slope-two", tmp_path / "m.onnx"),
                                         tmp_path)
    assert list(tmp_path.iterdir()) == []


def assert_one_line(status, out, err):
    assert status == 2 and out == "" and len(err.splitlines()) == 1
    return err


def test_help_names_every_format(capsys):
    assert command.SUFFIXES == tuple(FORMATS)
    status, out, _ = run(capsys, "export", "--help")
    assert status == 0 and ", ".join(FORMATS) in " ".join(out.split())


def test_start_up_imports_no_format():
    code = "import sys, gradstep.cli; print(sorted(m for m in sys.modules if m.startswith(" \
           "('onnx', 'onnxruntime', 'safetensors', 'gradstep.interchange.'))))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "['gradstep.interchange.command']"
