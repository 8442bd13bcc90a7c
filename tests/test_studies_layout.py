"""The studies package: ``showdown`` re-exports every public name, and its imports run one way."""

from __future__ import annotations

import subprocess
import sys

import pytest

from smallnets_edu import showdown
from smallnets_edu.studies import cache, common, contest, costs, guidelines, operators, pareto

STUDIES = (cache, costs, contest, pareto, operators, guidelines)


@pytest.mark.parametrize("module", STUDIES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_showdown_re_exports_every_public_function_and_class(module):
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        assert getattr(showdown, name, None) is obj, f"showdown.{name} is not {module.__name__}.{name}"


def test_showdown_keeps_its_constants_and_star_exports():
    assert showdown.cache_stats is cache.cache_stats  # one counter, wherever it is read
    assert showdown.HEADLINE is costs.HEADLINE and showdown.LABEL_PREFIX is operators.LABEL_PREFIX
    assert showdown.BATCH_SIZES == (1, 32) and showdown.SCHEMA == 1
    assert all(hasattr(showdown, name) for name in showdown.__all__)
    assert not hasattr(showdown, "_budget") and common._budget("smoke").name == "smoke"


def test_the_base_modules_do_not_import_the_studies_built_on_them():
    base = ("common", "cache", "costs", "pareto")
    upper = ("contest", "operators", "guidelines")
    code = (
        "import sys\n"
        + "".join(f"import smallnets_edu.studies.{m}\n" for m in base)
        + f"print([m for m in {upper!r} if 'smallnets_edu.studies.' + m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
