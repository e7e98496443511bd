"""Matrix products and linear algebra: thin front ends into `_dispatch.apply`.

Each op checks its arguments here with PyTorch's wording (the kernels trust them),
then runs one kernel of ``_kernels/linalg_ref.py``: numpy's BLAS/LAPACK does the
arithmetic. The op name plus inputs and params recorded for autograd say everything
a derivative needs (beta/alpha for addmm, the equation for einsum, dims for norms).
The ``ember.linalg`` namespace (``ember/linalg.py``) re-exports the ``linalg_*`` side.
"""
from __future__ import annotations

import builtins
import collections
import math
import numbers

import numpy as np

from .. import _autograd_seam as seam
from .. import _dtype as D
from .._device import get_backend
from .._dispatch import (_type_name, apply, broadcast_shapes, check_out, common_device,
                         compute_array, compute_dtype, needs_grad, store, wrap_dim, wrap_dims)
from .._tensor import Tensor


class LinAlgError(RuntimeError):
    """A matrix the algorithm cannot handle (singular, not positive-definite...)."""


QR = collections.namedtuple("QR", ["Q", "R"])
SVD = collections.namedtuple("SVD", ["U", "S", "Vh"])
SVDOld = collections.namedtuple("SVD", ["U", "S", "V"])
Eigh = collections.namedtuple("Eigh", ["eigenvalues", "eigenvectors"])
SlogDet = collections.namedtuple("SlogDet", ["sign", "logabsdet"])
Lstsq = collections.namedtuple("Lstsq", ["solution", "residuals", "rank", "singular_values"])

# the C++ type names PyTorch's dtype-mismatch messages use
_CTYPE = {"float32": "float", "float64": "double", "float16": "c10::Half",
          "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
          "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}
_INF = float("inf")


# --- argument checks -----------------------------------------------------------------
def _tensor_arg(x, op, name, position):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Tensor, "
                        f"not {type(x).__name__}")


def _ctype(t):
    return _CTYPE[t._dtype.name]


def _same_mm_dtype(a, b):
    if a._dtype is not b._dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_ctype(a)} != {_ctype(b)}")


def _no_bool(t, kernel):
    if t._dtype is D.bool:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _out_dtype(out, dtype):
    if isinstance(out, Tensor) and out._dtype is not dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {_CTYPE[dtype.name]}, but got "
                           f"{_ctype(out)} instead")


def _dims_msg(shape):
    return "x".join(str(s) for s in shape)


def _expand_check(input_shape, target):
    """PyTorch's error when the added tensor does not broadcast to the product."""
    if len(input_shape) > len(target):
        raise RuntimeError(f"expand({list(input_shape)}, size={list(target)}): the number of sizes "
                           f"provided ({len(target)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({len(input_shape)})")
    offset = len(target) - len(input_shape)
    for i, s in enumerate(input_shape):
        if s != 1 and s != target[i + offset]:
            raise RuntimeError(f"The expanded size of the tensor ({target[i + offset]}) must match the "
                               f"existing size ({s}) at non-singleton dimension {i + offset}.  Target "
                               f"sizes: {list(target)}.  Tensor sizes: {list(input_shape)}")


def _scalars(dtype, beta, alpha, op):
    """beta/alpha as the kernel uses them: integer tensors truncate (bool is logical)."""
    if dtype.is_floating_point or dtype is D.bool:
        return beta, alpha
    if op == "addr":  # addr refuses float scalars for integers; the others truncate them
        for name, v in (("beta", beta), ("alpha", alpha)):
            if isinstance(v, float):
                raise RuntimeError(f"For integral input tensors, argument {name} must not be a "
                                   "floating point number.")
    return int(beta), int(alpha)


# --- matrix products ---------------------------------------------------------------
def _product(name, a, b, shape, out):
    """Run product kernel `name`; a matching `out=` is written by BLAS directly."""
    _out_dtype(out, a._dtype)
    if (isinstance(out, Tensor) and out.shape == shape
            and a._dtype in (D.float32, D.float64, D.int64, D.int32)):
        device = common_device((a, b, out), name)
        check_out(out, name, (a, b))
        getattr(get_backend(device.type).kernels, name)(a._data, b._data, out=out._data)
        out._version_counter.bump(name)
        return out
    return apply(name, (a, b), {}, out=out)


def mm(input, mat2, *, out=None):
    """Matrix product of two 2-D tensors (same dtype; integers allowed, bool not).

    >>> import ember
    >>> ember.mm(ember.tensor([[1., 2.]]), ember.tensor([[3.], [4.]]))
    tensor([[11.]])
    """
    _tensor_arg(input, "mm", "input", 1)
    _tensor_arg(mat2, "mm", "mat2", 2)
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _same_mm_dtype(input, mat2)
    _no_bool(input, "addmm_impl_cpu_")
    (n, k), (k2, p) = input.shape, mat2.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{p})")
    return _product("mm", input, mat2, (n, p), out)


def _mv_check(vec_in, mat, vec):
    if mat.ndim != 2 or vec.ndim != 1 or (vec_in is not None and vec_in.ndim > 1):
        raise RuntimeError(f"vector + matrix @ vector expected, got "
                           f"{1 if vec_in is None else vec_in.ndim}, {mat.ndim}, {vec.ndim}")
    n, k = mat.shape
    if vec.shape[0] != k or (vec_in is not None and vec_in.shape not in ((), (1,), (n,))):
        size = n if vec_in is None else (vec_in.shape[0] if vec_in.ndim else 1)
        raise RuntimeError(f"size mismatch, got input ({size}), mat ({n}x{k}), vec ({vec.shape[0]})")


def _addmv_dtypes(self, mat, vec):
    if not (self._dtype is mat._dtype is vec._dtype):
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{_type_name(self._dtype)}, {_type_name(mat._dtype)}, and "
                           f"{_type_name(vec._dtype)}")


def mv(input, vec, *, out=None):
    """Matrix-vector product.

    >>> import ember
    >>> ember.mv(ember.tensor([[1., 2.], [3., 4.]]), ember.tensor([1., 1.]))
    tensor([3., 7.])
    """
    _tensor_arg(input, "mv", "input", 1)
    _tensor_arg(vec, "mv", "vec", 2)
    _mv_check(None, input, vec)
    _addmv_dtypes(out if isinstance(out, Tensor) else input, input, vec)
    _no_bool(input, "addmv_impl_cpu")
    return _product("mv", input, vec, (input.shape[0],), out)


def _bmm_check(b1, b2, batch_only=False):
    if b1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b1.shape[0] != b2.shape[0] and batch_only:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{b1.shape[0]} and {b2.shape[0]}")
    if b2.shape[:2] != (b1.shape[0], b1.shape[2]):
        if batch_only:
            raise RuntimeError(f"Incompatible matrix sizes for bmm ({_dims_msg(b1.shape[1:])} and "
                               f"{_dims_msg(b2.shape[1:])})")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b1.shape[0]}, {b1.shape[2]}] but got: [{b2.shape[0]}, {b2.shape[1]}].")


