# cython: language_level=3, boundscheck=False, wraparound=False
"""Compiled fast paths for the commonest small ops.

Small-op overhead is where a Python library loses to PyTorch: the general dispatcher
(`ember._dispatch`) spends a few microseconds deciding what to do before a kernel that
takes a fraction of that. The functions here decide the most frequent cases in C:

* tensor (op) tensor of one dtype, shape and device (the CPU) with no gradient to record;
* tensor (op) Python number where the tensor's dtype is the result dtype;
* unary math on float tensors, ``sum()`` over everything, basic slicing.

They call the same kernel table as the general path, so results are identical. Every
case they do not cover -- broadcasting, promotion, autograd recording, other devices,
``out=``, errors -- goes to the general path unchanged, which is also the pure-Python
reference of everything here (``EMBER_PURE_PYTHON=1`` never loads this module).
"""
cimport numpy as cnp

import numpy as np

cnp.import_array()

# filled by install(): the Tensor class, the CPU device and backend, grad mode state,
# and the general path's autograd hook (ember._dispatch.record)
cdef object record = None
cdef object Tensor = None
cdef object VersionCounter = None
cdef object CPU = None
cdef object cpu_backend = None
cdef object grad_state = None
cdef object object_new = object.__new__
# the dtypes the fast paths handle, and which of them are floating point
cdef object F32 = None, F64 = None, I32 = None, I64 = None


def install(tensor_class, version_counter, cpu, backend, state, dtypes, record_hook):
    """Bind the module to core's objects (called once by ember._methods)."""
    global Tensor, VersionCounter, CPU, cpu_backend, grad_state, F32, F64, I32, I64, record
    Tensor, VersionCounter, CPU, cpu_backend, grad_state = tensor_class, version_counter, cpu, \
        backend, state
    record = record_hook
    F32, F64, I32, I64 = dtypes


cdef inline bint is_float(object dtype):
    return dtype is F32 or dtype is F64


cdef inline bint is_fast_dtype(object dtype):
    return dtype is F32 or dtype is F64 or dtype is I64 or dtype is I32


cdef inline object new_tensor(object array, object dtype, object device):
    # the same fields as ember._tensor._new_tensor, set without a Python call
    t = object_new(Tensor)
    t._data = array
    t._dtype = dtype
    t._device = device
    t._version_counter = VersionCounter()
    t._requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._grad_meta = None
    t._base = None
    return t


cdef inline bint plain_cpu(object t):
    """A CPU tensor no op on it will record: its requires_grad is off, or grad mode is."""
    return t._device is CPU and not (t._requires_grad and grad_state.enabled)


cdef inline bint recording(object t):
    """Whether an op on `t` is recorded by autograd (then it is recorded exactly as the
    general path records it: same op name, operands and params)."""
    return t._requires_grad and grad_state.enabled


cdef inline bint same_shape(cnp.ndarray a, cnp.ndarray b):
    # (on a typed ndarray `.shape` is the C dims pointer, not a tuple)
    cdef int i, n = cnp.PyArray_NDIM(a)
    if n != cnp.PyArray_NDIM(b):
        return False
    for i in range(n):
        if cnp.PyArray_DIMS(a)[i] != cnp.PyArray_DIMS(b)[i]:
            return False
    return True


cdef inline object empty_like_array(cnp.ndarray a):
    return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a), cnp.PyArray_TYPE(a), 0)


cdef object binary(str kernel, object a, object b, bint float_only, object general):
    """a (op) b, where `a` is a Tensor; `general(a, b)` handles every other case."""
    cdef cnp.ndarray da, db, out
    if a._device is not CPU:
        return general(a, b)
    if isinstance(b, Tensor):
        dtype = a._dtype
        if (dtype is b._dtype and b._device is CPU
                and (is_float(dtype) or (not float_only and is_fast_dtype(dtype)))):
            da, db = a._data, b._data
            if same_shape(da, db):
                out = empty_like_array(da)
                getattr(cpu_backend.kernels, kernel)(out, da, db)
                result = new_tensor(out, dtype, CPU)
                if recording(a) or recording(b):
                    record(kernel, (a, b), result, {})
                return result
        return general(a, b)
    scalar = scalar_for(a._dtype, b, float_only)
    if scalar is None:
        return general(a, b)
    da = a._data
    out = empty_like_array(da)
    getattr(cpu_backend.kernels, kernel)(out, da, scalar)
    result = new_tensor(out, a._dtype, CPU)
    if recording(a):
        record(kernel, (a, b), result, {})
    return result


cdef object reflected(str kernel, object a, object b, bint float_only, object general):
    """b (op) a for a Python number b: the reflected operators."""
    cdef cnp.ndarray da, out
    scalar = scalar_for(a._dtype, b, float_only)
    if scalar is None or a._device is not CPU:
        return general(a, b)  # the general reflected method: self=a, other=b
    da = a._data
    out = empty_like_array(da)
    getattr(cpu_backend.kernels, kernel)(out, scalar, da)
    result = new_tensor(out, a._dtype, CPU)
    if recording(a):
        record(kernel, (b, a), result, {})
    return result


