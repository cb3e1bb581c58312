"""The fast training loop behind ``Network.fit``.

``FastTrainer`` computes what the readable loop computes (``Dense.forward``,
``Dense.backward``, ``optimizer.step`` for every batch; see ``Network.fit(...,
fast=False)``) and the tests check that both give the same weights. It differs
only in how it spends time and memory:

* Buffers. Every batch-sized array (the gathered batch, each layer's output
  ``A``, its ``dZ`` and its derivative ``f'(Z)``) is allocated once per batch
  size and reused with ``out=``; so are ``dW`` and ``db``.
* In place. ``Z`` becomes ``A`` in its own buffer (the backward pass needs only
  ``A``), and ``dA`` becomes ``dZ`` in its own buffer.
* Fused output. The output layer's ``dZ`` comes from ``Loss.output_delta``
  (``(Yhat - Y) / N`` for softmax + cross entropy and sigmoid + binary cross
  entropy).
* Sample weights only when given. With weights, ``output_delta`` scales row
  ``i`` of the output ``dZ`` by ``w_i / sum w`` instead of dividing by ``N``
  (the gradient of the weighted mean loss, see ``glassnet.losses``); the rest
  of back-propagation is linear in that ``dZ`` and does not change. Without
  weights the step is the unweighted one, untouched.
* No wasted gradient. The first layer's ``dX`` is never computed: nothing uses it.
* Losses once per epoch. Each batch's output is written straight into the rows
  of an epoch-long ``Yhat``; the epoch's loss and accuracy (R² for a regression
  network) are computed from it at the end instead of a few small reductions
  per batch. Where the loss is computed from the logits (softmax + cross
  entropy, sigmoid + binary cross entropy, see ``glassnet.losses``) the output
  layer's ``Z`` goes into the rows of an epoch-long ``logits`` array instead,
  and its activation writes ``Yhat`` from there: the same work, one more array.
  ``fit`` checks every batch's loss for divergence from these at the end of
  the epoch.
* Plain SGD folded in. Back-propagation is linear in the output ``dZ``, so
  scaling it by ``lr`` makes every ``dW`` and ``db`` come out as ``lr`` times
  the gradient, and ``W -= dW`` is the whole update: no separate optimizer
  pass over the weights. Whether that is allowed is the optimizer's call:
  before every batch the trainer asks ``optimizer.fold_step()``, which gives
  the rate (and counts the step) only when its rule is plain ``p -= lr * g``.
  Other optimizers get the gradients through ``step``.
* Momentum folded in. Heavy-ball momentum (``v = momentum * v + g; p -= lr *
  v``, no Nesterov, no weight decay) is handed over the same way
  (``optimizer.fold_momentum``): each weight-gradient GEMM (and bias GEMV)
  writes ``A_prev.T @ dZ + momentum * v`` straight into its slice of the
  optimizer's flat velocity vector, and one BLAS AXPY over all parameters
  does ``p -= lr * v``. ``dW`` is never stored, and the update is one pass
  instead of four, which OpenBLAS spreads over its threads. (For a batch of
  one, a SCAL of all of ``v`` by ``momentum`` comes first, and GER adds the
  outer products.) NumPy alone takes the gradients through ``step``.
* Fused BLAS calls. Where NumPy's own BLAS can be called directly
  (``glassnet.blas``), plain SGD updates the weights inside the product:
  one GEMM computes ``W = W - A_prev.T @ dZ`` (a GER for a batch of one) and
  one GEMV computes ``b = b - ones @ dZ``, so ``dW`` is never stored and ``W``
  is passed over once instead of three times. The forward pass starts each
  ``Z`` from ``b`` and adds ``A_prev @ W`` to it in the same GEMM.
* The bias inside the products. Each hidden layer's ``A`` buffer has a
  column of ones after it, and each ``b`` lies right after its ``W``, so
  for every layer but the first ``[W; b]`` is one ``(n_in + 1, n_out)``
  matrix: ``[A_prev, 1] @ [W; b]`` is ``Z`` in one GEMM with no copy of
  ``b``, and ``[A_prev, 1].T @ dZ`` is ``[dW; db]`` (or updates ``[W; b]``,
  or the velocity) with no GEMV for ``db``. Two calls fewer per layer, which
  on a small network at a small batch is about a sixth of the step.
* Few calls. The BLAS routines are called without ctypes' argument checks
  (every argument is made once, per batch size, as the ctypes object the
  routine takes), and elementwise steps are ufunc calls with ``out=``
  rather than ``a *= b`` (the same operation, about a microsecond less).
* Parameters end to end. The trainer keeps every ``W`` and ``b`` as a view
  of one flat array (layer by layer, each ``b`` after its ``W``), and the
  gradients ``dW`` and ``db`` as views of another laid out alike. An optimizer that does not fold
  (momentum, Adam, weight decay) then updates all the parameters at once,
  about a dozen NumPy calls on the flat vectors instead of a dozen per
  parameter (``glassnet.optimizers``, "fused"). Parameters that already lie so
  (from an earlier ``fit``) stay where they are; new ones (a cast, arrays a
  callback swapped in) are copied into a new flat array, whose views the
  layers then hold.
* NumPy alone otherwise. ``db`` is ``ones @ dZ`` (one BLAS call instead of a
  column-sum reduction), and for a batch of one the weight gradient
  ``X.T @ dZ``, whose inner dimension is then 1, uses ``np.dot``: ``np.matmul``
  leaves BLAS for such products, for a loop about ten times slower.
"""

