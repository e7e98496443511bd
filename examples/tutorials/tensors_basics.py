"""Tensors as a numpy replacement: creation, algebra, views, numpy interop, seeds.

Runs unchanged with `import torch`; here `import ember as torch`.
"""
import numpy as np

import ember as torch

torch.manual_seed(0)

# create tensors: uninitialised, random, from data
x = torch.Tensor(5, 3)
print(x.size())
x = torch.Tensor(7, 5).uniform_(-1, 1)
print(x.size())
y = torch.rand(5, 3)
x = torch.rand(5, 3)
print((x + y).size())

# three ways to add, one of them in place
result = torch.Tensor(5, 3)
torch.add(x, y, out=result)
print(torch.equal(result, x + y))
y.add_(x)
print(torch.equal(result, y))

# numpy bridge: shared memory both ways
a = np.ones(5)
pta = torch.from_numpy(a)
np.add(a, 1, out=a)
print(pta)
b = pta.numpy()
print(b)
print(torch.FloatTensor(a))

# indexing and reshaping
print(x[:, 1].size())
y = torch.randn(5, 10, 15)
print(y.size())
print(y.view(-1, 15).size())
a = torch.range(1, 12)
a = a.view(3, 4)
print(a)
print(a.view(-1))

# algebra
a = torch.rand(4, 4)
b = torch.rand(4)
mm = a.mm(a)
mv = a.mv(b)
t = a.t()
print(mm.shape, mv.shape, t.shape)

a = torch.Tensor([[1, 2], [3, 4]])
b = torch.Tensor([5, 6])
c = torch.Tensor([7, 8])
print(a * b)
print(a * a)
print(torch.dot(b, c))
