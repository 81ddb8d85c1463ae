"""``livionkey-async sim --api v2``: run the API v2 simulator until Ctrl-C or SIGTERM.

The service account signs with an RSA key: ``--private-key-file`` names one to use, or the file
a fresh key is written to (readable by you only); without it a fresh key goes to a temporary
file. Point a client at it with ``LIVIONKEY_SERVICE_ACCOUNT_ID`` and
``LIVIONKEY_PRIVATE_KEY_FILE``, as the banner says.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

import attrs

from .._command import add_fault_arguments, faults_from_args, stop_signal
from ._config import V2SimConfig
from ._keys import new_private_key_pem, public_key_of
from ._server import V2Simulator

__all__ = ["add_arguments", "run"]


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, not {text}")
    return value


class _Defaults:
    """``V2SimConfig``'s defaults, read without making one (that would make a key)."""

    def __getattr__(self, name: str) -> object:
        return getattr(attrs.fields(V2SimConfig), name).default


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the ``sim --api v2`` flags on ``parser``."""
    defaults = _Defaults()
    serve = parser.add_argument_group("server")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    serve.add_argument(
        "--port", type=int, default=8080, help="port, 0 = any free one (%(default)s)"
    )
    serve.add_argument("--access-log", action="store_true", help="log every request to stderr")
    data = parser.add_argument_group("service account and seeded data")
    data.add_argument("--service-account-id", default=defaults.service_account_id)
    data.add_argument(
        "--private-key-file",
        type=Path,
        help="the account's RSA key (PEM); written there when the file does not exist",
    )
    data.add_argument("--key30-automats", type=_count, default=defaults.key30_automats)
    data.add_argument(
        "--keys", type=_count, default=defaults.keys_per_automat, help="keys per LivionKey30"
    )
    data.add_argument("--key20-automats", type=_count, default=defaults.key20_automats)
    data.add_argument(
        "--iloq-keys",
        type=_count,
        default=defaults.iloq_keys_per_automat,
        help="iLOQ S5 keys per LivionKey20",
    )
    data.add_argument("--access-rights", type=_count, default=defaults.access_rights)
    data.add_argument("--seed", type=int, default=defaults.seed, help="seed of data and faults")
    add_fault_arguments(parser)


def _key_of(path: Path | None) -> str:
    """The key in ``path`` when that file exists, else a fresh one."""
    if path is not None and path.exists():
        return path.read_text(encoding="ascii")
    return new_private_key_pem()


def _key_file(path: Path | None, pem: str) -> tuple[Path, bool]:
    """Where the key is (written there, owner-only, when new) and whether that file is a
    temporary one, removed when the simulator stops."""
    if path is not None and path.exists():
        return path, False
    if path is None:
        handle, name = tempfile.mkstemp(prefix="livionkey-sim-", suffix=".pem")  # mode 0600
        os.close(handle)
        Path(name).write_text(pem, encoding="ascii")
        return Path(name), True
    path.touch(mode=0o600)
    path.write_text(pem, encoding="ascii")
    return path, False


def config_from_args(args: argparse.Namespace, private_key_pem: str) -> V2SimConfig:
    return V2SimConfig(
        host=args.host,
        port=args.port,
        access_log=args.access_log,
        service_account_id=args.service_account_id,
        private_key_pem=private_key_pem,
        key30_automats=args.key30_automats,
        keys_per_automat=args.keys,
        key20_automats=args.key20_automats,
        iloq_keys_per_automat=args.iloq_keys,
        access_rights=args.access_rights,
        seed=args.seed,
        rate=args.rate,
        burst=args.burst,
        rate_limit_headers=args.rate_limit_headers,
        faults=faults_from_args(args),
    )


async def _serve(config: V2SimConfig, key_file: Path) -> None:
    async with stop_signal() as stop, V2Simulator(config) as sim:
        automats = ", ".join(
            f"{a.id} ({a.product}, {a.lifecycle_state})" for a in sim.state.automats.values()
        )
        print(f"LivionKey API v2 simulator listening on {sim.url}", flush=True)
        print(f"  LIVIONKEY_SERVICE_ACCOUNT_ID={config.service_account_id}", flush=True)
        print(f"  LIVIONKEY_PRIVATE_KEY_FILE={key_file}", flush=True)
        print(f"  LIVIONKEY_V2_BASE_URL={sim.url}", flush=True)
        print(f"  automats: {automats}", flush=True)
        print(f"  control:  {sim.origin}/_sim/stats, /_sim/faults, /_sim/reset", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        await stop.wait()
    print("simulator stopped", flush=True)


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM; 0 on a clean stop, 2 on a bad configuration."""
    try:
        pem = _key_of(args.private_key_file)
        public_key_of(pem)  # a file that holds no RSA key is a bad configuration
        config = config_from_args(args, pem)
        key_file, temporary = _key_file(args.private_key_file, pem)
    except (ValueError, OSError) as exc:
        print(f"sim: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(config, key_file))
    except OSError as exc:
        print(f"sim: cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        if temporary:
            key_file.unlink(missing_ok=True)
    return 0
