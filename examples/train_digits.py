"""Train a small CNN on scikit-learn's handwritten digits with Ember.

The data set ships inside scikit-learn (1797 8x8 grey images, 10 classes): nothing
is downloaded. The script trains with a DataLoader, CrossEntropyLoss and an
optimizer, shows a progress bar per epoch, prints the test accuracy, and saves the
weights (``ember.save``) and a plot of the training curves.

    python examples/train_digits.py                 # sensible defaults
    python examples/train_digits.py --epochs 20 --optimizer adam --device cpu --seed 1
"""
from __future__ import annotations

import argparse
import pathlib
import time

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader, TensorDataset


class DigitsNet(nn.Module):
    """conv(1->16, 3x3) -> relu -> conv(16->32, 3x3) -> relu -> 2x2 max-pool -> linear -> linear."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


def load_digits(seed, device):
    """Train/test tensors from scikit-learn's digits, scaled to [0, 1], split 80/20."""
    from sklearn.datasets import load_digits as sklearn_digits

    data = sklearn_digits()
    images = torch.tensor(data.images, dtype=torch.float32).unsqueeze(1) / 16.0
    labels = torch.tensor(data.target, dtype=torch.int64)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    split = int(0.8 * len(labels))
    train, test = order[:split], order[split:]
    return ((images[train].to(device), labels[train].to(device)),
            (images[test].to(device), labels[test].to(device)))


def make_optimizer(name, params, lr):
    if name == "adam":
        return torch.optim.Adam(params, lr=lr or 3e-3)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr or 0.05, momentum=0.9)
    raise ValueError(f"unknown optimizer {name!r}: choose 'adam' or 'sgd'")


def evaluate(model, images, labels, batch_size=512):
    model.eval()
    correct, total_loss = 0, 0.0
    with torch.no_grad():
        for start in range(0, len(labels), batch_size):
            x, y = images[start:start + batch_size], labels[start:start + batch_size]
            logits = model(x)
            total_loss += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(dim=1) == y).sum().item()
    model.train()
    return total_loss / len(labels), correct / len(labels)


def train(args):
    from tqdm import tqdm

    torch.manual_seed(args.seed)
    (train_x, train_y), (test_x, test_y) = load_digits(args.seed, args.device)
    loader = DataLoader(TensorDataset(train_x, train_y), batch_size=args.batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(args.seed))
    model = DigitsNet().to(args.device)
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    criterion = nn.CrossEntropyLoss()
    history = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    started = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        seen = correct = 0
        running = 0.0
        bar = tqdm(loader, desc=f"epoch {epoch:2d}/{args.epochs}", unit="batch", leave=False,
                   disable=args.quiet)
        for x, y in bar:
            optimizer.zero_grad()
            logits = model(x)
            loss = criterion(logits, y)
            loss.backward()
            optimizer.step()
            running += loss.item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += len(y)
            bar.set_postfix(loss=f"{running / seen:.4f}", acc=f"{correct / seen:.3f}")
        scheduler.step()
        test_loss, test_acc = evaluate(model, test_x, test_y)
        for key, value in zip(history, (running / seen, correct / seen, test_loss, test_acc)):
            history[key].append(value)
        print(f"epoch {epoch:2d}: train loss {running / seen:.4f} acc {correct / seen:.3f} | "
              f"test loss {test_loss:.4f} acc {test_acc:.3f}")
    elapsed = time.perf_counter() - started
    print(f"test accuracy: {history['test_acc'][-1]:.4f} ({elapsed:.1f} s on {args.device})")
    return model, history


def save_outputs(model, history, folder):
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), folder / "digits_cnn.pt")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(1, len(history["train_loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, history["train_loss"], label="train")
    left.plot(epochs, history["test_loss"], label="test")
    left.set(title="cross-entropy loss", xlabel="epoch")
    right.plot(epochs, history["train_acc"], label="train")
    right.plot(epochs, history["test_acc"], label="test")
    lowest = min(history["train_acc"] + history["test_acc"])
    right.set(title="accuracy", xlabel="epoch", ylim=(max(0.0, lowest - 0.02), 1.0))
    for ax in (left, right):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(folder / "training_curves.png", dpi=100)
    plt.close(fig)
    print(f"saved {folder / 'digits_cnn.pt'} and {folder / 'training_curves.png'}")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    parser.add_argument("--lr", type=float, default=None, help="default: 0.05 (sgd), 3e-3 (adam)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (needs ember-cuda and a GPU)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="examples/output", help="folder for weights and plot")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    model, history = train(args)
    save_outputs(model, history, args.output)
    return history


if __name__ == "__main__":
    main()
