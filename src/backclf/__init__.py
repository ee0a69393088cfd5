"""backclf: what is causing this sudden lower back soreness, and what should the person do now?"""

__version__ = "0.1.0"
#: Version of the assessment contract (docs/contract.md); bumped only on breaking changes.
SCHEMA_VERSION = "1"
