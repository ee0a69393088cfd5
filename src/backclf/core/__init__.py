"""The decision: features, the readable model, red flags, assess, explanation."""
