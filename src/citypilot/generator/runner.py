"""Run the generator's steps and report what was made and how long each step took."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection, transaction

from . import steps  # noqa: F401 - registers the steps
from .core import STEPS, Context


def generate(*, scale: float, seed: int = 2013, log: Callable[[str], None] = print) -> Context:
    """Fill the database: the real 2013 batch, then every registered step, then the audit chain."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    ctx = Context(scale=scale, seed=seed, log=log)
    log(f"Generating scale {scale} (seed {seed}) on {connection.vendor}: {ctx.targets}")
    started = time.monotonic()
    for item in STEPS:
        t0 = time.monotonic()
        if item.name == "audit":
            made = item.func(ctx)  # commits chunk by chunk, each moving the chain head
        else:
            with transaction.atomic():
                made = item.func(ctx)
        ctx.made[item.name] = made
        ctx.timings[item.name] = round(time.monotonic() - t0, 2)
        log(f"  {item.name}: {made:,} in {ctx.timings[item.name]:.1f} s")
    ctx.reset_sequences()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    ctx.timings["total"] = round(time.monotonic() - started, 2)
    log(f"Done in {ctx.timings['total']:.1f} s")
    return ctx