cdef object scalar_for(object dtype, object value, bint float_only):
    """`value` as the kernel's operand when `dtype` is the result dtype, else None."""
    cdef type kind = type(value)
    if kind is float:
        return value if is_float(dtype) else None
    if kind is int:
        if is_float(dtype):
            return float(value)
        if float_only:
            return None
        if dtype is I64 and -9223372036854775808 <= value <= 9223372036854775807:
            return value
        if dtype is I32 and -2147483648 <= value <= 2147483647:
            return value
    return None


cdef object unary(str kernel, object a, object general):
    cdef cnp.ndarray da, out
    if isinstance(a, Tensor) and is_float(a._dtype) and a._device is CPU:
        da = a._data
        out = empty_like_array(da)
        getattr(cpu_backend.kernels, kernel)(out, da)
        result = new_tensor(out, a._dtype, CPU)
        if recording(a):
            record(kernel, (a,), result, {})
        return result
    return general(a)


cdef object inplace(str kernel, object a, object b, object alpha, bint float_only, object general):
    """a.op_(b) for same-shape same-dtype `b` or a number, when nothing records and `a` is
    writable memory that `b` does not partly overlap (the general path handles, and
    refuses, all the rest)."""
    cdef cnp.ndarray da, db
    if not isinstance(a, Tensor) or not plain_cpu(a):  # (nn.Parameter is a Tensor subclass)
        return general(a, b) if alpha is None else general(a, b, alpha=alpha)
    da = a._data
    if not cnp.PyArray_ISWRITEABLE(da):
        return general(a, b) if alpha is None else general(a, b, alpha=alpha)
    dtype = a._dtype
    if isinstance(b, Tensor):
        if not (dtype is b._dtype and plain_cpu(b)
                and (is_float(dtype) or (not float_only and is_fast_dtype(dtype)))):
            return general(a, b) if alpha is None else general(a, b, alpha=alpha)
        db = b._data
        if not same_shape(da, db) or (db is not da and may_share_memory(da, db)):
            return general(a, b) if alpha is None else general(a, b, alpha=alpha)
        operand = db
    else:
        operand = scalar_for(dtype, b, float_only)
        if operand is None:
            return general(a, b) if alpha is None else general(a, b, alpha=alpha)
    if alpha is None or alpha == 1:
        getattr(cpu_backend.kernels, kernel)(da, da, operand)
    elif type(alpha) is float and not is_float(dtype):
        return general(a, b, alpha=alpha)  # (the general path's error)
    else:
        getattr(cpu_backend.kernels, kernel)(da, da, operand, alpha=alpha)
    a._version_counter.bump(kernel + "_")
    return a


cdef object may_share_memory = np.may_share_memory


# --- the entry points installed on Tensor (each with its general twin) ------------------
# The general twins are set by ember._methods: _general[name] is the function the
# fast path falls back to.
_general = {}


def add(a, b):
    return binary("add", a, b, False, _general["__add__"])


def radd(a, b):
    return reflected("add", a, b, False, _general["__radd__"])


def sub(a, b):
    return binary("sub", a, b, False, _general["__sub__"])


def rsub(a, b):
    return reflected("sub", a, b, False, _general["__rsub__"])


def mul(a, b):
    return binary("mul", a, b, False, _general["__mul__"])


def rmul(a, b):
    return reflected("mul", a, b, False, _general["__rmul__"])


def truediv(a, b):
    return binary("div", a, b, True, _general["__truediv__"])


def rtruediv(a, b):
    return reflected("div", a, b, True, _general["__rtruediv__"])


def add_(a, b, *, alpha=None):
    return inplace("add", a, b, alpha, False, _general["add_"])


def sub_(a, b, *, alpha=None):
    return inplace("sub", a, b, alpha, False, _general["sub_"])


def mul_(a, b):
    return inplace("mul", a, b, None, False, _general["mul_"])


def div_(a, b, *, rounding_mode=None):
    if rounding_mode is not None:
        return _general["div_"](a, b, rounding_mode=rounding_mode)
    return inplace("div", a, b, None, True, _general["div_"])


def neg(a):
    return unary("neg", a, _general["__neg__"])


def exp(a):
    return unary("exp", a, _general["exp"])


def tanh(a):
    return unary("tanh", a, _general["tanh"])


def sigmoid(a):
    return unary("sigmoid", a, _general["sigmoid"])


def relu(a):
    return unary("relu", a, _general["relu"])


def sum(a, dim=None, keepdim=False, *, dtype=None, out=None):
    cdef cnp.ndarray da
    if (dim is None and dtype is None and out is None and not keepdim and isinstance(a, Tensor)
            and is_float(a._dtype) and a._device is CPU):
        da = a._data
        dims = tuple(range(cnp.PyArray_NDIM(da)))
        result = new_tensor(np.asarray(cpu_backend.kernels.sum(da, dims, False)), a._dtype, CPU)
        if recording(a):
            record("sum", (a,), result, {"dim": dims, "keepdim": False})
        return result
    return _general["sum"](a, dim, keepdim, dtype=dtype, out=out)


