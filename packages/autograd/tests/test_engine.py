"""The engine: seed programs, accumulation, retain_graph, hooks, in-place ops and views,
saved-tensor checks, error messages, memory."""
import gc
import weakref

import numpy as np
import pytest

import ember as torch  # the seed programs are PyTorch programs
from ember.autograd import Variable


def leaf(values, dtype=None):
    return torch.tensor(values, dtype=dtype, requires_grad=True)


# --- seed programs -------------------------------------------------------------------------
def test_seed_linear():
    x = torch.tensor(1., requires_grad=True)
    w = torch.tensor(2., requires_grad=True)
    b = torch.tensor(3., requires_grad=True)
    y = w * x + b
    y.backward()
    assert x.grad == 2 and w.grad == 1 and b.grad == 1
    assert x.grad.item() == 2.0 and w.grad.item() == 1.0 and b.grad.item() == 1.0


def test_seed_variable_retain_graph():
    a = Variable(torch.ones(1, 4) * 0.5, requires_grad=True)
    b = a ** 2
    c = b * 2
    d = c.mean()
    e = c.sum()
    d.backward(retain_graph=True)
    e.backward(retain_graph=True)
    d.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        e.backward()
    # d twice (a each) + e once (4a): 0.5 + 0.5 + 2
    assert a.grad.tolist() == [[3.0, 3.0, 3.0, 3.0]]


def test_seed_matches_torch(torch):
    import ember as E
    ea = E.tensor([[0.1, 0.7, -0.3, 2.0]], requires_grad=True)
    ta = torch.tensor([[0.1, 0.7, -0.3, 2.0]], requires_grad=True)
    for lib, a in ((E, ea), (torch, ta)):
        c = (a ** 2) * 2
        c.mean().backward(retain_graph=True)
        c.sum().backward()
    np.testing.assert_allclose(np.asarray(ea.grad), ta.grad.numpy(), rtol=1e-6)


def test_retain_grad_on_non_leaves():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    z = y * y
    z.retain_grad()
    assert y.retains_grad and not x.retains_grad
    z.sum().backward(retain_graph=True)
    assert y.grad.tolist() == [6.0, 12.0] and z.grad.tolist() == [1.0, 1.0]
    assert x.grad.tolist() == [18.0, 36.0]
    z.sum().backward()
    assert y.grad.tolist() == [12.0, 24.0]  # accumulated like a leaf's
    w = x * 2
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert w.grad is None
    x.retain_grad()  # a no-op on leaves
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        torch.ones(2).retain_grad()


def test_no_grad_and_modes():
    x = leaf([1.0, 2.0])
    with torch.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None
    with torch.no_grad():
        with torch.enable_grad():
            z = x * 2
    assert z.requires_grad
    with torch.set_grad_enabled(False):
        assert not (x + 1).requires_grad
    assert torch.is_grad_enabled()
    with torch.inference_mode():
        assert not (x + 1).requires_grad

    @torch.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad


def test_variable_legacy_api():
    t = torch.ones(2)
    v = Variable(t, requires_grad=True)
    assert v is not t and v.requires_grad and not t.requires_grad
    assert v.data_ptr() == t.data_ptr()  # shares memory, as in PyTorch
    assert isinstance(t, Variable) and isinstance(v, torch.Tensor)
    with pytest.warns(UserWarning, match="volatile was removed"):
        vol = Variable(torch.ones(2), volatile=True)
    assert not vol.requires_grad
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        Variable([1, 2])


# --- accumulation and graph API -----------------------------------------------------------
def test_grad_accumulates_in_place_like_torch(torch):
    import ember as E
    for lib in (E, torch):
        a = lib.ones(3, requires_grad=True)
        (a * 2).sum().backward()
        first = a.grad
        (a * 2).sum().backward()
        assert a.grad is first and a.grad.tolist() == [4.0, 4.0, 4.0]


def test_shared_gradients_are_not_aliased():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    ((a + b) * 2).sum().backward()
    assert a.grad is not b.grad
    a.grad.zero_()
    assert b.grad.tolist() == [2.0, 2.0]
    g = torch.tensor([1.0, 1.0])
    c = leaf([0.0, 0.0])
    c.backward(g)  # backward on a leaf: its gradient is a copy, not the user's tensor
    c.backward(g)
    assert g.tolist() == [1.0, 1.0] and c.grad.tolist() == [2.0, 2.0]


