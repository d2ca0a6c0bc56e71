"""nn.data.load_digits: scikit-learn's bundled 8x8 digits, as arrays ready to train on."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np
import pytest

import nn


def _bundled_csv() -> np.ndarray:
    """The file scikit-learn ships, read directly: 64 pixel counts then the label."""
    import sklearn

    path = Path(sklearn.__file__).parent / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(path, "rt") as f:
        return np.loadtxt(f, delimiter=",")


def test_load_digits_gives_every_image_scaled_to_the_unit_interval_with_its_label() -> None:
    X, y = nn.data.load_digits()
    raw = _bundled_csv()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    np.testing.assert_array_equal(X * 16.0, raw[:, :64])
    np.testing.assert_array_equal(y, raw[:, 64].astype(np.int64))
    assert X.min() == 0.0 and X.max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))
    assert np.bincount(y).min() >= 170  # about 180 images of each digit


def test_load_digits_says_what_to_install_when_scikit_learn_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        nn.data.load_digits()
