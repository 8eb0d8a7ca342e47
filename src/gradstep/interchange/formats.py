"""The export formats, chosen by the output file's suffix.

    .onnx          the network as an ONNX graph taking raw inputs (onnx_graph; needs the onnx
                   extra: pip install "gradstep[onnx]")
    .safetensors   the state dict of a torch.nn.Sequential (sequential, safetensors_file)
    .json          the weights JSON that scenario files take back (gradstep.export)
    .csv           the loss history (gradstep.export)

Every format is rendered to bytes first and then written atomically, so a failure at any point
leaves no file and no temporary file behind. Only numpy is imported here; onnx is imported when
an ONNX graph is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gradstep.errors import GradstepError
from gradstep.names import trainer_names
from gradstep.export import history_csv, weights_json
from gradstep.files import atomic_write
from gradstep.files import shown as shown_path
from gradstep.interchange.layers import standardization
from gradstep.interchange.onnx_graph import INPUT, OPSET, OUTPUT, onnx_export, require_onnx
from gradstep.interchange.sequential import safetensors_export, sequential_source

__all__ = ["FORMATS", "Format", "format_for", "write_export"]


@dataclass(frozen=True)
class Format:
    render: Callable[[object], bytes]     # trainer -> the whole file
    describe: Callable[[object], str]     # trainer -> what was written, for the person
    check: Callable[[], object] = lambda: None  # raises GradstepError when an extra is missing


def _describe_onnx(trainer) -> str:
    net = trainer.network
    inputs = "raw inputs" if standardization(trainer) is None else \
        "raw inputs, standardized in the graph"
    return (f"ONNX opset {OPSET}, input {INPUT!r} {net.dtype.name} (batch, {net.sizes[0]}) "
            f"of {inputs}, output {OUTPUT!r} (batch, {net.sizes[-1]})")


def _describe_safetensors(trainer) -> str:
    text = f"the state dict of this torch model (from torch import nn):\n" \
           f"{sequential_source(trainer.network)}"
    if standardization(trainer) is not None:
        text += "\nIt takes standardized inputs, model((x - mean) / std): mean and std are " \
                "in the file's metadata."
    return text


FORMATS: dict[str, Format] = {
    ".onnx": Format(onnx_export, _describe_onnx, require_onnx),
    ".safetensors": Format(safetensors_export, _describe_safetensors),
    ".json": Format(lambda t: weights_json(t.network).encode("utf-8"),
                    lambda t: "the weights JSON (a scenario's [network] table takes it back)"),
    ".csv": Format(lambda t: history_csv(t.history, trainer_names(t)).encode("utf-8"),
                   lambda t: f"the loss history, {len(t.history)} evaluations"),
}
"""Formats by suffix; a new one is one more entry here."""


def format_for(path: str | Path) -> Format:
    """The format a file name's suffix names; GradstepError listing the allowed ones."""
    suffix = Path(str(path)).suffix.lower()
    if suffix not in FORMATS:
        shown = repr(suffix) if suffix else "no suffix"
        raise GradstepError(f"{shown_path(path)}: cannot tell the format from {shown}; the "
                            f"suffix chooses it: {', '.join(FORMATS)}")
    return FORMATS[suffix]


def write_export(trainer, path: str | Path, fmt: Format | None = None,
                 force: bool = False) -> Format:
    """Render the trainer in `path`'s format and write it atomically (`force`: even over a
    read-only file); returns the format."""
    fmt = fmt or format_for(path)
    fmt.check()
    data = fmt.render(trainer)
    atomic_write(path, lambda f: f.write(data), force)
    return fmt
