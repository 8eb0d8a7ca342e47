"""Exports that other tools read: an ONNX graph, a torch state dict in safetensors.

    formats.py           the formats by suffix (.onnx, .safetensors, .json, .csv); write_export
    layers.py            the network as a list of layers, and the inputs' standardization
    onnx_graph.py        the ONNX graph (the onnx package, an optional extra, imported lazily)
    sequential.py        the torch.nn.Sequential: its source, its state dict, the file's metadata
    safetensors_file.py  the safetensors format, written with numpy alone
    command.py           `gradstep export SOURCE OUT`

Nothing is imported here, so the command line's start-up pays only for command.py.
"""
