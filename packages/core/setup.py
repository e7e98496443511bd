"""Builds the Cython kernels and compiles the hot pure-Python modules, unless
EMBER_PURE_PYTHON=1 (then ember is pure Python)."""
import os

from setuptools import setup

# pure-Python modules also compiled, unchanged, on the small-op path (Note [compiled
# modules] in ember/_compiled.py)
COMPILED_SOURCES = ["_dispatch", "_tensor", "_grad_mode", "_device", "_dtype"]

extensions = []
if os.environ.get("EMBER_PURE_PYTHON", "").lower() not in ("1", "true", "yes"):
    import numpy
    from Cython.Build import cythonize
    from setuptools import Extension

    openmp = [] if os.environ.get("EMBER_NO_OPENMP") else ["-fopenmp"]
    extensions = cythonize(
        [Extension("ember._fastpath", ["src/ember/_fastpath.pyx"],
                   include_dirs=[numpy.get_include()],
                   define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
                   extra_compile_args=["-O2"]),
         *[Extension(f"ember._kernels.{name}", [f"src/ember/_kernels/{name}.pyx"],
                     include_dirs=[numpy.get_include()],
                     define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
                     # no trapping math: a loop with a select (exp's overflow bounds)
                     # vectorizes without masked instructions; nothing reads the flags
                     extra_compile_args=["-O3", "-fno-math-errno", "-fno-trapping-math",
                                         "-fwrapv", "-ffp-contract=off"] + openmp,
                     extra_link_args=openmp)
           for name in ("_cy", "_cy_loss", "_cy_conv")]]
        + [Extension(f"ember.{name}", [f"src/ember/{name.replace('.', '/')}.py"])
           for name in COMPILED_SOURCES],
        # force: a C file left by a build against another numpy's headers must not be reused
        compiler_directives={"language_level": "3"}, quiet=True, force=True,
        nthreads=os.cpu_count() or 1)

# the extensions compile in parallel too (the kernels' C is large; a build took 4 minutes)
setup(ext_modules=extensions, options={"build_ext": {"parallel": os.cpu_count() or 1}})
