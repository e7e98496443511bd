"""ember.nn.utils: gradient clipping and parameter/vector conversion, against PyTorch."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from nn_parity import close, randn


def _params_with_grads(torch, grads):
    e = [nn.Parameter(ember.zeros(g.shape, dtype=ember.float64)) for g in grads]
    t = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for ep, tp, g in zip(e, t, grads):
        ep.grad = ember.tensor(g)
        tp.grad = torch.tensor(g)
    return e, t


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm, torch):
    grads = [randn(3, 4), randn(5), randn(2, 2, 2)]
    e, t = _params_with_grads(torch, grads)
    e_total = nn.utils.clip_grad_norm_(e, max_norm, norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type)
    close(e_total, t_total)
    for ep, tp in zip(e, t):
        close(ep.grad, tp.grad)


def test_clip_grad_norm_edge_cases(torch):
    p = nn.Parameter(ember.zeros(2))
    assert nn.utils.clip_grad_norm_([p], 1.0).item() == 0.0  # no gradients at all
    p.grad = ember.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    q = nn.Parameter(ember.zeros(2))
    q.grad = ember.tensor([3.0, 4.0])
    total = nn.utils.clip_grad_norm_(q, 1.0)  # a single tensor is accepted
    assert total.item() == 5.0
    close(q.grad, np.array([0.6, 0.8]), 1e-5)


def test_clip_grad_value(torch):
    grads = [randn(3, 4) * 3, randn(5)]
    e, t = _params_with_grads(torch, grads)
    nn.utils.clip_grad_value_(e, 0.7)
    torch.nn.utils.clip_grad_value_(t, 0.7)
    for ep, tp in zip(e, t):
        close(ep.grad, tp.grad)


def test_parameters_to_vector_and_back(torch):
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = nn.utils.parameters_to_vector(m.parameters())
    assert vec.shape == (sum(p.numel() for p in m.parameters()),)
    close(vec[:6], m[0].weight.detach().numpy().reshape(-1))
    new = ember.arange(float(vec.numel()))
    nn.utils.vector_to_parameters(new, m.parameters())
    assert m[0].weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert m[1].bias.tolist() == [10.0]
    assert isinstance(m[0].weight, nn.Parameter)
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], m.parameters())
    # gradients flow through parameters_to_vector
    vec = nn.utils.parameters_to_vector(m.parameters())
    (vec * 2).sum().backward()
    assert m[0].weight.grad.tolist() == [[2.0] * 3] * 2