from __future__ import annotations

import ctypes
from operator import is_

import numpy as np

from glassnet import blas
from glassnet.blas import NO_TRANS, ROW_MAJOR, TRANS
from glassnet.optimizers import flat_vector, lay_flat


def native_blas():
    """NumPy's own BLAS library as ``glassnet.blas`` loads it, or None (then NumPy alone trains).

    Reads ``GLASSNET_BLAS`` (``auto`` or ``numpy``) and refuses any other value
    with a ValueError, so a training call can check it before it starts.
    """
    return blas.load()


def _address(array) -> int:
    return array.__array_interface__["data"][0]


def _derivative_of(activation):
    """``(derivative or None, backward)`` of an activation: None where f'(Z) is not elementwise (softmax)."""
    return (activation.derivative if activation.elementwise else None), activation.backward


def _times_derivative(A, dZ, fprime, derivative, backward):
    """``dZ *= f'(Z)`` of a layer from its output ``A`` (``fprime``: a buffer for f'(Z)), in place."""
    if derivative is not None:
        np.multiply(dZ, derivative(A, out=fprime), out=dZ)
    else:
        backward(A, dZ, out=dZ)


class _BatchBuffers:
    """The arrays one batch size needs: the gathered input, and per layer A, dZ and f'(Z)."""

    def __init__(self, layers, batch_size, n_in, dtype, ones_column=False):
        self.size = batch_size
        self.X = np.empty((batch_size, n_in), dtype)
        # The output layer writes its A into the epoch's Yhat instead.
        if ones_column:
            # Each hidden A with a column of ones after it (A is a view of the first n_out columns): for direct
            # BLAS calls, where the next layer's b follows its W in memory, [W; b] is one (n_in + 1, n_out)
            # matrix, and [A, 1] @ [W; b] = A @ W + b, [A, 1].T @ dZ = [dW; db] are single products.
            self.A = [np.ones((batch_size, layer.n_out + 1), dtype)[:, :-1] for layer in layers[:-1]]
        else:
            self.A = [np.empty((batch_size, layer.n_out), dtype) for layer in layers[:-1]]
        self.dZ = [np.empty((batch_size, layer.n_out), dtype) for layer in layers]
        # f'(Z) of the hidden layers, from their A
        self.fprime = [np.empty((batch_size, layer.n_out), dtype) for layer in layers[:-1]]
        # db = ones @ dZ: the column sums of dZ as one BLAS call, several times faster than dZ.sum(axis=0)
        self.ones = np.ones(batch_size, dtype)
        # dW = A_prev.T @ dZ; for one sample its inner dimension is 1 and np.matmul
        # leaves BLAS for a slow loop, np.dot does not (but costs more for larger batches).
        self.dW_product = np.dot if batch_size == 1 else np.matmul
        # for direct BLAS calls (looking an address up costs about a microsecond)
        self.X_at = _address(self.X)
        self.plan = None  # (parameter addresses, folded, the BLAS calls' arguments), see FastTrainer._plan