def bmm(input, mat2, *, out=None):
    """Batched matrix product of two 3-D tensors with the same batch size.

    >>> import ember
    >>> ember.bmm(ember.ones(4, 2, 3), ember.ones(4, 3, 5)).shape
    ember.Size([4, 2, 5])
    """
    _tensor_arg(input, "bmm", "input", 1)
    _tensor_arg(mat2, "bmm", "mat2", 2)
    _bmm_check(input, mat2)
    if input._dtype is not mat2._dtype:
        raise RuntimeError(f"expected scalar type {_type_name(input._dtype)} but found "
                           f"{_type_name(mat2._dtype)}")
    _no_bool(input, "bmm")
    return _product("bmm", input, mat2, input.shape[:2] + mat2.shape[2:], out)


def _vector_pair(input, other, op):
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.shape != other.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
                           f"[{other.shape[0]}] to have the same number of elements, but got "
                           f"{input.shape[0]} and {other.shape[0]} elements respectively")
    if input._dtype is not other._dtype:
        raise RuntimeError(f"{op} : expected both vectors to have same dtype, but found "
                           f"{_type_name(input._dtype)} and {_type_name(other._dtype)}")
    _no_bool(input, "dot")


def dot(input, other, *, out=None):
    """Inner product of two 1-D tensors of the same size and dtype.

    >>> import ember
    >>> ember.dot(ember.tensor([1, 2, 3]), ember.tensor([4, 5, 6]))
    tensor(32)
    """
    _tensor_arg(input, "dot", "input", 1)
    _tensor_arg(other, "dot", "tensor", 2)
    _vector_pair(input, other, "dot")
    if isinstance(out, Tensor) and out._dtype is not input._dtype:
        raise RuntimeError(f"result dtype {_type_name(out._dtype)} does not match input dtype "
                           f"{_type_name(input._dtype)}")
    return _product("dot", input, other, (), out)


def vdot(input, other, *, out=None):
    """``dot`` with the first argument conjugated (the same for real tensors).

    >>> import ember
    >>> ember.vdot(ember.tensor([1., 2.]), ember.tensor([3., 4.]))
    tensor(11.)
    """
    _tensor_arg(input, "vdot", "input", 1)
    _tensor_arg(other, "vdot", "other", 2)
    _vector_pair(input, other, "dot")
    _out_dtype(out, input._dtype)
    return _product("vdot", input, other, (), out)


def _matmul_shape(a, b):
    """matmul's result shape for shapes `a` and `b` (both >= 1-D), with PyTorch's errors."""
    if len(a) == 1 and len(b) == 1:
        if a != b:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a[0]}] and src [{b[0]}] "
                               f"to have the same number of elements, but got {a[0]} and {b[0]} "
                               "elements respectively")
        return ()
    if len(b) == 1:  # (..., n, k) @ (k,): PyTorch folds the batch into the rows
        if a[-1] != b[0]:
            rows = math.prod(a[:-1])
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{a[-1]}), "
                               f"vec ({b[0]})")
        return a[:-1]
    a2 = (1,) + a if len(a) == 1 else a
    k, k2 = a2[-1], b[-2]
    if len(a2) <= 2 and len(b) == 2 or len(b) == 2 and len(a2) > 2:
        if k != k2:
            rows = math.prod(a2[:-1])
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and "
                               f"{k2}x{b[-1]})")
    batch = broadcast_shapes(a2[:-2], b[:-2])
    if k != k2:
        n = math.prod(batch)
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{n}, {k}] but got: [{n}, {k2}].")
    return batch + (a[-2:-1] if len(a) > 1 else ()) + b[-1:]


def matmul(input, other, *, out=None):
    """Matrix product with broadcasting: 1-D operands act as vectors (their dim is
    dropped from the result) and batch dims broadcast.

    >>> import ember
    >>> ember.matmul(ember.ones(5, 2, 3), ember.ones(3)).shape
    ember.Size([5, 2])
    """
    _tensor_arg(input, "matmul", "input", 1)
    _tensor_arg(other, "matmul", "other", 2)
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{input.ndim}D and {other.ndim}D")
    _same_mm_dtype(input, other)
    shape = _matmul_shape(input.shape, other.shape)
    _no_bool(input, "dot" if not shape else "addmm_impl_cpu_")
    return _product("matmul", input, other, shape, out)


