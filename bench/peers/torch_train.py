#!/usr/bin/python3
"""PyTorch peer for bench/train_compare: trains rectify's mlp, cnn or rnn on Fashion-MNIST.

The models are rectify's (src/rectify/train/models.cpp) with rectify's initialisation where it
differs from PyTorch's default, so that accuracies can be compared at equal epochs:
- Linear and Conv2d followed by relu: He normal, N(0, 2 / fan_in) (kaiming_normal_), not
  PyTorch's kaiming_uniform_(a=sqrt(5));
- the last Linear (no activation after it): Glorot uniform (xavier_uniform_);
- every bias: zero, not U(-1/sqrt(fan_in), 1/sqrt(fan_in));
- the RNN (IRNN): W_hh the identity, W_ih N(0, 0.001^2), biases zero, not U(-1/sqrt(H), 1/sqrt(H)).
The data stays uint8 and each batch is converted to normalised floats as it is drawn, with the
same mean and standard deviation as rectify. Seconds per epoch cover the training loop only.

Prints one JSON object per line: first {"info": ...} (versions, threads, the BLAS in use), then
one per epoch.

Usage: /usr/bin/python3 torch_train.py --model mlp --epochs 3 --threads 1 [--optimizer sgd]
"""
import argparse
import ctypes
import gzip
import json
import os
import re
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

MEAN, STD = 0.2860, 0.3530  # rectify/data/batch.hpp


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', choices=('mlp', 'cnn', 'rnn'), required=True)
    p.add_argument('--epochs', type=int, required=True)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--optimizer', choices=('sgd', 'adam'), default='sgd')
    p.add_argument('--lr', type=float, help='default: sgd 0.01, adam 0.001')
    p.add_argument('--momentum', type=float, default=0.9)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--data', default='/usr/share/datasets/fashion-mnist')
    return p.parse_args()


def read_idx(path):
    """An IDX file (gzipped or not) as a uint8 array of its dimensions."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        raw = f.read()
    zero, dtype, rank = struct.unpack('>HBB', raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f'{path}: not an IDX file of unsigned bytes')
    dims = struct.unpack(f'>{rank}I', raw[4:4 + 4 * rank])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank)
    if data.size != int(np.prod(dims)):
        raise ValueError(f'{path}: {data.size} bytes for dimensions {dims}')
    return data.reshape(dims)


def load(data_dir, prefix):
    def find(name):
        for candidate in (name + '.gz', name):
            path = os.path.join(data_dir, candidate)
            if os.path.exists(path):
                return path
        raise FileNotFoundError(f'{data_dir}: no {name}[.gz]')
    images = read_idx(find(f'{prefix}-images-idx3-ubyte'))
    labels = read_idx(find(f'{prefix}-labels-idx1-ubyte')).astype(np.int64)
    return images, labels


def he_linear(layer):
    nn.init.kaiming_normal_(layer.weight, mode='fan_in', nonlinearity='relu')
    nn.init.zeros_(layer.bias)
    return layer


def glorot_linear(layer):
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


class Rnn(nn.Module):
    """The 28 rows as 28 steps: RNN(28 -> 128, relu), the last step, Linear(128 -> 10)."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(28, 128, nonlinearity='relu', batch_first=True)
        self.fc = glorot_linear(nn.Linear(128, 10))
        with torch.no_grad():
            nn.init.normal_(self.rnn.weight_ih_l0, std=0.001)
            self.rnn.weight_hh_l0.copy_(torch.eye(128))
            nn.init.zeros_(self.rnn.bias_ih_l0)
            nn.init.zeros_(self.rnn.bias_hh_l0)

    def forward(self, x):  # (B, 28, 28)
        out, _ = self.rnn(x)
        return self.fc(out[:, -1])


