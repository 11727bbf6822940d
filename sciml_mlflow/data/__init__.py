"""Datasets: cards, staging (DVC fetch from mirrors / generate), verification, and recording in the run.

Public API (imports are lazy so ``sciml-mlflow --help`` stays fast): ``prepare``, ``stage_dataset``,
``StagedDataset`` (staging), ``get_card``/``list_cards`` (card), ``log_dataset_input`` (record).
"""