def _matmul_method(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


def _rmatmul_method(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


def _imatmul_method(self, other):
    # PyTorch has no in-place matmul: ``a @= b`` rebinds `a` to a new tensor (whose
    # shape may differ), so this returns ``a @ b`` and leaves `a`'s storage alone.
    return _matmul_method(self, other)


def inner(input, other, *, out=None):
    """Sum over the last dims of both: shape ``input.shape[:-1] + other.shape[:-1]``
    (a 0-d operand scales the other).

    >>> import ember
    >>> ember.inner(ember.tensor([[1., 2.], [3., 4.]]), ember.tensor([1., 1.]))
    tensor([3., 7.])
    """
    _tensor_arg(input, "inner", "input", 1)
    _tensor_arg(other, "inner", "other", 2)
    if input._dtype is not other._dtype:
        raise RuntimeError("both inputs should have same dtype")
    if input.ndim and other.ndim and input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(input.shape)} and {list(other.shape)}")
    _no_bool(input, "dot")
    _out_dtype(out, input._dtype)
    return apply("inner", (input, other), {}, out=out)


def outer(input, vec2, *, out=None):
    """Outer product of two vectors: ``result[i, j] = input[i] * vec2[j]`` (dtypes promote).

    >>> import ember
    >>> ember.outer(ember.tensor([1, 2]), ember.tensor([1, 10, 100]))
    tensor([[  1,  10, 100],
            [  2,  20, 200]])
    """
    _tensor_arg(input, "outer", "input", 1)
    _tensor_arg(vec2, "outer", "vec2", 2)
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    dtype = D.promote_types(input._dtype, vec2._dtype)
    return apply("outer", (input, vec2), {}, (compute_dtype(dtype).np,), out=out, result_dtype=dtype)


ger = outer


def _addmm_common(name, input, m1, m2, beta, alpha, shape, out, dtype_msg):
    _expand_check(input.shape, shape)
    dtype_msg()
    _out_dtype(out, m1._dtype)
    beta, alpha = _scalars(m1._dtype, beta, alpha, name)
    return apply(name, (input, m1, m2), {"beta": beta, "alpha": alpha}, out=out)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)``; with ``beta=0`` `input` is ignored (NaN too).

    >>> import ember
    >>> ember.addmm(ember.ones(2, 2), ember.eye(2), ember.eye(2), beta=2, alpha=3)
    tensor([[5., 2.],
            [2., 5.]])
    """
    for i, (v, name) in enumerate(((input, "input"), (mat1, "mat1"), (mat2, "mat2"))):
        _tensor_arg(v, "addmm", name, i + 1)
    for v, name in ((mat1, "mat1"), (mat2, "mat2")):
        if v.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {v.ndim}-D tensor")
    (n, k), (k2, p) = mat1.shape, mat2.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{p})")
    _same_mm_dtype(mat1, mat2)
    _no_bool(mat1, "addmm_impl_cpu_")

    def dtypes():
        if input._dtype is not mat2._dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                               f"{_type_name(input._dtype)} and {_type_name(mat2._dtype)}")
    return _addmm_common("addmm", input, mat1, mat2, beta, alpha, (n, p), out, dtypes)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat @ vec)``.

    >>> import ember
    >>> ember.addmv(ember.tensor([1., 1.]), ember.eye(2), ember.tensor([2., 3.]), alpha=2)
    tensor([5., 7.])
    """
    for i, (v, name) in enumerate(((input, "input"), (mat, "mat"), (vec, "vec"))):
        _tensor_arg(v, "addmv", name, i + 1)
    _mv_check(input, mat, vec)
    _no_bool(mat, "addmv_impl_cpu")
    return _addmm_common("addmv", input, mat, vec, beta, alpha, mat.shape[:1], out,
                         lambda: _addmv_dtypes(input, mat, vec))


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * outer(vec1, vec2)`` (dtypes promote; bool is logical).

    >>> import ember
    >>> ember.addr(ember.zeros(2, 2), ember.tensor([1., 2.]), ember.tensor([3., 4.]))
    tensor([[3., 4.],
            [6., 8.]])
    """
    for i, (v, name) in enumerate(((input, "input"), (vec1, "vec1"), (vec2, "vec2"))):
        _tensor_arg(v, "addr", name, i + 1)
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    _expand_check(input.shape, vec1.shape + vec2.shape)
    dtype = D.result_type(input, vec1, vec2)
    _out_dtype(out, dtype)
    beta, alpha = _scalars(dtype, beta, alpha, "addr")
    return apply("addr", (input, vec1, vec2), {"beta": beta, "alpha": alpha},
                 (compute_dtype(dtype).np,), out=out, result_dtype=dtype)


def _batch_dtypes(input, b1, b2):
    if b1._dtype is not b2._dtype:
        raise RuntimeError(f"expected scalar type {_type_name(b1._dtype)} but found "
                           f"{_type_name(b2._dtype)}")
    if input._dtype is not b1._dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input {_CTYPE[input._dtype.name]}, "
                           f"batch1: {_ctype(b1)}, batch2: {_ctype(b2)}")


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * bmm(batch1, batch2)``.

    >>> import ember
    >>> ember.baddbmm(ember.zeros(3, 2, 4), ember.ones(3, 2, 5), ember.ones(3, 5, 4))[0, 0, 0]
    tensor(5.)
    """
    for i, (v, name) in enumerate(((input, "input"), (batch1, "batch1"), (batch2, "batch2"))):
        _tensor_arg(v, "baddbmm", name, i + 1)
    _bmm_check(batch1, batch2)
    _no_bool(batch1, "bmm")
    return _addmm_common("baddbmm", input, batch1, batch2, beta, alpha,
                         batch1.shape[:2] + batch2.shape[2:], out,
                         lambda: _batch_dtypes(input, batch1, batch2))


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``.

    >>> import ember
    >>> ember.addbmm(ember.zeros(2, 4), ember.ones(3, 2, 5), ember.ones(3, 5, 4))[0, 0]
    tensor(15.)
    """
    for i, (v, name) in enumerate(((input, "input"), (batch1, "batch1"), (batch2, "batch2"))):
        _tensor_arg(v, "addbmm", name, i + 1)
    _bmm_check(batch1, batch2, batch_only=True)
    _no_bool(batch1, "addbmm")

    def dtypes():
        if batch1._dtype is not batch2._dtype or input._dtype is not batch1._dtype:
            other = batch2 if batch1._dtype is not batch2._dtype else batch1
            raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                               f"{_type_name(input._dtype if other is batch1 else batch1._dtype)} "
                               f"and {_type_name(other._dtype)}")
    return _addmm_common("addbmm", input, batch1, batch2, beta, alpha,
                         (batch1.shape[1], batch2.shape[2]), out, dtypes)


def _inplace(name, self, others, compute):
    """``self.op_(...)``: compute out of place, then write into `self` (same shape)."""
    if needs_grad((self,) + others):
        return seam.require(name).apply_inplace(name, self, compute)
    result = compute(self)
    if result.shape != self.shape:
        raise RuntimeError(f"{name}: output with shape {list(self.shape)} doesn't match the "
                           f"broadcast shape {list(result.shape)}")
    if not D.can_cast(result._dtype, self._dtype):  # addr promotes: int += float is refused
        raise RuntimeError(f"result type {_type_name(result._dtype)} can't be cast to the desired "
                           f"output type {_type_name(self._dtype)}")
    store(self, compute_array(result, compute_dtype(self._dtype)))
    self._version_counter.bump(name)
    return self


def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
    return _inplace("addmm_", self, (mat1, mat2),
                    lambda old: addmm(old, mat1, mat2, beta=beta, alpha=alpha))


def addmv_(self, mat, vec, *, beta=1, alpha=1):
    return _inplace("addmv_", self, (mat, vec), lambda old: addmv(old, mat, vec, beta=beta, alpha=alpha))


def addr_(self, vec1, vec2, *, beta=1, alpha=1):
    return _inplace("addr_", self, (vec1, vec2),
                    lambda old: addr(old, vec1, vec2, beta=beta, alpha=alpha))


def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
    return _inplace("baddbmm_", self, (batch1, batch2),
                    lambda old: baddbmm(old, batch1, batch2, beta=beta, alpha=alpha))


def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
    return _inplace("addbmm_", self, (batch1, batch2),
                    lambda old: addbmm(old, batch1, batch2, beta=beta, alpha=alpha))


def _multi_dot_check(tensors):
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")


def multi_dot(tensors, *, out=None):
    """The product of a chain of matrices, multiplied in the cheapest order. The first
    and last may be 1-D (row and column vectors).

    >>> import ember
    >>> ember.linalg.multi_dot([ember.ones(3), ember.ones(3, 4), ember.ones(4)])
    tensor(12.)
    """
    tensors = list(tensors)
    _multi_dot_check(tensors)
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    for i, where in ((0, "first"), (n - 1, "last")):
        if tensors[i].ndim not in (1, 2):
            raise RuntimeError(f"multi_dot(): the {where} tensor must be 1D or 2D but got "
                               f"{tensors[i].ndim}D")
    for i in range(1, n - 1):
        if tensors[i].ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {tensors[i].ndim}D")
    for i, t in enumerate(tensors[1:], 1):
        if t._dtype is not tensors[0]._dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 "
                               f"is {_ctype(tensors[0])} and tensor {i} {_ctype(t)}")
    # view the end vectors as a row and a column, so every link is a matrix
    from .shape import reshape
    mats = list(tensors)
    if mats[0].ndim == 1:
        mats[0] = reshape(mats[0], 1, -1)
    if mats[-1].ndim == 1:
        mats[-1] = reshape(mats[-1], -1, 1)
    for i in range(n - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].shape)} and {list(tensors[i + 1].shape)} "
                               "cannot be multiplied")
    result = _chain(mats)
    shape = ((tensors[0].shape[:1] if tensors[0].ndim == 2 else ())
             + (tensors[-1].shape[1:] if tensors[-1].ndim == 2 else ()))
    if result.shape != shape:
        result = reshape(result, shape)
    if out is not None:
        _out_dtype(out, result._dtype)
        check_out(out, "multi_dot", tensors)
        from .._dispatch import write_out
        return write_out(out, result, "multi_dot")
    return result


def _chain(mats):
    """Multiply matrices in the order of fewest scalar products (classic interval DP)."""
    n = len(mats)
    if n == 1:
        return mats[0]
    if n == 2:
        return mm(mats[0], mats[1])
    dims = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def product(i, j):
        if i == j:
            return mats[i]
        k = split[i][j]
        return mm(product(i, k), product(k + 1, j))
    return product(0, n - 1)


def chain_matmul(*matrices, out=None):
    """Deprecated form of ``linalg.multi_dot`` for 2-D tensors given as arguments.

    >>> import ember
    >>> ember.chain_matmul(ember.ones(2, 3), ember.ones(3, 4), ember.ones(4, 1))
    tensor([[12.],
            [12.]])
    """
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    _multi_dot_check(matrices)
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        from .creation import clone
        return clone(matrices[0])
    return multi_dot(matrices, out=out)


# --- einsum and tensordot -------------------------------------------------------------
def _einsum_parse(equation, operands):
    """Check an einsum equation against the operands; returns numpy's explicit form."""
    def bad(msg):
        raise RuntimeError(f"einsum(): {msg}")

    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        bad("fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        bad("more operands were provided than specified in the equation")
    position = 0
    parsed = []  # per operand: list of labels, "..." for the ellipsis
    for n, term in enumerate(terms):
        labels, i = [], 0
        while i < len(term):
            c = term[i]
            if c == ".":
                if term[i:i + 3] != "..." or "..." in labels:
                    bad(f"found '.' for operand {n} that is not part of any ellipsis")
                labels.append("...")
                i += 3
            elif c == " ":
                i += 1
            elif c.isascii() and c.isalpha():
                labels.append(c)
                i += 1
            else:
                bad(f"invalid subscript given at index {position + i} in the equation string, "
                    "subscripts must be in [a-zA-Z]")
        position += len(term) + 1
        parsed.append(labels)
    sizes, ell_ndim = {}, 0
    for n, (labels, t) in enumerate(zip(parsed, operands)):
        named = [c for c in labels if c != "..."]
        if "..." in labels:
            if len(named) > t.ndim:
                bad(f"the number of subscripts in the equation ({len(named)}) is more than the "
                    f"number of dimensions ({t.ndim}) for operand {n}")
            ell_ndim = builtins.max(ell_ndim, t.ndim - len(named))
            at = labels.index("...")
            dims = list(t.shape[:at]) + list(t.shape[t.ndim - (len(labels) - at - 1):])
        else:
            if len(named) != t.ndim:
                bad(f"the number of subscripts in the equation ({len(named)}) does not match the "
                    f"number of dimensions ({t.ndim}) for operand {n} and no ellipsis was given")
            dims = list(t.shape)
        seen = {}
        for c, s in zip(named, dims):
            if c in seen and seen[c] != s:
                bad(f"subscript {c} is repeated for operand {n} but the sizes don't match, "
                    f"{s} != {seen[c]}")
            seen[c] = s
            if c in sizes and s != sizes[c] and 1 not in (s, sizes[c]):
                bad(f"subscript {c} has size {s} for operand {n} which does not broadcast with "
                    f"previously seen size {sizes[c]}")
            if c not in sizes or sizes[c] == 1:  # a size-1 label broadcasts to the other size
                sizes[c] = s
    if arrow:
        out_labels, i = [], 0
        while i < len(rhs):
            c = rhs[i]
            if c == ".":
                if rhs[i:i + 3] != "..." or "..." in out_labels:
                    bad("found '.' for output but an ellipsis (...) was already found")
                out_labels.append("...")
                i += 3
                continue
            if c != " ":
                if not (c.isascii() and c.isalpha()):
                    bad(f"invalid subscript given at index {len(lhs) + 2 + i} in the equation "
                        "string, subscripts must be in [a-zA-Z]")
                if c in out_labels:
                    bad(f"output subscript {c} appears more than once in the output")
                if c not in sizes:
                    bad(f"output subscript {c} does not appear in the equation for any input "
                        "operand")
                out_labels.append(c)
            i += 1
        if "..." not in out_labels and ell_ndim:
            # the output drops the ellipsis: its dims are summed, so give them letters of
            # their own (right-aligned, as they broadcast) for numpy to contract
            free = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    if c not in sizes][:ell_ndim]
            for labels, t in zip(parsed, operands):
                if "..." in labels:
                    at = labels.index("...")
                    labels[at:at + 1] = free[len(free) - (t.ndim - len(labels) + 1):]
    else:  # implicit output: the ellipsis, then labels seen once, alphabetically (A-Z < a-z)
        counts = collections.Counter(c for labels in parsed for c in labels if c != "...")
        out_labels = (["..."] if any("..." in p for p in parsed) else []) + sorted(
            c for c, k in counts.items() if k == 1)
    return ",".join("".join(p) for p in parsed) + "->" + "".join(out_labels)


