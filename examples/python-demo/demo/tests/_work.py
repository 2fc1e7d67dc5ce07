"""Simulated work for the demo suite: a sleep, or a little CPU for the CPU-bound tests."""
import hashlib
import time


def sleep(seconds):
    time.sleep(seconds)


def crunch(rounds):
    digest = b"baton"
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return digest
