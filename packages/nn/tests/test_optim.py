"""Optimizers and schedulers against PyTorch 2.13 from the same start."""
import math

import numpy as np
import pytest

import ember
import ember.optim as optim
import ember.optim.lr_scheduler as sched

RNG = np.random.default_rng(0)

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.3, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    ("Adadelta", dict(lr=1.0, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_optimizer_trajectory_matches_torch(torch, name, kwargs):
    start = [RNG.standard_normal((3, 4)), RNG.standard_normal(4)]
    grads = [[RNG.standard_normal(s.shape) for s in start] for _ in range(8)]
    ours = [ember.tensor(s, requires_grad=True) for s in start]
    theirs = [torch.tensor(s, requires_grad=True) for s in start]
    opt_e = getattr(optim, name)(ours, **kwargs)
    opt_t = getattr(torch.optim, name)(theirs, **kwargs)
    for step in grads:
        for p, g in zip(ours, step):
            p.grad = ember.tensor(g)
        for p, g in zip(theirs, step):
            p.grad = torch.tensor(g)
        opt_e.step()
        opt_t.step()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_param_groups_and_changing_lr_mid_training(torch):
    w, b = ember.ones(2, requires_grad=True), ember.ones(1, requires_grad=True)
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 1.0}], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 1.0
    assert opt.param_groups[1]["momentum"] == 0.9
    w.grad, b.grad = ember.ones(2), ember.ones(1)
    opt.step()
    assert w.tolist() == pytest.approx([0.9, 0.9]) and b.tolist() == pytest.approx([0.0])
    opt.param_groups[0]["lr"] = 0.0
    opt.step()
    assert w.tolist() == pytest.approx([0.9, 0.9])
    extra = ember.zeros(1, requires_grad=True)
    opt.add_param_group({"params": extra, "lr": 0.5})
    assert len(opt.param_groups) == 3 and opt.param_groups[2]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})


def test_zero_grad_set_to_none_and_closure():
    w = ember.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    w.grad = ember.ones(2)
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss
    loss = opt.step(closure)
    assert loss.item() == 2.0 and w.tolist() == pytest.approx([0.8, 0.8])


def test_state_dict_round_trip_continues_identically():
    start = RNG.standard_normal(5)
    grads = [RNG.standard_normal(5) for _ in range(6)]

    def run(resume_at=None):
        p = ember.tensor(start, requires_grad=True)
        opt = optim.Adam([p], lr=0.05, amsgrad=True)
        for i, g in enumerate(grads):
            if i == resume_at:
                saved = opt.state_dict()
                p = ember.tensor(p.detach().numpy().copy(), requires_grad=True)
                opt = optim.Adam([p], lr=0.05, amsgrad=True)
                opt.load_state_dict(saved)
            p.grad = ember.tensor(g)
            opt.step()
        return p.detach().numpy()
    np.testing.assert_allclose(run(), run(resume_at=3), rtol=0, atol=0)
    p = ember.ones(1, requires_grad=True)
    sd = optim.SGD([p], lr=0.1, momentum=0.9).state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][0]["lr"] == 0.1


def test_optimizer_state_survives_save_and_load(tmp_path):
    p = ember.ones(3, requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = ember.ones(3)
    opt.step()
    ember.save(opt.state_dict(), tmp_path / "opt.pt")
    loaded = ember.load(tmp_path / "opt.pt")
    assert loaded["state"][0]["exp_avg"].tolist() == pytest.approx([0.1] * 3)
    opt2 = optim.Adam([ember.ones(3, requires_grad=True)], lr=0.1)
    opt2.load_state_dict(loaded)
    assert opt2.state_dict()["state"][0]["step"].item() == 1


def test_bad_arguments_raise():
    p = [ember.ones(1, requires_grad=True)]
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.SGD(p, lr=-1)
    with pytest.raises(ValueError, match="Invalid beta"):
        optim.Adam(p, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(ember.ones(1), lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD(p, lr=0.1, nesterov=True)


SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 8], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=0.01)),
    ("LinearLR", dict(start_factor=0.2, total_iters=4)),
    ("ConstantLR", dict(factor=0.5, total_iters=3)),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95 ** e)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=15)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=15, anneal_strategy="linear", three_phase=True)),
]


@pytest.mark.parametrize("name,kwargs", SCHEDULERS)
def test_schedules_match_torch(torch, name, kwargs):
    ours = optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.5, momentum=0.9)
    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5, momentum=0.9)
    se, st = getattr(sched, name)(ours, **kwargs), getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    for _ in range(14):
        assert se.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-12)
        assert ours.param_groups[0]["momentum"] == pytest.approx(theirs.param_groups[0]["momentum"])
        ours.step()
        theirs.step()
        se.step()
        st.step()


def test_sequential_and_plateau_match_torch(torch):
    ours = optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    se = sched.SequentialLR(ours, [sched.LinearLR(ours, 0.1, total_iters=3), sched.ExponentialLR(ours, 0.9)],
                            milestones=[3])
    st = torch.optim.lr_scheduler.SequentialLR(
        theirs, [torch.optim.lr_scheduler.LinearLR(theirs, 0.1, total_iters=3),
                 torch.optim.lr_scheduler.ExponentialLR(theirs, 0.9)], milestones=[3])
    for _ in range(8):
        assert se.get_last_lr() == pytest.approx(st.get_last_lr())
        se.step()
        st.step()
    ours = optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    pe = sched.ReduceLROnPlateau(ours, patience=2, cooldown=1, factor=0.5)
    pt = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, patience=2, cooldown=1, factor=0.5)
    for loss in [5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 2]:
        pe.step(loss)
        pt.step(loss)
        assert pe.get_last_lr() == pytest.approx(pt.get_last_lr())


def test_scheduler_state_dict():
    opt = optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
    s = sched.StepLR(opt, step_size=2)
    for _ in range(3):
        s.step()
    state = s.state_dict()
    s2 = sched.StepLR(optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0), step_size=2)
    s2.load_state_dict(state)
    assert s2.last_epoch == 3 and s2.get_last_lr() == s.get_last_lr()
