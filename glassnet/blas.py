"""Direct calls into the BLAS library that NumPy itself uses, for the fast training loop.

NumPy offers matrix products, but not BLAS's ``C = alpha * A @ B + beta * C``
in one call. The training loop needs exactly that for its weight update
``W -= lr * X.T @ dZ``: with NumPy it is a product into a scratch ``dW`` and
then a second pass over ``W`` (at batch size 32 on the benchmark network that
second pass is about a sixth of a training step). Calling the GEMM routine of
NumPy's own BLAS with ``beta = 1`` updates ``W`` during the product.

The library is the OpenBLAS that NumPy's wheels bundle (``numpy.libs`` on
Linux and Windows, ``numpy/.dylibs`` on macOS). Only a library that the
running process has already loaded is used: a second copy would bring its
own thread pool, and two pools fighting over the same cores are slower than
the two passes they save. Where no such library is found (NumPy built
against MKL or Accelerate, say), :func:`load` returns ``None`` and the
training loop stays with NumPy alone; both ways compute the same thing and
the tests check that they agree.

Nothing here checks its arguments: the callers pass pointers to C-contiguous
float32 or float64 arrays that they own and keep alive.
"""

from __future__ import annotations

import ctypes
import glob
import os
import sys

import numpy as np

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112

# (symbol pattern, integer type): NumPy >= 2 wheels (scipy-openblas, 64-bit integers),
# NumPy 1.22-1.26 wheels (openblas64_), then 32-bit-integer builds.
_SYMBOLS = (
    ("scipy_cblas_{}64_", ctypes.c_int64),
    ("cblas_{}64_", ctypes.c_int64),
    ("scipy_cblas_{}", ctypes.c_int),
    ("cblas_{}", ctypes.c_int),
)


class Blas:
    """GEMM, GEMV, GER, AXPY and SCAL of one library, for float32 and float64.

    ``gemm[dtype](order, trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc)``,
    ``gemv[dtype](order, trans, m, n, alpha, A, lda, x, incx, beta, y, incy)``,
    ``ger[dtype](order, m, n, alpha, x, incx, y, incy, A, lda)``,
    ``axpy[dtype](n, alpha, x, incx, y, incy)`` (``y += alpha * x``) and
    ``scal[dtype](n, alpha, x, incx)`` (``x *= alpha``) are the CBLAS
    routines; ``axpby[dtype](n, alpha, x, incx, beta, y, incy)`` (``y = alpha
    * x + beta * y``, one pass where NumPy takes three) is an extension that
    OpenBLAS and MKL have, and ``axpby`` is empty where the library lacks it.
    ``A``, ``B``, ``C``, ``x`` and ``y`` are addresses. OpenBLAS spreads AXPY
    and SCAL of long vectors over its threads, which NumPy's elementwise
    operations never do. Arguments may be Python numbers or ready ctypes
    objects (``integer``, ``real[dtype]``, ``ctypes.c_void_p``); ready ones
    halve the cost of a call, which matters for small matrices.
    ``unchecked[name, dtype]`` is the same routine without ``argtypes``: it
    takes nothing but ready ctypes objects of exactly those types (a Python
    number would be passed wrongly) and costs about half as much again per
    call, because ctypes then checks no argument.
    """

    def __init__(self, library, path, pattern, integer):
        self.path = path
        self.integer = integer  # the ctypes type of the integer arguments
        self.real, self.gemm, self.gemv, self.ger, self.axpy, self.scal = {}, {}, {}, {}, {}, {}  # by dtype
        self.axpby, self.unchecked = {}, {}
        I, P = integer, ctypes.c_void_p  # noqa: E741
        for dtype, prefix, real in ((np.float32, "s", ctypes.c_float), (np.float64, "d", ctypes.c_double)):
            dtype = np.dtype(dtype)
            gemm = getattr(library, pattern.format(prefix + "gemm"))
            gemm.argtypes = [I, I, I, I, I, I, real, P, I, P, I, real, P, I]
            gemv = getattr(library, pattern.format(prefix + "gemv"))
            gemv.argtypes = [I, I, I, I, real, P, I, P, I, real, P, I]
            ger = getattr(library, pattern.format(prefix + "ger"))
            ger.argtypes = [I, I, I, real, P, I, P, I, P, I]
            axpy = getattr(library, pattern.format(prefix + "axpy"))
            axpy.argtypes = [I, real, P, I, P, I]
            scal = getattr(library, pattern.format(prefix + "scal"))
            scal.argtypes = [I, real, P, I]
            for name, function in (("gemm", gemm), ("gemv", gemv), ("ger", ger), ("axpy", axpy), ("scal", scal)):
                function.restype = None
                unchecked = library[function.__name__]  # a new function object: its own (no) argtypes
                unchecked.restype = None
                self.unchecked[name, dtype] = unchecked
            self.real[dtype], self.gemm[dtype], self.gemv[dtype], self.ger[dtype] = real, gemm, gemv, ger
            self.axpy[dtype], self.scal[dtype] = axpy, scal
            axpby = getattr(library, pattern.format(prefix + "axpby"), None)
            if axpby is not None:
                axpby.argtypes, axpby.restype = [I, real, P, I, real, P, I], None
                self.axpby[dtype] = axpby

    def __repr__(self):
        return f"Blas({os.path.basename(self.path)!r})"


def _candidates():
    """Paths of the OpenBLAS libraries shipped inside the installed NumPy."""
    here = os.path.dirname(np.__file__)
    found = []
    for folder in (os.path.join(here, os.pardir, "numpy.libs"), os.path.join(here, ".dylibs")):
        found += sorted(glob.glob(os.path.join(folder, "*openblas*")))
    return [os.path.realpath(path) for path in found]


def _loaded(path) -> bool:
    """Whether this process has ``path`` loaded already (Linux; elsewhere assumed)."""
    if not sys.platform.startswith("linux"):
        return True
    try:
        with open("/proc/self/maps") as maps:
            return any(line.rstrip("\n").endswith(path) for line in maps)
    except OSError:
        return False


def _open(path):
    try:
        library = ctypes.CDLL(path)
    except OSError:
        return None
    for pattern, integer in _SYMBOLS:
        try:
            return Blas(library, path, pattern, integer)
        except AttributeError:
            continue
    return None


_BLAS: list = []  # [Blas or None] once looked up


def load():
    """NumPy's BLAS as a :class:`Blas`, or ``None`` where it cannot be reached safely.

    Set the environment variable ``GLASSNET_BLAS=numpy`` to train with NumPy alone
    (``auto`` or unset: call NumPy's BLAS directly where possible).
    """
    choice = os.environ.get("GLASSNET_BLAS", "").strip().lower()
    if choice not in ("", "auto", "numpy"):
        raise ValueError(
            f"the environment variable GLASSNET_BLAS must be 'auto' or 'numpy', got {os.environ['GLASSNET_BLAS']!r}"
        )
    if choice == "numpy":
        return None
    if not _BLAS:
        blas = None
        for path in _candidates():
            if _loaded(path):
                blas = _open(path)
                if blas is not None:
                    break
        _BLAS.append(blas)
    return _BLAS[0]