def einsum(*args):
    """Sum of products over the labelled dims of an equation such as ``'ij,jk->ik'``
    (``...`` for broadcast dims; the sublist form ``einsum(a, [0, 1], b, [1, 2])`` too).

    >>> import ember
    >>> ember.einsum('ij,jk->ik', ember.ones(2, 3), ember.ones(3, 4)).shape
    ember.Size([2, 4])
    """
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand, "
                        "or at least one operand and its subscripts list")
    if isinstance(args[0], Tensor):
        equation, operands = _sublist_equation(args)
    else:
        equation, operands = args[0], args[1:]
        if not isinstance(equation, str):
            raise TypeError(f"einsum(): argument 'equation' (position 1) must be str, not "
                            f"{type(equation).__name__}")
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
    for i, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{type(t).__name__}")
    for t in operands[1:]:
        if t._dtype is not operands[0]._dtype:
            raise RuntimeError(f"expected scalar type {_type_name(operands[0]._dtype)} but found "
                               f"{_type_name(t._dtype)}")
    equation = _einsum_parse(equation, operands)
    return apply("einsum", tuple(operands), {"equation": equation})


def _sublist_equation(args):
    """``einsum(t0, [0, 1], t1, [1, 2], [0, 2])`` as an equation and operands."""
    def letters(sub):
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, int) and 0 <= s < 52:
                out.append(chr(ord("a") + s) if s < 26 else chr(ord("A") + s - 26))
            else:
                raise ValueError(f"einsum(): subscript in subscript list is not within the valid "
                                 f"range [0, 52), got {s}")
        return "".join(out)
    operands, terms = list(args[0::2]), list(args[1::2])
    out = None
    if len(operands) > len(terms):  # an odd count: the last is the output sublist
        out = operands.pop()
    equation = ",".join(letters(t) for t in terms)
    if out is not None:
        equation += "->" + letters(out)
    return equation, operands


def _tensordot_dims(dims, a, b):
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)) and not isinstance(dims, bool):
        dims = int(dims)
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(a.ndim - dims, a.ndim)), list(range(dims))
    if isinstance(dims, (list, tuple)) and len(dims) == 2:
        da, db = dims
        if isinstance(da, (int, np.integer)) or isinstance(db, (int, np.integer)):
            if isinstance(da, (int, np.integer)) and isinstance(db, (int, np.integer)):
                return [da], [db]
            raise TypeError("tensordot(): argument 'dims_self' (position 3) must be tuple of ints, "
                            f"not {type(da).__name__}")
        return list(da), list(db)
    raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or "
                       f"list[list[int]] containing two lists, but got dims={dims}")


