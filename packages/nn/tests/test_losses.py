"""Every loss, in every reduction mode and with its options, against PyTorch 2.13:
values, and gradients with respect to the inputs (targets included where differentiable)."""
import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from nn_parity import RNG, close, pair, randn

REDUCTIONS = ["none", "mean", "sum"]


def run(torch, name, arrays, grad_args, kwargs, tol=1e-6, module=None, module_kwargs=None):
    """Call loss `name` in ember and torch (functional, and the module when given) on the
    same data; compare values and the gradients of the args in `grad_args`."""
    tF = torch.nn.functional
    pairs = [pair(a, torch, i in grad_args) for i, a in enumerate(arrays)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e_out = getattr(F, name)(*[p[0] for p in pairs], **kwargs)
        t_out = getattr(tF, name)(*[p[1] for p in pairs], **kwargs)
    close(e_out, t_out, tol)
    if grad_args:
        g = RNG.standard_normal(tuple(t_out.shape))
        t_out.backward(torch.tensor(g))
        e_out.backward(ember.tensor(g))
        for i in grad_args:
            close(pairs[i][0].grad, pairs[i][1].grad, tol)
    if module is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            em = getattr(nn, module)(**(module_kwargs or kwargs))
            tm = getattr(torch.nn, module)(**(module_kwargs or kwargs))
        e_args = [ember.tensor(np.asarray(a)) for a in arrays]
        t_args = [torch.tensor(np.asarray(a)) for a in arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            close(em(*e_args), tm(*t_args), tol)
    return e_out


def _w(torch, kwargs):
    """kwargs with numpy weights turned into tensors, for both libraries."""
    return ({k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()},
            {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()})


def run_weighted(torch, name, module, arrays, grad_args, kwargs, tol=1e-6):
    ek, tk = _w(torch, kwargs)
    tF = torch.nn.functional
    pairs = [pair(a, torch, i in grad_args) for i, a in enumerate(arrays)]
    e_out = getattr(F, name)(*[p[0] for p in pairs], **ek)
    t_out = getattr(tF, name)(*[p[1] for p in pairs], **tk)
    close(e_out, t_out, tol)
    g = RNG.standard_normal(tuple(t_out.shape))
    t_out.backward(torch.tensor(g))
    e_out.backward(ember.tensor(g))
    for i in grad_args:
        close(pairs[i][0].grad, pairs[i][1].grad, tol)
    em, tm = getattr(nn, module)(**ek), getattr(torch.nn, module)(**tk)
    close(em(*[ember.tensor(a) for a in arrays]), tm(*[torch.tensor(a) for a in arrays]), tol)


# --- regression ----------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(reduction, torch):
    x, y = randn(4, 5), randn(4, 5)
    kw = {"reduction": reduction}
    run(torch, "l1_loss", [x, y], (0, 1), kw, module="L1Loss")
    run(torch, "mse_loss", [x, y], (0, 1), kw, module="MSELoss")
    for delta in (1.0, 0.4):
        run(torch, "huber_loss", [x, y], (0, 1), dict(kw, delta=delta), module="HuberLoss")
    for beta in (1.0, 0.3, 0.0):
        run(torch, "smooth_l1_loss", [x, y], (0, 1), dict(kw, beta=beta),
            module="SmoothL1Loss")


def test_regression_broadcast_warning_and_legacy_args(torch):
    with pytest.warns(UserWarning, match="Using a target size"):
        F.mse_loss(ember.ones(3), ember.ones(2, 3))
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        out = F.l1_loss(ember.ones(2), ember.zeros(2), size_average=False)
    assert out.item() == 2.0
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.mse_loss(ember.ones(2), ember.ones(2), reduction="foo")


# --- cross entropy / nll -------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{}, {"ignore_index": 2}, {"label_smoothing": 0.15},
                                     {"label_smoothing": 0.2, "ignore_index": 1},
                                     {"weight": "w"}, {"weight": "w", "ignore_index": 4,
                                                       "label_smoothing": 0.1}])
