"""``ember.optim``: optimizers with parameter groups and state dicts, and
``ember.optim.lr_scheduler``."""
from . import lr_scheduler
from ._algorithms import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, RAdam, RMSprop
from .optimizer import Optimizer

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
           "RAdam", "lr_scheduler"]