def tensordot(a, b, dims=2, out=None):
    """Contract dims of `a` with dims of `b`: an int contracts the last `dims` of `a`
    with the first of `b`; a pair of lists names them.

    >>> import ember
    >>> ember.tensordot(ember.ones(2, 3, 4), ember.ones(3, 4, 5)).shape
    ember.Size([2, 5])
    """
    _tensor_arg(a, "tensordot", "a", 1)
    _tensor_arg(b, "tensordot", "b", 2)
    da, db = _tensordot_dims(dims, a, b)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    da = [wrap_dim(d, a.ndim, "tensordot") for d in da]
    db = [wrap_dim(d, b.ndim, "tensordot") for d in db]
    for dl in (da, db):
        if len(set(dl)) != len(dl):
            dup = next(d for d in dl if dl.count(d) > 1)
            raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[x]} in dim {x} and second has size {b.shape[y]} in dim {y}")
    if a._dtype is not b._dtype:
        raise RuntimeError("both inputs should have same dtype")
    _no_bool(a, "dot")
    if isinstance(out, Tensor) and out._dtype is not a._dtype:
        raise RuntimeError(f"tensordot: Expected the output tensor to have dtype "
                           f"{_type_name(a._dtype)}, but got an output tensor with dtype "
                           f"{_type_name(out._dtype)}")
    return apply("tensordot", (a, b), {"dims_a": tuple(da), "dims_b": tuple(db)}, out=out)


# --- other products and reductions -----------------------------------------------------
def kron(input, other, *, out=None):
    """Kronecker product (the shorter shape is padded with leading 1s; dtypes promote).

    >>> import ember
    >>> ember.kron(ember.tensor([1, 2]), ember.tensor([1, 10]))
    tensor([ 1, 10,  2, 20])
    """
    _tensor_arg(input, "kron", "input", 1)
    _tensor_arg(other, "kron", "other", 2)
    dtype = D.promote_types(input._dtype, other._dtype)
    return apply("kron", (input, other), {}, (compute_dtype(dtype).np,), out=out, result_dtype=dtype)


def trace(input):
    """Sum of the main diagonal of a 2-D tensor (integers sum to int64).

    >>> import ember
    >>> ember.trace(ember.tensor([[1, 2], [3, 4]]))
    tensor(5)
    """
    _tensor_arg(input, "trace", "input", 1)
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    _no_bool(input, "trace")
    dtype = input._dtype if input._dtype.is_floating_point else D.int64
    return apply("trace", (input,), {}, (compute_dtype(dtype).np,), result_dtype=dtype)


def _cross(input, other, dim, out, op):
    _tensor_arg(input, op, "input", 1)
    _tensor_arg(other, op, "other", 2)
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if dim is None:  # torch.cross: the first dim of size 3
        dim = next((d for d in range(input.ndim) if input.shape[d] == 3 and other.shape[d] == 3),
                   None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
        import warnings
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either "
                      "pass the dim explicitly or simply use torch.linalg.cross.\nThe default value "
                      "of dim will change to agree with that of linalg.cross in a future release.",
                      UserWarning, stacklevel=3)
    shown = dim  # messages name the dim as the user gave it
    dim = wrap_dim(dim, input.ndim, op)
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {shown} must have length 3. Got "
                           f"{input.shape[dim]} and {other.shape[dim]}")
    broadcast_shapes(input.shape, other.shape)
    if input._dtype is not other._dtype:
        raise RuntimeError(f"expected scalar type {_type_name(input._dtype)} but found "
                           f"{_type_name(other._dtype)}")
    _no_bool(input, "cross")
    _out_dtype(out, input._dtype)
    return apply("cross", (input, other), {"dim": dim}, out=out)


def cross(input, other, dim=None, *, out=None):
    """Cross product of 3-vectors along `dim` (without `dim`: the first dim of size 3,
    deprecated as in PyTorch).

    >>> import ember
    >>> ember.cross(ember.tensor([1., 0., 0.]), ember.tensor([0., 1., 0.]), dim=0)
    tensor([0., 0., 1.])
    """
    return _cross(input, other, dim, out, "cross")


def linalg_cross(input, other, *, dim=-1, out=None):
    """Cross product of 3-vectors along `dim` (default the last), with broadcasting.

    >>> import ember
    >>> ember.linalg.cross(ember.tensor([[0., 1., 0.]]), ember.tensor([0., 0., 1.]).unsqueeze(0))
    tensor([[1., 0., 0.]])
    """
    return _cross(input, other, dim, out, "linalg.cross")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distances between each row of `x1` (..., P, M) and of `x2` (..., R, M).

    >>> import ember
    >>> ember.cdist(ember.tensor([[0., 0.]]), ember.tensor([[3., 4.], [1., 0.]]))
    tensor([[5., 1.]])
    """
    _tensor_arg(x1, "cdist", "x1", 1)
    _tensor_arg(x2, "cdist", "x2", 2)
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
        if not x._dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_type_name(x._dtype)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} "
                           f"X2: {x2.shape[-1]}")
    if not isinstance(p, numbers.Real) or p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1._dtype is not x2._dtype:
        raise RuntimeError(f"expected scalar type {_type_name(x1._dtype)} but found "
                           f"{_type_name(x2._dtype)}")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
             "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    use_mm = p == 2 and (compute_mode == modes[1] or compute_mode == modes[0] and (
        x1.shape[-2] > 25 or x2.shape[-2] > 25))
    dtype = compute_dtype(x1._dtype).np
    return apply("cdist", (x1, x2), {"p": float(p), "use_mm": use_mm}, (dtype,))


# --- decompositions and solvers ---------------------------------------------------------
def _square(A, op, square=True, low_precision_ok=False, name="A"):
    """The checks every LAPACK-backed op makes on its matrix argument."""
    _tensor_arg(A, op, name, 1)
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor {name} must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if not A._dtype.is_floating_point:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{_type_name(A._dtype)}")
    if A._dtype in (D.float16, D.bfloat16) and not low_precision_ok:
        raise RuntimeError(f"{op}: Low precision dtypes not supported. Got {_type_name(A._dtype)}")


def _lapack(op, name, inputs, params, kernel_args=(), out=None, result_dtype=None,
            differentiable=True, failure=None):
    """`apply` for a LAPACK kernel, turning numpy's LinAlgError into ours with PyTorch's text."""
    try:
        return apply(name, inputs, params, kernel_args, out=out, result_dtype=result_dtype,
                     differentiable=differentiable)
    except np.linalg.LinAlgError as exc:
        raise LinAlgError(failure(inputs[0]) if failure else f"{op}: {exc}") from None


def _batch_prefix(A, bad):
    """PyTorch's '(Batch element i): ' for the first matrix of `A` where `bad` holds."""
    array = A._host_values()
    if array.ndim == 2:
        return "", array
    mats = array.reshape((-1,) + array.shape[-2:])
    for i, m in enumerate(mats):
        if bad(m):
            return f"(Batch element {i}): ", m
    return "", mats[0]


