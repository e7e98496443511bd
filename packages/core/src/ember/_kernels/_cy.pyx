# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
# cython: language_level=3
"""Cython kernels: the hot methods of `reference.Kernels`, with the same interface.

Every pointwise kernel follows one recipe:

1. `_plan` turns ``out`` and the inputs (arrays, or Python scalars) into a `Plan`: the
   output shape with size-1 dims dropped and mergeable dims merged, and per operand a
   data pointer and byte strides (0 where an input broadcasts; a scalar is stored in the
   plan itself with all strides 0).
2. The flat element range of the output is cut into chunks; big ranges run in parallel
   under ``prange`` without the GIL (see `set_num_threads`).
3. A chunk walks its rows with `_row_at` (flat index -> operand pointers: the one index
   helper all kernels share) and a typed row loop does the arithmetic. Contiguous and
   scalar operands get loops of their own so that the C compiler vectorizes them.

The element type is a fused type and the operation a fused "tag" type (empty structs
that only select code at compile time), so one generic loop serves every op and dtype.
Index ops (gather, scatter...), scans and softmax walk plans too, through one job table
(`Job`, `_run_job`): one dim is special there, and writes that may collide stay in one
thread (see the section at the end).
Cases not covered here (float16, complex, unaligned or byte-swapped arrays, Python
scalars that do not fit the dtype...) go to the reference method, so the result is
always the reference's. Arguments were checked by the op's front end: no checks here.
"""
cimport numpy as cnp
from cython.parallel cimport prange
from libc.math cimport INFINITY, sqrt as c_sqrt
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

import numpy as np

from .._threads import get_num_threads as get_num_threads_setting
from .reference import Kernels as _Ref

cnp.import_array()

