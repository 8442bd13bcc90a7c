"""The spiral demo (MobileNetV2 Figure 1): what "recoverable" means, checked against linear algebra."""

import numpy as np
import pytest

from smallnets_edu import relu_spiral


def test_spiral_is_a_spiral_around_the_origin():
    xy = relu_spiral.spiral(300, turns=2.0)
    assert xy.shape == (300, 2)
    radius = np.linalg.norm(xy, axis=1)
    assert np.all(np.diff(radius) > 0)  # moves outwards along the curve
    angle = np.unwrap(np.arctan2(xy[:, 1], xy[:, 0]))
    assert angle[-1] - angle[0] == pytest.approx(2 * 2 * np.pi, rel=1e-6)


def test_embedding_is_seeded_per_dimension():
    assert np.array_equal(relu_spiral.embedding(5, seed=3), relu_spiral.embedding(5, seed=3))
    assert not np.array_equal(relu_spiral.embedding(5, seed=3), relu_spiral.embedding(5, seed=4))
    assert relu_spiral.embedding(15).shape == (15, 2)


def test_round_trip_is_relu_then_pseudo_inverse():
    xy = relu_spiral.spiral(200)
    trip = relu_spiral.round_trip(xy, 7, seed=1)
    t = relu_spiral.embedding(7, seed=1)
    assert np.allclose(trip.embedded, np.maximum(xy @ t.T, 0))
    assert np.allclose(trip.recovered, trip.embedded @ np.linalg.pinv(t).T)


@pytest.mark.parametrize("dim", [2, 3, 5, 15, 30])
def test_recoverable_points_really_can_be_recovered(dim):
    """A point flagged recoverable is the unique solution of T_A x = ReLU(T x)_A on its active rows."""
    xy = relu_spiral.spiral(300)
    trip = relu_spiral.round_trip(xy, dim, seed=0)
    t = relu_spiral.embedding(dim, seed=0)
    for x, y, ok in zip(xy, trip.embedded, trip.invertible, strict=True):
        active = y > 0
        assert ok == (np.linalg.matrix_rank(t[active]) == 2 if active.sum() else False)
        if ok:
            solved = np.linalg.lstsq(t[active], y[active], rcond=None)[0]
            assert np.allclose(solved, x, atol=1e-8)


def test_in_two_dimensions_points_collapse():
    """With n = 2 every point whose two coordinates are both cut by the ReLU lands on the origin."""
    xy = relu_spiral.spiral(600)
    trip = relu_spiral.round_trip(xy, 2, seed=0)
    dead = trip.active == 0
    assert dead.sum() > 10
    assert np.allclose(trip.embedded[dead], 0)  # many points, one image: the information is gone
    assert not trip.invertible[dead].any()
    # with n = 2 recoverable means: both coordinates survive
    assert np.array_equal(trip.invertible, trip.active == 2)


def test_more_dimensions_keep_more_of_the_spiral():
    c = relu_spiral.curve(dims=(2, 3, 30), seeds=10, points=200)
    assert c[0] < c[1] < c[2]
    assert c[2] > 0.99
    assert 0.1 < c[0] < 0.5


def test_figure1_has_one_panel_per_dimension_and_a_fixed_size():
    fig = relu_spiral.figure1(dims=(2, 30))
    assert len(fig.axes) == 3
    assert tuple(fig.get_size_inches()) == relu_spiral.FIGURE_SIZE
    assert "n = 30" in fig.axes[2].get_title()


@pytest.mark.parametrize("bad", [1, 0, 2.5, True, "3"])
def test_bad_dimension_is_explained(bad):
    with pytest.raises(ValueError, match="at least 2"):
        relu_spiral.round_trip(relu_spiral.spiral(10), bad)


def test_bad_points_are_explained():
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        relu_spiral.round_trip(np.zeros((5, 3)), 3)
    with pytest.raises(ValueError, match="points"):
        relu_spiral.spiral(1)
