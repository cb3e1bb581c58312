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
* No wasted gradient. The first layer's ``dX`` is never computed: nothing uses it.
* Losses once per epoch. Each batch's output is written straight into the rows
  of an epoch-long ``Yhat``; the epoch's loss and accuracy are computed from it
  at the end instead of a few small reductions per batch.
* Plain SGD folded in. Back-propagation is linear in the output ``dZ``, so
  scaling it by ``lr`` makes every ``dW`` and ``db`` come out as ``lr`` times
  the gradient, and ``W -= dW`` is the whole update: no separate optimizer
  pass over the weights. Other optimizers get the gradients through ``step``.
* BLAS everywhere. ``db`` is ``ones @ dZ`` (one BLAS call instead of a
  column-sum reduction), and for a batch of one the weight gradient
  ``X.T @ dZ``, whose inner dimension is then 1, uses ``np.dot``: ``np.matmul``
  leaves BLAS for such products, for a loop about ten times slower.
"""

from __future__ import annotations

import numpy as np

from glassnet.optimizers import SGD


class _BatchBuffers:
    """The arrays one batch size needs: the gathered input, and per layer A, dZ and f'(Z)."""

    def __init__(self, layers, batch_size, n_in, dtype):
        self.X = np.empty((batch_size, n_in), dtype)
        # The output layer writes its A into the epoch's Yhat instead.
        self.A = [np.empty((batch_size, layer.n_out), dtype) for layer in layers[:-1]]
        self.dZ = [np.empty((batch_size, layer.n_out), dtype) for layer in layers]
        # f'(Z) of the hidden layers, from their A
        self.fprime = [np.empty((batch_size, layer.n_out), dtype) for layer in layers[:-1]]
        # db = ones @ dZ: the column sums of dZ as one BLAS call, several times faster than dZ.sum(axis=0)
        self.ones = np.ones(batch_size, dtype)
        # dW = A_prev.T @ dZ; for one sample its inner dimension is 1 and np.matmul
        # leaves BLAS for a slow loop, np.dot does not (but costs more for larger batches).
        self.dW_product = np.dot if batch_size == 1 else np.matmul


class FastTrainer:
    """Train a network's layers in place, one epoch at a time, with reused buffers.

    Built by ``Network.fit`` after its inputs have been validated and its
    parameters cast to the training dtype; it trusts its arrays.

    Parameters
    ----------
    net : Network
    optimizer : optimizer object with ``step(params, grads)``
    batch_size : int
    """

    def __init__(self, net, optimizer, batch_size):
        self.layers = net.layers
        self.loss = net.loss
        self.optimizer = optimizer
        self.batch_size = batch_size
        self.fold_lr = type(optimizer) is SGD and optimizer.is_plain
        self.params = net.parameters()
        self.dW = [np.empty_like(layer.W) for layer in self.layers]
        self.db = [np.empty_like(layer.b) if layer.bias else None for layer in self.layers]
        self.grads = [g for dW, db in zip(self.dW, self.db) for g in (dW, db) if g is not None]
        self._buffers = {}

    def epoch(self, X, Y, order=None):
        """One pass over ``(X, Y)`` in the given sample ``order`` (None: as stored).

        Returns ``(Yhat, Y_epoch)``: every sample's output from its batch's
        forward pass (before that batch's update) and its target, in the order
        the samples were visited.
        """
        Y_epoch = Y if order is None else Y[order]
        Yhat = np.empty_like(Y_epoch)
        n, B = len(X), self.batch_size
        for start in range(0, n, B):
            stop = min(start + B, n)
            buf = self._buffers_for(stop - start)
            if order is None:
                Xb = X[start:stop]
            else:
                Xb = X.take(order[start:stop], axis=0, out=buf.X, mode="clip")
            self.step(Xb, Y_epoch[start:stop], Yhat[start:stop], buf)
        return Yhat, Y_epoch

    def _buffers_for(self, batch_size):
        buffers = self._buffers.get(batch_size)
        if buffers is None:
            buffers = self._buffers[batch_size] = _BatchBuffers(
                self.layers, batch_size, self.layers[0].n_in, self.layers[0].W.dtype
            )
        return buffers

    def step(self, Xb, Yb, Yhat, buf=None):
        """Forward, backward and update on one batch; the output is written into ``Yhat``."""
        layers = self.layers
        if buf is None:
            buf = self._buffers_for(len(Xb))
        inputs = [Xb, *buf.A]  # inputs[l] is the input of layer l
        outputs = [*buf.A, Yhat]

        for layer, A_prev, A in zip(layers, inputs, outputs):
            np.matmul(A_prev, layer.W, out=A)
            if layer.bias:
                A += layer.b
            layer.activation.forward(A, out=A)

        dZ = self.loss.output_delta(Yhat, Yb, layers[-1].activation, out=buf.dZ[-1])
        if self.fold_lr:
            dZ *= self.optimizer.lr
        for l in range(len(layers) - 1, -1, -1):
            layer = layers[l]
            if l > 0:
                # dZ of the layer below = (dZ @ W.T) * f'(Z below); W is still the old W here.
                below, dZ_below = layers[l - 1].activation, buf.dZ[l - 1]
                np.matmul(dZ, layer.W.T, out=dZ_below)
                if below.elementwise:
                    dZ_below *= below.derivative(inputs[l], out=buf.fprime[l - 1])
                else:
                    below.backward(inputs[l], dZ_below, out=dZ_below)
            buf.dW_product(inputs[l].T, dZ, out=self.dW[l])
            if layer.bias:
                np.matmul(buf.ones, dZ, out=self.db[l])
            if self.fold_lr:
                layer.W -= self.dW[l]
                if layer.bias:
                    layer.b -= self.db[l]
            if l > 0:
                dZ = dZ_below
        if self.fold_lr:
            self.optimizer.steps += 1  # counted as optimizer.step would count it
        else:
            self.optimizer.step(self.params, self.grads)