ctypedef cnp.npy_intp intp
ctypedef cnp.float32_t f32
ctypedef cnp.float64_t f64

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define EMBER_OPENMP 1
    static int ember_team_size(void) { return omp_get_num_threads(); }
    #else
    #define EMBER_OPENMP 0
    static int ember_team_size(void) { return 1; }
    #endif
    """
    int ember_team_size() noexcept nogil
    bint EMBER_OPENMP

cdef extern from *:
    """
    /* The innermost loop of contiguous sums, the one place where the vector width of the
       baseline x86-64 build (SSE2) costs more than memory does: GCC compiles it once per
       instruction set listed and picks the best for the CPU when the module loads. */
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
    #define EMBER_X86 1
    #define EMBER_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
    #else
    #define EMBER_CLONES
    #endif
    #define EMBER_BLOCK_SUM(T, NAME)                                              \
    static EMBER_CLONES double NAME(const T *a, Py_ssize_t n) {                   \
        /* blocks of 1024 on 64 lanes of T (16 terms a lane, like numpy's pairwise \
           leaves), lanes folded pairwise to 16 and added to 16 lanes of double,   \
           which are added up at the end (no serial chain between blocks, so the   \
           loads of one block overlap the adds of the last) */                     \
        double sums[16] = {0}, total = 0;                                         \
        for (Py_ssize_t j = 0; j < n; j += 1024) {                                \
            Py_ssize_t m = n - j < 1024 ? n - j : 1024, i = 0;                    \
            T lane[64] = {0};                                                     \
            for (; i + 64 <= m; i += 64)                                          \
                for (int l = 0; l < 64; l++) lane[l] += a[j + i + l];             \
            for (; i < m; i++) lane[i & 63] += a[j + i];                          \
            for (int l = 0; l < 16; l++)                                          \
                sums[l] += (lane[l] + lane[l + 16]) + (lane[l + 32] + lane[l + 48]); \
        }                                                                         \
        for (int l = 0; l < 8; l++) sums[l] += sums[l + 8];                       \
        for (int l = 0; l < 8; l++) total += sums[l];                             \
        return total;                                                             \
    }
    EMBER_BLOCK_SUM(float, ember_sum_f32)
    EMBER_BLOCK_SUM(double, ember_sum_f64)

    /* Contiguous float rows of add, sub, mul and div (op 0-3), compiled per vector set too:
       on 10M float32 the baseline's 16-byte vectors took twice as long as 64-byte ones.
       The arithmetic is the Cython loops' (x + alpha * y, never contracted). */
    #define EMBER_ARITH(T, NAME)                                                      \
    static EMBER_CLONES void NAME(int op, T *o, const T *a, const T *b, Py_ssize_t n, \
                                  T alpha) {                                          \
        Py_ssize_t i;                                                                 \
        if (op == 0) for (i = 0; i < n; i++) o[i] = a[i] + alpha * b[i];              \
        else if (op == 1) for (i = 0; i < n; i++) o[i] = a[i] - alpha * b[i];         \
        else if (op == 2) for (i = 0; i < n; i++) o[i] = a[i] * b[i];                 \
        else for (i = 0; i < n; i++) o[i] = a[i] / b[i];                              \
    }
    EMBER_ARITH(float, ember_arith_f32)
    EMBER_ARITH(double, ember_arith_f64)

    /* Contiguous float rows of clamp (relu is clamp to [0, inf]), per vector set for the
       same reason: `lo > x ? lo : x` is one max instruction a vector, and passes a NaN x
       and -0.0 (against 0) through as x, like the Cython loops. */
    #define EMBER_CLAMP(T, NAME)                                                      \
    static EMBER_CLONES void NAME(T *o, const T *a, Py_ssize_t n, T lo, T hi) {       \
        for (Py_ssize_t i = 0; i < n; i++) {                                          \
            T x = lo > a[i] ? lo : a[i];                                              \
            o[i] = hi < x ? hi : x;                                                   \
        }                                                                             \
    }
    EMBER_CLAMP(float, ember_clamp_f32)
    EMBER_CLAMP(double, ember_clamp_f64)

    /* acc[e] += the sum of nr rows' e-th elements (rows[g][e * s]), for a float32 sum
       over a leading dim (sum(dim=0)): four rows a pass, added pairwise in float32 and
       then into the double accumulators, so that acc is loaded and stored once per four
       rows, four streams are read at once, and no float32 sum runs longer than the
       pairs (sums staged in float32 over many rows had drifted by 5 ulp). */
    #define EMBER_ADD_ROWS_PASS(S)                                                    \
        for (; g + 4 <= nr; g += 4) {                                                 \
            const float *a = rows[g], *b = rows[g + 1], *c = rows[g + 2], *d = rows[g + 3]; \
            for (Py_ssize_t e = 0; e < m; e++)                                        \
                acc[e] += (a[e * S] + b[e * S]) + (c[e * S] + d[e * S]);              \
        }                                                                             \
        for (; g < nr; g++)                                                           \
            for (Py_ssize_t e = 0; e < m; e++) acc[e] += rows[g][e * S];
    static EMBER_CLONES void ember_add_rows_f32(double *acc, const float *const *rows, int nr,
                                                Py_ssize_t m, Py_ssize_t s) {
        int g = 0;
        if (s == 1) {  /* contiguous stretches: the loops the compiler vectorizes */
            EMBER_ADD_ROWS_PASS(1)
        } else {
            EMBER_ADD_ROWS_PASS(s)
        }
    }

    /* exp for float32 written without calls or branches, so that GCC vectorizes the
       loops that use it: exp(x) = 2^k exp(r) with k = round(x / ln 2), |r| <= ln(2)/2,
       exp(r) = 1 + r + r^2 P(r) with P of degree 4 fitted to minimize the relative error
       on that interval (below 4e-9), and 2^k applied as two power-of-two factors so that
       results down in the subnormal range and overflow to inf come out right. NaN stays
       NaN. Within 1.014 ulp of the exact exp over all float32 inputs (measured; the
       parity tests check a sample). */
    static inline float ember_expf(float x) {
        float y = x > 89.0f ? 89.0f : x;
        y = y < -104.0f ? -104.0f : y;
        float k = (y * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
        float r = (y - k * 0.693359375f) + k * 2.12194440e-4f;
        float p = 1.38146081e-3f;
        p = p * r + 8.36871006e-3f;
        p = p * r + 4.16683890e-2f;
        p = p * r + 1.66665211e-1f;
        p = p * r + 4.99999940e-1f;
        p = (r + (r * r) * p) + 1.0f;
        int ki = (int)k, k1 = ki >> 1, k2 = ki - k1;
        int b1 = (k1 + 127) << 23, b2 = (k2 + 127) << 23;
        float s1, s2;
        memcpy(&s1, &b1, 4);
        memcpy(&s2, &b2, 4);
        return (p * s1) * s2;
    }

    /* exp of a row of float32 with element strides sa, so: the polynomial's arithmetic,
       not the memory traffic, bounds this loop, so it is compiled for the wider vector
       sets, and with fused multiply-adds where the set has them (avx512f): its results
       can differ in the last bit between machines. */
    #if defined(__GNUC__) && !defined(__clang__)
    #define EMBER_CONTRACT __attribute__((optimize("fp-contract=fast")))
    #else
    #define EMBER_CONTRACT
    #endif
    static EMBER_CLONES EMBER_CONTRACT void ember_exp_f32_loop(const float *a, Py_ssize_t sa,
                                                               float *o, Py_ssize_t so,
                                                               Py_ssize_t n) {
        if (sa == 1 && so == 1)
            for (Py_ssize_t i = 0; i < n; i++) o[i] = ember_expf(a[i]);
        else
            for (Py_ssize_t i = 0; i < n; i++) o[i * so] = ember_expf(a[i * sa]);
    }

    /* ember_expf on 16 lanes, written out for AVX-512 because of one instruction the
       compiler never emits for C: vscalefps multiplies by 2^k in one step, with the single
       rounding that the two power-of-two factors give subnormal results (eight integer and
       float instructions of the vectorized ember_expf). The other steps are ember_expf's,
       contracted the same way; the clamps are min/max with x second, which keeps a NaN.
       The loop takes 18 vector instructions per 16 floats instead of 28: 0.28 ns a float
       on one thread with the data in cache, from 0.42, which lets it keep up with memory.
       Over all 2^32 inputs it gives the vectorized ember_expf's results bit for bit (GCC's
       scalar remainder loop contracts differently: 17 inputs differ by an ulp), within
       1.014 ulp of exp. */
    #ifdef EMBER_X86
    #include <immintrin.h>
    #define EMBER_AVX512 __attribute__((target("avx512f")))
    static inline EMBER_AVX512 __attribute__((always_inline)) __m512 ember_expf16(__m512 x) {
        __m512 magic = _mm512_set1_ps(12582912.0f);
        __m512 y = _mm512_max_ps(_mm512_set1_ps(-104.0f), _mm512_min_ps(_mm512_set1_ps(89.0f), x));
        __m512 k = _mm512_sub_ps(_mm512_fmadd_ps(y, _mm512_set1_ps(1.44269504088896341f), magic),
                                 magic);
        __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), y);
        r = _mm512_fmadd_ps(k, _mm512_set1_ps(2.12194440e-4f), r);
        __m512 p = _mm512_set1_ps(1.38146081e-3f);
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.36871006e-3f));
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.16683890e-2f));
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.66665211e-1f));
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.99999940e-1f));
        p = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(r, r), p, r), _mm512_set1_ps(1.0f));
        return _mm512_scalef_ps(p, k);
    }
    /* o[i] = exp(a[i] - shift): softmax shifts by the row's max, exp by 0 (exact) */
    static EMBER_AVX512 void ember_exp_f32_avx512(const float *a, float shift, float *o,
                                                  Py_ssize_t n) {
        __m512 s = _mm512_set1_ps(shift);
        Py_ssize_t i = 0;
        for (; i + 16 <= n; i += 16)
            _mm512_storeu_ps(o + i, ember_expf16(_mm512_sub_ps(_mm512_loadu_ps(a + i), s)));
        if (i < n) {  /* the last n - i < 16 lanes, masked */
            __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
            __m512 x = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), s);
            _mm512_mask_storeu_ps(o + i, m, ember_expf16(x));
        }
    }
    #endif

    /* exp(a[i] - shift) of a contiguous float32 row by the AVX-512 loop where the CPU has
       one; 0 where it has not, and the caller's loop does it */
    static inline int ember_exp_row_f32(const float *a, float shift, float *o, Py_ssize_t n) {
    #ifdef EMBER_X86
        if (__builtin_cpu_supports("avx512f")) {
            ember_exp_f32_avx512(a, shift, o, n);
            return 1;
        }
    #endif
        return 0;
    }
    static inline int ember_exp_row_f64(const double *a, double shift, double *o,
                                        Py_ssize_t n) {
        return 0;  /* float64 exp is libm's */
    }

    static void ember_exp_f32(const float *a, Py_ssize_t sa, float *o, Py_ssize_t so,
                              Py_ssize_t n) {
        if (!(sa == 1 && so == 1 && ember_exp_row_f32(a, 0.0f, o, n)))
            ember_exp_f32_loop(a, sa, o, so, n);
    }

    /* softmax (or log_softmax) of one row of n elements with element strides sa, so:
       the max, the exponentials (into o), their sum, the scaling: four plain loops that
       GCC vectorizes when the strides are 1. The sum runs on 16 lanes of double (as
       exact as the reference's sum, which adds in double too). A NaN is never the max;
       it makes the sum, and so the whole row, NaN, as the reference's arithmetic does. */
    /* GCC turns a max reduction into vector max instructions only when it may ignore
       NaN and the sign of zero. Softmax may: a NaN anywhere in a row makes the row NaN
       through the sum whatever the max is, and exp(x - (-0)) == exp(x - 0). */
    #if defined(__GNUC__) && !defined(__clang__)
    #define EMBER_MAX_REDUCTION __attribute__((optimize("finite-math-only", "no-signed-zeros")))
    #else
    #define EMBER_MAX_REDUCTION
    #endif
    #define EMBER_SOFTMAX(T, NAME, EXP, EXP_ROW)                                      \
    static EMBER_CLONES EMBER_MAX_REDUCTION T NAME##_max(const T *a, Py_ssize_t n) {   \
        T m = -(T)INFINITY;                                                           \
        for (Py_ssize_t i = 0; i < n; i++) m = a[i] > m ? a[i] : m;                   \
        return m;                                                                     \
    }                                                                                 \
    static inline __attribute__((always_inline)) void NAME##_body(                    \
            const T *a, Py_ssize_t sa, T *o, Py_ssize_t so, Py_ssize_t n, int log_) {  \
        T m = -(T)INFINITY;                                                           \
        double acc[16] = {0}, total = 0;                                              \
        Py_ssize_t i;                                                                 \
        if (sa == 1)                                                                  \
            m = NAME##_max(a, n);                                                     \
        else                                                                          \
            for (i = 0; i < n; i++) m = a[i * sa] > m ? a[i * sa] : m;                \
        if (!(sa == 1 && so == 1 && EXP_ROW(a, m, o, n)))                              \
            for (i = 0; i < n; i++) o[i * so] = EXP(a[i * sa] - m);                   \
        for (i = 0; i + 16 <= n; i += 16)                                             \
            for (int l = 0; l < 16; l++) acc[l] += o[(i + l) * so];                   \
        for (; i < n; i++) acc[0] += o[i * so];                                       \
        for (int w = 8; w > 0; w >>= 1)  /* pairwise: no lane meets 15 roundings */  \
            for (int l = 0; l < w; l++) acc[l] += acc[l + w];                         \
        total = acc[0];                                                               \
        if (log_) {                                                                   \
            T lse = (T)log(total);                                                   \
            for (i = 0; i < n; i++) o[i * so] = (a[i * sa] - m) - lse;                \
        } else if (sizeof(T) == sizeof(double)) {  /* divide: the reciprocal's      \
            rounding would add an ulp to a double's half */                           \
            for (i = 0; i < n; i++) o[i * so] /= total;                               \
        } else {  /* float: the double reciprocal, rounded once, is within an ulp */  \
            T scale = (T)(1 / total);                                                 \
            for (i = 0; i < n; i++) o[i * so] *= scale;                               \
        }                                                                             \
    }                                                                                 \
    /* (contracted like ember_exp_f32: float32 softmax spends its time in the exp) */ \
    static EMBER_CLONES EMBER_CONTRACT void NAME(const T *a, Py_ssize_t sa, T *o,     \
                                                 Py_ssize_t so, Py_ssize_t n, int log_) { \
        if (sa == 1 && so == 1)                                                       \
            NAME##_body(a, 1, o, 1, n, log_);                                         \
        else                                                                          \
            NAME##_body(a, sa, o, so, n, log_);                                       \
    }
    /* softmax of w adjacent lanes at once (lane l starts at a + l, its elements sa
       apart): a softmax over a leading dim, where one lane alone would load one element
       per cache line. Blocks of 64 lanes advance together through the four passes, so
       every load is a contiguous run the compiler vectorizes; each lane's sum is in
       double, as in the row kernel. */
    #define EMBER_SOFTMAX_LANES(T, NAME, EXP)                                         \
    static EMBER_CLONES void NAME(const T *a, Py_ssize_t sa, T *o, Py_ssize_t so,     \
                                  Py_ssize_t n, Py_ssize_t w, int log_) {             \
        T m[64], lse[64];                                                             \
        double sum[64];                                                               \
        for (Py_ssize_t c = 0; c < w; c += 64) {                                      \
            Py_ssize_t b = w - c < 64 ? w - c : 64, i, l;                             \
            const T *x = a + c;                                                       \
            T *y = o + c;                                                             \
            for (l = 0; l < b; l++) { m[l] = -(T)INFINITY; sum[l] = 0; }              \
            for (i = 0; i < n; i++)                                                   \
                for (l = 0; l < b; l++)                                               \
                    m[l] = x[i * sa + l] > m[l] ? x[i * sa + l] : m[l];               \
            for (i = 0; i < n; i++)                                                   \
                for (l = 0; l < b; l++) y[i * so + l] = EXP(x[i * sa + l] - m[l]);    \
            for (i = 0; i < n; i++)                                                   \
                for (l = 0; l < b; l++) sum[l] += y[i * so + l];                      \
            if (log_) {                                                               \
                for (l = 0; l < b; l++) lse[l] = (T)log(sum[l]);                      \
                for (i = 0; i < n; i++)                                               \
                    for (l = 0; l < b; l++)                                           \
                        y[i * so + l] = (x[i * sa + l] - m[l]) - lse[l];              \
            } else if (sizeof(T) == sizeof(double)) {                                 \
                for (i = 0; i < n; i++)                                               \
                    for (l = 0; l < b; l++) y[i * so + l] /= sum[l];                  \
            } else {                                                                  \
                for (l = 0; l < b; l++) lse[l] = (T)(1 / sum[l]);  /* the scales */   \
                for (i = 0; i < n; i++)                                               \
                    for (l = 0; l < b; l++) y[i * so + l] *= lse[l];                  \
            }                                                                         \
        }                                                                             \
    }
    EMBER_SOFTMAX(float, ember_softmax_f32, ember_expf, ember_exp_row_f32)
    EMBER_SOFTMAX(double, ember_softmax_f64, exp, ember_exp_row_f64)
    EMBER_SOFTMAX_LANES(float, ember_softmax_lanes_f32, ember_expf)
    EMBER_SOFTMAX_LANES(double, ember_softmax_lanes_f64, exp)
    """
    double ember_sum_f32(const f32 *a, intp n) noexcept nogil
    double ember_sum_f64(const f64 *a, intp n) noexcept nogil
    void ember_arith_f32(int op, f32 *o, const f32 *a, const f32 *b, intp n, f32 alpha) noexcept nogil
    void ember_arith_f64(int op, f64 *o, const f64 *a, const f64 *b, intp n, f64 alpha) noexcept nogil
    void ember_clamp_f32(f32 *o, const f32 *a, intp n, f32 lo, f32 hi) noexcept nogil
    void ember_clamp_f64(f64 *o, const f64 *a, intp n, f64 lo, f64 hi) noexcept nogil
    void ember_add_rows_f32(double *acc, const f32 **rows, int nr, intp m, intp s) noexcept nogil
    void ember_exp_f32(const f32 *a, intp sa, f32 *o, intp so, intp n) noexcept nogil
    void ember_softmax_f32(const f32 *a, intp sa, f32 *o, intp so, intp n, int log_) noexcept nogil
    void ember_softmax_f64(const f64 *a, intp sa, f64 *o, intp so, intp n, int log_) noexcept nogil
    void ember_softmax_lanes_f32(const f32 *a, intp sa, f32 *o, intp so, intp n, intp w,
                                 int log_) noexcept nogil
    void ember_softmax_lanes_f64(const f64 *a, intp sa, f64 *o, intp so, intp n, intp w,
                                 int log_) noexcept nogil

cdef enum:
    MAXD = 64          # numpy's NPY_MAXDIMS
    MAXOPS = 4         # the output and up to three inputs (where)
    PAR_MIN = 65536    # below this many elements one thread does the work
    RED_CHUNK = 65536  # full reductions sum fixed-size chunks: same result for any thread count
    BLOCK = 1024       # row pieces staged through a buffer (sigmoid)

# element type codes (bool is stored as uint8 0/1)
cdef enum:
    F32, F64, I8, I16, I32, I64, U8, B1

ctypedef fused num:
    f32
    f64
    cnp.int8_t
    cnp.int16_t
    cnp.int32_t
    cnp.int64_t
    cnp.uint8_t

ctypedef fused src_t:   # a second, independent element type (casts)
    f32
    f64
    cnp.int8_t
    cnp.int16_t
    cnp.int32_t
    cnp.int64_t
    cnp.uint8_t

ctypedef fused real:
    f32
    f64

# operation tags
cdef struct Add:
    char _
cdef struct Sub:
    char _
cdef struct Mul:
    char _
cdef struct Div:
    char _
cdef struct Max:
    char _
cdef struct Min:
    char _
cdef struct Eq:
    char _
cdef struct Ne:
    char _
cdef struct Lt:
    char _
cdef struct Le:
    char _
cdef struct Gt:
    char _
cdef struct Ge:
    char _
cdef struct Neg:
    char _
cdef struct Relu:
    char _
cdef struct Sqrt:
    char _
cdef struct Clamp:
    char _
cdef struct Exp:
    char _

ctypedef fused binop:
    Add
    Sub
    Mul
    Div
    Max
    Min

ctypedef fused cmpop:
    Eq
    Ne
    Lt
    Le
    Gt
    Ge

ctypedef fused unop:
    Neg
    Relu
    Sqrt
    Clamp
    Exp

OPENMP = EMBER_OPENMP  # False when built without OpenMP (EMBER_NO_OPENMP=1): one thread

cdef int _threads = get_num_threads_setting()  # ember.set_num_threads keeps it current


def set_num_threads(int n):
    """Threads used by the parallel loops (called by ember.set_num_threads)."""
    global _threads
    _threads = max(1, n)


def get_num_threads():
    return _threads


def team_size(intp size=PAR_MIN):
    """How many threads a kernel over `size` elements runs on (a check for the tests)."""
    cdef int c, nch = _nchunks(size)
    cdef int seen = 1
    cdef int *where = &seen  # written through a pointer: prange would privatize `seen`
    if nch == 1:
        return 1
    for c in prange(nch, nogil=True, num_threads=nch, schedule="static"):
        if c == 0:
            where[0] = ember_team_size()
    return seen


cdef inline int _nchunks(intp size) noexcept nogil:
    if size < PAR_MIN or _threads <= 1:
        return 1
    return <int>min(<intp>_threads, size // (PAR_MIN // 2))


# --- plans: operands as pointers and strides over one shape -------------------------
ctypedef struct Plan:
    int ndim
    int nops
    intp size
    intp shape[MAXD]
    intp strides[MAXOPS][MAXD]
    char *data[MAXOPS]
    double scalar[MAXOPS]   # storage for scalar operands, converted to their type


cdef inline int _code(int typenum) noexcept:
    if typenum == cnp.NPY_FLOAT:
        return F32
    if typenum == cnp.NPY_DOUBLE:
        return F64
    if typenum == cnp.NPY_BOOL:
        return B1
    if typenum == cnp.NPY_BYTE:
        return I8
    if typenum == cnp.NPY_UBYTE:
        return U8
    if typenum == cnp.NPY_SHORT:
        return I16
    if typenum == cnp.NPY_INT or (typenum == cnp.NPY_LONG and sizeof(long) == 4):
        return I32
    if typenum == cnp.NPY_LONGLONG or (typenum == cnp.NPY_LONG and sizeof(long) == 8):
        return I64
    return -1


cdef inline bint _usable(cnp.ndarray a) noexcept:
    return cnp.PyArray_ISALIGNED(a) and cnp.PyArray_ISNOTSWAPPED(a)


cdef int _put_scalar(Plan *p, int k, object x, int code) except -1:
    """Operand k is the Python scalar `x` in type `code`; 0 when it does not fit."""
    if not _convert(&p.scalar[k], x, code):
        return 0
    p.data[k] = <char*>&p.scalar[k]
    for j in range(p.ndim):
        p.strides[k][j] = 0
    return 1


cdef object _np_floating = np.floating, _np_integral = (np.integer, np.bool_)


cdef int _convert(void *slot, object x, int code) except -1:
    """Store Python scalar `x` at `slot` as type `code`; 0 when it does not fit."""
    cdef double d
    cdef long long v
    if isinstance(x, float) or (not isinstance(x, int) and isinstance(x, _np_floating)):
        if code != F32 and code != F64:
            return 0  # a float scalar with integer data would change the result type
        d = x
        if code == F32:
            (<f32*>slot)[0] = <f32>d
        else:
            (<f64*>slot)[0] = d
    elif isinstance(x, int) or isinstance(x, _np_integral):
        if code == F32 or code == F64:
            try:
                d = x
            except OverflowError:
                return 0
            if code == F32:
                (<f32*>slot)[0] = <f32>d
            else:
                (<f64*>slot)[0] = d
            return 1
        if code == B1 and not isinstance(x, (bool, np.bool_)):
            return 0
        try:
            v = x
        except OverflowError:
            return 0
        if code == I8 and -128 <= v <= 127:
            (<cnp.int8_t*>slot)[0] = <cnp.int8_t>v
        elif (code == U8 or code == B1) and 0 <= v <= 255:
            (<cnp.uint8_t*>slot)[0] = <cnp.uint8_t>v
        elif code == I16 and -32768 <= v <= 32767:
            (<cnp.int16_t*>slot)[0] = <cnp.int16_t>v
        elif code == I32 and -2147483648 <= v <= 2147483647:
            (<cnp.int32_t*>slot)[0] = <cnp.int32_t>v
        elif code == I64:
            (<cnp.int64_t*>slot)[0] = v
        else:
            return 0  # out of range: the reference raises numpy's OverflowError
    else:
        return 0
    return 1


cdef int _put_array(Plan *p, int k, cnp.ndarray a) except -1:
    """Operand k is array `a` broadcast to the plan's shape; 0 when it does not broadcast."""
    cdef int nd = cnp.PyArray_NDIM(a), off = p.ndim - nd, j
    cdef intp *shape = cnp.PyArray_DIMS(a)
    cdef intp *strides = cnp.PyArray_STRIDES(a)
    if off < 0:
        return 0
    p.data[k] = cnp.PyArray_BYTES(a)
    for j in range(p.ndim):
        if j < off or shape[j - off] == 1:
            p.strides[k][j] = 0
        elif shape[j - off] == p.shape[j]:
            p.strides[k][j] = strides[j - off]
        else:
            return 0
    return 1


