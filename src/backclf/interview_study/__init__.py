"""The question policy under simulated interviews (DVC stage ``evaluate_interview``):
generated patients answer backclf's questions from their own findings, and the interviews are
scored against the full form. Beside :mod:`backclf.pipeline`, not in it: it needs only the
core, the contract and numpy (matplotlib, lazily, for its plot)."""
