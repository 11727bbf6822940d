"""The run spine: locating resources, discovering benchmarks, the run context and the runner."""