cdef void _extent(const Plan *p, int k, intp itemsize, char **lo, char **hi) noexcept:
    cdef intp s
    lo[0] = hi[0] = p.data[k]
    for j in range(p.ndim):
        s = (p.shape[j] - 1) * p.strides[k][j]
        if s < 0:
            lo[0] += s
        else:
            hi[0] += s
    hi[0] += itemsize


cdef bint _must_copy(const Plan *p, int k, cnp.ndarray out, cnp.ndarray a) noexcept:
    """True when input k shares memory with the output in a way an elementwise loop
    could read after writing (anything but the very same view)."""
    cdef char *lo0
    cdef char *hi0
    cdef char *lo
    cdef char *hi
    _extent(p, 0, cnp.PyArray_ITEMSIZE(out), &lo0, &hi0)
    _extent(p, k, cnp.PyArray_ITEMSIZE(a), &lo, &hi)
    if lo >= hi0 or lo0 >= hi:
        return False
    if p.data[k] != p.data[0] or cnp.PyArray_ITEMSIZE(a) != cnp.PyArray_ITEMSIZE(out):
        return True
    for j in range(p.ndim):
        if p.shape[j] > 1 and p.strides[k][j] != p.strides[0][j]:
            return True
    return False


cdef void _coalesce(Plan *p) noexcept:
    """Drop size-1 dims and merge dims that every operand walks as one."""
    cdef int j, k, n = 0
    cdef bint merge
    p.size = 1
    for j in range(p.ndim):
        p.size *= p.shape[j]
        if p.shape[j] == 1:
            continue
        merge = n > 0
        if merge:
            for k in range(p.nops):
                if p.strides[k][n - 1] != p.strides[k][j] * p.shape[j]:
                    merge = False
                    break
        if merge:
            p.shape[n - 1] *= p.shape[j]
            for k in range(p.nops):
                p.strides[k][n - 1] = p.strides[k][j]
        else:
            p.shape[n] = p.shape[j]
            for k in range(p.nops):
                p.strides[k][n] = p.strides[k][j]
            n += 1
    if n == 0:
        p.shape[0] = 1
        for k in range(p.nops):
            p.strides[k][0] = 0
        n = 1
    p.ndim = n


cdef int _plan(Plan *p, cnp.ndarray out, int nin, object x1, object x2, object x3,
               int in_code, int first_code, list alive) except -1:
    """Fill `p` for ``out`` and inputs x1..x{nin}; inputs must have type `in_code` (x1
    `first_code`). Copies made of inputs that overlap `out` go into `alive`, which the
    caller holds until the kernel has run. Returns 0 when the case is not covered."""
    cdef int k, code
    cdef object x
    cdef cnp.ndarray a
    if not _usable(out) or not cnp.PyArray_ISWRITEABLE(out):
        return 0  # a read-only output (an expanded view...): the reference raises numpy's error
    p.ndim = cnp.PyArray_NDIM(out)
    p.nops = nin + 1
    memcpy(p.shape, cnp.PyArray_DIMS(out), p.ndim * sizeof(intp))
    _put_array(p, 0, out)
    for k in range(1, nin + 1):
        x = x1 if k == 1 else (x2 if k == 2 else x3)
        code = first_code if k == 1 else in_code
        if isinstance(x, cnp.ndarray):
            a = <cnp.ndarray>x
            if _code(cnp.PyArray_TYPE(a)) != code or not _usable(a):
                return 0
            if not _put_array(p, k, a):
                return 0
            if cnp.PyArray_SIZE(out) and _must_copy(p, k, out, a):
                a = a.copy()
                alive.append(a)
                _put_array(p, k, a)
        elif not _put_scalar(p, k, x, code):
            return 0
    _coalesce(p)
    return 1


cdef inline intp _row_at(const Plan *p, intp i, intp stop, char **ptr) noexcept nogil:
    """Point `ptr` at flat output element i in every operand; returns how many elements
    from there (up to `stop`) lie in the same row, which the row loops then walk."""
    cdef int d, k, last = p.ndim - 1
    cdef intp n = p.shape[last], q = i // n, col = i - q * n, idx
    for k in range(p.nops):
        ptr[k] = p.data[k] + col * p.strides[k][last]
    for d in range(last - 1, -1, -1):
        idx = q % p.shape[d]
        q = q // p.shape[d]
        for k in range(p.nops):
            ptr[k] += idx * p.strides[k][d]
    return min(n - col, stop - i)


cdef inline intp _step(const Plan *p, int k, intp itemsize) noexcept nogil:
    return p.strides[k][p.ndim - 1] // itemsize


cdef inline bint _isnan(num x) noexcept nogil:
    if num is f32 or num is f64:
        return x != x
    else:
        return False


# --- binary arithmetic: add sub mul div maximum minimum -----------------------------
cdef inline num _binary(binop *op, num x, num y, num alpha) noexcept nogil:
    if binop is Add:
        return x + alpha * y
    elif binop is Sub:
        return x - alpha * y
    elif binop is Mul:
        return x * y
    elif binop is Div:
        return x / y
    elif binop is Max:  # NaN wins, as in numpy.maximum and torch.maximum
        return x if (x >= y or _isnan(x)) else y
    else:
        return x if (x <= y or _isnan(x)) else y


cdef inline void _arith_row(binop *op, num *o, num *a, num *b, intp n, num alpha) noexcept nogil:
    # a contiguous float row of add/sub/mul/div: the C loops above, built per vector set
    cdef int code = 0 if binop is Add else 1 if binop is Sub else 2 if binop is Mul else 3
    if num is f32:
        ember_arith_f32(code, o, a, b, n, alpha)
    elif num is f64:
        ember_arith_f64(code, o, a, b, n, alpha)


cdef void _binary_chunk(binop *op, num *t, const Plan *p, intp start, intp stop,
                        num alpha) noexcept nogil:
    cdef char *ptr[MAXOPS]
    cdef intp i = start, j, n
    cdef intp so = _step(p, 0, sizeof(num)), sa = _step(p, 1, sizeof(num))
    cdef intp sb = _step(p, 2, sizeof(num))
    cdef num *o
    cdef num *a
    cdef num *b
    cdef num x, y
    while i < stop:
        n = _row_at(p, i, stop, ptr)
        o, a, b = <num*>ptr[0], <num*>ptr[1], <num*>ptr[2]
        if so == 1 and sa == 1 and sb == 1:
            if (num is f32 or num is f64) and not (binop is Max or binop is Min):
                _arith_row(op, o, a, b, n, alpha)
            else:
                for j in range(n):
                    o[j] = _binary(op, a[j], b[j], alpha)
        elif so == 1 and sa == 1 and sb == 0:
            y = b[0]
            for j in range(n):
                o[j] = _binary(op, a[j], y, alpha)
        elif so == 1 and sa == 0 and sb == 1:
            x = a[0]
            for j in range(n):
                o[j] = _binary(op, x, b[j], alpha)
        else:
            for j in range(n):
                o[j * so] = _binary(op, a[j * sa], b[j * sb], alpha)
        i += n


