"""One collector per resource; each module exposes ``COLLECTOR`` (a class meeting telemetry.collector.Collector)."""
