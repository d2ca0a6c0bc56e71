"""pyproject.toml's metadata is what setuptools takes without a deprecation warning.

`make demo` and `make test` install the package in editable mode; a deprecated field there
prints setuptools' warning on every fresh set-up. The metadata is applied here by setuptools
itself, as the build does, with every warning an error.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version
from setuptools.config.pyprojecttoml import apply_configuration, read_configuration
from setuptools.dist import Distribution

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_the_license_is_an_spdx_expression_that_setuptools_applies_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dist = apply_configuration(Distribution(), PYPROJECT)
    assert dist.metadata.license_expression == "MIT"


def test_the_build_requires_a_setuptools_that_understands_spdx_license_expressions() -> None:
    # SPDX strings in project.license came with setuptools 77; an older one refuses the file
    requires = read_configuration(PYPROJECT, expand=False)["build-system"]["requires"]
    (setuptools,) = [Requirement(r) for r in requires if Requirement(r).name == "setuptools"]
    assert not setuptools.specifier.contains(Version("76.2"))
    assert setuptools.specifier.contains(Version("77.0"))


def test_the_pages_scripts_and_styles_are_package_data_that_ships() -> None:
    data = read_configuration(PYPROJECT)["tool"]["setuptools"]["package-data"]
    root = PYPROJECT.parent
    for package, files in {
        "autograd": ["explorer.js", "explorer.css"],
        "nn": ["training_explorer.js", "training_explorer.css"],
    }.items():
        for name in files:
            assert (root / package / name).is_file()
            assert any(Path(name).match(pattern) for pattern in data[package])
