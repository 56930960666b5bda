"""What a benchmark ran with: BLAS library, its kernel and threads, PyTorch's threads, load."""

from __future__ import annotations

import os

import numpy as np


def blas_settings() -> list[str]:
    """One line per thread pool here (threadpoolctl if installed, else NumPy's build config)."""
    lines = []
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        cfg = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
        lines.append(
            f"blas: {cfg.get('name', '?')} {cfg.get('version', '?')} "
            "(threadpoolctl absent: kernel and thread count not known)"
        )
    else:
        for pool in threadpool_info():
            lines.append(
                f"{pool['user_api']}: {pool['internal_api']} {pool.get('version')} "
                f"kernel {pool.get('architecture', '-')} threads {pool['num_threads']} "
                f"({os.path.basename(pool['filepath'])})"
            )
    env = {k: os.environ.get(k, "unset") for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env["OPENBLAS_NUM_THREADS"] = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    lines.append("env: " + ", ".join(f"{k}={v}" for k, v in env.items()))
    lines.append(
        f"cores usable: {len(os.sched_getaffinity(0))}, load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    return lines


def torch_or_none():
    """PyTorch if importable (never a project dependency), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch
