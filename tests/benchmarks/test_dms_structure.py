"""dms_structure: the generator writes the real layout with the physics it claims, and train/inference
run end to end on tiny data, learn something, and score honestly."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any, Tuple

import h5py
import numpy as np
import pytest

from sciml_mlflow.core.context import HardwareProfile, Hyperparameters, RunContext
from sciml_mlflow.core.registry import get
from tests.metric_sink import RecordingSink

SPEC = get("dms_structure")
dataset = SPEC.load("dataset")
physics = SPEC.load("physics")
scores = SPEC.load("scores")
benchmark = SPEC.load()


def make_ctx(data_dir: Path, out: Path, mode: str, sink: RecordingSink, epochs: int = 3, **options: Any) -> RunContext:
    return RunContext(
        benchmark="dms_structure",
        mode=mode,
        data_dir=data_dir,
        output_dir=out,
        model_dir=out / "model",
        device="cpu",
        seed=7,
        scale="tiny",
        model="small",
        hparams=Hyperparameters(epochs, 16, 1e-3, 1e-4, "adamw", 10, 0.15),
        hardware=HardwareProfile("cpu", "cpu", 1, 1, "fp32", {}, None, 0),
        metrics=sink,
        options=options,
        show_progress=False,
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dms_tiny")
    written = dataset.generate(root, "tiny", seed=0)
    assert sorted(p.relative_to(root).as_posix() for p in written) == [dataset.BINARY_FILE, dataset.MULTILABEL_FILE]
    return root


@pytest.fixture(scope="module")
def trained(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, RecordingSink, RecordingSink]:
    out = tmp_path_factory.mktemp("dms_run")
    train_sink, inf_sink = RecordingSink(), RecordingSink()
    benchmark.train(make_ctx(tiny, out, "train", train_sink))
    benchmark.inference(make_ctx(tiny, out, "inference", inf_sink))
    return out, train_sink, inf_sink


# --------------------------------------------------------------------------- data and physics


def test_generator_writes_the_real_layout(tiny: Path) -> None:
    counts = dataset.SCALES["tiny"]
    with h5py.File(tiny / "training" / "data-binary.h5", "r") as f:
        for split in ("train", "test"):
            images, labels = f[f"{split}/images"], f[f"{split}/labels"][:]
            assert images.shape == (counts[split], 487, 195, 3) and images.dtype == np.float32
            assert labels.shape == (counts[split], 1) and labels.dtype == np.float32  # one per pattern (real layout)
            assert set(np.unique(labels)) == {0.0, 1.0}  # class index: 0 monoclinic, 1 tetragonal
            assert labels.sum() == counts[split] / 2  # balanced
            sample = images[:8]
            assert np.isfinite(sample).all() and 0.0 < sample.mean() < 5.0
    with h5py.File(tiny / "training" / "data-multilabel.h5", "r") as f:
        labels = f["train/labels"][:]
        assert labels.shape == (counts["multilabel_train"], len(dataset.PHASES))
        assert set(np.unique(labels)) == {0.0, 1.0} and labels.sum(axis=1).min() >= 1
        assert f["test/images"].shape == (counts["multilabel_test"], 487, 195, 3)
    assert not list((tiny / "training").glob(".*tmp*")), "temporary files left behind"


def test_generator_is_deterministic(tmp_path: Path) -> None:
    counts = {**dataset.SCALES["tiny"], "train": 2, "test": 2}
    a = dataset._write_file(tmp_path / "a.h5", counts, 3, False, workers=1)
    b = dataset._write_file(tmp_path / "b.h5", counts, 3, False, workers=2)
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        assert np.array_equal(fa["train/images"][:], fb["train/images"][:])


def test_tetragonal_lines_keep_the_mirror_that_monoclinic_breaks() -> None:
    """Tetragonal (4/mmm) with c on the detector normal: both detector mirrors hold.  Monoclinic
    (b-unique, 2/m): the mirror perpendicular to b (detector axis 1) holds, the other one breaks."""
    ident = np.eye(3)
    tet = physics.render_lines(physics.Lattice(4.0, 4.0, 4.12), ident)
    mono = physics.render_lines(physics.Lattice(4.0, 4.0, 4.12, beta=90.5), ident)
    assert physics.mirror_asymmetry(tet, axis=0) < 1e-4
    assert physics.mirror_asymmetry(tet, axis=1) < 1e-4
    assert physics.mirror_asymmetry(mono, axis=1) < 1e-4
    assert physics.mirror_asymmetry(mono, axis=0) > 0.2
    # the distortion must move lines, not just rescale them
    assert np.abs(tet - mono).max() > 0.3 * tet.max()


def test_generated_tetragonal_patterns_are_more_mirror_symmetric(tiny: Path) -> None:
    with h5py.File(tiny / "training" / "data-binary.h5", "r") as f:
        images, labels = f["train/images"][:40], f["train/labels"][:40]
    asym = np.array([physics.mirror_asymmetry(img.mean(axis=-1), axis=0) for img in images])
    tetragonal = labels[:, 0] == dataset.CLASSES.index("tetragonal")
    assert np.median(asym[tetragonal]) < np.median(asym[~tetragonal])


def test_lattice_basis_is_consistent() -> None:
    lat = physics.Lattice(4.0, 4.1, 4.2, beta=91.0)
    assert np.allclose(lat.real_basis().T @ lat.reciprocal_basis(), 2 * np.pi * np.eye(3))


# --------------------------------------------------------------------------- scores


def test_accuracy_uses_argmax_not_summed_probabilities() -> None:
    labels = np.array([[1, 0], [0, 1], [0, 1]], dtype=np.float32)
    logits = np.array([[-1.0, 2.0], [3.0, 0.0], [0.0, 1.0]])  # wrong, wrong, right
    pred, true = scores.predict(logits, False), scores.truth(labels, False)
    assert scores.accuracy(pred, true) == pytest.approx(1 / 3)


def test_hamming_exact_match_and_f1_are_what_they_say() -> None:
    true = np.array([[1, 0, 0, 1], [0, 1, 0, 0]])
    pred = np.array([[1, 0, 0, 0], [0, 1, 0, 0]])  # 7 of 8 labels right, 1 of 2 rows right
    assert scores.accuracy(pred, true) == pytest.approx(7 / 8)
    assert scores.exact_match(pred, true) == pytest.approx(1 / 2)
    # binary F1 of monoclinic (class 0): tp 1, fp 1, fn 1 -> 0.5
    assert scores.binary_f1(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), 0) == pytest.approx(0.5)


def test_labels_one_per_pattern_are_one_hot_encoded_and_one_hot_files_refused() -> None:
    assert dataset.one_hot(np.array([[0.0], [1.0], [1.0]], dtype=np.float32), "x").tolist() == [[1, 0], [0, 1], [0, 1]]
    assert dataset.one_hot(np.array([1, 0], dtype=np.int64), "x").tolist() == [[0, 1], [1, 0]]
    with pytest.raises(ValueError, match=r"expected one label per pattern, \(N, 1\)"):
        dataset.one_hot(np.eye(2, dtype=np.float32), "f.h5:train/labels")
    with pytest.raises(ValueError, match="expected class indices"):
        dataset.one_hot(np.array([[2.0]]), "f.h5:train/labels")


def test_majority_baseline_uses_train_labels() -> None:
    train = np.eye(2, dtype=np.float32)[[0, 0, 0, 1]]
    test = np.eye(2, dtype=np.float32)[[1, 1, 0]]
    assert scores.majority_baseline(train, test, False)["baseline_test_accuracy"] == pytest.approx(1 / 3)


# --------------------------------------------------------------------------- train and inference


def test_training_logs_finite_metrics_per_epoch(trained: Tuple[Path, RecordingSink, RecordingSink]) -> None:
    _, sink, _ = trained
    per_epoch = ["train_loss", "train_accuracy", "val_loss", "val_accuracy", "epoch_elapsed_s", "samples_seen"]
    for name in per_epoch:
        assert [s for s, _ in sink.metrics[name]] == [1, 2, 3], name
    for name in per_epoch + ["train_throughput_samples_per_s", "test_accuracy", "test_loss", "baseline_test_accuracy"]:
        assert all(math.isfinite(v) for _, v in sink.metrics[name]), name
    elapsed = [v for _, v in sink.metrics["epoch_elapsed_s"]]
    assert elapsed == sorted(elapsed) and sink.last("train_throughput_samples_per_s") > 0
    assert sink.last("samples_seen") == 3 * sink.last("train_samples")


def test_trained_model_beats_the_majority_baseline(trained: Tuple[Path, RecordingSink, RecordingSink]) -> None:
    _, sink, _ = trained
    assert sink.last("baseline_test_accuracy") == pytest.approx(0.5)
    assert sink.last("test_accuracy") >= 0.7


def test_model_files_are_written(trained: Tuple[Path, RecordingSink, RecordingSink]) -> None:
    out, _, _ = trained
    meta = SPEC.load("model").ModelMeta.load(out / "model")
    assert (out / "model" / "model.pt").is_file()
    assert meta.variant == "small" and meta.input_shape == (487, 195, 3) and meta.n_classes == 2
    assert len(meta.mean) == 3 and all(s > 0 for s in meta.std)


def test_inference_accuracy_matches_the_predictions_file(trained: Tuple[Path, RecordingSink, RecordingSink]) -> None:
    out, train_sink, sink = trained
    with (out / "artifacts" / "predictions.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == dataset.SCALES["tiny"]["test"] == sink.last("inference_samples")
    independent = np.mean([int(r["pred"]) == int(r["true"]) for r in rows])
    assert sink.last("inference_accuracy") == pytest.approx(independent)
    assert sink.last("inference_accuracy") == pytest.approx(train_sink.last("test_accuracy"))
    assert sink.last("inference_throughput_samples_per_s") > 0


def test_predictions_file_labels_match_the_data(trained: Tuple[Path, RecordingSink, RecordingSink], tiny: Path) -> None:
    out, _, _ = trained
    with (out / "artifacts" / "predictions.csv").open() as fh:
        true = [int(r["true"]) for r in csv.DictReader(fh)]
    with h5py.File(tiny / "training" / "data-binary.h5", "r") as f:
        assert true == f["test/labels"][:].reshape(-1).astype(int).tolist()


def test_multi_label_case(tiny: Path, tmp_path: Path) -> None:
    sink, inf = RecordingSink(), RecordingSink()
    benchmark.train(make_ctx(tiny, tmp_path, "train", sink, epochs=2, multi_label=True))
    names = ["val_macro_f1", "test_macro_f1", "baseline_test_macro_f1", "test_hamming_accuracy",
             "test_exact_match_accuracy", "baseline_test_exact_match_accuracy"] + [f"test_f1_{p}" for p in dataset.PHASES]
    for name in names:
        assert 0.0 <= sink.last(name) <= 1.0, name
    assert "test_accuracy" not in sink.metrics  # a per-label accuracy is named for what it is
    assert sink.last("test_exact_match_accuracy") <= sink.last("test_hamming_accuracy")
    benchmark.inference(make_ctx(tiny, tmp_path, "inference", inf, multi_label=True))
    with (tmp_path / "artifacts" / "predictions.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    pred = np.array([[int(r[f"pred_{p}"]) for p in dataset.PHASES] for r in rows])
    true = np.array([[int(r[f"true_{p}"]) for p in dataset.PHASES] for r in rows])
    assert inf.last("inference_hamming_accuracy") == pytest.approx(np.mean(pred == true))
    assert inf.last("inference_exact_match_accuracy") == pytest.approx(np.mean(np.all(pred == true, axis=1)))


def test_unknown_option_fails_clearly(tiny: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown option"):
        benchmark.train(make_ctx(tiny, tmp_path, "train", RecordingSink(), multi_labels=True))


# --------------------------------------------------------------------------- difficulty panel


def test_best_threshold_finds_the_one_separating_feature() -> None:
    panel = SPEC.load("panel")
    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    x = rng.normal(size=(40, 5))
    x[:, 3] = np.where(y == 1, -1.0, 1.0) + 0.1 * rng.normal(size=40)  # class 1 below: direction matters
    f, thr, above = panel._best_threshold(x, y)
    assert f == 3 and not above and -1.0 < thr < 1.0
    assert np.array_equal(((x[:, f] > thr) == above).astype(int), y)


def test_panel_on_tiny_scores_every_learner_on_test(tiny: Path) -> None:
    panel = SPEC.load("panel")
    got = panel.learners(tiny, seed=0)
    assert panel.METRIC == "test_accuracy"
    assert set(got) == {"majority", "best_threshold", "logistic_regression"}
    assert got["majority"] == pytest.approx(0.5)  # balanced test split
    assert all(0.0 <= v <= 1.0 for v in got.values()), got
    # on the test split's 48 patterns every score is a multiple of 1/48 (scored once, on test)
    assert all(abs(v * 48 - round(v * 48)) < 1e-9 for v in got.values()), got