def _raises(fn):
    def bad(m):
        try:
            fn(m)
        except np.linalg.LinAlgError:
            return True
        return False
    return bad


def _first_zero_pivot(m):
    """1-based index of the first zero pivot of LU with partial pivoting (LAPACK's info)."""
    m = np.array(m, copy=True)
    n = m.shape[-1]
    for j in range(n):
        p = j + int(np.argmax(np.abs(m[j:, j])))
        if m[p, j] == 0:
            return j + 1
        m[[j, p]] = m[[p, j]]
        m[j + 1:, j:] -= np.outer(m[j + 1:, j] / m[j, j], m[j, j:])
    return n


def _first_bad_minor(m):
    """Order of the first leading minor that is not positive-definite."""
    n = m.shape[-1]
    low = np.zeros_like(m)
    for j in range(n):
        d = m[j, j] - low[j, :j] @ low[j, :j]
        if not d > 0:
            return j + 1
        low[j, j] = np.sqrt(d)
        low[j + 1:, j] = (m[j + 1:, j] - low[j + 1:, :j] @ low[j, :j]) / low[j, j]
    return n


def _inv_failure(op):
    def failure(A):
        prefix, m = _batch_prefix(A, _raises(np.linalg.inv))
        return (f"{op}: {prefix}The diagonal element {_first_zero_pivot(m)} is zero, the inversion "
                "could not be completed because the input matrix is singular.")
    return failure


def inv(A, *, out=None):
    """Inverse of a (batch of) square matrix; raises ``LinAlgError`` when singular.

    >>> import ember
    >>> ember.linalg.inv(ember.tensor([[2., 0.], [0., 4.]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
    """
    _square(A, "linalg.inv")
    _out_dtype(out, A._dtype)
    return _lapack("linalg.inv", "inv", (A,), {}, out=out, failure=_inv_failure("linalg.inv"))


def inverse(input, *, out=None):
    """Inverse of a square matrix: ``linalg.inv``.

    >>> import ember
    >>> ember.inverse(ember.tensor([[4.]]))
    tensor([[0.2500]])
    """
    return inv(input, out=out)


def det(A, *, out=None):
    """Determinant of a (batch of) square matrix (0 for singular ones).

    >>> import ember
    >>> ember.linalg.det(ember.tensor([[1., 2.], [3., 4.]]))
    tensor(-2.)
    """
    _square(A, "linalg.det")
    _out_dtype(out, A._dtype)
    return _lapack("linalg.det", "det", (A,), {}, out=out)


def slogdet(A, *, out=None):
    """``(sign, logabsdet)`` of the determinant, robust to over/underflow.

    >>> import ember
    >>> ember.linalg.slogdet(ember.tensor([[-2., 0.], [0., 1.]])).sign
    tensor(-1.)
    """
    _square(A, "linalg.slogdet")
    return SlogDet(*_lapack("linalg.slogdet", "slogdet", (A,), {}, out=out))


def logdet(input):
    """Log of the determinant: NaN for a negative determinant, -inf for zero.

    >>> import ember
    >>> ember.logdet(ember.tensor([[2., 0.], [0., 2.]]))
    tensor(1.3863)
    """
    _square(input, "linalg.det")
    return _lapack("logdet", "logdet", (input,), {})


def solve(A, B, *, left=True, out=None):
    """The solution X of ``A X = B`` (``X A = B`` with ``left=False``); B may be a
    (batch of) vector(s).

    >>> import ember
    >>> ember.linalg.solve(ember.tensor([[2., 0.], [0., 4.]]), ember.tensor([2., 2.]))
    tensor([1.0000, 0.5000])
    """
    _square(A, "linalg.solve")
    _tensor_arg(B, "linalg.solve", "B", 2)
    if A._dtype is not B._dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of "
                           f"type {_type_name(A._dtype)} and B of type {_type_name(B._dtype)} instead")
    n = A.shape[-1]
    # B is a vector (batch) when it has one dim less than A and matches A's batch
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if not left:
        if vector or B.shape[-1] != n:
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation XA = B "
                               f"({n}x{n} and {_dims_msg(B.shape[-2:])})")
        from .shape import transpose
        X = solve(transpose(A, -2, -1), transpose(B, -2, -1))
        X = transpose(X, -2, -1)
        if out is not None:
            from .._dispatch import write_out
            _out_dtype(out, X._dtype)
            check_out(out, "linalg.solve", (A, B))
            return write_out(out, X, "linalg.solve")
        return X
    rows = B.shape[-1] if vector else B.shape[-2]
    if rows != n:
        shown = f"{B.shape[-1]}x1" if vector else _dims_msg(B.shape[-2:])
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({n}x{n} and {shown})")
    broadcast_shapes(A.shape[:-2], B.shape[:-1] if vector else B.shape[:-2])
    _out_dtype(out, A._dtype)

    def failure(A):
        prefix, _ = _batch_prefix(A, _raises(np.linalg.inv))
        return f"torch.linalg.solve: {prefix}The solver failed because the input matrix is singular."
    return _lapack("linalg.solve", "solve", (A, B), {"vector": vector}, out=out, failure=failure)


def linalg_cholesky(A, *, upper=False, out=None):
    """Cholesky factor L (lower) of a symmetric positive-definite matrix, ``A = L L^T``
    (``upper=True``: U with ``A = U^T U``). Only the lower triangle of A is read.

    >>> import ember
    >>> ember.linalg.cholesky(ember.tensor([[4., 2.], [2., 2.]]))
    tensor([[2., 0.],
            [1., 1.]])
    """
    _square(A, "linalg.cholesky")
    _out_dtype(out, A._dtype)

    def failure(A):
        prefix, m = _batch_prefix(A, _raises(np.linalg.cholesky))
        return (f"linalg.cholesky: {prefix}The factorization could not be completed because the "
                f"input is not positive-definite (the leading minor of order {_first_bad_minor(m)} "
                "is not positive-definite).")
    return _lapack("linalg.cholesky", "cholesky", (A,), {"upper": bool(upper)}, out=out,
                   failure=failure)