class FastTrainer:
    """Train a network's layers in place, one epoch at a time, with reused buffers.

    Built by ``Network.fit`` after its inputs have been validated and its
    parameters cast to the training dtype; it trusts its arrays.

    Parameters
    ----------
    net : Network
    optimizer : optimizer object with ``step(params, grads)``
    batch_size : int
    blas : ``"auto"`` (NumPy's BLAS called directly where possible, see
        ``glassnet.blas``) or ``None`` (NumPy alone)
    """

    def __init__(self, net, optimizer, batch_size, blas="auto"):
        self.layers = net.layers
        self.loss = net.loss
        self.optimizer = optimizer
        # An optimizer that is not a glassnet Optimizer (anything with step) folds nothing.
        self.fold_step = getattr(optimizer, "fold_step", lambda: None)
        self.fold_momentum = getattr(optimizer, "fold_momentum", lambda params: None)
        self.batch_size = batch_size
        self._buffers = {}
        self.dtype = self.layers[0].W.dtype
        self.params = None  # the parameters, in Network.parameters()'s order, and their gradients (see _pack)
        self._pack()
        self.blas = native_blas() if blas == "auto" else blas
        if self.blas is not None and self.dtype not in self.blas.gemm:
            self.blas = None
        self._epoch_arrays = None  # (Yhat, shuffled Y, logits or None) of the last epoch
        # the output layer's Z of the last epoch, when the loss is computed from it (see Loss.logits)
        self.keep_logits = net.loss.fused_with == self.layers[-1].activation.name
        self.logits = None
        self.rows_done = 0
        self._held = None  # the parameter arrays whose addresses are in self._at
        self._at = None

    def _pack(self):
        """Keep the parameters end to end in one flat array and the gradients alike in another (module docstring).

        Sets ``params`` and ``grads`` (the lists ``optimizer.step`` gets) and
        ``dW``, ``db``. Does nothing while the layers hold the arrays it packed.
        """
        params = [p for layer in self.layers for p in layer.parameters()]
        if self.params is not None and len(params) == len(self.params) and all(map(is_, params, self.params)):
            return
        found = None
        if all(p.dtype == self.dtype for p in params):  # else left as they are: the optimizer goes one by one
            found = flat_vector(params)
            if found is None:
                # layer by layer, each b right after its W: [W; b] is then one matrix (see _plan)
                views = iter(lay_flat(params, weights_first=False)[1])
                for layer in self.layers:
                    layer.W = next(views)
                    if layer.bias:
                        layer.b = next(views)
                params = [p for layer in self.layers for p in layer.parameters()]
                found = flat_vector(params)
        self.vector = self.grad_vector = None  # the parameters and the gradients as flat vectors, where they are
        if found is None:
            self.grads = [np.empty_like(p) for p in params]
        else:
            vector, starts = found
            grads = np.empty_like(vector)
            self.grads = [grads[s : s + p.size].reshape(p.shape) for s, p in zip(starts, params)]
            self.vector, self.grad_vector = vector, grads
        self.params = params
        grads = iter(self.grads)
        self.dW, self.db = [], []
        for layer in self.layers:
            self.dW.append(next(grads))
            self.db.append(next(grads) if layer.bias else None)

    # ------------------------------------------------------------ an epoch
    def epoch(self, X, Y, order=None, sample_weight=None, first=0, interrupt=None, rows=None):
        """One pass over ``(X, Y)`` in the given sample ``order`` (None: as stored).

        ``sample_weight`` (a vector of checked weights, one per row of ``X``, in
        the training dtype) weights each batch's loss: ``sum w L / sum w``.
        Returns ``(Yhat, Y_epoch)``: every sample's output from its batch's
        forward pass (before that batch's update) and its target, in the order
        the samples were visited; ``self.logits`` then holds the output layer's
        ``Z`` in the same rows when the loss is computed from it (else None).
        All three arrays are reused by the next call (``epoch_arrays``).

        Checkpoints: the pass starts at row ``first`` of the order (the rows
        before it are done: their outputs are in ``epoch_arrays``), and stops
        before the next batch once ``interrupt.requested`` is true.
        ``self.rows_done`` says how far it got.

        ``rows``: the numbers of the rows of ``X`` that train, where ``X``
        holds more (after ``fit``'s ``validation_split``, which does not copy
        ``X``); ``Y``, ``order`` and ``sample_weight`` then count those rows
        only, and the batches are gathered through the index.
        """
        self._pack()
        Yhat, Y_shuffled, self.logits = self.epoch_arrays(Y)
        Y_epoch = Y if order is None else Y.take(order, axis=0, out=Y_shuffled)
        n, B = len(Y), self.batch_size
        x_order = order if rows is None else rows if order is None else rows[order]  # the rows of X, in turn
        direct = self._direct() and X.dtype == self.dtype
        if direct and x_order is None and not X.flags.c_contiguous:
            X = np.ascontiguousarray(X)
        Z = Yhat if self.logits is None else self.logits  # where the output layer's Z goes
        X_at, Z_at = _address(X), _address(Z)
        row_in, row_out = X.strides[0], Z.strides[0]
        self.rows_done = n
        for start in range(first, n, B):
            if interrupt is not None and interrupt.requested:
                self.rows_done = start
                break
            stop = min(start + B, n)
            buf = self._buffers_for(stop - start)
            if x_order is None:
                Xb, Xb_at = X[start:stop], X_at + start * row_in
            else:
                Xb, Xb_at = X.take(x_order[start:stop], axis=0, out=buf.X, mode="clip"), buf.X_at
            wb = None
            if sample_weight is not None:
                wb = sample_weight[start:stop] if order is None else sample_weight[order[start:stop]]
            Zb = None if Z is Yhat else Z[start:stop]
            if direct:
                self._step_blas(Xb_at, Y_epoch[start:stop], Yhat[start:stop], Z_at + start * row_out, buf, wb, Zb)
            else:
                self.step(Xb, Y_epoch[start:stop], Yhat[start:stop], buf, wb, Zb)
        return Yhat, Y_epoch

    def epoch_arrays(self, Y):
        """``(Yhat, shuffled Y, logits or None)``: the epoch-long arrays for targets like ``Y``, made once."""
        last = self._epoch_arrays
        if last is None or last[0].shape != Y.shape or last[0].dtype != Y.dtype:
            # reused from epoch to epoch: fresh memory costs a page fault per 4 KiB on first touch
            logits = np.empty(Y.shape, Y.dtype) if self.keep_logits else None
            self._epoch_arrays = (np.empty(Y.shape, Y.dtype), np.empty(Y.shape, Y.dtype), logits)
        return self._epoch_arrays

    def _buffers_for(self, batch_size):
        buffers = self._buffers.get(batch_size)
        if buffers is None:
            buffers = self._buffers[batch_size] = _BatchBuffers(
                self.layers, batch_size, self.layers[0].n_in, self.dtype, ones_column=self.blas is not None
            )
        return buffers

    # ------------------------------------------------------------ NumPy alone
    def step(self, Xb, Yb, Yhat, buf=None, sample_weight=None, Z=None):
        """Forward, backward and update on one batch; the output is written into ``Yhat``.

        ``sample_weight``: the batch's weights, or None for the unweighted mean loss.
        ``Z``: where to keep the output layer's pre-activation (None: it is computed in ``Yhat``).
        """
        layers = self.layers
        if buf is None:
            buf = self._buffers_for(len(Xb))
        inputs = [Xb, *buf.A]  # inputs[l] is the input of layer l
        outputs = [*buf.A, Yhat]
        pre_activations = [*buf.A, Yhat if Z is None else Z]

        for layer, A_prev, Zl, A in zip(layers, inputs, pre_activations, outputs):
            np.matmul(A_prev, layer.W, out=Zl)
            if layer.bias:
                Zl += layer.b
            layer.activation.forward(Zl, out=A)

        lr = self.fold_step()
        dZ = self.loss.output_delta(Yhat, Yb, layers[-1].activation, out=buf.dZ[-1], sample_weight=sample_weight)
        if lr is not None:
            dZ *= lr
        for l in range(len(layers) - 1, -1, -1):
            layer = layers[l]
            if l > 0:
                # dZ of the layer below = (dZ @ W.T) * f'(Z below); W is still the old W here.
                dZ_below = buf.dZ[l - 1]
                np.matmul(dZ, layer.W.T, out=dZ_below)
                self._apply_derivative(l - 1, inputs[l], dZ_below, buf)
            buf.dW_product(inputs[l].T, dZ, out=self.dW[l])
            if layer.bias:
                np.matmul(buf.ones, dZ, out=self.db[l])
            if lr is not None:
                layer.W -= self.dW[l]
                if layer.bias:
                    layer.b -= self.db[l]
            if l > 0:
                dZ = dZ_below
        if lr is None:
            self.optimizer.step(self.params, self.grads)

    def _apply_derivative(self, l, A, dZ, buf):
        """``dZ *= f'(Z)`` of layer ``l``, from its output ``A``."""
        _times_derivative(A, dZ, buf.fprime[l], *_derivative_of(self.layers[l].activation))

    # ------------------------------------------------------------ direct BLAS calls
    def _direct(self) -> bool:
        """Whether this epoch can call BLAS directly: a library, and C-contiguous parameters of one dtype."""
        if self.blas is None:
            return False
        # the plans (_plan) hold the parameters' addresses, the biases and the activations: new ones, new plans
        params = [p for layer in self.layers for p in (layer.W, layer.b if layer.bias else None)]
        held = params + [layer.activation for layer in self.layers]
        if self._held is not None and all(p is q for p, q in zip(held, self._held)):
            return self._at is not None
        self._held = held
        ok = all(p is None or (p.dtype == self.dtype and p.flags.c_contiguous) for p in params)
        self._at = None
        if ok:
            self._at = [(_address(layer.W), _address(layer.b) if layer.bias else 0) for layer in self.layers]
        return ok

    def _plan(self, buf, fold):
        """The arguments of every BLAS call of a step with ``buf``, as ready ctypes objects.

        ``fold`` says where the weight gradients go: ``"sgd"``, the step
        updates the weights itself (plain SGD: ``W -= A_prev.T @ dZ``);
        ``("momentum", momentum, v)``, each gradient product accumulates into
        its slice of the velocity vector ``v`` (``v = momentum * v + g``, see
        ``SGD.fold_momentum``); None, into ``dW``/``db`` for the optimizer.

        Converting a dozen Python numbers on every call costs about as much as
        a small product, so the arguments are converted once per batch size (and
        again only when the parameter arrays are replaced). The two addresses
        that move from batch to batch, the input rows and the output layer's
        rows (of ``Yhat``, or of the logits), are ``c_void_p`` objects whose
        ``value`` the step sets.
        """
        key = (fold, None, None) if fold is None or fold == "sgd" else fold
        held = buf.plan
        if held is not None and held[0] is self._at and held[1][:2] == key[:2] and held[1][2] is key[2]:
            return held[2]
        I, R, P = self.blas.integer, self.blas.real[self.dtype], ctypes.c_void_p  # noqa: E741
        # every argument below is a ready ctypes object, so the unchecked routines take them (half the cost)
        gemm, gemv, ger = (self.blas.unchecked[name, self.dtype] for name in ("gemm", "gemv", "ger"))
        order, no, tr = I(ROW_MAJOR), I(NO_TRANS), I(TRANS)
        one, zero, minus = R(1.0), R(0.0), R(-1.0)
        B = buf.size
        x_at, yhat_at = P(0), P(0)
        inputs = [x_at, *(P(_address(A)) for A in buf.A)]
        outputs = [*inputs[1:], yhat_at]
        # the leading dimension (row length in memory) of each layer's input and output
        size = np.dtype(self.dtype).itemsize
        rows_in = [self.layers[0].n_in, *(A.strides[0] // size for A in buf.A)]
        rows_out = [*rows_in[1:], self.layers[-1].n_out]
        dZ = [P(_address(a)) for a in buf.dZ]
        ones = P(_address(buf.ones))
        before = finish = None  # a call before the backward pass, and the arguments of the one after it
        if fold is None or fold == "sgd":
            alpha, beta = (minus, one) if fold == "sgd" else (one, zero)  # W - A_prev.T @ dZ, or dW = A_prev.T @ dZ
            targets = [(self._at[l][0], self._at[l][1]) for l in range(len(self.layers))] if fold else None
        else:
            # the gradients' places in the velocity vector: where they are in the gradient vector
            shift = _address(fold[2]) - _address(self.grad_vector)
            alpha, beta = one, R(fold[1])
            # p -= lr * v: AXPY's (n, alpha, x, incx, y, incy) but for alpha, which the step gives
            finish = (I(fold[2].size), P(_address(fold[2])), I(1), P(_address(self.vector)), I(1))
            if B == 1:  # GER has no beta: scale all of v first, then add
                before = (self.blas.unchecked["scal", self.dtype], (I(fold[2].size), beta, P(_address(fold[2])), I(1)))
                beta = one
            targets = [(_address(self.dW[l]) + shift, _address(self.db[l]) + shift if self.db[l] is not None else 0)
                       for l in range(len(self.layers))]
        if targets is None:
            targets = [(_address(self.dW[l]), _address(self.db[l]) if self.db[l] is not None else 0)
                       for l in range(len(self.layers))]
        steps = []
        for l, layer in enumerate(self.layers):
            n_in, n_out, W = I(layer.n_in), I(layer.n_out), P(self._at[l][0])
            dW, db = (P(a) for a in targets[l])
            # The bias inside the products: the input has a column of ones after it (_BatchBuffers), and b
            # follows W in the parameters and its gradient follows dW in memory, so [W; b] and [dW; db] are
            # (n_in + 1, n_out) matrices. Then no copy of b into Z, and no GEMV for db.
            W_size = layer.n_in * layer.n_out * size
            inside = (layer.bias and rows_in[l] == layer.n_in + 1 and self._at[l][1] == self._at[l][0] + W_size
                      and targets[l][1] == targets[l][0] + W_size)
            k = I(layer.n_in + 1) if inside else n_in  # the products' inner dimension
            lda, ldc = I(rows_in[l]), I(rows_out[l])
            bias_beta = one if layer.bias and not inside else zero
            down = None  # dZ of the layer below; the first layer has none to compute
            if B == 1:  # OpenBLAS's GEMM is several times slower than its GEMV for a single row
                forward = (gemv, (order, tr, k, n_out, one, W, n_out, inputs[l], I(1), bias_beta, outputs[l], I(1)))
                if l > 0:
                    down = (gemv, (order, no, n_in, n_out, one, W, n_out, dZ[l], I(1), zero, dZ[l - 1], I(1)))
            else:
                forward = (gemm, (order, no, no, I(B), n_out, k, one, inputs[l], lda, W, n_out, bias_beta,
                                  outputs[l], ldc))
                if l > 0:
                    down = (gemm, (order, no, tr, I(B), n_in, n_out, one, dZ[l], n_out, W, n_out, zero, dZ[l - 1],
                                   n_in))
            # dW = alpha * A_prev.T @ dZ + beta * dW and db = alpha * ones @ dZ + beta * db, in place
            if B == 1 and beta.value == 1:  # an outer product added (GER), for SGD and momentum
                update = (ger, (order, k, n_out, alpha, inputs[l], I(1), dZ[l], I(1), dW, n_out))
            else:
                update = (gemm, (order, tr, no, k, n_out, I(B), alpha, inputs[l], lda, dZ[l], n_out, beta,
                                 dW, n_out))
            bias = (gemv, (order, tr, I(B), n_out, alpha, dZ[l], n_out, ones, I(1), beta, db, I(1)))
            # dZ of the layer below *= its f'(Z), from its A: (A, dZ, f'(Z) buffer, derivative or None, backward)
            below = None
            if l > 0:
                below = (buf.A[l - 1], buf.dZ[l - 1], buf.fprime[l - 1], *_derivative_of(self.layers[l - 1].activation))
            separate = layer.bias and not inside
            steps.append((layer.b if separate else None, layer.activation.forward, forward, down, below, update,
                          bias if separate else None))
        plan = (x_at, yhat_at, before, steps, finish)
        buf.plan = (self._at, key, plan)
        return plan

    def _fold(self):
        """What this step's products do with the weight gradients (see ``_plan``), and the learning rate.

        Asks the optimizer, which counts the step when it hands it over.
        """
        lr = self.fold_step()
        if lr is not None:
            return "sgd", lr
        if self.vector is not None:
            momentum = self.fold_momentum(self.params)
            if momentum is not None:
                lr, beta, v = momentum
                return ("momentum", beta, v), lr
        return None, None

    def _step_blas(self, X_at, Yb, Yhat, Z_at, buf, sample_weight=None, Z=None):
        """``step`` with the matrix products and the SGD or momentum update as direct BLAS calls.

        The output layer's product is written at address ``Z_at``: into ``Z`` when given, else into ``Yhat``.
        Elementwise work is written as ufunc calls with ``out=`` rather than
        ``a *= b``: the same operation, about a microsecond cheaper per call.
        """
        fold, lr = self._fold()
        x_at, yhat_at, before, steps, finish = self._plan(buf, fold)
        x_at.value, yhat_at.value = X_at, Z_at
        last = len(steps) - 1
        for l, (b, forward, (call, args), _, _, _, _) in enumerate(steps):
            if l < last:
                Zl = A = buf.A[l]
            else:
                A, Zl = Yhat, Yhat if Z is None else Z
            if b is not None:
                np.copyto(Zl, b)  # Z = b + A_prev @ W, in one product
            call(*args)
            forward(Zl, out=A)

        dZ = self.loss.output_delta(Yhat, Yb, self.layers[-1].activation, out=buf.dZ[-1], sample_weight=sample_weight)
        if fold == "sgd":
            np.multiply(dZ, lr, out=dZ)
        if before is not None:
            before[0](*before[1])
        for l in range(last, -1, -1):
            _, _, _, down, below, (update, args), bias = steps[l]
            if down is not None:
                # dZ of the layer below = (dZ @ W.T) * f'(Z below); W is still the old W here.
                down[0](*down[1])
                _times_derivative(*below)
            update(*args)
            if bias is not None:
                bias[0](*bias[1])
        if fold is None:
            self.optimizer.step(self.params, self.grads)
        elif fold != "sgd":  # momentum: every parameter at once, p -= lr * v
            n, v, inc, p, _ = finish
            self.blas.unchecked["axpy", self.dtype](n, self.blas.real[self.dtype](-lr), v, inc, p, inc)
