"""The Textual app: a face over the trainer. Widgets read the trainer and send it commands."""
