"""The DVC pipeline's library (needs the ``pipeline`` extra): params, training, metrics, MLflow."""
