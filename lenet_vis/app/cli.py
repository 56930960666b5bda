"""`lenet-vis`: train, evaluate, predict and serve."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from lenet_vis.assets import WEIGHTS as DEFAULT_WEIGHTS


def _train(args: argparse.Namespace) -> int:
    from lenet_vis.model.train import TrainConfig, train

    cfg = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        lr=args.lr,
        augment=not args.no_augment,
        validation=args.validation,
        seed=args.seed,
        out=str(args.out),
        checkpoint_epochs=tuple(args.checkpoint_epochs),
        limit=args.limit,
        drawn_variants=args.drawn_variants,
        drawn_fraction=args.drawn_fraction,
    )
    _, meta = train(cfg)
    print(
        f"test accuracy {meta['test_accuracy']:.4%} in {meta['training_seconds']:.0f}s; "
        f"wrote {args.out}, {Path(args.out).with_suffix('.json')} and "
        f"{meta['checkpoints']['file']} ({len(meta['checkpoints']['list'])} checkpoints)"
    )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from lenet_vis.model.evaluate import evaluate_all

    evaluate_all(
        args.weights,
        drawn=args.drawn,
        fonts=args.fonts,
        seed=args.seed,
        as_json=args.json,
        checkpoint=args.checkpoint,
    )
    return 0


def _precompute(args: argparse.Namespace) -> int:
    from lenet_vis.model.knowledge import knowledge_path, precompute

    meta = precompute(args.weights, size=args.size, seed=args.seed)
    out = knowledge_path(args.weights)
    print(
        f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) and {out.with_suffix('.json').name} "
        f"in {meta['seconds']:.0f}s: {meta['subset']['size']} training digits, fc2 energy kept "
        f"{meta['embedding']['energy_kept']:.2%}"
    )
    for layer, f in meta["filters"].items():
        beats = sum(f["ascent_beats_top_patches"])
        print(
            f"  {layer}: gradient ascent beats the top patches for {beats}/{f['filters']} filters"
        )
    return 0


def _predict(args: argparse.Namespace) -> int:
    from PIL import Image

    from lenet_vis.model.lenet import LeNet
    from lenet_vis.model.preprocess import network_input

    net = LeNet.load(args.weights)
    try:
        with Image.open(args.file) as img:
            inp = network_input(img)
    except Exception as exc:  # unreadable, truncated or corrupt: Pillow raises many kinds
        print(f"lenet-vis: {args.file}: not a readable image ({exc})", file=sys.stderr)
        return 2
    probs = net.predict(inp.x).tolist()
    digit = int(max(range(10), key=probs.__getitem__))
    if args.json:
        print(
            json.dumps(
                {
                    "prediction": None if inp.blank else digit,
                    "blank": inp.blank,
                    "probabilities": probs,
                }
            )
        )
    elif inp.blank:
        print("blank image: no ink found")
    else:
        print(f"digit {digit} ({probs[digit]:.1%})")
        for d, p in enumerate(probs):
            print(f"  {d}: {p:.4f} {'#' * round(p * 40)}")
    return 0


def uvicorn_options(settings) -> dict:
    """The server-level limits of the settings, as uvicorn.run keywords."""
    from lenet_vis.app.live import MAX_MESSAGE
    from lenet_vis.app.live_protocol import LiveWebSockets

    return {
        "http": settings.http,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "timeout_keep_alive": settings.keep_alive_timeout,
        "limit_concurrency": settings.limit_concurrency,
        # the live channel: no frame over its largest drawing is read, no compression
        "ws": LiveWebSockets,
        "ws_max_size": MAX_MESSAGE,
        "ws_per_message_deflate": settings.live_deflate,
    }


BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread(environ: dict) -> bool:
    """Set each BLAS thread count of `environ` to 1 unless the user set any; True if set.

    Every request is one small matrix product: a BLAS thread pool per worker only contends for
    the cores the other requests and workers need (on a busy 2-core machine integrated gradients
    took 922 ms with OpenBLAS's threads, 147 ms with one). It must happen before numpy is first
    imported in the process (and workers inherit the environment).
    """
    if any(name in environ for name in BLAS_THREADS):
        return False
    environ.update(dict.fromkeys(BLAS_THREADS, "1"))
    return True


def _serve(args: argparse.Namespace) -> int:
    one_blas_thread(os.environ)  # before numpy's first import, here and in the workers
    import uvicorn

    from lenet_vis.app.config import get_settings
    from lenet_vis.model.lenet import LeNet

    settings = get_settings()
    LeNet.load(settings.weights)  # a bad file stops here with one line, before workers
    print(f"lenet-vis: serving on http://{args.host}:{args.port} (API docs at /docs)")

    uvicorn.run(
        "lenet_vis.app.main:app",
        host=args.host,
        port=args.port,
        workers=None if args.reload else args.workers,
        reload=args.reload,
        log_level=args.log_level,
        access_log=not args.no_access_log,
        **uvicorn_options(settings),
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lenet-vis", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train the network on MNIST (NumPy, CPU)")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--validation", type=int, default=5000, help="training digits held out")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS)
    p.add_argument(
        "--checkpoint-epochs",
        type=int,
        nargs="*",
        default=[1, 2, 3, 5, 10, 20],
        help="epochs to keep besides initialisation and the last",
    )
    p.add_argument("--limit", type=int, default=0, help="train on this many digits (0: all)")
    p.add_argument(
        "--drawn-variants",
        type=int,
        default=2,
        help="drawing-style copies of each training digit, made once and cached (0: none)",
    )
    p.add_argument(
        "--drawn-fraction", type=float, default=0.75, help="share of each batch from those copies"
    )
    p.set_defaults(func=_train)

    p = sub.add_parser(
        "evaluate", help="accuracy on MNIST test, the drawing-style set and the font set"
    )
    p.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    p.add_argument("--checkpoint", help="a checkpoint of the weights, e.g. epoch-3")
    p.add_argument("--drawn", type=int, default=10000, help="digits in the drawing-style set")
    p.add_argument("--fonts", type=int, default=2000, help="digits in the font set (0: none)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_evaluate)

    p = sub.add_parser(
        "precompute",
        help="nearest-digit embeddings, the map and filter images for the weights (knowledge.npz)",
    )
    p.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    p.add_argument("--size", type=int, default=10000, help="training digits in the subset")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_precompute)

    p = sub.add_parser("predict", help="predict the digit in an image file")
    p.add_argument("file", type=Path)
    p.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_predict)

    p = sub.add_parser(
        "serve",
        help="start the web app and JSON API",
        description="Start the web app and JSON API. Each worker uses one BLAS thread (the "
        "fastest for this small network's requests) unless you set OPENBLAS_NUM_THREADS, "
        "OMP_NUM_THREADS or MKL_NUM_THREADS yourself.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--reload", action="store_true")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--no-access-log", action="store_true")
    p.set_defaults(func=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as exc:  # one clear line for the known failures
        from lenet_vis.model.data import DataError
        from lenet_vis.model.lenet import WeightsError

        if isinstance(exc, WeightsError | DataError):
            print(f"lenet-vis: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
