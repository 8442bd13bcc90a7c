"""Test-wide settings: one torch thread per test process.

`make test` runs two pytest workers on two cores; letting each also start two torch threads
oversubscribes the machine and makes small convolutions many times slower.
"""

import os

import torch

torch.set_num_threads(int(os.environ.get("SMALLNETS_TEST_THREADS", "1")))
