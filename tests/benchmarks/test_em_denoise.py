"""em_denoise: the simulated physics is falsifiable, the scores use the clean truth, and both entry points
work end to end on `tiny` data with a model that beats the noisy input."""

from __future__ import annotations

import math
from pathlib import Path

import h5py
import numpy as np
import pytest

from sciml_mlflow.core.context import HardwareProfile, Hyperparameters, RunContext
from sciml_mlflow.telemetry.phases import PhaseTimer
from sciml_mlflow.core.registry import get
from tests.metric_sink import RecordingSink


@pytest.fixture(scope="module")
def em():
    spec = get("em_denoise")
    return spec.load(), spec.load("dataset"), spec.load("physics"), spec.load("quality"), spec.load("classical")


@pytest.fixture(scope="module")
def tiny_root(em, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("em_sim") / "tiny"
    em[1].generate(root, "tiny", seed=0)
    return root


def _ctx(mode: str, root: Path, out: Path, sink: RecordingSink, epochs: int = 3, **options) -> RunContext:
    hp = Hyperparameters(epochs=epochs, batch_size=16, learning_rate=0.01, weight_decay=0.0, optimizer="adam",
                         early_stopping_patience=0, validation_fraction=0.15)  # fmt: skip
    hw = HardwareProfile("cpu", "cpu", 1, 1, "fp32", {}, None, 0)
    return RunContext("em_denoise", mode, root, out, out / "model", "cpu", 7, "tiny", "small", hp, hw, sink,
                      options=options, show_progress=False, phases=PhaseTimer(sink))  # fmt: skip


# --------------------------------------------------------------------------- generator and layout


def test_generator_writes_the_real_layout(em, tiny_root):
    _, dataset, *_ = em
    for split, n in (("train", 64), ("test", 16)):
        for name in ("graphene_img_noise.h5", "graphene_img_clean.h5"):
            with h5py.File(tiny_root / split / name, "r") as f:
                assert f["images"].shape == (n, 256, 256, 1) and f["images"].dtype == np.float32
                assert f.attrs["dose"] == pytest.approx(20.0)
    assert not [p for p in tiny_root.rglob("*") if "tmp" in p.name], "temporary files left behind"
    noisy, clean = dataset.load_split(tiny_root, "test")
    assert noisy.shape == clean.shape == (16, 256, 256)
    assert 0.0 <= clean.min() and clean.max() <= 1.0  # documented: data_range = 1
    assert abs(float(noisy.mean() - clean.mean())) < 0.01  # same units: noisy is unbiased for clean
    assert set(dataset.SCALES) >= {"tiny", "small", "full"}


def test_inference_folders_are_the_originals_raw_and_truth(em, tiny_root, tmp_path):
    """SciMLBench's em_denoise inference reads ``<dataset>/raw`` and ``<dataset>/truth`` image by image
    (skimage.io.imread); the generator writes the test pairs so, and inference reads them back unchanged."""
    _, dataset, *_ = em
    folder = dataset.inference_folder(tiny_root)
    assert folder == tiny_root / "inference"
    for sub in ("raw", "truth"):
        names = sorted(p.name for p in (folder / sub).iterdir())
        assert names == [f"graphene_{i:05d}.tif" for i in range(16)], sub
    import skimage.io
    one = skimage.io.imread(folder / "raw" / "graphene_00003.tif")
    assert one.shape == (256, 256) and one.dtype == np.float32
    noisy, clean, _ = dataset.load_inference(folder)
    test_noisy, test_clean = dataset.load_split(tiny_root, "test")
    assert np.array_equal(noisy, test_noisy) and np.array_equal(clean, test_clean)
    # a folder whose names do not pair up is refused, naming the problem
    bad = tmp_path / "bad"
    dataset.write_inference_folders(bad, noisy[:2], clean[:2])
    (bad / "truth" / "graphene_00001.tif").rename(bad / "truth" / "other.tif")
    with pytest.raises(ValueError, match="different file names"):
        dataset.load_inference(bad)


def test_generator_is_deterministic_per_seed(em):
    physics = em[2]
    mic = physics.Microscope()
    a = physics.clean_images(np.random.default_rng(5), 2, mic)
    b = physics.clean_images(np.random.default_rng(5), 2, mic)
    c = physics.clean_images(np.random.default_rng(6), 2, mic)
    assert np.array_equal(a, b) and not np.allclose(a, c)


# --------------------------------------------------------------------------- physics


def _radial_power(img: np.ndarray) -> np.ndarray:
    f = np.abs(np.fft.fftshift(np.fft.fft2(img - img.mean()))) ** 2
    y, x = np.indices(img.shape) - np.array(img.shape)[:, None, None] // 2
    r = np.rint(np.hypot(x, y)).astype(int)
    return np.bincount(r.ravel(), f.ravel()) / np.bincount(r.ravel())


def test_lattice_periodicity_at_the_graphene_frequency(em):
    physics = em[2]
    clean = physics.clean_images(np.random.default_rng(1), 3, physics.Microscope())
    expected = physics.SIZE * physics.PIXEL_SIZE * physics.honeycomb_peak_frequency()  # ~12 cycles per image
    for img in clean:
        power = _radial_power(img)
        peak = 5 + int(np.argmax(power[5:60]))  # above the beam profile's low frequencies
        assert abs(peak - expected) <= 1, (peak, expected)
        assert power[peak] > 20 * np.median(power[5:60])  # a sharp lattice reflection, not a bump


def test_shot_noise_variance_scales_like_poisson(em):
    physics = em[2]
    clean = np.full((4, 256, 256), 0.5)
    rng = np.random.default_rng(0)
    var = {}
    for dose in (10.0, 40.0):
        mic = physics.Microscope(dose=dose, read_noise=0.0, dead_pixel_fraction=0.0)
        noisy = physics.detect(rng, clean, mic)
        assert noisy.mean() == pytest.approx(0.5, rel=0.01)  # unbiased
        var[dose] = noisy.var()
        assert var[dose] == pytest.approx(0.5 / dose, rel=0.03)  # Var(counts/dose) = clean/dose
    assert var[10.0] / var[40.0] == pytest.approx(4.0, rel=0.05)
    with_read = physics.detect(rng, clean, physics.Microscope(dose=10.0, read_noise=2.0, dead_pixel_fraction=0.0))
    assert with_read.var() == pytest.approx(0.5 / 10 + (2.0 / 10) ** 2, rel=0.03)


def test_dead_pixels_read_zero(em, tiny_root):
    physics, dataset = em[2], em[1]
    noisy, clean = dataset.load_split(tiny_root, "train", limit=16)
    dead = (noisy == 0.0) & (clean > 0.1)  # a live pixel with signal and read noise is never exactly 0
    expected = physics.Microscope().dead_pixel_fraction
    assert dead.mean() == pytest.approx(expected, rel=0.25)


# --------------------------------------------------------------------------- scores


def test_scores_are_against_the_clean_truth(em):
    quality = em[3]
    from skimage.metrics import peak_signal_noise_ratio

    rng = np.random.default_rng(0)
    clean = rng.random((3, 64, 64))
    pred = clean + rng.normal(0, 0.05, clean.shape)
    assert np.all(np.isinf(quality.psnr_per_image(clean, clean, 1.0)))
    assert np.allclose(quality.ssim_per_image(clean, clean, 1.0), 1.0)
    independent = [peak_signal_noise_ratio(c, p, data_range=1.0) for c, p in zip(clean, pred)]
    assert np.allclose(quality.psnr_per_image(pred, clean, 1.0), independent)
    mse = np.mean((pred - clean) ** 2, axis=(1, 2))
    assert np.allclose(quality.psnr_per_image(pred, clean, 2.0), 10 * np.log10(4.0 / mse))
    # pooled: one PSNR of all pixels together (skimage on the stacked split), not the mean of per-image PSNRs
    pred[0] += rng.normal(0, 0.2, clean[0].shape)  # one bad image pulls the two apart
    got = quality.summary(pred, clean, 1.0, "test", ssim=False)
    assert got["test_psnr_pooled"] == pytest.approx(peak_signal_noise_ratio(clean, pred, data_range=1.0))
    assert got["test_psnr"] > got["test_psnr_pooled"] + 1.0
    s = quality.summary(pred, clean, 1.0, "x")
    assert set(s) == {"x_mse", "x_psnr", "x_psnr_pooled", "x_ssim"} and 0 < s["x_ssim"] < 1
    with pytest.raises(ValueError, match="data_range"):
        quality.psnr_per_image(pred, clean, 0.0)


def test_classical_filter_is_tuned_and_beats_the_noisy_input(em, tiny_root):
    dataset, quality, classical = em[1], em[3], em[4]
    noisy, clean = dataset.load_split(tiny_root, "train", limit=12)
    filt = classical.tune(noisy[:8], clean[:8])
    assert filt.sigma > 0
    gain = quality.psnr_per_image(filt.apply(noisy[8:]), clean[8:], 1.0) - quality.psnr_per_image(noisy[8:], clean[8:], 1.0)
    assert np.all(gain > 5.0), gain


# --------------------------------------------------------------------------- entry points


def test_train_then_inference_on_tiny(em, tiny_root, tmp_path):
    benchmark, dataset, _, quality, _ = em
    sink = RecordingSink()
    benchmark.train(_ctx("train", tiny_root, tmp_path, sink, crop_size=64, crops_per_image=8))
    h = sink.metrics
    for name in ("train_loss", "val_loss", "val_psnr", "val_ssim", "epoch_elapsed_s", "samples_seen"):
        assert [s for s, _ in h[name]] == [1, 2, 3], name
    for name in ("test_mse", "test_psnr", "test_ssim", "train_throughput_samples_per_s",
                 "inference_throughput_samples_per_s", "baseline_noisy_test_psnr", "baseline_noisy_test_ssim",
                 "baseline_noisy_test_mse", "baseline_filter_test_psnr", "baseline_filter_test_ssim",
                 "baseline_filter_test_mse"):  # fmt: skip
        assert math.isfinite(sink.last(name)) and (sink.last(name) > 0 or "mse" in name), name
    assert sink.last("samples_seen") == 3 * 8 * sink.last("train_samples")
    assert {"system/time_training_s", "system/time_evaluation_s", "system/time_data_loading_s"} <= set(h)
    # the weaker but real bar on tiny data: clearly better than the noisy input it was given
    assert sink.last("test_psnr") > sink.last("baseline_noisy_test_psnr") + 5.0
    assert sink.last("test_ssim") > sink.last("baseline_noisy_test_ssim")
    assert (tmp_path / "model" / "em_denoise.pt").is_file()

    isink = RecordingSink()
    benchmark.inference(_ctx("inference", tiny_root, tmp_path, isink, previews=2))
    for name in ("inference_mse", "inference_psnr", "inference_ssim", "inference_throughput_samples_per_s"):
        assert math.isfinite(isink.last(name)) and isink.last(name) > 0, name
    assert isink.last("inference_psnr") == pytest.approx(sink.last("test_psnr"), abs=1e-3)  # same model, same data
    previews = sorted((tmp_path / "artifacts" / "previews").glob("*.png"))
    assert [p.name for p in previews] == ["preview_0.png", "preview_1.png"]
    assert previews[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with h5py.File(tmp_path / "artifacts" / "test" / "graphene_img_denoised.h5", "r") as f:
        denoised = f["images"][:, :, :, 0]
    noisy, clean = dataset.load_split(tiny_root, "test")
    # the logged score is the denoised output against the CLEAN truth, not against the noisy input
    assert isink.last("inference_psnr") == pytest.approx(quality.psnr_per_image(denoised, clean, 1.0).mean(), abs=1e-3)
    assert abs(isink.last("inference_psnr") - quality.psnr_per_image(denoised, noisy, 1.0).mean()) > 1.0


def test_bad_options_and_missing_model_fail_clearly(em, tiny_root, tmp_path):
    benchmark = em[0]
    with pytest.raises(ValueError, match="unknown option.*dose_typo"):
        benchmark.train(_ctx("train", tiny_root, tmp_path, RecordingSink(), dose_typo=1))
    with pytest.raises(ValueError, match="crop_size"):
        benchmark.train(_ctx("train", tiny_root, tmp_path, RecordingSink(), crop_size=100))
    with pytest.raises(FileNotFoundError, match="no trained model"):
        benchmark.inference(_ctx("inference", tiny_root, tmp_path / "empty", RecordingSink()))
    with pytest.raises(FileNotFoundError, match="graphene_img_noise.h5"):
        benchmark.train(_ctx("train", tmp_path / "no_data", tmp_path, RecordingSink()))


def test_card_composes_against_the_schema(compose_cfg):
    cfg = compose_cfg("benchmark=em_denoise", tiny=False)
    assert cfg.benchmark.name == "em_denoise" and cfg.benchmark.dataset.name == "em_sim"
    assert cfg.benchmark.model in ("reference", "small") and cfg.benchmark.target.metric == "val_psnr"
    assert set(cfg.benchmark.options) <= set(get("em_denoise").load().DEFAULT_OPTIONS)


# --------------------------------------------------------------------------- difficulty panel


def test_panel_on_tiny_tunes_filters_on_train_and_scores_test(em, tiny_root):
    panel = get("em_denoise").load("panel")
    quality = em[3]
    got = panel.learners(tiny_root, seed=0)
    assert panel.METRIC == "test_psnr"
    assert set(got) == {"noisy_input", "gaussian", "median_gaussian", "nl_means"}
    _, dataset, *_ = em
    noisy, clean = dataset.load_split(tiny_root, "test")
    assert got["noisy_input"] == pytest.approx(quality.psnr_per_image(noisy, clean, 1.0).mean())
    for name in ("gaussian", "median_gaussian", "nl_means"):  # tuned filters clearly beat doing nothing
        assert got[name] > got["noisy_input"] + 5.0, (name, got)