def test_cross_entropy_class_indices(reduction, options, torch):
    x = randn(6, 5)
    target = np.array([0, 4, 2, 1, 2, 3])
    kw = dict(options, reduction=reduction)
    if kw.get("weight") == "w":
        kw["weight"] = RNG.random(5)
    run_weighted(torch, "cross_entropy", "CrossEntropyLoss", [x, target], (0,), kw)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_k_dim_and_unbatched(reduction, torch):
    x = randn(2, 4, 3, 2)
    target = RNG.integers(0, 4, (2, 3, 2))
    target[0, 1, 1] = -100
    kw = {"reduction": reduction, "label_smoothing": 0.1, "weight": RNG.random(4)}
    run_weighted(torch, "cross_entropy", "CrossEntropyLoss", [x, target], (0,), kw)
    run_weighted(torch, "cross_entropy", "CrossEntropyLoss", [randn(4), np.array(2)], (0,),
                 {"reduction": reduction})


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_probabilities(reduction, smoothing, torch):
    x = randn(4, 5)
    probs = RNG.random((4, 5))
    probs /= probs.sum(1, keepdims=True)
    kw = {"reduction": reduction, "label_smoothing": smoothing, "weight": RNG.random(5)}
    run_weighted(torch, "cross_entropy", "CrossEntropyLoss", [x, probs], (0, 1), kw)
    run_weighted(torch, "cross_entropy", "CrossEntropyLoss",
                 [randn(2, 3, 4), RNG.random((2, 3, 4))], (0, 1), {"reduction": reduction})


def test_cross_entropy_is_stable_for_huge_logits(torch):
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]])
    out = run(torch, "cross_entropy", [x, np.array([0, 2])], (0,), {})
    assert math.isfinite(out.item())
    out = run(torch, "binary_cross_entropy_with_logits", [x, RNG.random((2, 3))], (0, 1), {})
    assert math.isfinite(out.item())
    x32 = ember.tensor([[1000.0, -1000.0]], dtype=ember.float32, requires_grad=True)
    loss = F.cross_entropy(x32, ember.tensor([1]))
    loss.backward()
    assert loss.item() == 2000.0 and np.isfinite(x32.grad.numpy()).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction, torch):
    logp = randn(5, 4)
    target = np.array([0, 3, 3, 1, 2])
    run_weighted(torch, "nll_loss", "NLLLoss", [logp, target], (0,),
                 {"reduction": reduction, "weight": RNG.random(4), "ignore_index": 3})
    run_weighted(torch, "nll_loss", "NLLLoss", [randn(2, 4, 3), RNG.integers(0, 4, (2, 3))],
                 (0,), {"reduction": reduction})