def make_model(name):
    if name == 'mlp':
        return nn.Sequential(he_linear(nn.Linear(784, 128)), nn.ReLU(),
                             glorot_linear(nn.Linear(128, 10)))
    if name == 'cnn':
        return nn.Sequential(
            he_linear(nn.Conv2d(1, 32, 3)), nn.ReLU(), nn.MaxPool2d(2),   # (B, 32, 13, 13)
            he_linear(nn.Conv2d(32, 64, 3)), nn.ReLU(), nn.MaxPool2d(2),  # (B, 64, 5, 5)
            nn.Flatten(), he_linear(nn.Linear(1600, 128)), nn.ReLU(),
            glorot_linear(nn.Linear(128, 10)))
    return Rnn()


def input_shape(name, batch):
    return {'mlp': (batch, 784), 'cnn': (batch, 1, 28, 28), 'rnn': (batch, 28, 28)}[name]


def to_batch(images, labels, idx, shape):
    """The images at idx as normalised floats: uint8 until here."""
    x = torch.from_numpy(images[idx]).reshape(shape).float()
    x.div_(255.0).sub_(MEAN).div_(STD)
    return x, torch.from_numpy(labels[idx])


def blas_info():
    """The BLAS libraries this process loaded, and OpenBLAS's core when it is one of them."""
    loaded = []
    with open('/proc/self/maps', encoding='ascii', errors='replace') as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ''
            name = os.path.basename(path)
            if ('blas' in name or 'lapack' in name or 'mkl' in name) and path not in loaded:
                loaded.append(path)
    info = {'loaded': loaded, 'openblas_core': None, 'openblas_config': None}
    for path in loaded:
        if 'openblas' not in os.path.basename(path):
            continue
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            info['openblas_core'] = lib.openblas_get_corename().decode()
            info['openblas_config'] = lib.openblas_get_config().decode()
            info['openblas_threads'] = lib.openblas_get_num_threads()
        except (OSError, AttributeError):
            continue
        break
    setting = re.search(r'BLAS_INFO=(\w+)', torch.__config__.show())
    info['torch_blas_info'] = setting.group(1) if setting else None  # "generic": libblas.so.3
    return info


def evaluate(model, images, labels, shape_of, batch):
    """Loss and accuracy in batches of `batch` images, as rectify evaluates."""
    correct, loss = 0, 0.0
    with torch.no_grad():
        for start in range(0, len(labels), batch):
            idx = np.arange(start, min(start + batch, len(labels)))
            x, y = to_batch(images, labels, idx, shape_of(len(idx)))
            logits = model(x)
            loss += nn.functional.cross_entropy(logits, y, reduction='sum').item()
            correct += (logits.argmax(1) == y).sum().item()
    return loss / len(labels), correct / len(labels)


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_x, train_y = load(args.data, 'train')
    test_x, test_y = load(args.data, 't10k')
    model = make_model(args.model)
    if args.optimizer == 'sgd':
        opt = torch.optim.SGD(model.parameters(), lr=args.lr or 0.01, momentum=args.momentum)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=args.lr or 1e-3)
    loss_fn = nn.CrossEntropyLoss()
    shape_of = lambda b: input_shape(args.model, b)  # noqa: E731
    print(json.dumps({'info': {'torch': torch.__version__, 'threads': torch.get_num_threads(),
                               'blas': blas_info()}}), flush=True)
    rng = np.random.default_rng(args.seed)
    n = len(train_y)
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = rng.permutation(n)
        loss_sum, correct = 0.0, 0
        start = time.perf_counter()
        for first in range(0, n, args.batch):
            idx = order[first:first + args.batch]
            x, y = to_batch(train_x, train_y, idx, shape_of(len(idx)))
            logits = model(x)
            loss = loss_fn(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == y).sum().item()
        seconds = time.perf_counter() - start
        model.eval()
        test_loss, test_acc = evaluate(model, test_x, test_y, shape_of,
                                       max(args.batch, 64))
        print(json.dumps({'epoch': epoch, 'seconds': seconds, 'images_per_s': n / seconds,
                          'train_loss': loss_sum / n, 'train_acc': correct / n,
                          'test_loss': test_loss, 'test_acc': test_acc}), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
