"""Helpers for ember-nn's parity tests against PyTorch (same weights, same inputs)."""
from __future__ import annotations

import numpy as np

import ember

RNG = np.random.default_rng(1234)


def randn(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def pair(array, torch, requires_grad=True):
    """The same values as an ember tensor and a torch tensor (leaves when floating)."""
    array = np.asarray(array)
    grad = requires_grad and array.dtype.kind == "f"
    e = ember.tensor(array)
    t = torch.tensor(array)
    if grad:
        e.requires_grad_()
        t.requires_grad_()
    return e, t


def close(e, t, tol=1e-6):
    """Assert an ember result equals a torch result (values, shape, dtype kind)."""
    t = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    e = np.asarray(e.detach()) if hasattr(e, "detach") else np.asarray(e)
    assert e.shape == t.shape, (e.shape, t.shape)
    np.testing.assert_allclose(e, t, rtol=tol, atol=tol)


def copy_weights(emod, tmod):
    """Load `tmod`'s parameters and buffers into `emod` (exercises load_state_dict)."""
    state = {k: ember.tensor(v.detach().numpy()) for k, v in tmod.state_dict().items()}
    emod.load_state_dict(state)
    return emod


def backward_both(e_out, t_out, torch):
    """Backpropagate the same random upstream gradient through both outputs."""
    g = RNG.standard_normal(tuple(t_out.shape))
    t_out.backward(torch.tensor(g, dtype=t_out.dtype))
    e_out.backward(ember.tensor(g, dtype=e_out.dtype))


def grads_close(e_tensors, t_tensors, tol=1e-6):
    for e, t in zip(e_tensors, t_tensors):
        if t.grad is None:
            assert e.grad is None
        else:
            close(e.grad, t.grad, tol)


def module_grads_close(emod, tmod, tol=1e-6):
    e_params = dict(emod.named_parameters())
    t_params = dict(tmod.named_parameters())
    assert list(e_params) == list(t_params)
    for name in t_params:
        assert (e_params[name].grad is None) == (t_params[name].grad is None), name
        if t_params[name].grad is not None:
            close(e_params[name].grad, t_params[name].grad, tol)


def check_module(emod, tmod, torch, *arrays, tol=1e-6, grad=True):
    """Forward (and backward) both modules on the same inputs; compare outputs, input
    gradients and parameter gradients. Returns the outputs."""
    copy_weights(emod, tmod)
    pairs = [pair(a, torch, grad) for a in arrays]
    e_out = emod(*[p[0] for p in pairs])
    t_out = tmod(*[p[1] for p in pairs])
    e_main = e_out[0] if isinstance(e_out, tuple) else e_out
    t_main = t_out[0] if isinstance(t_out, tuple) else t_out
    close(e_main, t_main, tol)
    if grad:
        backward_both(e_main, t_main, torch)
        grads_close([p[0] for p in pairs], [p[1] for p in pairs], tol)
        module_grads_close(emod, tmod, tol)
    return e_out, t_out
