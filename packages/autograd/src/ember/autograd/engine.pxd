# Read by Cython only (Note [compiled modules] in ember._compiled): in the compiled engine
# Node is an extension type whose fields the hot functions below read and write directly,
# not by attribute lookup. engine.py itself stays plain Python.
cimport cython


cdef class Node:
    cdef public object next_functions, _saved, _versions, _params, _meta, _site, _extra, _ran
    cdef object __weakref__


cdef class AccumulateGrad(Node):
    cdef public object variable


@cython.locals(node=Node)
cpdef record(op_name, inputs, outputs, params)

@cython.locals(fn=Node, nxt=Node)
cpdef _loop(ready, buffers, deps, capture, results, useful, retain_graph, create_graph, root)

@cython.locals(fn=Node)
cpdef _call_formula(fn, g, create_graph, root=*)
