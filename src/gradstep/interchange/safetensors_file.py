"""The safetensors file format, written with numpy alone (no extra package needed).

A file is an 8-byte little-endian header length N, then N bytes of JSON, then the tensors' raw
bytes back to back. The JSON maps each tensor's name to its dtype ("F32"), shape and
data_offsets [begin, end) into the bytes that follow the header; an optional "__metadata__"
entry maps strings to strings. Readers insist the offsets cover the data with no gap, and the
header is padded with spaces so the data starts on an 8-byte boundary, as the reference
writer does. https://github.com/huggingface/safetensors#format
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping

import numpy as np

DTYPES = {"float32": "F32", "float64": "F64", "int64": "I64"}


def safetensors_bytes(tensors: Mapping[str, np.ndarray],
                      metadata: Mapping[str, str] | None = None) -> bytes:
    """The whole file: tensors in the order given, values little-endian and row-major."""
    header: dict[str, object] = {}
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError("safetensors metadata maps strings to strings")
        header["__metadata__"] = dict(metadata)
    chunks, offset = [], 0
    for name, array in tensors.items():
        array = np.asarray(array)
        if array.dtype.name not in DTYPES:
            raise ValueError(f"{name}: dtype {array.dtype} is not one of {', '.join(DTYPES)}")
        data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": DTYPES[array.dtype.name], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)
