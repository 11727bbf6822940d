"""Datasets: cards, staging (DVC pull / generate), verification, and recording in the run."""
