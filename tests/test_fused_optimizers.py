"""The fused optimizer update (all parameters as one flat vector) against the readable one, parameter by parameter."""

import numpy as np
import pytest

from glassnet import Dense, Network
from glassnet import blas as blas_module
from glassnet.fastpath import FastTrainer
from glassnet.optimizers import BLAS_FORM_SIZE, SGD, Adam, flat_vector, get_optimizer, lay_flat

OPTIMIZERS = {
    "sgd": lambda: SGD(0.05),
    "momentum": lambda: SGD(0.05, momentum=0.9),
    "nesterov": lambda: SGD(0.05, momentum=0.9, nesterov=True),
    "decay": lambda: SGD(0.05, weight_decay=0.01),
    "momentum+decay": lambda: SGD(0.05, momentum=0.5, nesterov=True, weight_decay=0.02),
    "adam": lambda: Adam(0.01),
    "adam+decay": lambda: Adam(0.01, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.05),
}
SHAPES = [(6, 5), (5,), (5, 4), (4,), (4, 3), (3,)]


# The fused update does _update's operations in its order: in float64 the same numbers, bit for bit.
def assert_same(actual, expected, what, exact=True):
    for a, e in zip(actual, expected):
        if exact:
            np.testing.assert_array_equal(a, e, err_msg=what)
        else:
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-15, err_msg=what)


def separate(seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for shape in shapes]


