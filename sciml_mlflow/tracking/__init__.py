"""Everything that talks to MLflow: store setup, params, tags, buffered metrics."""