def test_next_functions_and_names():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = a * 2 + b
    assert y.grad_fn.name() == "AddBackward0"
    (mul, _), (acc_b, nr) = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0" and acc_b.name() == "AccumulateGrad" and nr == 0
    assert acc_b.variable is b
    assert mul.next_functions[0][0].variable is a and mul.next_functions[1] == (None, 0)
    assert a.sum().grad_fn.name() == "SumBackward0" and a.mean().grad_fn.name() == "MeanBackward0"
    x2 = leaf([[1.0, 2.0], [3.0, 4.0]])
    assert x2.sum(0).grad_fn.name() == "SumBackward1"
    assert x2[0].grad_fn.name() == "SelectBackward0" and x2[1:].grad_fn.name() == "SliceBackward0"
    assert x2[[0, 1]].grad_fn.name() == "IndexBackward0"
    assert x2.view(4).grad_fn.name() == "ViewBackward0"
    assert x2.t().grad_fn.name() == "PermuteBackward0"
    assert x2.expand(3, 2, 2).grad_fn.name() == "ExpandBackward0"
    assert x2.clone().grad_fn.name() == "CloneBackward0"
    assert (a ** 2).grad_fn.name() == "PowBackward0" and (2 ** a).grad_fn.name() == "PowBackward2"
    assert (a ** b).grad_fn.name() == "PowBackward1"
    assert type(y.grad_fn).__name__ == "AddBackward0"
    assert (a > 0).grad_fn is None and not (a > 0).requires_grad  # bool results: no graph


def test_non_scalar_backward_needs_gradient():
    a = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (a * 2).backward()
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of "
                                           r"ember.Size\(\[3\]\) and output\[0\] has a shape of "
                                           r"ember.Size\(\[2\]\)"):
        (a * 2).backward(torch.ones(3))
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not "
                                           "have a grad_fn"):
        torch.ones(2).sum().backward()
    (a * 2).backward(torch.tensor([1.0, -1.0]))
    assert a.grad.tolist() == [2.0, -2.0]


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        torch.ones(2, dtype=torch.int64).requires_grad_()
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        torch.tensor([1, 2], requires_grad=True)
    y = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    y.requires_grad_(True)  # a no-op on non-leaves
    x = leaf([1.0])
    x.requires_grad = False
    assert not x.requires_grad
    d = leaf([1.0]) * 1
    d.detach_()
    assert d.grad_fn is None and not d.requires_grad


def test_backward_inputs_restricts_accumulation():
    a, b = leaf([1.0]), leaf([2.0])
    y = a * b
    y.backward(inputs=[a], retain_graph=True)
    assert a.grad.tolist() == [2.0] and b.grad is None
    h = a * 3
    (h * b).backward(inputs=[h])  # a non-leaf input gets its .grad too
    assert h.grad.tolist() == [2.0] and a.grad.tolist() == [2.0]
    with pytest.raises(RuntimeError, match="'inputs' argument to backward\\(\\) cannot be empty"):
        y.backward(inputs=[])


def test_autograd_grad():
    x = leaf([1.0, 2.0])
    y = leaf([3.0, 4.0])
    z = (x * x * y).sum()
    gx, gy = torch.autograd.grad(z, (x, y), retain_graph=True)
    assert gx.tolist() == [6.0, 16.0] and gy.tolist() == [1.0, 4.0]
    assert x.grad is None and y.grad is None  # grad() does not accumulate
    (gx2,) = torch.autograd.grad(z, x, grad_outputs=torch.tensor(2.0), retain_graph=True)
    assert gx2.tolist() == [12.0, 32.0]
    unused = leaf([1.0])
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        torch.autograd.grad(z, [unused], retain_graph=True)
    assert torch.autograd.grad(z, [unused], allow_unused=True, retain_graph=True) == (None,)
    (zero,) = torch.autograd.grad(z, [unused], materialize_grads=True, retain_graph=True)
    assert zero.tolist() == [0.0]
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
        torch.autograd.grad(z, [torch.ones(1)])
    # an intermediate as input
    h = x * 2
    (gh,) = torch.autograd.grad((h * h).sum(), h)
    assert gh.tolist() == [4.0, 8.0]


def test_higher_order_gradients():
    x = leaf([2.0])
    y = x ** 3
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    assert g.requires_grad and g.tolist() == [12.0]
    (gg,) = torch.autograd.grad(g, x, create_graph=True)
    assert gg.tolist() == [12.0]
    (ggg,) = torch.autograd.grad(gg, x)
    assert ggg.tolist() == [6.0]
    z = leaf([1.5])
    (z.exp() * z).backward(create_graph=True)
    assert z.grad.requires_grad
    gz = z.grad
    gz.backward()  # d/dz (e^z (1 + z)) = e^z (2 + z)
    np.testing.assert_allclose(z.grad.item(), np.exp(1.5) * (1 + 1.5) + np.exp(1.5) * 3.5, rtol=1e-6)


# --- hooks ---------------------------------------------------------------------------------
def test_tensor_hooks():
    x = leaf([1.0, 2.0])
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.tolist()))
    y = x * 3
    y.register_hook(lambda g: g * 10)  # replaces the gradient flowing on
    y.sum().backward()
    assert seen == [[30.0, 30.0]] and x.grad.tolist() == [30.0, 30.0]
    handle.remove()
    (x * 1).sum().backward()
    assert seen == [[30.0, 30.0]]
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require "
                                           "gradient"):
        torch.ones(1).register_hook(lambda g: g)


def test_node_hooks():
    x = leaf([1.0, 2.0])
    y = x * 2
    calls = []
    y.grad_fn.register_prehook(lambda grad_outputs: calls.append(("pre", grad_outputs[0].tolist())))

    def post(grad_inputs, grad_outputs):
        calls.append(("post", grad_inputs[0].tolist()))
        return (grad_inputs[0] + 1, grad_inputs[1])
    handle = y.grad_fn.register_hook(post)
    y.sum().backward()
    assert calls == [("pre", [1.0, 1.0]), ("post", [2.0, 2.0])]
    assert x.grad.tolist() == [3.0, 3.0]
    handle.remove()


