import pytest

from smallnets_edu import budget


def test_environment_variable_selects_the_budget(monkeypatch):
    for name in ("smoke", "laptop", "gpu", "full"):
        monkeypatch.setenv(budget.ENV_VAR, name.upper())
        assert budget.current().name == name


def test_default_depends_on_the_gpu(monkeypatch):
    import torch

    monkeypatch.delenv(budget.ENV_VAR, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert budget.current().name == "laptop"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert budget.current().name == "gpu"  # minutes per training; the 200-epoch budget only when asked


def test_budgets_grow_from_smoke_to_full():
    smoke, laptop, gpu, full = (budget.BUDGETS[n] for n in ("smoke", "laptop", "gpu", "full"))
    assert smoke.epochs < laptop.epochs < gpu.epochs < full.epochs
    assert smoke.train_size < laptop.train_size and gpu.train_size is None and full.train_size is None
    # The gpu budget keeps the laptop's rate per image (linear scaling with the batch).
    assert gpu.lr / gpu.batch_size == pytest.approx(laptop.lr / laptop.batch_size)


def test_unknown_budget_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(budget.ENV_VAR, "huge")
    with pytest.raises(ValueError, match=r"unknown budget 'huge'.*smoke, laptop, gpu, full"):
        budget.current()
