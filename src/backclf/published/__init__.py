"""The published champion model file (written by the DVC stage `publish`)."""
