"""benchmarks/bench_runtimes.py: the tables it prints from lesson 09's measurements."""

from __future__ import annotations

from pathlib import Path

import pytest

from smallnets_edu import deploy
from tests.helpers import load_script

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_runtimes.py"


@pytest.fixture(scope="module")
def bench():
    return load_script(BENCH, "bench_runtimes")


def row(model: str, fp32: float, int8: float, qat: float | None, control: float | None) -> dict:
    deployments = {
        deploy.label(runtime, bits): {
            "bytes": 4096 if bits == 32 else 1024,
            "latency_ms": 1.0,
            "accuracy": fp32 if bits == 32 else int8,
            "note": "",
        }
        for runtime, bits in deploy.CONFIGS
    }
    return {
        "model": model,
        "params": 1000,
        "macs": 2_000_000,
        "deployments": deployments,
        "accuracy_int8_per_tensor": int8 - 0.01,
        "accuracy_ort_int8_minmax": int8 - 0.02,
        "accuracy_int8_qat": qat,
        "accuracy_fp32_fine_tuned": control,
    }


def test_the_accuracy_table_shows_the_fixes_only_where_they_ran(bench):
    results = {
        "cpu": "test cpu",
        "threads": 2,
        "torch": "2.13.0",
        "versions": {"onnxruntime": "1.0"},
        "budget": "laptop",
        "dataset": "shapes",
        "rows": [row("effnet", 0.579, 0.50, 0.646, 0.684), row("mobilenet_v2", 0.779, 0.776, None, None)],
    }
    text = bench.markdown(results)
    assert "| effnet | 57.9% | 50.0% | 49.0% | 50.0% | 48.0% | 64.6% | 68.4% |" in text
    assert "| mobilenet_v2 | 77.9% | 77.6% | 76.6% | 77.6% | 75.6% | — | — |" in text
    assert "PyTorch int8 after QAT" in text and "fp32 after the same steps" in text
    assert any(line.startswith("| effnet | 2.0 | 1.00 |") for line in text.splitlines())  # latency table
    assert "Fallbacks: none" in text