def test_class_target_errors(torch):
    x = ember.randn(2, 3)
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        F.cross_entropy(x, ember.tensor([0, 5]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds."):
        F.nll_loss(x, ember.tensor([0, -1]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(2\) to match target "
                                         r"batch_size \(3\)."):
        F.nll_loss(x, ember.tensor([0, 1, 1]))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Float"):
        F.nll_loss(x, ember.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 3 "
                                           "classes or no classes"):
        F.cross_entropy(x, ember.tensor([0, 1]), weight=ember.ones(2))
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 4\], got \[2\]"):
        F.nll_loss(ember.randn(2, 3, 4), ember.tensor([0, 1]))


def test_all_targets_ignored_gives_nan_like_pytorch(torch):
    out = F.cross_entropy(ember.randn(2, 3), ember.tensor([-100, -100]))
    t = torch.nn.functional.cross_entropy(torch.randn(2, 3), torch.tensor([-100, -100]))
    assert math.isnan(out.item()) and math.isnan(t.item())


# --- likelihoods ------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_gaussian_kl(reduction, torch):
    x = randn(4, 5)
    counts = RNG.integers(0, 5, (4, 5)).astype(np.float64)
    kw = {"reduction": reduction}
    for opts in ({}, {"full": True}, {"log_input": False, "eps": 1e-3}):
        inp = np.abs(x) + 0.1 if opts.get("log_input") is False else x
        run(torch, "poisson_nll_loss", [inp, counts], (0,), dict(kw, **opts),
            module="PoissonNLLLoss")
    for var_shape in ((4, 5), (4, 1), (4,)):
        for full in (False, True):
            var = RNG.random(var_shape) + 0.05
            run(torch, "gaussian_nll_loss", [x, randn(4, 5), var], (0, 1, 2),
                dict(kw, full=full), module="GaussianNLLLoss")
    tiny = np.full((4, 5), 1e-9)
    run(torch, "gaussian_nll_loss", [x, randn(4, 5), tiny], (0, 2), kw)  # clamped variance
    probs = RNG.random((4, 5))
    logp = np.log(RNG.random((4, 5)))
    run(torch, "kl_div", [logp, probs], (0, 1), kw, module="KLDivLoss")
    run(torch, "kl_div", [logp, np.log(probs)], (0, 1), dict(kw, log_target=True),
        module="KLDivLoss")
    probs[0, 0] = 0.0  # 0 * log 0 counts as 0
    run(torch, "kl_div", [logp, probs], (0,), kw)


def test_kl_div_batchmean_and_mean_warning(torch):
    logp, probs = np.log(RNG.random((3, 4))), RNG.random((3, 4))
    run(torch, "kl_div", [logp, probs], (0, 1), {"reduction": "batchmean"}, module="KLDivLoss")
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(ember.tensor(logp), ember.tensor(probs))


def test_gaussian_nll_errors():
    x = ember.randn(2, 3)
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(x, x, ember.ones(2, 2))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(x, x, -ember.ones(2, 3))


# --- binary --------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_losses(reduction, torch):
    p = RNG.random((4, 5)) * 0.98 + 0.01
    y = RNG.random((4, 5))
    kw = {"reduction": reduction}
    run(torch, "binary_cross_entropy", [p, y], (0, 1), kw, module="BCELoss")
    run_weighted(torch, "binary_cross_entropy", "BCELoss", [p, y], (0,),
                 dict(kw, weight=RNG.random(5)))
    logits = randn(4, 5) * 5
    run(torch, "binary_cross_entropy_with_logits", [logits, y], (0, 1), kw,
        module="BCEWithLogitsLoss")
    run_weighted(torch, "binary_cross_entropy_with_logits", "BCEWithLogitsLoss", [logits, y],
                 (0, 1), dict(kw, weight=RNG.random(5), pos_weight=RNG.random(5) * 3))
    signs = np.sign(randn(4, 5))
    run(torch, "soft_margin_loss", [logits, signs], (0,), kw, module="SoftMarginLoss")
    labels = (RNG.random((4, 5)) > 0.5).astype(np.float64)
    run(torch, "multilabel_soft_margin_loss", [logits, labels], (0, 1), kw,
        module="MultiLabelSoftMarginLoss")
    run_weighted(torch, "multilabel_soft_margin_loss", "MultiLabelSoftMarginLoss",
                 [logits, labels], (0,), dict(kw, weight=RNG.random(5)))


def test_bce_log_clamp_and_errors(torch):
    out = run(torch, "binary_cross_entropy", [np.array([0.0, 1.0]), np.array([1.0, 0.0])], (),
              {"reduction": "none"})
    assert out.tolist() == [100.0, 100.0]
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0]))
    with pytest.raises(ValueError, match=r"Using a target size \(ember.Size\(\[1\]\)\) that is "
                                         r"different to the input size"):
        F.binary_cross_entropy(ember.tensor([0.5, 0.5]), ember.tensor([1.0]))
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(ember.ones(2), ember.ones(3))


# --- margins --------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_losses(reduction, torch):
    kw = {"reduction": reduction}
    a, b = randn(6), randn(6)
    y = np.sign(randn(6))
    for margin in (0.0, 0.5):
        run(torch, "margin_ranking_loss", [a, b, y], (0, 1), dict(kw, margin=margin),
            module="MarginRankingLoss")
    x = randn(4, 5)
    ys = np.sign(randn(4, 5))
    for margin in (1.0, 0.3):
        run(torch, "hinge_embedding_loss", [x, ys], (0,), dict(kw, margin=margin),
            module="HingeEmbeddingLoss")
    targets = np.array([[3, 0, -1, 1, 2], [1, 2, 3, 4, 0], [-1, 0, 0, 0, 0], [4, 4, 1, -1, 2]])
    run(torch, "multilabel_margin_loss", [x, targets], (0,), kw, module="MultiLabelMarginLoss")
    run(torch, "multilabel_margin_loss", [x[0], targets[0]], (0,), kw)
    cls = np.array([0, 4, 2, 1])
    for p in (1, 2):
        for margin in (1.0, 0.4):
            run(torch, "multi_margin_loss", [x, cls], (0,), dict(kw, p=p, margin=margin),
                module="MultiMarginLoss")
    run_weighted(torch, "multi_margin_loss", "MultiMarginLoss", [x, cls], (0,),
                 dict(kw, weight=RNG.random(5)))
    x1, x2 = randn(4, 5), randn(4, 5)
    for margin in (0.0, 0.3):
        run(torch, "cosine_embedding_loss", [x1, x2, np.array([1.0, -1.0, 1.0, -1.0])], (0, 1),
            dict(kw, margin=margin), module="CosineEmbeddingLoss")
    anchor, pos, neg = randn(4, 5), randn(4, 5), randn(4, 5)
    for opts in ({}, {"margin": 2.0, "p": 1.0}, {"p": 3.0, "swap": True, "eps": 1e-3}):
        run(torch, "triplet_margin_loss", [anchor, pos, neg], (0, 1, 2), dict(kw, **opts),
            module="TripletMarginLoss")
    for opts in ({}, {"margin": 0.5, "swap": True}):
        run(torch, "triplet_margin_with_distance_loss", [anchor, pos, neg], (0, 1, 2),
            dict(kw, **opts), module="TripletMarginWithDistanceLoss")