def getitem(a, key):
    """Basic slicing ``t[i:j]`` / ``t[i:j, k:l]`` (positive steps) on a plain CPU tensor."""
    cdef cnp.ndarray da
    if type(a) is Tensor and plain_cpu(a) and simple_slices(key):
        da = a._data
        if len(<tuple>key if type(key) is tuple else (key,)) > cnp.PyArray_NDIM(da):
            return _general["__getitem__"](a, key)  # too many indices: the general error
        return new_view(a, da[key])
    return _general["__getitem__"](a, key)


cdef object new_view(object a, object array):
    # the same fields as ember._tensor._new_view
    t = object_new(Tensor)
    t._data = array
    t._dtype = a._dtype
    t._device = a._device
    t._version_counter = a._version_counter
    t._requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._grad_meta = None
    t._base = a._base if a._base is not None else a
    return t


cdef object int_shape(tuple args):
    """``f(2, 3)`` or ``f((2, 3))`` as a tuple of Python ints, else None."""
    if len(args) == 1 and isinstance(args[0], tuple):
        args = tuple(args[0])  # also ember.Size
    for s in args:
        if type(s) is not int or s < -1:  # (numpy reads any negative size as "infer")
            return None
    return args


cdef object fast_reshape(cnp.ndarray da, tuple dims):
    """A view of `da` with shape `dims`, or None. A C-contiguous array always reshapes
    without copying (numpy's method is the cheap call); other layouts ask the kernel
    table, which refuses to copy."""
    try:
        if cnp.PyArray_IS_C_CONTIGUOUS(da):
            return da.reshape(dims)
        return cpu_backend.kernels.reshape_view(da, dims)
    except ValueError:  # e.g. a size that does not fit: the general path words the error
        return None


cdef object reshaped(object a, tuple shape, str name):
    """`a` viewed with `shape` where it is a plain reshape of a CPU tensor; every other
    case (copies for reshape, errors for view) goes to the general method `name`."""
    dims = int_shape(shape)
    if dims is not None and type(a) is Tensor and plain_cpu(a):
        array = fast_reshape(a._data, dims)
        if array is not None:
            return new_view(a, array)
    return _general[name](a, *shape)


def view(a, *shape):
    return reshaped(a, shape, "view")


def reshape(a, *shape):
    return reshaped(a, shape, "reshape")


def matmul(a, b):
    """2-D float ``a @ b`` of one dtype, straight into a new output through BLAS."""
    cdef cnp.ndarray da, db, out
    cdef cnp.npy_intp dims[2]
    if (isinstance(b, Tensor) and isinstance(a, Tensor) and a._dtype is b._dtype
            and is_float(a._dtype) and a._device is CPU and b._device is CPU):
        da, db = a._data, b._data
        if (cnp.PyArray_NDIM(da) == 2 and cnp.PyArray_NDIM(db) == 2
                and cnp.PyArray_DIMS(da)[1] == cnp.PyArray_DIMS(db)[0]):
            dims[0], dims[1] = cnp.PyArray_DIMS(da)[0], cnp.PyArray_DIMS(db)[1]
            out = cnp.PyArray_EMPTY(2, dims, cnp.PyArray_TYPE(da), 0)
            cpu_backend.kernels.matmul(da, db, out=out)
            result = new_tensor(out, a._dtype, CPU)
            if recording(a) or recording(b):
                record("matmul", (a, b), result, {})
            return result
    return _general["__matmul__"](a, b)


cdef bint simple_slices(object key):
    if type(key) is slice:
        return simple_slice(key)
    if type(key) is tuple and 0 < len(key) <= 4:
        for k in key:
            if type(k) is not slice or not simple_slice(k):
                return False
        return True
    return False


cdef inline bint simple_slice(object s):
    step = (<slice>s).step
    start = (<slice>s).start
    stop = (<slice>s).stop
    return ((step is None or (type(step) is int and step > 0))
            and (start is None or type(start) is int) and (stop is None or type(stop) is int))


def function(str kernel, a, b, bint float_only, general):
    """``ember.add(a, b)``, ``sub``, ``mul`` and ``div`` without keywords (`a` a Tensor):
    the operators' path, falling back to `general(a, b)`."""
    return binary(kernel, a, b, float_only, general)


FAST_METHODS = {"__add__": add, "__radd__": radd, "__sub__": sub, "__rsub__": rsub,
                "__mul__": mul, "__rmul__": rmul, "__truediv__": truediv,
                "__rtruediv__": rtruediv, "__neg__": neg, "exp": exp, "tanh": tanh,
                "sigmoid": sigmoid, "relu": relu, "sum": sum, "__getitem__": getitem, "view": view,
                "reshape": reshape, "__matmul__": matmul, "add_": add_, "sub_": sub_,
                "mul_": mul_, "div_": div_}