cdef void _binary_all(binop *op, num *t, const Plan *p, num alpha) noexcept nogil:
    cdef int c, nch = _nchunks(p.size)
    if nch == 1:
        _binary_chunk(op, t, p, 0, p.size, alpha)
        return
    for c in prange(nch, num_threads=nch, schedule="static"):
        _binary_chunk(op, t, p, p.size * c // nch, p.size * (c + 1) // nch, alpha)


cdef bint _binary_run(binop *op, out, a, b, alpha=1) except -1:
    """Run a binary op; False when the case is not covered."""
    cdef Plan p
    cdef list alive = []  # keeps copies of overlapping inputs until the kernel is done
    cdef int code
    cdef double slot  # alpha in the element type
    if not isinstance(out, cnp.ndarray):
        return False
    code = _code(cnp.PyArray_TYPE(<cnp.ndarray>out))
    if code < 0 or (code == B1 and not (binop is Max or binop is Min)):
        return False
    if binop is Div and code != F32 and code != F64:
        return False
    if alpha != 1 and not isinstance(b, cnp.ndarray):
        b, alpha = b * alpha, 1  # a scalar is scaled in Python, as the reference does
    slot = 0
    if (binop is Add or binop is Sub) and not _convert(&slot, alpha, code):
        return False
    if not _plan(&p, out, 2, a, b, None, code, code, alive):
        return False
    if p.size == 0:
        return True
    if code == F32:
        _go_binary(op, <f32*>NULL, &p, &slot)
    elif code == F64:
        _go_binary(op, <f64*>NULL, &p, &slot)
    elif code == I8:
        _go_binary(op, <cnp.int8_t*>NULL, &p, &slot)
    elif code == I16:
        _go_binary(op, <cnp.int16_t*>NULL, &p, &slot)
    elif code == I32:
        _go_binary(op, <cnp.int32_t*>NULL, &p, &slot)
    elif code == I64:
        _go_binary(op, <cnp.int64_t*>NULL, &p, &slot)
    else:
        _go_binary(op, <cnp.uint8_t*>NULL, &p, &slot)
    return True


cdef inline void _go_binary(binop *op, num *t, const Plan *p, const void *slot) noexcept:
    cdef num alpha = (<const num*>slot)[0]
    if p.size >= PAR_MIN:
        with nogil:
            _binary_all(op, t, p, alpha)
    else:
        _binary_chunk(op, t, p, 0, p.size, alpha)


def add(self, out, a, b, alpha=1):
    if not _binary_run(<Add*>NULL, out, a, b, alpha):
        _Ref.add(self, out, a, b, alpha)


def sub(self, out, a, b, alpha=1):
    if not _binary_run(<Sub*>NULL, out, a, b, alpha):
        _Ref.sub(self, out, a, b, alpha)


def mul(self, out, a, b):
    if not _binary_run(<Mul*>NULL, out, a, b):
        _Ref.mul(self, out, a, b)


def div(self, out, a, b):
    if not _binary_run(<Div*>NULL, out, a, b):
        _Ref.div(self, out, a, b)


def maximum(self, out, a, b):
    if not _binary_run(<Max*>NULL, out, a, b):
        _Ref.maximum(self, out, a, b)


def minimum(self, out, a, b):
    if not _binary_run(<Min*>NULL, out, a, b):
        _Ref.minimum(self, out, a, b)


# --- comparisons: bool out ------------------------------------------------------------
cdef inline bint _compare(cmpop *op, num x, num y) noexcept nogil:
    if cmpop is Eq:
        return x == y
    elif cmpop is Ne:
        return x != y
    elif cmpop is Lt:
        return x < y
    elif cmpop is Le:
        return x <= y
    elif cmpop is Gt:
        return x > y
    else:
        return x >= y


cdef void _compare_chunk(cmpop *op, num *t, const Plan *p, intp start, intp stop) noexcept nogil:
    cdef char *ptr[MAXOPS]
    cdef intp i = start, j, n
    cdef intp so = _step(p, 0, 1), sa = _step(p, 1, sizeof(num)), sb = _step(p, 2, sizeof(num))
    cdef cnp.npy_bool *o
    cdef num *a
    cdef num *b
    cdef num x, y
    while i < stop:
        n = _row_at(p, i, stop, ptr)
        o, a, b = <cnp.npy_bool*>ptr[0], <num*>ptr[1], <num*>ptr[2]
        if so == 1 and sa == 1 and sb == 1:
            for j in range(n):
                o[j] = _compare(op, a[j], b[j])
        elif so == 1 and sa == 1 and sb == 0:
            y = b[0]
            for j in range(n):
                o[j] = _compare(op, a[j], y)
        elif so == 1 and sa == 0 and sb == 1:
            x = a[0]
            for j in range(n):
                o[j] = _compare(op, x, b[j])
        else:
            for j in range(n):
                o[j * so] = _compare(op, a[j * sa], b[j * sb])
        i += n


cdef void _compare_all(cmpop *op, num *t, const Plan *p) noexcept nogil:
    cdef int c, nch = _nchunks(p.size)
    if nch == 1:
        _compare_chunk(op, t, p, 0, p.size)
        return
    for c in prange(nch, num_threads=nch, schedule="static"):
        _compare_chunk(op, t, p, p.size * c // nch, p.size * (c + 1) // nch)


cdef inline void _go_compare(cmpop *op, num *t, const Plan *p) noexcept:
    if p.size >= PAR_MIN:
        with nogil:
            _compare_all(op, t, p)
    else:
        _compare_chunk(op, t, p, 0, p.size)


cdef int _operand_code(x) noexcept:
    if isinstance(x, cnp.ndarray):
        return _code(cnp.PyArray_TYPE(<cnp.ndarray>x))
    return -1


cdef bint _compare_run(cmpop *op, out, a, b) except -1:
    cdef Plan p
    cdef list alive = []  # keeps copies of overlapping inputs until the kernel is done
    cdef int code = _operand_code(a)
    if code < 0:
        code = _operand_code(b)
    if code < 0 or not isinstance(out, cnp.ndarray) or \
            cnp.PyArray_TYPE(<cnp.ndarray>out) != cnp.NPY_BOOL:
        return False
    if not _plan(&p, out, 2, a, b, None, code, code, alive):
        return False
    if p.size == 0:
        return True
    if code == F32:
        _go_compare(op, <f32*>NULL, &p)
    elif code == F64:
        _go_compare(op, <f64*>NULL, &p)
    elif code == I8:
        _go_compare(op, <cnp.int8_t*>NULL, &p)
    elif code == I16:
        _go_compare(op, <cnp.int16_t*>NULL, &p)
    elif code == I32:
        _go_compare(op, <cnp.int32_t*>NULL, &p)
    elif code == I64:
        _go_compare(op, <cnp.int64_t*>NULL, &p)
    else:  # uint8 and bool
        _go_compare(op, <cnp.uint8_t*>NULL, &p)
    return True


def eq(self, out, a, b):
    if not _compare_run(<Eq*>NULL, out, a, b):
        _Ref.eq(self, out, a, b)


def ne(self, out, a, b):
    if not _compare_run(<Ne*>NULL, out, a, b):
        _Ref.ne(self, out, a, b)


def lt(self, out, a, b):
    if not _compare_run(<Lt*>NULL, out, a, b):
        _Ref.lt(self, out, a, b)


def le(self, out, a, b):
    if not _compare_run(<Le*>NULL, out, a, b):
        _Ref.le(self, out, a, b)


def gt(self, out, a, b):
    if not _compare_run(<Gt*>NULL, out, a, b):
        _Ref.gt(self, out, a, b)


def ge(self, out, a, b):
    if not _compare_run(<Ge*>NULL, out, a, b):
        _Ref.ge(self, out, a, b)


# --- unary: neg relu sqrt clamp exp -----------------------------------------------------
cdef inline num _unary(unop *op, num x, num lo, num hi) noexcept nogil:
    # relu and clamp are written `lo if lo > x else x` (and `hi if hi < x else x`): x when
    # the comparison is false (a NaN x, or -0.0 against 0), the form that x86 compiles to
    # one max (min) instruction per vector
    if unop is Neg:
        return -x
    elif unop is Relu:
        return 0 if 0 > x else x
    elif unop is Sqrt:
        return <num>c_sqrt(x)
    else:  # lo then hi: lo > hi gives hi (NaN bounds go to the reference: see _unary_run)
        x = lo if lo > x else x
        return hi if hi < x else x


cdef void _unary_chunk(unop *op, num *t, const Plan *p, intp start, intp stop,
                       num lo, num hi) noexcept nogil:
    cdef char *ptr[MAXOPS]
    cdef intp i = start, j, n
    cdef intp so = _step(p, 0, sizeof(num)), sa = _step(p, 1, sizeof(num))
    cdef num *o
    cdef num *a
    while i < stop:
        n = _row_at(p, i, stop, ptr)
        o, a = <num*>ptr[0], <num*>ptr[1]
        if unop is Exp:  # float32 only (_unary_run)
            ember_exp_f32(<f32*>a, sa, <f32*>o, so, n)
        elif (unop is Relu or unop is Clamp) and (num is f32 or num is f64) and so == 1 and sa == 1:
            # the C loops above, built per vector set; relu is clamp to [0, inf]
            if unop is Relu:
                lo, hi = 0, INFINITY
            if num is f32:
                ember_clamp_f32(<f32*>o, <f32*>a, n, lo, hi)
            else:
                ember_clamp_f64(<f64*>o, <f64*>a, n, lo, hi)
        elif so == 1 and sa == 1:
            for j in range(n):
                o[j] = _unary(op, a[j], lo, hi)
        else:
            for j in range(n):
                o[j * so] = _unary(op, a[j * sa], lo, hi)
        i += n


cdef void _unary_all(unop *op, num *t, const Plan *p, num lo, num hi) noexcept nogil:
    cdef int c, nch = _nchunks(p.size)
    if nch == 1:
        _unary_chunk(op, t, p, 0, p.size, lo, hi)
        return
    for c in prange(nch, num_threads=nch, schedule="static"):
        _unary_chunk(op, t, p, p.size * c // nch, p.size * (c + 1) // nch, lo, hi)


cdef inline void _go_unary(unop *op, num *t, const Plan *p, const void *lo, const void *hi) noexcept:
    cdef num vlo = (<num*>lo)[0], vhi = (<num*>hi)[0]
    if p.size >= PAR_MIN:
        with nogil:
            _unary_all(op, t, p, vlo, vhi)
    else:
        _unary_chunk(op, t, p, 0, p.size, vlo, vhi)


cdef bint _unary_run(unop *op, out, a, lo=None, hi=None) except -1:
    cdef Plan p
    cdef list alive = []  # keeps copies of overlapping inputs until the kernel is done
    cdef double bounds[2]  # clamp's bounds in the element type
    cdef int code
    if not isinstance(out, cnp.ndarray):
        return False
    code = _code(cnp.PyArray_TYPE(<cnp.ndarray>out))
    if code < 0 or code == B1 or (unop is Sqrt and code != F32 and code != F64):
        return False
    if unop is Exp and code != F32:
        return False  # float64: numpy's vectorized exp is as fast as a loop of libm calls
    bounds[0] = bounds[1] = 0  # passed to every op, used by clamp only
    if unop is Clamp:
        if (lo is not None and lo != lo) or (hi is not None and hi != hi):
            return False  # a NaN bound makes every element NaN, as the reference does
        if lo is None:
            lo = -np.inf if code == F32 or code == F64 else int(np.iinfo(out.dtype).min)
        if hi is None:
            hi = np.inf if code == F32 or code == F64 else int(np.iinfo(out.dtype).max)
        if not _convert(&bounds[0], lo, code) or not _convert(&bounds[1], hi, code):
            return False
    if not _plan(&p, out, 1, a, None, None, code, code, alive):
        return False
    if p.size == 0:
        return True
    if code == F32:
        _go_unary(op, <f32*>NULL, &p, &bounds[0], &bounds[1])
    elif code == F64:
        _go_unary(op, <f64*>NULL, &p, &bounds[0], &bounds[1])
    elif code == I8:
        _go_unary(op, <cnp.int8_t*>NULL, &p, &bounds[0], &bounds[1])
    elif code == I16:
        _go_unary(op, <cnp.int16_t*>NULL, &p, &bounds[0], &bounds[1])
    elif code == I32:
        _go_unary(op, <cnp.int32_t*>NULL, &p, &bounds[0], &bounds[1])
    elif code == I64:
        _go_unary(op, <cnp.int64_t*>NULL, &p, &bounds[0], &bounds[1])
    else:
        _go_unary(op, <cnp.uint8_t*>NULL, &p, &bounds[0], &bounds[1])
    return True


def neg(self, out, a):
    if not _unary_run(<Neg*>NULL, out, a):
        _Ref.neg(self, out, a)


def relu(self, out, a):
    if not _unary_run(<Relu*>NULL, out, a):
        _Ref.relu(self, out, a)


def sqrt(self, out, a):
    if not _unary_run(<Sqrt*>NULL, out, a):
        _Ref.sqrt(self, out, a)


def clamp(self, out, a, min=None, max=None):
    if not _unary_run(<Clamp*>NULL, out, a, min, max):
        _Ref.clamp(self, out, a, min, max)


def exp(self, out, a):
    if not _unary_run(<Exp*>NULL, out, a):
        _Ref.exp(self, out, a)


# log, tanh and sigmoid stay with the reference: numpy's own SIMD loops beat what the
# compiler makes of libm calls, and reaching those loops from here means reading numpy's
# ufunc struct, whose layout numpy does not promise to keep (a numpy release changed it,
# and the import crashed).


# --- where --------------------------------------------------------------------------------
cdef void _where_chunk(num *t, const Plan *p, intp start, intp stop) noexcept nogil:
    cdef char *ptr[MAXOPS]
    cdef intp i = start, j, n
    cdef intp so = _step(p, 0, sizeof(num)), sc = _step(p, 1, 1)
    cdef intp sa = _step(p, 2, sizeof(num)), sb = _step(p, 3, sizeof(num))
    cdef num *o
    cdef cnp.npy_bool *cond
    cdef num *a
    cdef num *b
    cdef num va, vb
    # both operands are read before the select, so that the C compiler emits a blend (or a
    # conditional move) instead of a branch, which a random condition mispredicts half the time
    while i < stop:
        n = _row_at(p, i, stop, ptr)
        o, cond, a, b = <num*>ptr[0], <cnp.npy_bool*>ptr[1], <num*>ptr[2], <num*>ptr[3]
        if so == 1 and sc == 1 and sa == 1 and sb == 1:
            for j in range(n):
                va, vb = a[j], b[j]
                o[j] = va if cond[j] else vb
        elif so == 1 and sc == 1 and sa == 1 and sb == 0:  # where(c, x, scalar): relu's backward
            vb = b[0]
            for j in range(n):
                va = a[j]
                o[j] = va if cond[j] else vb
        else:
            for j in range(n):
                va, vb = a[j * sa], b[j * sb]
                o[j * so] = va if cond[j * sc] else vb
        i += n


cdef void _where_all(num *t, const Plan *p) noexcept nogil:
    cdef int c, nch = _nchunks(p.size)
    if nch == 1:
        _where_chunk(t, p, 0, p.size)
        return
    for c in prange(nch, num_threads=nch, schedule="static"):
        _where_chunk(t, p, p.size * c // nch, p.size * (c + 1) // nch)


def where(self, out, cond, a, b):
    cdef Plan p
    cdef list alive = []  # keeps copies of overlapping inputs until the kernel is done
    cdef int code = _operand_code(out)
    if code < 0 or not _plan(&p, out, 3, cond, a, b, code, B1, alive):
        return _Ref.where(self, out, cond, a, b)
    if p.size == 0:
        return
    with nogil:
        if code == F32:
            _where_all(<f32*>NULL, &p)
        elif code == F64:
            _where_all(<f64*>NULL, &p)
        elif code == I8:
            _where_all(<cnp.int8_t*>NULL, &p)
        elif code == I16:
            _where_all(<cnp.int16_t*>NULL, &p)
        elif code == I32:
            _where_all(<cnp.int32_t*>NULL, &p)
        elif code == I64:
            _where_all(<cnp.int64_t*>NULL, &p)
        else:
            _where_all(<cnp.uint8_t*>NULL, &p)


# --- threshold_backward: relu's backward, one branch-free pass ----------------------------
cdef void _threshold_backward_chunk(real *t, const Plan *p, intp start, intp stop,
                                    real threshold) noexcept nogil:
    cdef char *ptr[MAXOPS]
    cdef intp i = start, j, n
    cdef intp so = _step(p, 0, sizeof(real)), sg = _step(p, 1, sizeof(real))
    cdef intp sy = _step(p, 2, sizeof(real))
    cdef real *o
    cdef real *g
    cdef real *y
    cdef real vg
    # the gradient is read before the select, as in where: a blend, not a branch
    while i < stop:
        n = _row_at(p, i, stop, ptr)
        o, g, y = <real*>ptr[0], <real*>ptr[1], <real*>ptr[2]
        if so == 1 and sg == 1 and sy == 1:
            for j in range(n):
                vg = g[j]
                o[j] = 0 if y[j] <= threshold else vg
        else:
            for j in range(n):
                vg = g[j * sg]
                o[j * so] = 0 if y[j * sy] <= threshold else vg
        i += n


cdef void _threshold_backward_all(real *t, const Plan *p, real threshold) noexcept nogil:
    cdef int c, nch = _nchunks(p.size)
    if nch == 1:
        _threshold_backward_chunk(t, p, 0, p.size, threshold)
        return
    for c in prange(nch, num_threads=nch, schedule="static"):
        _threshold_backward_chunk(t, p, p.size * c // nch, p.size * (c + 1) // nch, threshold)


def threshold_backward(self, out, grad, output, threshold):
    cdef Plan p
    cdef list alive = []  # keeps copies of overlapping inputs until the kernel is done
    cdef int code = _operand_code(out)
    cdef double slot  # the threshold in the element type
    if ((code != F32 and code != F64) or not _convert(&slot, threshold, code)
            or not _plan(&p, out, 2, grad, output, None, code, code, alive)):
        return _Ref.threshold_backward(self, out, grad, output, threshold)
    if p.size == 0:
        return
    with nogil:
        if code == F32:
            _threshold_backward_all(<f32*>NULL, &p, (<f32*>&slot)[0])
        else:
            _threshold_backward_all(<f64*>NULL, &p, (<f64*>&slot)[0])


# --- copy (casts between dtypes, any layouts), fill, contiguous ----------------------------
cdef void _cast_chunk(src_t *s, num *t, const Plan *p, intp start, intp stop,
                      bint to_bool) noexcept nogil:
    cdef char *ptr[MAXOPS]
    cdef intp i = start, j, n
    cdef intp so = _step(p, 0, sizeof(num)), sa = _step(p, 1, sizeof(src_t))
    cdef num *o
    cdef src_t *a
    cdef num v
    while i < stop:
        n = _row_at(p, i, stop, ptr)
        o, a = <num*>ptr[0], <src_t*>ptr[1]
        if num is cnp.uint8_t:
            if to_bool:  # any nonzero value (NaN included) is True
                for j in range(n):
                    o[j * so] = a[j * sa] != 0
                i += n
                continue
        if so == 1 and sa == 1:
            for j in range(n):
                o[j] = <num>a[j]
        elif so == 1 and sa == 0:  # a broadcast (expanded) source: a fill, which vectorizes
            v = <num>a[0]
            for j in range(n):
                o[j] = v
        else:
            for j in range(n):
                o[j * so] = <num>a[j * sa]
        i += n


cdef void _cast_all(src_t *s, num *t, const Plan *p, bint to_bool) noexcept nogil:
    cdef int c, nch = _nchunks(p.size)
    if nch == 1:
        _cast_chunk(s, t, p, 0, p.size, to_bool)
        return
    for c in prange(nch, num_threads=nch, schedule="static"):
        _cast_chunk(s, t, p, p.size * c // nch, p.size * (c + 1) // nch, to_bool)


cdef void _cast_to(src_t *s, int dst, const Plan *p) noexcept nogil:
    if dst == F32:
        _cast_all(s, <f32*>NULL, p, False)
    elif dst == F64:
        _cast_all(s, <f64*>NULL, p, False)
    elif dst == I8:
        _cast_all(s, <cnp.int8_t*>NULL, p, False)
    elif dst == I16:
        _cast_all(s, <cnp.int16_t*>NULL, p, False)
    elif dst == I32:
        _cast_all(s, <cnp.int32_t*>NULL, p, False)
    elif dst == I64:
        _cast_all(s, <cnp.int64_t*>NULL, p, False)
    else:
        _cast_all(s, <cnp.uint8_t*>NULL, p, dst == B1)


cdef void _cast(int src, int dst, const Plan *p) noexcept nogil:
    if src == F32:
        _cast_to(<f32*>NULL, dst, p)
    elif src == F64:
        _cast_to(<f64*>NULL, dst, p)
    elif src == I8:
        _cast_to(<cnp.int8_t*>NULL, dst, p)
    elif src == I16:
        _cast_to(<cnp.int16_t*>NULL, dst, p)
    elif src == I32:
        _cast_to(<cnp.int32_t*>NULL, dst, p)
    elif src == I64:
        _cast_to(<cnp.int64_t*>NULL, dst, p)
    else:  # uint8 and bool (0/1)
        _cast_to(<cnp.uint8_t*>NULL, dst, p)


cdef void _memcpy_all(const Plan *p, intp itemsize) noexcept nogil:
    # both operands contiguous after coalescing: one row
    cdef int c, nch = _nchunks(p.size)
    cdef intp start, stop
    for c in prange(nch, num_threads=nch, schedule="static"):
        start = p.size * c // nch
        stop = p.size * (c + 1) // nch
        memcpy(p.data[0] + start * itemsize, p.data[1] + start * itemsize,
               (stop - start) * itemsize)


def copy(self, dst, src):
    cdef Plan p
    cdef list alive = []  # keeps copies of overlapping inputs until the kernel is done
    cdef int dcode = _operand_code(dst), scode = _operand_code(src)
    cdef intp itemsize
    if dcode < 0 or scode < 0 or not _plan(&p, dst, 1, src, None, None, scode, scode, alive):
        return _Ref.copy(self, dst, src)
    if p.size == 0:
        return
    itemsize = cnp.PyArray_ITEMSIZE(<cnp.ndarray>dst)
    if dcode == scode and p.ndim == 1 and p.strides[0][0] == itemsize and \
            p.strides[1][0] == itemsize:
        if p.size < PAR_MIN:
            memcpy(p.data[0], p.data[1], p.size * itemsize)
        else:
            with nogil:
                _memcpy_all(&p, itemsize)
    elif p.size < PAR_MIN:
        _cast(scode if dcode != scode else (U8 if dcode == B1 else dcode), dcode, &p)
    else:
        with nogil:
            _cast(scode if dcode != scode else (U8 if dcode == B1 else dcode), dcode, &p)


def contiguous(self, a):
    if not isinstance(a, cnp.ndarray) or cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>a):
        return _Ref.contiguous(self, a)
    out = np.empty(a.shape, a.dtype)
    copy(self, out, a)
    return out


def fill(self, dst, value):
    cdef Plan p
    cdef list alive = []  # keeps copies of overlapping inputs until the kernel is done
    cdef int code = _operand_code(dst)
    if code < 0 or isinstance(value, cnp.ndarray) or \
            not _plan(&p, dst, 1, value if code != B1 else bool(value), None, None, code, code,
                      alive):
        return _Ref.fill(self, dst, value)
    if p.size == 0:
        return
    with nogil:  # a scalar "copy": the value sits in the plan with stride 0
        _cast(U8 if code == B1 else code, code, &p)


# --- reductions: sum mean amax amin -----------------------------------------------------
cdef enum:
    SUM, MEAN, AMAX, AMIN

ctypedef struct Acc:   # a partial result: floats in d (double), integers in i (int64)
    double d
    long long i

ctypedef struct Red:   # the input split into kept dims (K) and reduced dims (R)
    char *data
    int kn, rn
    intp kshape[MAXD]
    intp kstride[MAXD]   # byte strides
    intp rshape[MAXD]
    intp rstride[MAXD]
    intp ksize, rsize


cdef int _merge(intp *shape, intp *stride, int n) noexcept:
    """Coalesce a list of dims in place (drop size 1, merge contiguous neighbours)."""
    cdef int j, m = 0
    for j in range(n):
        if shape[j] == 1:
            continue
        if m > 0 and stride[m - 1] == stride[j] * shape[j]:
            shape[m - 1] *= shape[j]
            stride[m - 1] = stride[j]
        else:
            shape[m], stride[m] = shape[j], stride[j]
            m += 1
    if m == 0:
        shape[0], stride[0] = 1, 0
        m = 1
    return m


cdef inline intp _offset(const intp *shape, const intp *stride, int n, intp q) noexcept nogil:
    """Byte offset of flat index q over all but the last of n dims (q counts rows)."""
    cdef intp off = 0, idx
    cdef int d
    for d in range(n - 2, -1, -1):
        idx = q % shape[d]
        q = q // shape[d]
        off += idx * stride[d]
    return off


cdef double _pairwise(const real *a, intp n, intp s) noexcept nogil:
    """Sum of n elements with stride s: contiguous ones by `ember_sum_*` (blocks of 1024
    on lanes of the element type, then lanes of double); strided ones pairwise, halves
    until at most 1024 elements, whose 128-element blocks are summed on several lanes in
    the element type (numpy's scheme, and as fast) and then added up in double. Either
    way more accurate than numpy."""
    cdef real lane[8]
    cdef double total = 0
    cdef intp i, j, l, half, m
    if s == 1:
        if real is f32:
            return ember_sum_f32(a, n)
        else:
            return ember_sum_f64(a, n)
    if n > 1024:
        half = (n // 2) & ~(<intp>127)
        return _pairwise(a, half, s) + _pairwise(a + half * s, n - half, s)
    j = 0
    while j < n:
        m = min(n - j, <intp>128)
        for l in range(8):
            lane[l] = 0
        i = 0
        while i + 8 <= m:
            for l in range(8):
                lane[l] += a[(j + i + l) * s]
            i += 8
        while i < m:
            lane[0] += a[(j + i) * s]
            i += 1
        total += ((<double>lane[0] + lane[1]) + (<double>lane[2] + lane[3])) + \
            ((<double>lane[4] + lane[5]) + (<double>lane[6] + lane[7]))
        j += m
    return total


cdef inline Acc _start(int kind) noexcept nogil:
    cdef Acc acc
    acc.d, acc.i = 0, 0
    if kind == AMAX:
        acc.d, acc.i = -1.0 / 0.0, -9223372036854775807 - 1
    elif kind == AMIN:
        acc.d, acc.i = 1.0 / 0.0, 9223372036854775807
    return acc


cdef inline void _combine(int kind, Acc *acc, Acc part) noexcept nogil:
    if kind == SUM or kind == MEAN:
        acc.d += part.d
        acc.i += part.i
    elif kind == AMAX:
        if part.d > acc.d or part.d != part.d:
            if acc.d == acc.d:
                acc.d = part.d
        acc.i = max(acc.i, part.i)
    else:
        if part.d < acc.d or part.d != part.d:
            if acc.d == acc.d:
                acc.d = part.d
        acc.i = min(acc.i, part.i)


cdef Acc _reduce_row(int kind, const num *a, intp n, intp s) noexcept nogil:
    cdef Acc acc = _start(kind)
    cdef intp i
    cdef num m, x
    cdef long long t0, t1, t2, t3
    if kind == SUM or kind == MEAN:
        if num is f32 or num is f64:
            acc.d = _pairwise(a, n, s)
        else:
            t0 = t1 = t2 = t3 = 0
            i = 0
            while i + 4 <= n:
                t0 += a[i * s]
                t1 += a[(i + 1) * s]
                t2 += a[(i + 2) * s]
                t3 += a[(i + 3) * s]
                i += 4
            while i < n:
                t0 += a[i * s]
                i += 1
            acc.i = (t0 + t1) + (t2 + t3)
        return acc
    m = a[0]
    if kind == AMAX:
        for i in range(1, n):
            x = a[i * s]
            if (x > m or _isnan(x)) and not _isnan(m):  # a NaN sticks
                m = x
    else:
        for i in range(1, n):
            x = a[i * s]
            if (x < m or _isnan(x)) and not _isnan(m):
                m = x
    if num is f32 or num is f64:
        acc.d = m
    else:
        acc.i = m
    return acc


cdef Acc _reduce_range(int kind, num *t, const Red *r, const char *base, intp start,
                       intp stop) noexcept nogil:
    """Reduce the flat R-elements [start, stop) of the block at `base`."""
    cdef Acc acc = _start(kind)
    cdef int last = r.rn - 1
    cdef intp n = r.rshape[last], step = r.rstride[last] // sizeof(num)
    cdef intp i = start, q, col, m, mid
    if (kind == SUM or kind == MEAN) and stop - start > 8 * n:
        # many short rows: sum halves at a row boundary, pairwise like the rows themselves
        mid = (start + stop) // 2 // n * n
        if start < mid < stop:
            acc = _reduce_range(kind, t, r, base, start, mid)
            _combine(kind, &acc, _reduce_range(kind, t, r, base, mid, stop))
            return acc
    while i < stop:
        q = i // n
        col = i - q * n
        m = min(n - col, stop - i)
        _combine(kind, &acc, _reduce_row(
            kind, <const num*>(base + _offset(r.rshape, r.rstride, r.rn, q)
                               + col * r.rstride[last]), m, step))
        i += m
    return acc


cdef inline void _store(int kind, num *o, Acc acc, intp count) noexcept nogil:
    if num is f32 or num is f64:
        o[0] = <num>(acc.d / count if kind == MEAN else acc.d)
    else:
        o[0] = <num>acc.i


cdef void _reduce_outputs(int kind, num *o, const Red *r, intp start, intp stop) noexcept nogil:
    """Outputs [start, stop), each the reduction of its own block (R dims innermost)."""
    cdef int last = r.kn - 1
    cdef intp j
    for j in range(start, stop):
        _store(kind, o + j, _reduce_range(
            kind, o, r, r.data + _offset(r.kshape, r.kstride, r.kn, j // r.kshape[last])
            + (j % r.kshape[last]) * r.kstride[last], 0, r.rsize), r.rsize)


cdef inline const char *_r_at(const Red *r, intp rq) noexcept nogil:
    # the start of R position rq (flat over the R dims) within the first output's block
    cdef int last = r.rn - 1
    return r.data + _offset(r.rshape, r.rstride, r.rn, rq // r.rshape[last]) \
        + (rq % r.rshape[last]) * r.rstride[last]


cdef inline void _add_into(num *t, double *acc, const num *a, intp m, intp s) noexcept nogil:
    # float sums accumulate in double, integer sums in int64 (the same 8 bytes)
    cdef intp e
    cdef long long *iacc = <long long*>acc
    if num is f32 or num is f64:
        if s == 1:
            for e in range(m):
                acc[e] += a[e]
        else:
            for e in range(m):
                acc[e] += a[e * s]
    else:
        if s == 1:
            for e in range(m):
                iacc[e] += a[e]
        else:
            for e in range(m):
                iacc[e] += a[e * s]


cdef inline void _extreme_into(int kind, num *o, const num *a, intp m, intp s) noexcept nogil:
    cdef intp e
    cdef num x, y
    if kind == AMAX:
        for e in range(m):
            x, y = a[e * s], o[e]
            o[e] = x if ((x > y or _isnan(x)) and not _isnan(y)) else y
    else:
        for e in range(m):
            x, y = a[e * s], o[e]
            o[e] = x if ((x < y or _isnan(x)) and not _isnan(y)) else y


cdef void _accumulate(int kind, num *o, double *acc, const Red *r, intp start,
                      intp stop) noexcept nogil:
    """Outputs [start, stop) with the K dims innermost: every R position adds a stretch
    of K elements into the accumulators (cache friendly, e.g. sum(dim=0)); max and min
    accumulate in the output itself. float32 sums take blocks of up to 64 R positions at
    a time, which a C loop adds four rows a pass (`ember_add_rows_f32`)."""
    cdef int klast = r.kn - 1, g, nr
    cdef intp kn = r.kshape[klast], kstep = r.kstride[klast] // <intp>sizeof(num)
    cdef intp rq, j, m, q, col, e, koff
    cdef const char *rbase
    cdef const char *rbases[64]
    cdef const f32 *rows[64]
    cdef const num *a
    cdef long long *iacc = <long long*>acc
    for j in range(start, stop):
        acc[j] = 0
        iacc[j] = 0
    if num is f32 and (kind == SUM or kind == MEAN):
        rq = 0
        while rq < r.rsize:
            nr = <int>min(r.rsize - rq, <intp>64)
            for g in range(nr):
                rbases[g] = _r_at(r, rq + g)
            j = start
            while j < stop:
                q = j // kn
                col = j - q * kn
                m = min(kn - col, stop - j)
                koff = _offset(r.kshape, r.kstride, r.kn, q) + col * r.kstride[klast]
                for g in range(nr):
                    rows[g] = <const f32*>(rbases[g] + koff)
                ember_add_rows_f32(acc + j, rows, nr, m, kstep)
                j += m
            rq += nr
    else:
        for rq in range(r.rsize):
            rbase = _r_at(r, rq)
            j = start
            while j < stop:
                q = j // kn
                col = j - q * kn
                m = min(kn - col, stop - j)
                a = <const num*>(rbase + _offset(r.kshape, r.kstride, r.kn, q)
                                 + col * r.kstride[klast])
                if kind == SUM or kind == MEAN:
                    _add_into(o, acc + j, a, m, kstep)
                elif rq == 0:
                    for e in range(m):
                        o[j + e] = a[e * kstep]
                else:
                    _extreme_into(kind, o + j, a, m, kstep)
                j += m
    if kind == SUM or kind == MEAN:
        for j in range(start, stop):
            if num is f32 or num is f64:
                o[j] = <num>(acc[j] / r.rsize if kind == MEAN else acc[j])
            else:
                o[j] = <num>iacc[j]


cdef void _reduce(int kind, num *o, const Red *r, bint outer, Acc *acc) noexcept nogil:
    # acc: one partial per chunk (full reductions) or one accumulator per output (outer)
    cdef int c, nch
    cdef intp nparts
    cdef Acc total
    if r.ksize == 1:  # everything to one value: fixed chunks, summed in order
        nparts = (r.rsize + RED_CHUNK - 1) // RED_CHUNK
        nch = _nchunks(r.rsize)
        if nch == 1:
            for c in range(nparts):
                acc[c] = _reduce_range(kind, o, r, r.data, c * <intp>RED_CHUNK,
                                       min((c + 1) * <intp>RED_CHUNK, r.rsize))
        else:
            for c in prange(nparts, num_threads=nch, schedule="static"):
                acc[c] = _reduce_range(kind, o, r, r.data, c * <intp>RED_CHUNK,
                                       min((c + 1) * <intp>RED_CHUNK, r.rsize))
        total = acc[0]
        for c in range(1, nparts):
            _combine(kind, &total, acc[c])
        _store(kind, o, total, r.rsize)
        return
    nch = <int>min(<intp>_nchunks(r.ksize * r.rsize), r.ksize)
    if nch == 1:
        _reduce_part(kind, o, r, outer, acc, 0, r.ksize)
        return
    for c in prange(nch, num_threads=nch, schedule="static"):
        _reduce_part(kind, o, r, outer, acc, r.ksize * c // nch, r.ksize * (c + 1) // nch)


cdef inline void _reduce_part(int kind, num *o, const Red *r, bint outer, Acc *acc, intp start,
                              intp stop) noexcept nogil:
    if outer:
        _accumulate(kind, o, <double*>acc, r, start, stop)
    else:
        _reduce_outputs(kind, o, r, start, stop)


cdef object _reduction(int kind, cnp.ndarray a, tuple dims, bint keepdim):
    """The reduction of `a` over `dims`, or None when the case is not covered."""
    cdef Red r
    cdef int code = _code(cnp.PyArray_TYPE(a)), nd = cnp.PyArray_NDIM(a), j
    cdef intp *shape = cnp.PyArray_DIMS(a)
    cdef intp *strides = cnp.PyArray_STRIDES(a)
    cdef bint outer
    cdef Acc *acc
    cdef intp nacc
    cdef cnp.ndarray out
    if code < 0 or code == B1 or not _usable(a) or cnp.PyArray_SIZE(a) == 0 or not dims:
        return None
    if kind == MEAN and code != F32 and code != F64:
        return None
    reduced = [False] * nd
    for d in dims:
        reduced[d] = True
    kept = tuple(1 if reduced[j] else shape[j] for j in range(nd)) if keepdim else \
        tuple(shape[j] for j in range(nd) if not reduced[j])
    out = np.empty(kept, a.dtype)
    r.data, r.kn, r.rn, r.ksize, r.rsize = cnp.PyArray_BYTES(a), 0, 0, 1, 1
    for j in range(nd):
        if reduced[j]:
            r.rshape[r.rn], r.rstride[r.rn] = shape[j], strides[j]
            r.rsize *= shape[j]
            r.rn += 1
        else:
            r.kshape[r.kn], r.kstride[r.kn] = shape[j], strides[j]
            r.ksize *= shape[j]
            r.kn += 1
    r.kn = _merge(r.kshape, r.kstride, r.kn)
    r.rn = _merge(r.rshape, r.rstride, r.rn)
    # reduce along memory when the R dims are the inner ones, else sweep R outermost
    outer = r.ksize > 1 and abs(r.kstride[r.kn - 1]) < abs(r.rstride[r.rn - 1])
    nacc = r.ksize if outer else ((r.rsize + RED_CHUNK - 1) // RED_CHUNK if r.ksize == 1 else 0)
    acc = <Acc*>malloc(max(nacc, 1) * sizeof(Acc))
    if acc == NULL:
        raise MemoryError()
    try:
        if code == F32:
            _run_reduce(kind, <f32*>cnp.PyArray_DATA(out), &r, outer, acc)
        elif code == F64:
            _run_reduce(kind, <f64*>cnp.PyArray_DATA(out), &r, outer, acc)
        elif code == I8:
            _run_reduce(kind, <cnp.int8_t*>cnp.PyArray_DATA(out), &r, outer, acc)
        elif code == I16:
            _run_reduce(kind, <cnp.int16_t*>cnp.PyArray_DATA(out), &r, outer, acc)
        elif code == I32:
            _run_reduce(kind, <cnp.int32_t*>cnp.PyArray_DATA(out), &r, outer, acc)
        elif code == I64:
            _run_reduce(kind, <cnp.int64_t*>cnp.PyArray_DATA(out), &r, outer, acc)
        else:
            _run_reduce(kind, <cnp.uint8_t*>cnp.PyArray_DATA(out), &r, outer, acc)
    finally:
        free(acc)
    return out


cdef inline void _run_reduce(int kind, num *o, const Red *r, bint outer, Acc *acc) noexcept:
    if r.ksize * r.rsize >= PAR_MIN:
        with nogil:
            _reduce(kind, o, r, outer, acc)
    else:
        _reduce(kind, o, r, outer, acc)


def sum(self, a, dims, keepdim):
    out = _reduction(SUM, a, dims, keepdim) if isinstance(a, cnp.ndarray) else None
    return _Ref.sum(self, a, dims, keepdim) if out is None else out


def mean(self, a, dims, keepdim):
    out = _reduction(MEAN, a, dims, keepdim) if isinstance(a, cnp.ndarray) else None
    return _Ref.mean(self, a, dims, keepdim) if out is None else out


def amax(self, a, dims, keepdim):
    out = _reduction(AMAX, a, dims, keepdim) if isinstance(a, cnp.ndarray) else None
    return _Ref.amax(self, a, dims, keepdim) if out is None else out


def amin(self, a, dims, keepdim):
    out = _reduction(AMIN, a, dims, keepdim) if isinstance(a, cnp.ndarray) else None
    return _Ref.amin(self, a, dims, keepdim) if out is None else out


# --- index ops, scans and softmax: one job table ------------------------------------------
# These kernels walk a Plan like the pointwise ones, but one dim plays a special part: the
# dim an index points along (gather, scatter...), or the dim a scan or softmax runs along.
# That dim's byte stride per operand is kept in `Job.along`; for scans and softmax the dim
# is taken out of the plan, whose elements are then whole lanes along it.
cdef enum:
    GATHER, SCATTER, MCOUNT, MSELECT, MSCATTER, SCAN, SOFTMAX

cdef enum:  # how a write or a scan combines values (Job.mode)
    SET, ADD, MUL, CMAX, CMIN

ctypedef cnp.int64_t i64

ctypedef struct Job:
    int kind, mode, nch
    bint by_rows          # chunks end at row boundaries: writes within a row may collide
    Plan p
    intp along[MAXOPS]    # byte strides along the special dim
    intp n                # scans and softmax: the length of a lane
    double alpha          # the scale of ADD writes, stored in the element type
    intp *offsets         # masked ops: where each chunk's elements start in `flat`
    char *flat            # masked ops: the packed result (select) or source (scatter)


cdef void _dims_plan(Plan *p, cnp.ndarray like, int nops) noexcept:
    """A plan of `nops` operands over the shape of `like` (operands still to be set)."""
    p.ndim, p.nops = cnp.PyArray_NDIM(like), nops
    memcpy(p.shape, cnp.PyArray_DIMS(like), p.ndim * sizeof(intp))


cdef void _strided(Plan *p, int k, cnp.ndarray a) noexcept:
    """Operand k walks array `a` (as many dims as the plan, each at least the plan's size)."""
    cdef intp *strides = cnp.PyArray_STRIDES(a)
    p.data[k] = cnp.PyArray_BYTES(a)
    for d in range(p.ndim):
        p.strides[k][d] = strides[d]


cdef void _along_only(Plan *p, int k, cnp.ndarray v, int dim) noexcept:
    """Operand k walks the 1-D array `v` along plan dim `dim` and stays put along the others."""
    p.data[k] = cnp.PyArray_BYTES(v)
    for d in range(p.ndim):
        p.strides[k][d] = cnp.PyArray_STRIDES(v)[0] if d == dim else 0


cdef void _take_along(Job *j, int k, int dim) noexcept:
    """Operand k's stride along `dim` becomes the index's business (Job.along)."""
    j.along[k] = j.p.strides[k][dim]
    j.p.strides[k][dim] = 0


cdef void _move_last(Plan *p, int dim) noexcept:
    """Make `dim` the innermost plan dim (the others keep their order)."""
    cdef intp s
    for d in range(dim, p.ndim - 1):
        p.shape[d], p.shape[d + 1] = p.shape[d + 1], p.shape[d]
        for k in range(p.nops):
            s = p.strides[k][d]
            p.strides[k][d] = p.strides[k][d + 1]
            p.strides[k][d + 1] = s


cdef void _drop_dim(Job *j, int dim) noexcept:
    """Take `dim` out of the plan: its size becomes the lane length, its strides `along`."""
    cdef Plan *p = &j.p
    j.n = p.shape[dim]
    for k in range(p.nops):
        j.along[k] = p.strides[k][dim]
    _move_last(p, dim)
    p.ndim -= 1


cdef inline bint _is_index(x) noexcept:
    return isinstance(x, cnp.ndarray) and _code(cnp.PyArray_TYPE(<cnp.ndarray>x)) == I64 and \
        _usable(<cnp.ndarray>x)


cdef inline bint _is_mask(x) noexcept:
    return isinstance(x, cnp.ndarray) and cnp.PyArray_TYPE(<cnp.ndarray>x) == cnp.NPY_BOOL and \
        _usable(<cnp.ndarray>x)


cdef inline int _array_code(x, bint writable) noexcept:
    """The element code of a usable array (bool counts as uint8), else -1."""
    cdef int code
    if not isinstance(x, cnp.ndarray) or not _usable(<cnp.ndarray>x):
        return -1
    if writable and not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>x):
        return -1
    return _code(cnp.PyArray_TYPE(<cnp.ndarray>x))


# rows of the plan, each kind its loop
cdef void _gather_rows(num *t, const Job *j, intp i, intp stop) noexcept nogil:
    # 0: out, 1: a (its indexed dim in along[1]), 2: index
    cdef const Plan *p = &j.p
    cdef char *ptr[MAXOPS]
    cdef intp n, e, so = _step(p, 0, sizeof(num)), sa = _step(p, 1, sizeof(num))
    cdef intp sab = p.strides[1][p.ndim - 1], si = _step(p, 2, sizeof(i64)), along = j.along[1]
    cdef num *o
    cdef const num *row
    cdef const i64 *ix
    while i < stop:
        n = _row_at(p, i, stop, ptr)
        o, ix = <num*>ptr[0], <const i64*>ptr[2]
        if si == 0:  # one index for the whole row (index_select): a strided copy
            row = <const num*>(ptr[1] + ix[0] * along)
            if so == 1 and sa == 1:
                for e in range(n):
                    o[e] = row[e]
            else:
                for e in range(n):
                    o[e * so] = row[e * sa]
        else:
            for e in range(n):
                o[e * so] = (<const num*>(ptr[1] + e * sab + ix[e * si] * along))[0]
        i += n


cdef void _scatter_rows(num *t, const Job *j, intp i, intp stop) noexcept nogil:
    # 0: out (its indexed dim in along[0]), 1: index, 2: src (or a scalar)
    cdef const Plan *p = &j.p
    cdef char *ptr[MAXOPS]
    cdef intp n, e, sob = p.strides[0][p.ndim - 1], along = j.along[0]
    cdef intp si = _step(p, 1, sizeof(i64)), ss = _step(p, 2, sizeof(num))
    cdef intp so = _step(p, 0, sizeof(num))
    cdef num alpha
    cdef num *dst
    cdef const i64 *ix
    cdef const num *s
    memcpy(&alpha, &j.alpha, sizeof(num))
    while i < stop:
        n = _row_at(p, i, stop, ptr)
        ix, s = <const i64*>ptr[1], <const num*>ptr[2]
        if si == 0 and j.mode != MUL:  # one place for the whole row (rows of index_put_)
            dst = <num*>(ptr[0] + ix[0] * along)
            if so == 1 and ss == 1 and j.mode == SET:
                for e in range(n):
                    dst[e] = s[e]
            elif so == 1 and ss == 1:
                for e in range(n):
                    dst[e] = dst[e] + alpha * s[e]
            elif j.mode == SET:
                for e in range(n):
                    dst[e * so] = s[e * ss]
            else:
                for e in range(n):
                    dst[e * so] = dst[e * so] + alpha * s[e * ss]
            i += n
            continue
        for e in range(n):
            dst = <num*>(ptr[0] + e * sob + ix[e * si] * along)
            if j.mode == SET:
                dst[0] = s[e * ss]
            elif j.mode == ADD:
                dst[0] = dst[0] + alpha * s[e * ss]
            else:
                dst[0] = dst[0] * s[e * ss]
        i += n


cdef void _masked_rows(num *t, Job *j, int c, intp i, intp stop) noexcept nogil:
    # 0: data (the input of select, the output of scatter), 1: mask; C order throughout
    cdef const Plan *p = &j.p
    cdef char *ptr[MAXOPS]
    cdef intp n, e, sx = _step(p, 0, sizeof(num)), sm = _step(p, 1, 1)
    cdef intp at = 0 if j.kind == MCOUNT else j.offsets[c]
    cdef num *x
    cdef const cnp.npy_bool *m
    cdef num *flat = <num*>j.flat
    while i < stop:
        n = _row_at(p, i, stop, ptr)
        x, m = <num*>ptr[0], <const cnp.npy_bool*>ptr[1]
        if j.kind == MCOUNT:
            for e in range(n):
                at += m[e * sm] != 0
        elif j.kind == MSELECT:
            for e in range(n):
                if m[e * sm]:
                    flat[at] = x[e * sx]
                    at += 1
        else:
            for e in range(n):
                if m[e * sm]:
                    x[e * sx] = flat[at]
                    at += 1
        i += n
    if j.kind == MCOUNT:
        j.offsets[c] = at


cdef inline void _scan_at(int mode, num *o, const num *a, i64 *ix, intp k, intp od, intp ad,
                          intp xd) noexcept nogil:
    """Element k of one lane of a scan, from element k - 1 (already written to `o`)."""
    cdef num x = a[k * ad], m
    if k == 0:
        o[0] = x
        if mode == CMAX or mode == CMIN:
            ix[0] = 0
        return
    m = o[(k - 1) * od]
    if mode == ADD:
        o[k * od] = m + x
    elif mode == MUL:
        o[k * od] = m * x
    elif _isnan(x) or (not _isnan(m) and (x >= m if mode == CMAX else x <= m)):
        o[k * od], ix[k * xd] = x, k  # a new extreme, a tie or a NaN: the index moves
    else:
        o[k * od], ix[k * xd] = m, ix[(k - 1) * xd]


cdef void _scan_rows(num *t, const Job *j, intp i, intp stop) noexcept nogil:
    # lanes; 0: out, 1: a, 2: indices (cummax, cummin)
    cdef const Plan *p = &j.p
    cdef char *ptr[MAXOPS]
    cdef intp m, e, k, n = j.n
    cdef intp so = _step(p, 0, sizeof(num)), sa = _step(p, 1, sizeof(num)), sx = _step(p, 2, 8)
    cdef intp od = j.along[0] // <intp>sizeof(num), ad = j.along[1] // <intp>sizeof(num), xd = j.along[2] // 8
    cdef num *o
    cdef const num *a
    cdef i64 *ix
    while i < stop:
        m = _row_at(p, i, stop, ptr)
        o, a, ix = <num*>ptr[0], <const num*>ptr[1], <i64*>ptr[2]
        if (ad if ad >= 0 else -ad) <= (sa if sa >= 0 else -sa) or m == 1:  # lane by lane
            for e in range(m):
                for k in range(n):
                    _scan_at(j.mode, o + e * so, a + e * sa, ix + e * sx, k, od, ad, xd)
        else:  # the lanes lie closer in memory: one step of every lane at a time
            for k in range(n):
                for e in range(m):
                    _scan_at(j.mode, o + e * so, a + e * sa, ix + e * sx, k, od, ad, xd)
        i += m


cdef void _softmax_rows(num *t, const Job *j, intp i, intp stop) noexcept nogil:
    # lanes; 0: out, 1: a
    cdef const Plan *p = &j.p
    cdef char *ptr[MAXOPS]
    cdef intp m, e, so = _step(p, 0, sizeof(num)), sa = _step(p, 1, sizeof(num))
    cdef intp od = j.along[0] // <intp>sizeof(num), ad = j.along[1] // <intp>sizeof(num)
    while i < stop:
        m = _row_at(p, i, stop, ptr)
        if sa == 1 and so == 1 and ad != 1 and m > 1:  # adjacent lanes: walk them together
            if num is f32:
                ember_softmax_lanes_f32(<f32*>ptr[1], ad, <f32*>ptr[0], od, j.n, m, j.mode == ADD)
            elif num is f64:
                ember_softmax_lanes_f64(<f64*>ptr[1], ad, <f64*>ptr[0], od, j.n, m, j.mode == ADD)
            i += m
            continue
        for e in range(m):
            if num is f32:
                ember_softmax_f32(<f32*>ptr[1] + e * sa, ad, <f32*>ptr[0] + e * so, od, j.n,
                                  j.mode == ADD)
            elif num is f64:
                ember_softmax_f64(<f64*>ptr[1] + e * sa, ad, <f64*>ptr[0] + e * so, od, j.n,
                                  j.mode == ADD)
        i += m


cdef void _job_chunk(num *t, Job *j, int c, intp start, intp stop) noexcept nogil:
    if j.kind == GATHER:
        _gather_rows(t, j, start, stop)
    elif j.kind == SCATTER:
        _scatter_rows(t, j, start, stop)
    elif j.kind == SCAN:
        _scan_rows(t, j, start, stop)
    elif j.kind == SOFTMAX:
        _softmax_rows(t, j, start, stop)
    else:
        _masked_rows(t, j, c, start, stop)


cdef inline intp _bound(const Job *j, int c) noexcept nogil:
    """Where chunk c starts (c == nch: the end)."""
    cdef intp row = j.p.shape[j.p.ndim - 1]
    if j.by_rows:
        return (j.p.size // row) * c // j.nch * row
    return j.p.size * c // j.nch


cdef void _job_all(num *t, Job *j) noexcept nogil:
    cdef int c
    if j.nch == 1:
        _job_chunk(t, j, 0, 0, j.p.size)
        return
    for c in prange(j.nch, num_threads=j.nch, schedule="static"):
        _job_chunk(t, j, c, _bound(j, c), _bound(j, c + 1))


cdef inline void _go_job(num *t, Job *j, intp work) noexcept:
    if work >= PAR_MIN:
        with nogil:
            _job_all(t, j)
    else:
        _job_all(t, j)


cdef int _run_job(Job *j, int code, intp work) except -1:
    """Run job `j` on elements of type `code` (bool as uint8); `work` counts the elements
    touched and decides how many threads (chunks never split a row when `by_rows`, nor
    a lane of scans and softmax)."""
    cdef intp parts = j.p.size // j.p.shape[j.p.ndim - 1] if j.by_rows else j.p.size
    j.nch = <int>max(1, min(<intp>_nchunks(work), parts))
    if code == F32:
        _go_job(<f32*>NULL, j, work)
    elif code == F64:
        _go_job(<f64*>NULL, j, work)
    elif code == I8:
        _go_job(<cnp.int8_t*>NULL, j, work)
    elif code == I16:
        _go_job(<cnp.int16_t*>NULL, j, work)
    elif code == I32:
        _go_job(<cnp.int32_t*>NULL, j, work)
    elif code == I64:
        _go_job(<cnp.int64_t*>NULL, j, work)
    else:  # uint8 and bool
        _go_job(<cnp.uint8_t*>NULL, j, work)
    return 0


# gather and index_select: reads, threaded freely
cdef object _gather(cnp.ndarray a, cnp.ndarray index, int dim, bint select):
    cdef Job j
    cdef int code = _array_code(a, False), nd = cnp.PyArray_NDIM(a)
    cdef cnp.ndarray out
    if code < 0 or nd == 0 or not _is_index(index) or \
            cnp.PyArray_NDIM(index) != (1 if select else nd):
        return None
    shape = list(np.shape(a)) if select else np.shape(index)
    if select:
        shape[dim] = cnp.PyArray_DIMS(index)[0]
    out = np.empty(shape, a.dtype)
    if out.size == 0:
        return out
    j.kind, j.by_rows = GATHER, False
    _dims_plan(&j.p, out, 3)
    _strided(&j.p, 0, out)
    _strided(&j.p, 1, a)
    _take_along(&j, 1, dim)
    if select:
        _along_only(&j.p, 2, index, dim)
    else:
        _strided(&j.p, 2, index)
    _coalesce(&j.p)
    _run_job(&j, code, j.p.size)
    return out


def gather(self, a, index, dim):
    out = _gather(a, index, dim, False) if isinstance(a, cnp.ndarray) else None
    return _Ref.gather(self, a, index, dim) if out is None else out


def index_select(self, a, index, dim):
    out = _gather(a, index, dim, True) if isinstance(a, cnp.ndarray) else None
    return _Ref.index_select(self, a, index, dim) if out is None else out


# the scatter family: writes where two elements of a row (the indexed dim) may hit the same
# place, so that dim goes innermost and threads split the plan between rows only: every
# place is then written by one thread, in the reference's order
cdef bint _scatter(out, index, src, int dim, int mode, alpha, like) except -1:
    """Run a scatter-like write over a plan of the shape of `like` (`index` or `src`; for
    index_fill `out` with the length of `index` along `dim`); False when the case is not
    covered. `index` has the plan's dims, or is 1-D along `dim` (index_add, index_copy,
    index_fill)."""
    cdef Job j
    cdef int code = _array_code(out, True), nd
    if code < 0 or not _is_index(index) or not isinstance(like, cnp.ndarray) or \
            (mode != SET and cnp.PyArray_TYPE(<cnp.ndarray>out) == cnp.NPY_BOOL):
        return False
    nd = cnp.PyArray_NDIM(<cnp.ndarray>out)
    if nd == 0 or cnp.PyArray_NDIM(<cnp.ndarray>like) != nd or \
            cnp.PyArray_NDIM(<cnp.ndarray>index) not in (1, nd):
        return False
    j.alpha = 0
    if mode == ADD and not _convert(&j.alpha, alpha, code):
        return False
    j.kind, j.mode, j.by_rows = SCATTER, mode, True
    _dims_plan(&j.p, like, 3)
    if like is out:
        j.p.shape[dim] = cnp.PyArray_DIMS(<cnp.ndarray>index)[0]
    _strided(&j.p, 0, out)
    _take_along(&j, 0, dim)
    if cnp.PyArray_NDIM(<cnp.ndarray>index) == 1:
        _along_only(&j.p, 1, index, dim)
    else:
        _strided(&j.p, 1, index)
    if isinstance(src, cnp.ndarray):
        if _array_code(src, False) != code or cnp.PyArray_NDIM(<cnp.ndarray>src) != nd:
            return False
        _strided(&j.p, 2, src)
    elif not _put_scalar(&j.p, 2, src, code):
        return False
    _move_last(&j.p, dim)
    _coalesce(&j.p)
    if j.p.size:
        _run_job(&j, code, j.p.size)
    return True


def scatter_(self, out, index, src, dim, reduce=None):
    mode = SET if reduce is None else (ADD if reduce == "add" else MUL)
    if not _scatter(out, index, src, dim, mode, 1, index):
        _Ref.scatter_(self, out, index, src, dim, reduce)


def scatter_add_(self, out, index, src, dim):
    if not _scatter(out, index, src, dim, ADD, 1, index):
        _Ref.scatter_add_(self, out, index, src, dim)


def index_add_(self, out, index, source, dim, alpha=1):
    if not _scatter(out, index, source, dim, ADD, alpha, source):
        _Ref.index_add_(self, out, index, source, dim, alpha)


def index_copy_(self, out, index, source, dim):
    if not _scatter(out, index, source, dim, SET, 1, source):
        _Ref.index_copy_(self, out, index, source, dim)


def index_fill_(self, out, index, value, dim):
    if isinstance(value, cnp.ndarray) and value.ndim == 0 and value.dtype == out.dtype:
        value = value.item()  # a 0-d tensor value, in out's dtype already
    if isinstance(value, cnp.ndarray) or getattr(index, "ndim", 0) != 1 or \
            not _scatter(out, index, value, dim, SET, 1, out):
        _Ref.index_fill_(self, out, index, value, dim)



# index_put_: the key's index arrays, broadcast together, become one list of places (one
# plan dim). When no dim follows it, threads split the plan between the dims before it, so
# every place is written by one thread; otherwise (rows of a matrix, say) one thread walks
# the plan in C order, along the rows. Either way each place sees its writes in the
# reference's order: repeats summed first to last (accumulate), or the last one winning
cdef bint _index_put(out, values, key, bint accumulate) except -1:
    """False when the case is not covered: a key that is not slice(None)s and int64
    arrays, values of another dtype, or a bool sum."""
    cdef Job j
    cdef int code = _array_code(out, True), nd, pos, d
    cdef cnp.ndarray places
    if code < 0 or not isinstance(key, tuple) or \
            (accumulate and cnp.PyArray_TYPE(<cnp.ndarray>out) == cnp.NPY_BOOL):
        return False
    nd = cnp.PyArray_NDIM(<cnp.ndarray>out)
    indexed = [d for d, k in enumerate(key) if not isinstance(k, slice)]
    if not indexed or len(key) > nd or \
            any(isinstance(k, slice) and k != slice(None) for k in key) or \
            not all(_is_index(key[d]) for d in indexed):
        return False
    if isinstance(values, cnp.ndarray) and _array_code(values, False) != code:
        return False
    shape, strides = np.shape(out), (<cnp.ndarray>out).strides
    whole = [d for d in range(nd) if d not in indexed]
    # numpy's placement: the broadcast index dims where the indices stand when they are
    # adjacent, first otherwise
    pos = len([d for d in whole if d < indexed[0]]) \
        if indexed == list(range(indexed[0], indexed[0] + len(indexed))) else 0
    index = [key[d] for d in indexed]
    if len(index) > 1:
        index = np.broadcast_arrays(*index)
    if len(indexed) == 1:  # one index array: its values times the indexed dim's stride
        places, along = np.ravel(index[0]), strides[indexed[0]]
    else:  # several: their byte offsets added up
        offsets = 0
        for i, d in zip(index, indexed):
            offsets = offsets + i * strides[d]
        places, along = offsets.ravel(), 1
    before = tuple(shape[d] for d in whole[:pos])
    after = tuple(shape[d] for d in whole[pos:])
    plan_shape = before + (places.shape[0],) + after
    if isinstance(values, cnp.ndarray) and \
            (np.ndim(index[0]) != 1 or np.shape(values) != plan_shape):
        try:
            values = np.broadcast_to(values, before + np.shape(index[0]) + after).reshape(
                plan_shape)
        except ValueError:
            return False  # the reference raises numpy's error
    j.kind, j.mode, j.by_rows = SCATTER, ADD if accumulate else SET, True
    j.alpha = 0
    _convert(&j.alpha, 1, code)
    j.p.ndim, j.p.nops = len(whole) + 1, 3
    for d, n in enumerate(plan_shape):
        j.p.shape[d] = n
    for d in range(len(whole)):
        j.p.strides[0][d + (d >= pos)] = strides[whole[d]]
    j.p.data[0] = cnp.PyArray_BYTES(<cnp.ndarray>out)
    j.p.strides[0][pos] = 0
    j.along[0] = along
    _along_only(&j.p, 1, places, pos)
    if isinstance(values, cnp.ndarray):
        _strided(&j.p, 2, values)
    elif not _put_scalar(&j.p, 2, values, code):
        return False
    _coalesce(&j.p)
    if j.p.size:  # threads only when the places are the last dim; else C order, one thread
        _run_job(&j, code, j.p.size if all(n == 1 for n in after) else 0)
    return True


def index_put_(self, out, values, key, accumulate=False):
    if not _index_put(out, values, key, accumulate):
        _Ref.index_put_(self, out, values, key, accumulate)

# masks: a count per chunk first, so that every chunk knows where its elements go
cdef intp _count_masked(Job *j, cnp.ndarray data, cnp.ndarray mask) except -1:
    """Plan `j` over data and mask (same shape) and count the True elements of each chunk
    into `j.offsets`, turned into where each chunk starts; returns the total."""
    cdef intp total = 0, count
    _dims_plan(&j.p, data, 2)
    _strided(&j.p, 0, data)
    _strided(&j.p, 1, mask)
    _coalesce(&j.p)
    j.kind, j.by_rows = MCOUNT, False
    _run_job(j, U8, j.p.size)
    for c in range(j.nch):
        count = j.offsets[c]
        j.offsets[c] = total
        total += count
    return total


cdef inline bint _mask_covers(int code, data, mask) noexcept:
    return code >= 0 and _is_mask(mask) and cnp.PyArray_NDIM(<cnp.ndarray>data) > 0 and \
        data.shape == mask.shape


def masked_select(self, a, mask):
    cdef Job j
    cdef int code = _array_code(a, False)
    cdef cnp.ndarray out
    if not _mask_covers(code, a, mask):
        return _Ref.masked_select(self, a, mask)
    j.offsets = <intp*>malloc((_threads + 1) * sizeof(intp))
    if j.offsets == NULL:
        raise MemoryError()
    try:
        out = np.empty(_count_masked(&j, a, mask), a.dtype)
        j.kind, j.flat = MSELECT, cnp.PyArray_BYTES(out)
        _run_job(&j, code, j.p.size)
    finally:
        free(j.offsets)
    return out


def masked_scatter_(self, out, mask, source):
    cdef Job j
    cdef int code = _array_code(out, True)
    cdef cnp.ndarray flat
    if not _mask_covers(code, out, mask) or _array_code(source, False) != code:
        return _Ref.masked_scatter_(self, out, mask, source)
    flat = np.ascontiguousarray(source).reshape(-1)
    j.offsets = <intp*>malloc((_threads + 1) * sizeof(intp))
    if j.offsets == NULL:
        raise MemoryError()
    try:
        if _count_masked(&j, out, mask) > flat.shape[0]:
            return _Ref.masked_scatter_(self, out, mask, source)  # its error
        j.kind, j.flat = MSCATTER, cnp.PyArray_BYTES(flat)
        _run_job(&j, code, j.p.size)
    finally:
        free(j.offsets)


def masked_fill_(self, out, mask, value):
    where(self, out, mask, value, out)  # the same view as output and input: no copy


# scans along a dim: lanes, each walked in order
cdef object _scan(cnp.ndarray a, int dim, int mode):
    """(values, indices) of a scan (indices only for cummax/cummin), or None when the case
    is not covered."""
    cdef Job j
    cdef int code = _array_code(a, False), nd = cnp.PyArray_NDIM(a)
    cdef cnp.ndarray out, indices
    if code < 0 or nd == 0 or (mode in (ADD, MUL) and cnp.PyArray_TYPE(a) == cnp.NPY_BOOL):
        return None
    out = np.empty(np.shape(a), a.dtype)
    indices = out  # not written by sums and products
    if mode == CMAX or mode == CMIN:
        indices = np.empty(np.shape(a), np.int64)
    if out.size:
        j.kind, j.mode, j.by_rows = SCAN, mode, False
        _dims_plan(&j.p, a, 3)
        _strided(&j.p, 0, out)
        _strided(&j.p, 1, a)
        _strided(&j.p, 2, indices)
        _drop_dim(&j, dim)
        _coalesce(&j.p)
        _run_job(&j, code, j.p.size * j.n)
    return out, indices


def cumsum(self, a, dim):
    result = _scan(a, dim, ADD) if isinstance(a, cnp.ndarray) else None
    return _Ref.cumsum(self, a, dim=dim) if result is None else result[0]


def cumprod(self, a, dim):
    result = _scan(a, dim, MUL) if isinstance(a, cnp.ndarray) else None
    return _Ref.cumprod(self, a, dim=dim) if result is None else result[0]


def cummax(self, a, dim):
    result = _scan(a, dim, CMAX) if isinstance(a, cnp.ndarray) else None
    return _Ref.cummax(self, a, dim=dim) if result is None else result


def cummin(self, a, dim):
    result = _scan(a, dim, CMIN) if isinstance(a, cnp.ndarray) else None
    return _Ref.cummin(self, a, dim=dim) if result is None else result


# softmax: one fused pass per lane (max, exponentials and sum, scaling), threaded over lanes
cdef object _softmax(cnp.ndarray a, int dim, bint log):
    cdef Job j
    cdef int code = _array_code(a, False), nd = cnp.PyArray_NDIM(a)
    cdef cnp.ndarray out
    if (code != F32 and code != F64) or nd == 0 or cnp.PyArray_SIZE(a) == 0:
        return None
    out = np.empty(np.shape(a), a.dtype)
    j.kind, j.mode, j.by_rows = SOFTMAX, ADD if log else SET, False
    _dims_plan(&j.p, a, 2)
    _strided(&j.p, 0, out)
    _strided(&j.p, 1, a)
    _drop_dim(&j, dim)
    _coalesce(&j.p)
    _run_job(&j, code, j.p.size * j.n)
    return out


def softmax(self, a, dim):
    out = _softmax(a, dim, False) if isinstance(a, cnp.ndarray) else None
    return _Ref.softmax(self, a, dim=dim) if out is None else out


def log_softmax(self, a, dim):
    out = _softmax(a, dim, True) if isinstance(a, cnp.ndarray) else None
    return _Ref.log_softmax(self, a, dim=dim) if out is None else out
