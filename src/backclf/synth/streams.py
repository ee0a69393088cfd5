"""Counter-based random streams: row ``i`` of a generated set draws its own uniforms.

Each row has ``DRAWS_PER_ROW`` uniforms from a Philox stream keyed by ``(seed, stream)`` and
advanced to the row, so any chunking gives identical rows, and the findings and the text of a
row use separate streams.
"""

from __future__ import annotations

import numpy as np
from numpy.random import Generator, Philox, SeedSequence

#: Uniform draws reserved per row; a multiple of 4 (Philox yields 4 at a time).
DRAWS_PER_ROW = 128
STREAM_FINDINGS = 0
STREAM_TEXT = 1


def draws(seed: int, stream: int, start: int, n: int) -> np.ndarray:
    """The ``(n, DRAWS_PER_ROW)`` uniforms of rows ``start .. start + n``."""
    bit_generator = Philox(SeedSequence([seed, stream]))
    bit_generator.advance(start * DRAWS_PER_ROW // 4)
    return Generator(bit_generator).random((n, DRAWS_PER_ROW))