def linalg_qr(A, mode="reduced", *, out=None):
    """QR decomposition ``A = Q R`` as ``(Q, R)``; mode 'reduced', 'complete' or 'r'
    (R only, Q empty).

    >>> import ember
    >>> Q, R = ember.linalg.qr(ember.tensor([[3., 0.], [4., 5.]]))
    >>> R.abs()
    tensor([[5., 4.],
            [0., 3.]])
    """
    _square(A, "linalg.qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                           "(default), 'r', or 'complete'")
    return QR(*_lapack("linalg.qr", "qr", (A,), {"mode": mode}, out=out))


def linalg_svd(A, full_matrices=True, *, driver=None, out=None):
    """Singular value decomposition ``A = U diag(S) Vh`` as ``(U, S, Vh)``.

    >>> import ember
    >>> ember.linalg.svd(ember.tensor([[3., 0.], [0., -4.]])).S
    tensor([4., 3.])
    """
    _square(A, "linalg.svd", square=False)
    return SVD(*_lapack("linalg.svd", "svd", (A,), {"full_matrices": bool(full_matrices)}, out=out))


def svdvals(A, *, driver=None, out=None):
    """Singular values of A, in descending order.

    >>> import ember
    >>> ember.linalg.svdvals(ember.tensor([[0., 2.], [1., 0.]]))
    tensor([2., 1.])
    """
    _square(A, "linalg.svd", square=False)
    _out_dtype(out, A._dtype)
    return _lapack("linalg.svd", "svdvals", (A,), {}, out=out)


def _uplo(UPLO):
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, reading the
    lower (``UPLO='L'``) or upper triangle.

    >>> import ember
    >>> ember.linalg.eigh(ember.tensor([[2., 1.], [1., 2.]])).eigenvalues
    tensor([1., 3.])
    """
    _square(A, "linalg.eigh")
    return Eigh(*_lapack("linalg.eigh", "eigh", (A,), {"uplo": _uplo(UPLO)}, out=out))


def eigvalsh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) of a symmetric matrix.

    >>> import ember
    >>> ember.linalg.eigvalsh(ember.tensor([[2., 1.], [1., 2.]]))
    tensor([1., 3.])
    """
    _square(A, "linalg.eigh")
    _out_dtype(out, A._dtype)
    return _lapack("linalg.eigh", "eigvalsh", (A,), {"uplo": _uplo(UPLO)}, out=out)


def _tolerances(A, atol, rtol, tol=None, rcond=None):
    """(atol, rtol) arrays as PyTorch derives them (rtol defaults to eps * max(m, n)
    when neither is given, else to 0)."""
    if tol is not None:
        atol, rtol = tol, 0.0
    if rcond is not None:
        atol, rtol = 0.0, rcond

    def value(v):
        return v._host_values().astype(np.float64) if isinstance(v, Tensor) else np.float64(v)
    if rtol is None:
        rtol = (0.0 if atol is not None and not (isinstance(atol, (int, float)) and atol == 0)
                else np.finfo(A._dtype.np).eps * builtins.max(A.shape[-2:]))
    return value(0.0 if atol is None else atol), value(rtol)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """Number of singular values above ``max(atol, rtol * largest)``.

    >>> import ember
    >>> ember.linalg.matrix_rank(ember.tensor([[1., 2.], [2., 4.]]))
    tensor(1)
    """
    _tensor_arg(A, "linalg.matrix_rank", "input", 1)
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 "
                           "dimensions.")
    if A._dtype not in (D.float32, D.float64):
        raise RuntimeError("This function doesn't handle types other than float and double")
    if hermitian and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.eigh: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    a, r = _tolerances(A, atol, rtol, tol)
    return _lapack("linalg.matrix_rank", "matrix_rank", (A,), {"hermitian": bool(hermitian)},
                   (a, r), out=out, result_dtype=D.int64, differentiable=False)


def pinv(A, *, atol=None, rtol=None, hermitian=False, rcond=None, out=None):
    """Moore-Penrose pseudo-inverse from the SVD (eigh when ``hermitian``), dropping
    singular values below ``max(atol, rtol * largest)``.

    >>> import ember
    >>> ember.linalg.pinv(ember.tensor([[2., 0.], [0., 0.]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.0000]])
    """
    _tensor_arg(A, "linalg.pinv", "input", 1)
    if A.ndim < 2 or A._dtype not in (D.float32, D.float64):
        raise RuntimeError(f"linalg.pinv({_type_name(A._dtype)}{list(A.shape)}): expected a tensor "
                           "with 2 or more dimensions of float, double, cfloat or cdouble types")
    if hermitian:
        _square(A, "linalg.eigh")
    a, r = _tolerances(A, atol, rtol, rcond=rcond)
    _out_dtype(out, A._dtype)
    return _lapack("linalg.pinv", "pinv", (A,), {"hermitian": bool(hermitian)}, (a, r), out=out)


def pinverse(input, rcond=1e-15):
    """Pseudo-inverse: ``linalg.pinv(input, rcond=rcond)``.

    >>> import ember
    >>> ember.pinverse(ember.tensor([[4.]]))
    tensor([[0.2500]])
    """
    return pinv(input, rcond=rcond)


