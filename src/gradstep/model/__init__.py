"""The numpy model: network, activations, losses, initializers, optimizers, constraints, readouts.

Nothing here imports Textual: the app and the command line are two faces over this core.
"""

from gradstep.model.network import MAX_PARAMETERS, Network

__all__ = ["MAX_PARAMETERS", "Network"]
