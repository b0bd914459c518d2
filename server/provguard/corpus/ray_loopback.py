"""A local Ray cluster that reaches nothing beyond loopback: the environment and the patches around its start.

Ray finds a node's address by connecting a socket to 8.8.8.8:53, reports usage statistics, and starts a dashboard
API server that probes the cloud metadata address 169.254.169.254 even when told not to; a cluster provguard starts
(and the tests' and benches' clusters) must do none of that.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LOOPBACK = "127.0.0.1"
LOOPBACK_ENVIRONMENT = {
    "RAY_USAGE_STATS_ENABLED": "0",
    # Ray's name for "this node is not part of a multi-machine cluster": every Ray process then takes the
    # loopback address as the node's, instead of finding it by connecting a socket to 8.8.8.8:53.
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
}
"""The environment of a local cluster that reaches nothing beyond loopback (its processes inherit it)."""


@contextmanager
def loopback_only() -> Iterator[None]:
    """While a local cluster starts within, its processes (and this driver) take the loopback address as the
    node's, report no usage statistics, and no dashboard API server starts: even with usage statistics off it
    probes the cloud metadata address 169.254.169.254 (Ray starts it whatever include_dashboard says). The
    processes inherit the environment; the driver read it when it imported Ray, so its copy is set here."""
    import ray._private.ray_constants as constants
    import ray._private.services as services

    saved_environment = {name: os.environ.get(name) for name in LOOPBACK_ENVIRONMENT}
    saved = constants.ENABLE_RAY_CLUSTER, services.start_api_server
    os.environ.update(LOOPBACK_ENVIRONMENT)
    constants.ENABLE_RAY_CLUSTER = False
    services.start_api_server = _no_api_server
    try:
        yield
    finally:
        constants.ENABLE_RAY_CLUSTER, services.start_api_server = saved
        for name, value in saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _no_api_server(*args: Any, **kwargs: Any) -> tuple[None, None]:
    """In place of Ray's `services.start_api_server`: no URL, no process (what Ray returns when it fails)."""
    return None, None