def gradient_stream(steps, seed=1, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    # some exact zeros too, as dead ReLUs give
    return [[rng.normal(size=shape) * (rng.random(shape) > 0.1) for shape in shapes] for _ in range(steps)]


class Readable:
    """Mixin: ``step`` is ``reference_step``, the readable rule one parameter at a time."""

    def step(self, params, grads):
        self.reference_step(params, grads)


class ReadableSGD(Readable, SGD):
    name = "sgd"


class ReadableAdam(Readable, Adam):
    name = "adam"


def readable(optimizer):
    twin = ReadableAdam if isinstance(optimizer, Adam) else ReadableSGD
    return twin(**{k: v for k, v in optimizer.config().items() if k != "name"})


# ---------------------------------------------------------------- the optimizer alone
def blas_form(name, size):
    """Whether ``step`` of this optimizer takes its BLAS form here for ``size`` parameters (Adam where NumPy's
    BLAS has AXPBY, from BLAS_FORM_SIZE parameters)."""
    blas = blas_module.load()
    usable = blas is not None and np.dtype(np.float64) in blas.axpby and size >= BLAS_FORM_SIZE
    return name.startswith("adam") and usable


LARGE = [(100, 90), (90,), (90, 3), (3,)]  # 9,363 parameters: past BLAS_FORM_SIZE


@pytest.mark.parametrize("shapes", [SHAPES, LARGE], ids=["small", "large"])
@pytest.mark.parametrize("blas", ["auto", "numpy"])  # GLASSNET_BLAS=numpy: the fused NumPy form, bit for bit
@pytest.mark.parametrize("layout", ["separate arrays", "parameters laid flat", "parameters and gradients laid flat"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_fused_step_equals_the_readable_step_over_many_steps(name, layout, blas, shapes, monkeypatch):
    monkeypatch.setenv("GLASSNET_BLAS", blas)
    # Adam's BLAS form folds its bias corrections into scalars: equal to rounding
    exact = not blas_form(name, sum(int(np.prod(s)) for s in shapes))
    fused, slow = OPTIMIZERS[name](), OPTIMIZERS[name]()
    params = separate(shapes=shapes)
    expected = [p.copy() for p in params]
    if layout != "separate arrays":
        params = lay_flat(params)[1]
    for grads in gradient_stream(300, shapes=shapes):
        if layout == "parameters and gradients laid flat":
            grads = lay_flat(grads)[1]
        fused.step(params, grads)
        slow.reference_step(expected, grads)
    assert fused.steps == slow.steps == 300
    assert_same(params, expected, f"{name} {layout}", exact)
    for i in fused.state:
        assert_same(fused.state[i].values(), slow.state[i].values(), f"{name} {layout} state {i}", exact)
    assert sorted(fused.state) == sorted(slow.state)  # plain SGD keeps no state either way


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_fused_step_in_float32_is_close_to_the_readable_step(name):
    fused, slow = OPTIMIZERS[name](), OPTIMIZERS[name]()
    params = lay_flat([p.astype(np.float32) for p in separate()])[1]
    expected = [p.copy() for p in params]
    for grads in gradient_stream(50):
        grads = [g.astype(np.float32) for g in grads]
        fused.step(params, grads)
        slow.reference_step(expected, grads)
    for p, e in zip(params, expected):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p, e, rtol=1e-5, atol=1e-6)


def test_the_state_is_one_flat_vector_per_buffer_seen_per_parameter():
    adam = Adam(0.01)
    params = lay_flat(separate())[1]
    adam.step(params, gradient_stream(1)[0])
    for name in ("m", "s"):
        views = [adam.state[i][name] for i in range(len(SHAPES))]
        assert [v.shape for v in views] == SHAPES
        vector, starts = flat_vector(views)
        assert vector.size == sum(np.prod(s) for s in SHAPES)
        assert starts == flat_vector(params)[1]  # laid out like the parameters


def test_the_gradients_are_read_never_written_even_with_weight_decay():
    for name in OPTIMIZERS:
        grads = gradient_stream(1)[0]
        before = [g.copy() for g in grads]
        opt = OPTIMIZERS[name]()
        opt.step(lay_flat(separate())[1], grads)
        opt.step(separate(), lay_flat(grads)[1])
        for g, b in zip(grads, before):
            np.testing.assert_array_equal(g, b, err_msg=name)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_state_saved_as_config_and_restored_goes_on_exactly(name):
    stream = gradient_stream(40)
    whole, first = OPTIMIZERS[name](), OPTIMIZERS[name]()
    p_whole, p_first = separate(), lay_flat(separate())[1]
    for grads in stream:
        whole.step(p_whole, grads)
    for grads in stream[:15]:
        first.step(p_first, grads)
    second = get_optimizer(first.config())  # the state as nested lists, read back
    for grads in stream[15:]:
        second.step(p_first, grads)
    assert second.steps == whole.steps == 40
    for p, q in zip(p_first, p_whole):
        np.testing.assert_array_equal(p, q)


def test_a_state_put_in_from_outside_is_taken_up_as_resume_does():
    stream = gradient_stream(20)
    whole, first, second = Adam(0.01), Adam(0.01), Adam(0.01)
    p_whole, params = lay_flat(separate())[1], lay_flat(separate())[1]
    for grads in stream:
        whole.step(p_whole, grads)
    for grads in stream[:8]:
        first.step(params, grads)
    # glassnet.resume sets steps and state (arrays read from the checkpoint) on a fresh optimizer
    second.steps, second.state = first.steps, {i: {k: v.copy() for k, v in s.items()} for i, s in first.state.items()}
    for grads in stream[8:]:
        second.step(params, grads)
    for p, q in zip(params, p_whole):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("copy", ["deepcopy", "pickle"])
def test_a_copy_of_an_optimizer_goes_on_like_the_original(copy):
    import copy as copying
    import pickle

    stream = gradient_stream(10)
    opt, params = Adam(0.01), lay_flat(separate())[1]
    for grads in stream[:4]:
        opt.step(params, grads)
    # the parameters copied along, as when a whole training run is copied
    both = (opt, params)
    twin, twin_params = copying.deepcopy(both) if copy == "deepcopy" else pickle.loads(pickle.dumps(both))
    for grads in stream[4:]:
        opt.step(params, grads)
        twin.step(twin_params, grads)
    for p, q in zip(params, twin_params):
        np.testing.assert_array_equal(p, q)
    for i in opt.state:  # the copy's state is its own, and it is the state its steps use
        np.testing.assert_array_equal(opt.state[i]["m"], twin.state[i]["m"])
        assert not np.shares_memory(opt.state[i]["m"], twin.state[i]["m"])


def test_reset_forgets_and_the_next_step_is_a_first_step_again():
    opt, fresh = SGD(0.1, momentum=0.9), SGD(0.1, momentum=0.9)
    params, twin = lay_flat(separate())[1], lay_flat(separate())[1]
    grads = gradient_stream(3)
    opt.step([p.copy() for p in params], grads[0])
    opt.reset()
    assert opt.state == {} and opt.steps == 0
    opt.step(params, grads[1])
    fresh.step(twin, grads[1])
    for p, q in zip(params, twin):
        np.testing.assert_array_equal(p, q)


def test_parameters_that_change_dtype_take_their_state_along():
    opt, slow = Adam(0.01), Adam(0.01)
    params, expected = separate(), separate()
    stream = gradient_stream(6)
    for grads in stream[:3]:
        opt.step(params, grads)
        slow.reference_step(expected, grads)
    params = lay_flat([p.astype(np.float32) for p in params])[1]
    expected = [p.astype(np.float32) for p in expected]
    for grads in stream[3:]:
        grads = [g.astype(np.float32) for g in grads]
        opt.step(params, grads)
        slow.reference_step(expected, grads)
    assert all(s.dtype == np.float32 for slot in opt.state.values() for s in slot.values())
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p, e, rtol=1e-5)


def test_mixed_dtypes_and_an_array_given_twice_go_one_parameter_at_a_time():
    mixed = [separate()[0].astype(np.float32), *separate()[1:]]
    W, b = separate()[:2]
    twice = [W, b, W]  # updated twice a step, as the readable loop does
    for params in (mixed, twice):
        expected = [p.copy() for p in params]
        if params is twice:
            expected = [expected[0], expected[1], expected[0]]
        opt, slow = SGD(0.1, momentum=0.9), SGD(0.1, momentum=0.9)
        for grads in gradient_stream(5):
            if params is twice:
                grads = [grads[0], grads[1], grads[0]]
            grads = [g.astype(p.dtype) for g, p in zip(grads, params)]
            opt.step(params, grads)
            slow.reference_step(expected, grads)
        for p, e in zip(params, expected):
            np.testing.assert_array_equal(p, e)


class Counting(Adam):
    """Adam that counts which form of its rule ran."""

    name = "adam"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = {"fused": 0, "readable": 0}

    def _update(self, i, p, g):
        self.calls["readable"] += 1
        super()._update(i, p, g)

    def _update_all(self, p, g, state, work):
        self.calls["fused"] += 1
        super()._update_all(p, g, state, work)


class OwnRule(Adam):
    """A subclass with a rule of its own: it must be used, parameter by parameter."""

    name = "adam"

    def _update(self, i, p, g):
        p -= self.lr * np.sign(g)


@pytest.mark.parametrize("blas", ["auto", "numpy"])
def test_adam_takes_its_blas_form_where_numpy_s_blas_can_be_called(blas, monkeypatch):
    monkeypatch.setenv("GLASSNET_BLAS", blas)
    calls = []
    form = Adam._update_blas
    monkeypatch.setattr(Adam, "_update_blas", lambda self, *args: calls.append(1) or form(self, *args))
    adam, twin = Adam(0.01), Adam(0.01)
    params, expected = lay_flat(separate(shapes=LARGE))[1], lay_flat(separate(shapes=LARGE))[1]
    for grads in gradient_stream(5, shapes=LARGE):
        adam.step(params, grads)
        twin.reference_step(expected, grads)
    taken = 5 if blas_form("adam", BLAS_FORM_SIZE) else 0
    assert len(calls) == taken
    assert_same(params, expected, "adam", exact=not calls)
    small = Adam(0.01)  # a few parameters: the NumPy form, whose calls cost less
    small.step(separate(), gradient_stream(1)[0])
    counting = Counting(0.01)  # a subclass with its own fused form gets that form, not Adam's BLAS one
    counting.step(separate(shapes=LARGE), gradient_stream(1, shapes=LARGE)[0])
    assert counting.calls == {"fused": 1, "readable": 0} and len(calls) == taken


def test_one_fused_update_per_step_and_a_subclass_rule_is_never_replaced():
    counting = Counting(0.01)
    for grads in gradient_stream(4):
        counting.step(separate(), grads)
    assert counting.calls == {"fused": 4, "readable": 0}
    own, params = OwnRule(0.5), separate()
    grads = gradient_stream(1)[0]
    own.step(params, grads)
    for p, q, g in zip(params, separate(), grads):
        np.testing.assert_array_equal(p, q - 0.5 * np.sign(g))


# ---------------------------------------------------------------- both training loops
X = np.random.default_rng(0).normal(size=(13, 4))
LABELS = np.random.default_rng(1).integers(0, 3, size=13)


def trained(optimizer, fast, epochs=12, batch_size=3):
    net = Network([Dense(4, 5, "tanh"), Dense(5, 4, "relu"), Dense(4, 3, "softmax")], seed=2)
    net.fit(X, LABELS, epochs=epochs, batch_size=batch_size, optimizer=optimizer, dtype=np.float64, fast=fast)
    return net


@pytest.mark.parametrize("fast", [True, False], ids=["fast loop", "readable loop"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_both_loops_train_the_weights_the_readable_rule_trains(name, fast):
    fused, slow = OPTIMIZERS[name](), readable(OPTIMIZERS[name]())
    net, reference = trained(fused, fast), trained(slow, fast)
    assert fused.steps == slow.steps == 12 * 5
    # the fast loop folds plain SGD into its products (lr scales dZ before the backward pass) and heavy-ball
    # momentum too where NumPy's BLAS can be called (v = momentum * v + g inside the GEMM): to rounding
    exact = not (name in ("sgd", "momentum") and fast)
    assert_same(net.parameters(), reference.parameters(), f"{name} {'fast' if fast else 'readable'}", exact)


def test_the_fast_loop_keeps_parameters_and_gradients_end_to_end():
    net = Network([Dense(4, 5, "tanh"), Dense(5, 4, "relu", bias=False), Dense(4, 3, "softmax")], seed=2)
    net.cast(np.float32)
    trainer = FastTrainer(net, Adam(0.01), batch_size=4)
    vector, starts = flat_vector(net.parameters())
    assert vector.size == net.n_parameters()
    assert flat_vector(trainer.grads)[1] == starts  # laid out alike: the optimizer copies nothing
    # layer by layer, each b right after its W, so that [W; b] is one matrix for the direct BLAS calls
    assert starts == sorted(starts)
    params = net.parameters()
    for i, p in enumerate(params[:-1]):
        assert starts[i + 1] == starts[i] + p.size
    net.fit(X, LABELS, epochs=2, batch_size=4, optimizer=Adam(0.01))
    assert flat_vector(net.parameters())[0] is not None
    kept = [p for p in net.parameters()]
    net.fit(X, LABELS, epochs=1, batch_size=4, optimizer=Adam(0.01))
    assert all(p is q for p, q in zip(net.parameters(), kept))  # a second fit trains them where they are


def test_parameters_a_callback_swaps_in_are_trained_not_the_old_ones():
    def swap(epoch, history):
        for layer in net.layers:
            layer.W = layer.W.copy()  # same values, new arrays

    net = Network([Dense(4, 5, "tanh"), Dense(5, 3, "softmax")], seed=0)
    net.fit(X, LABELS, epochs=4, batch_size=4, optimizer=Adam(0.01), dtype=np.float64, callbacks=[swap])
    twin = Network([Dense(4, 5, "tanh"), Dense(5, 3, "softmax")], seed=0)
    twin.fit(X, LABELS, epochs=4, batch_size=4, optimizer=Adam(0.01), dtype=np.float64)
    for p, q in zip(net.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p, q)


def test_a_subclass_that_wraps_step_trains_what_the_optimizer_trains():
    class Wrapped(Adam):
        name = "adam"
        seen = 0

        def step(self, params, grads):
            Wrapped.seen += 1
            super().step(params, grads)

    for fast in (True, False):
        Wrapped.seen = 0
        net, twin = trained(Wrapped(0.01), fast), trained(Adam(0.01), fast)
        assert Wrapped.seen == 60
        for p, q in zip(net.parameters(), twin.parameters()):
            np.testing.assert_array_equal(p, q)


def test_the_benchmarks_glassnet_and_floor_parts_run():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_optimizers.py"
    spec = importlib.util.spec_from_file_location("bench_optimizers", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    glassnet_epoch, floor_epoch = bench.glassnet_epoch(), bench.floor_epoch()
    for net in bench.NETWORKS:
        X_small, y_small = bench.make_data(net, 40)
        for opt in bench.LR:
            assert glassnet_epoch(net, opt, X_small, y_small, 16) > 0
        assert floor_epoch(net, "adam", X_small, y_small, 16) > 0