# --- in-place ops and views ----------------------------------------------------------------
def test_inplace_on_leaf_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an "
                                           "in-place operation."):
        x.mul_(2)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being "
                                           "used in an in-place operation."):
        x[0:1].mul_(2)
    with torch.no_grad():
        x.mul_(2)  # fine without recording
    assert x.tolist() == [2.0, 4.0]


def test_inplace_records_history():
    x = leaf([1.0, 2.0])
    y = x * 1
    v = y._version_counter.value
    y.mul_(3)
    assert y._version_counter.value == v + 1
    assert y.grad_fn.name() == "MulBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "MulBackward0"
    y.add_(x)
    (y * y).sum().backward()  # y = 4x: d(16 x^2)/dx = 32 x
    assert x.grad.tolist() == [32.0, 64.0]


def test_inplace_through_a_view_rebases_the_base(torch):
    import ember as E
    results = []
    for lib in (E, torch):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        base = x * 1
        view = base[1:3]
        view.mul_(x[:2])
        (base * lib.tensor([1.0, 10.0, 100.0, 1000.0])).sum().backward()
        results.append((np.asarray(x.grad.detach() if lib is torch else x.grad), base.grad_fn.name(),
                        view.grad_fn.name()))
    (ours, base_name, view_name), (theirs, tbase, tview) = results
    np.testing.assert_allclose(ours, theirs)
    assert (base_name, view_name) == ("CopySlices", "AsStridedBackward0")
    assert tbase.endswith("CopySlices") and tview == "AsStridedBackward0"


def test_setitem_with_grad():
    w = leaf([2.0, 3.0])
    out = torch.zeros(2, 2)
    out[0] = w * w
    out[1, 1] = w[0]
    assert out.requires_grad
    out.sum().backward()
    assert w.grad.tolist() == [5.0, 6.0]
    y = torch.zeros(3)
    y[0:2].copy_(w)  # a no-grad base picks up history through its view
    assert y.requires_grad
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert w.grad.tolist() == [6.0, 8.0]


def test_modified_saved_tensor_error():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 1
    z = y.sin()  # saves y
    y.add_(1)  # line recorded in the message
    with pytest.raises(RuntimeError) as info:
        z.sum().backward()
    msg = str(info.value)
    assert msg.startswith("one of the variables needed for gradient computation has been modified by "
                          "an inplace operation: [ember.FloatTensor [3]], which is output 0 of "
                          "AddBackward0, is at version 1; expected version 0 instead. Hint:")
    assert "saved for SinBackward0 (created at" in msg and "test_engine.py" in msg
    assert "modified in place by add_ at" in msg


def test_modified_saved_output_error(torch):
    import ember as E
    x = E.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.mul_(2)
    with pytest.raises(RuntimeError, match=r"\[ember.FloatTensor \[2\]\], which is output 0 of "
                                           r"ExpBackward0, is at version 1; expected version 0"):
        y.sum().backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = tx.exp()
    ty.mul_(2)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0 instead"):
        ty.sum().backward()


def test_leaf_modified_under_no_grad_is_detected():
    x = leaf([1.0, 2.0])
    y = x * x
    with torch.no_grad():
        x.mul_(2)
    with pytest.raises(RuntimeError, match=r"\[ember.FloatTensor \[2\]\] is at version 1; expected "
                                           r"version 0 instead"):
        y.sum().backward()


def test_carried_over_state_error_suggests_detach():
    w = leaf([0.5])
    h = torch.zeros(1)
    h = torch.tanh(h * w + 1)
    h.sum().backward()
    h = torch.tanh(h * w + 1)  # h from the last step still carries its (freed) graph
    with pytest.raises(RuntimeError) as info:
        h.sum().backward()
    msg = str(info.value)
    assert msg.startswith("Trying to backward through the graph a second time")
    assert "TanhBackward0 (created at" in msg and ".detach()" in msg
    h = torch.tanh(h.detach() * w + 1)  # the fix works
    h.sum().backward()


def test_backward_twice_message():
    x = leaf([1.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="an earlier backward\\(\\) already went through"):
        y.backward()
    z = (x + 1).sum()  # nothing saved: a second backward is fine, as in PyTorch
    z.backward()
    z.backward()


# --- memory ---------------------------------------------------------------------------------
def test_graph_is_freed_after_backward():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    node = weakref.ref(y.grad_fn)
    mul = weakref.ref(y.grad_fn.next_functions[0][0])
    y.backward()
    del y
    assert node() is None and mul() is None


def test_no_growth_over_many_steps():
    w = leaf(np.linspace(-1, 1, 8).tolist())
    b = leaf([0.1])

    def step():
        loss = ((w * 2 + b).tanh() ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w.sub_(w.grad * 0.01)
        w.grad = None
    for _ in range(100):
        step()
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(10000):
        step()
    gc.collect()
    assert len(gc.get_objects()) - before < 50