def matrix_power(A, n, *, out=None):
    """The n-th power of a square matrix by repeated squaring (n < 0 inverts first).

    >>> import ember
    >>> ember.linalg.matrix_power(ember.tensor([[1, 1], [0, 1]]), 3)
    tensor([[1, 3],
            [0, 1]])
    """
    _tensor_arg(A, "linalg.matrix_power", "A", 1)
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not "
                        f"{type(n).__name__}")
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they "
                           f"are {A.shape[-2]} by {A.shape[-1]} matrices")
    if n < 0:
        _square(A, "linalg.inv")
    elif n > 0:
        _no_bool(A, "addmm_impl_cpu_")
    _out_dtype(out, A._dtype)
    return _lapack("linalg.matrix_power", "matrix_power", (A,), {"n": int(n)}, out=out,
                   failure=_inv_failure("linalg.inv"))


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of ``A X = B`` as ``(solution, residuals, rank,
    singular_values)``; LAPACK gelsd computes it (the minimum-norm solution).
    residuals and singular_values are filled for the drivers that report them
    ('gelsd', 'gelss'), as in PyTorch.

    >>> import ember
    >>> ember.linalg.lstsq(ember.tensor([[1., 0.], [0., 2.]]), ember.tensor([[1.], [4.]])).solution
    tensor([[1.],
            [2.]])
    """
    _square(A, "linalg.lstsq", square=False)
    _tensor_arg(B, "linalg.lstsq", "B", 2)
    if driver not in (None, "gelsy", "gels", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of "
                           f"(gels, gelsy, gelsd, gelss)")
    if A._dtype is not B._dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, "
                           f"but got input's dtype {_type_name(A._dtype)} and other's dtype "
                           f"{_type_name(B._dtype)}")
    vector = B.ndim == A.ndim - 1
    rows = B.shape[-1] if vector else B.shape[-2]
    if rows != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    driver = driver or "gelsy"
    rcond = -1.0 if rcond is None else float(rcond)
    sol, res, rank, sv = _lapack("linalg.lstsq", "lstsq", (A, B), {"rcond": rcond, "vector": vector})
    sv = sv.detach()  # as in PyTorch, the singular values carry no gradient
    from .creation import empty
    if driver in ("gelsy", "gels"):
        res = empty(0, dtype=A._dtype)
        sv = empty(0, dtype=A._dtype)
    if driver == "gels":
        rank = empty(0, dtype=D.int64)
    return Lstsq(sol, res, rank, sv)


# --- norms --------------------------------------------------------------------------------
def _ord_text(ord):
    if isinstance(ord, float) and ord.is_integer():
        return str(int(ord))
    return str(ord)


def _norm_dtype(x, dtype, op):
    """The result dtype (checks PyTorch makes on input and `dtype=`)."""
    if not x._dtype.is_floating_point:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{_type_name(x._dtype)}")
    if dtype is None:
        return x._dtype
    dtype = D.as_dtype(dtype)
    if not dtype.is_floating_point:
        raise RuntimeError(f"{op}: dtype should be floating point or complex, but got "
                           f"{_type_name(dtype)}")
    if D.promote_types(x._dtype, dtype) is not dtype:
        raise RuntimeError(f"{op}: the dtype of the input ({_type_name(x._dtype)}) should be "
                           f"convertible without narrowing to the specified dtype "
                           f"({_type_name(dtype)})")
    return dtype


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """The vector `ord`-norm of `x` over `dim` (all elements when None): ``sum(abs(x) ** ord) ** (1 / ord)``;
    inf and -inf give the largest and smallest ``abs(x)``, and 0 counts the nonzeros.

    >>> import ember
    >>> ember.linalg.vector_norm(ember.tensor([3., -4.]))
    tensor(5.)
    """
    _tensor_arg(x, "linalg.vector_norm", "input", 1)
    if isinstance(ord, Tensor):
        ord = ord.item()
    if not isinstance(ord, numbers.Real):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not "
                        f"{type(ord).__name__}")
    ord = float(ord)
    result_dtype = _norm_dtype(x, dtype, "linalg.vector_norm")
    dims = wrap_dims(dim, x.ndim, "linalg.vector_norm") if dim is not None else tuple(range(x.ndim))
    if ord < 0 or ord == _INF:  # no identity to start a max/min/harmonic reduction from
        if dim is None and x.numel() == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_text(ord)} norm on an "
                               "empty tensor because the operation does not have an identity")
        for d in dims:
            if x.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_text(ord)} norm on "
                                   f"the dimension {d} because this dimension is empty and the "
                                   "operation does not have an identity")
    _out_dtype(out, result_dtype)
    return apply("vector_norm", (x,), {"ord": ord, "dims": dims, "keepdim": bool(keepdim)},
                 (compute_dtype(result_dtype).np,), out=out, result_dtype=result_dtype)


_MATRIX_ORDS = ("fro", "nuc", _INF, -_INF, 1, -1, 2, -2)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """Matrix norm over the two dims `dim`: 'fro', 'nuc' (sum of singular values),
    1/-1 (max/min column abs-sum), inf/-inf (max/min row abs-sum), 2/-2 (max/min
    singular value).

    >>> import ember
    >>> ember.linalg.matrix_norm(ember.tensor([[1., -2.], [3., 4.]]), ord=1)
    tensor(6.)
    """
    op = "linalg.matrix_norm"
    _tensor_arg(A, op, "A", 1)
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if isinstance(ord, Tensor):
        ord = ord.item()
    if isinstance(ord, numbers.Real) and not isinstance(ord, bool) and ord in _MATRIX_ORDS:
        ord = float(ord) if math.isinf(ord) else int(ord)
    elif ord not in ("fro", "nuc"):
        raise RuntimeError(f"{op}: Order {ord} not supported.")
    dim = tuple(dim)
    if len(dim) != 2:
        raise RuntimeError(f"{op}: dim must be a 2-tuple. Got {list(dim)}")
    d0, d1 = (wrap_dim(d, A.ndim, op) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"{op}: dims must be different. Got ({dim[0]}, {dim[1]})")
    result_dtype = _norm_dtype(A, dtype, op)
    if ord in (2, -2, "nuc") and A._dtype in (D.float16, D.bfloat16):
        raise RuntimeError(f"{op}: Low precision dtypes not supported. Got {_type_name(A._dtype)}")
    # min-type norms reduce over a dim that may be empty (no identity for min)
    if ord == -2 and A.shape[d0] * A.shape[d1] == 0:
        raise IndexError("amin(): Expected reduction dim -1 to have non-zero size.")
    if ord in (-1, -_INF):
        summed, over = (d0, d1) if ord == -1 else (d1, d0)
        if A.shape[over] == 0:  # PyTorch names the dim after the sum has removed `summed`
            raise IndexError(f"amin(): Expected reduction dim {over - (summed < over)} to have "
                             "non-zero size.")
    _out_dtype(out, result_dtype)
    return apply("matrix_norm", (A,), {"ord": ord, "dims": (d0, d1), "keepdim": bool(keepdim)},
                 (compute_dtype(result_dtype).np,), out=out, result_dtype=result_dtype)


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """``linalg.norm``: a vector norm (1 dim, or a flattened tensor with ``ord=None``) or a
    matrix norm (2 dims; 2-D input with an `ord` and no `dim`).

    >>> import ember
    >>> ember.linalg.norm(ember.tensor([[1., 2.], [2., 4.]]))
    tensor(5.)
    """
    _tensor_arg(A, "linalg.norm", "A", 1)
    if dim is not None:
        dims = [dim] if isinstance(dim, (int, np.integer)) else list(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                               f"{dims}")
    elif ord is not None:
        if A.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D "
                               f"or 2D. Got {A.ndim}D.")
        dims = list(range(A.ndim))
    else:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if len(dims) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype, out=out)
    return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype, out=out)


def vecdot(x, y, *, dim=-1, out=None):
    """Dot products of vectors along `dim` (with broadcasting).

    >>> import ember
    >>> ember.linalg.vecdot(ember.tensor([[1., 2.], [3., 4.]]), ember.tensor([1., 1.]))
    tensor([3., 7.])
    """
    from .pointwise import mul
    from .reduction import sum as sum_
    return sum_(mul(x, y), dim, out=out)


def svd(input, some=True, compute_uv=True, *, out=None):
    """``torch.svd`` (legacy): ``(U, S, V)`` with V (not Vh); ``some=True`` is the reduced SVD.

    >>> import ember
    >>> ember.svd(ember.tensor([[2., 0.], [0., 1.]])).S
    tensor([2., 1.])
    """
    from .shape import transpose
    U, S, Vh = linalg_svd(input, full_matrices=not some)
    return SVDOld(U, S, transpose(Vh, -2, -1))


def qr(input, some=True, *, out=None):
    """``torch.qr`` (legacy): ``linalg.qr`` with ``some`` for the reduced form."""
    return linalg_qr(input, "reduced" if some else "complete")


def cholesky(input, upper=False, *, out=None):
    """``torch.cholesky`` (legacy): ``linalg.cholesky``."""
    return linalg_cholesky(input, upper=upper, out=out)


__all__ = ["mm", "mv", "bmm", "matmul", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv",
           "addr", "addbmm", "baddbmm", "einsum", "tensordot", "kron", "trace", "cross", "cdist",
           "chain_matmul", "det", "inverse", "logdet", "slogdet", "matrix_power", "pinverse",
           "svd", "qr", "cholesky"]
METHODS = {
    "mm": mm, "mv": mv, "bmm": bmm, "matmul": matmul, "dot": dot, "vdot": vdot, "inner": inner,
    "outer": outer, "ger": outer, "addmm": addmm, "addmv": addmv, "addr": addr, "addbmm": addbmm,
    "baddbmm": baddbmm, "addmm_": addmm_, "addmv_": addmv_, "addr_": addr_, "addbmm_": addbmm_,
    "baddbmm_": baddbmm_, "kron": kron, "trace": trace, "cross": cross, "det": det,
    "logdet": logdet, "slogdet": slogdet, "inverse": inverse, "pinverse": pinverse,
    "matrix_power": matrix_power, "svd": svd, "qr": qr, "cholesky": cholesky,
    "__matmul__": _matmul_method, "__rmatmul__": _rmatmul_method, "__imatmul__": _imatmul_method,
}
