"""Autograd: gradients of y = w * x + b, retain_graph, retain_grad, no_grad, Variable."""
import ember as torch
from ember.autograd import Variable

# Create tensors
x = torch.tensor(1., requires_grad=True)
w = torch.tensor(2., requires_grad=True)
b = torch.tensor(3., requires_grad=True)

# Build the graph
y = w * x + b    # y = 2 * x + 3

# Compute gradients
y.backward()

# Print out the gradients.
print(x.grad)    # x.grad = 2
print(w.grad)    # w.grad = 1
print(b.grad)    # b.grad = 1

# The graph is freed after backward unless retain_graph=True
a = Variable(torch.rand(1, 4), requires_grad=True)
b = a**2
c = b*2
d = c.mean()
e = c.sum()
d.backward(retain_graph=True)  # fine
e.backward(retain_graph=True)  # fine
d.backward()  # also fine
try:
    e.backward()  # error will occur!
except RuntimeError as error:
    print("RuntimeError:", str(error).split(".")[0])

# Variables are tensors now; the legacy flags still work
z = Variable(torch.randn(5, 5), requires_grad=True)
print(z.requires_grad)
volatile_input = Variable(torch.randn(1, 3, 227, 227), volatile=True)
print(volatile_input.requires_grad)

# a linear model's loss, and .grad of a non-leaf through retain_grad()
x_data = [1.0, 2.0, 3.0]
y_data = [2.0, 4.0, 6.0]
w = Variable(torch.Tensor([1.0]), requires_grad=True)


def forward(x):
    return x * w


def loss(x, y):
    y_pred = forward(x)
    y_pred.retain_grad()
    return (y_pred - y) * (y_pred - y), y_pred


for x_val, y_val in zip(x_data, y_data):
    l, y_pred = loss(x_val, y_val)
    l.backward()
    print("grad:", x_val, y_val, round(w.grad.item(), 4), "y_pred.grad:", y_pred.grad)
    w.data = w.data - 0.01 * w.grad.data
    w.grad.data.zero_()

# evaluation without tracking
with torch.no_grad():
    print((w * 2).requires_grad)