def test_triplet_with_custom_distance(torch):
    anchor, pos, neg = randn(4, 5), randn(4, 5), randn(4, 5)
    e = F.triplet_margin_with_distance_loss(
        *[ember.tensor(a) for a in (anchor, pos, neg)],
        distance_function=lambda a, b: 1 - F.cosine_similarity(a, b))
    t = torch.nn.functional.triplet_margin_with_distance_loss(
        *[torch.tensor(a) for a in (anchor, pos, neg)],
        distance_function=lambda a, b: 1 - torch.nn.functional.cosine_similarity(a, b))
    close(e, t)


def test_margin_errors():
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(ember.randn(2, 3), ember.tensor([0, 1]), p=3)
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=0)


# --- CTC ---------------------------------------------------------------------------------------
def _ctc_pair(torch, logits, targets, in_len, tg_len, **kw):
    """CTC on log_softmax(logits): PyTorch's CTC gradient is defined for normalised
    log-probabilities, so gradients are compared with respect to the logits."""
    (el, tl) = pair(logits, torch)
    e = F.ctc_loss(F.log_softmax(el, 2), ember.tensor(targets), in_len, tg_len, **kw)
    t = torch.nn.functional.ctc_loss(tl.log_softmax(2), torch.tensor(targets), in_len, tg_len,
                                     **kw)
    close(e, t, 1e-6)
    if t.requires_grad and np.isfinite(t.detach().numpy()).all():
        g = RNG.standard_normal(tuple(t.shape))
        t.backward(torch.tensor(g))
        e.backward(ember.tensor(g))
        close(el.grad, tl.grad, 1e-6)
    return e


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss(reduction, torch):
    logits = randn(12, 3, 6)
    padded = np.array([[1, 2, 2, 3], [4, 5, 0, 0], [1, 1, 1, 0]])
    _ctc_pair(torch, logits, padded, [12, 10, 8], [4, 2, 3], reduction=reduction)
    concatenated = np.array([1, 2, 2, 3, 4, 4, 1, 1, 1])
    _ctc_pair(torch, logits, concatenated, [12, 10, 8], [4, 2, 3], reduction=reduction,
              blank=5)
    _ctc_pair(torch, logits, padded, (12, 7, 9), (0, 2, 3), reduction=reduction)


def test_ctc_impossible_alignments(torch):
    logits = randn(5, 2, 4)
    targets = np.array([[1, 2, 1, 2], [1, 1, 1, 0]])
    out = _ctc_pair(torch, logits, targets, [3, 5], [4, 3], reduction="none")
    assert math.isinf(out[0].item())
    _ctc_pair(torch, logits, targets, [3, 5], [4, 3], reduction="mean", zero_infinity=True)
    em = nn.CTCLoss(zero_infinity=True)
    loss = em(F.log_softmax(ember.tensor(logits), 2), ember.tensor(targets), [3, 5], [4, 3])
    assert math.isfinite(loss.item())
    with pytest.raises(RuntimeError, match="Expected tensor to have size at least 6"):
        F.ctc_loss(ember.randn(5, 2, 4).log_softmax(2), ember.tensor([[1, 2], [1, 1]]), (5, 5),
                   (2, 6))


def test_ctc_unbatched(torch):
    logits = randn(7, 5)
    el, tl = pair(logits, torch)
    e = F.ctc_loss(F.log_softmax(el, 1), ember.tensor([1, 3, 3]), 7, 3)
    t = torch.nn.functional.ctc_loss(tl.log_softmax(1), torch.tensor([1, 3, 3]), (7,), (3,))
    close(e, t)
