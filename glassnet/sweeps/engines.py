"""Where a sweep's trials run: ``local`` (a process pool on this machine) or ``ray`` (Ray tasks, on a local Ray
started for the sweep or on an existing cluster). Both call the same ``run_trial`` on the same inputs, so their
metrics agree bit for bit; each yields ``(trial number, result)`` as trials finish."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

from glassnet.sweeps.recipes import run_trial

ENGINES = ("local", "ray")
CONNECT_TIMEOUT = 30.0  # seconds for a Ray cluster's address to answer (importing Ray alone takes a few)
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def run_task(task):
    """A worker's entry: ``(trial number, run_trial's result)`` for ``(number, recipe, data, settings, seed)``."""
    number, recipe, data, settings, seed = task
    return number, run_trial(recipe, data, settings, seed)


def _ignore_sigint():
    # Ctrl-C reaches the whole process group: the parent stops the pool, the workers must not die mid-result first
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def local(tasks, workers):
    """Yield ``(number, result)`` as trials finish, from a pool of ``workers`` processes on this machine."""
    import multiprocessing

    # one BLAS thread per worker: the workers already fill the cores, and more threads would only fight over them
    # (set before the workers start, as OpenBLAS reads it when NumPy loads)
    saved = {k: os.environ.get(k) for k in BLAS_THREADS}
    os.environ.update(dict.fromkeys(saved, "1"))
    try:
        if "forkserver" in multiprocessing.get_all_start_methods():
            # workers forked from one server that has imported scikit-learn's data sets (seconds) once
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["glassnet.sweeps", "glassnet.datasets", "sklearn.datasets"])
        else:
            context = multiprocessing.get_context("spawn")
        pool = context.Pool(workers, initializer=_ignore_sigint)
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    try:
        yield from pool.imap_unordered(run_task, tasks)
        pool.close()
        pool.join()
    finally:
        pool.terminate()


def check_address(address, timeout=None):
    """Refuse a Ray address where no Ray cluster answers within ``timeout`` seconds (default ``CONNECT_TIMEOUT``).

    ``ray.init`` would wait a minute or more for a silent address and then end
    the whole process, so a child process tries the connection first, and is
    stopped when the time is up.
    """
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    if not isinstance(address, str):
        raise TypeError(f"--address must be a text HOST:PORT, got {type(address).__name__}")
    if address != "auto":
        host, _, port = address.split("://", 1)[-1].rstrip("/").rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"--address must be HOST:PORT (or ray://HOST:PORT, or auto), got {address!r}")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
        except OSError as exc:
            why = "no answer" if isinstance(exc, socket.timeout) else (exc.strerror or str(exc))
            raise ValueError(f"--address {address}: no Ray cluster there ({why})") from None
    probe = (f"import ray; ray.init(address={address!r}, include_dashboard=False, log_to_driver=False, "
             "logging_level='ERROR'); ray.shutdown()")
    # a GCS that stops answering ends the probe soon rather than after a minute (a few seconds after this
    # function's own deadline, so that a silent address is always said as one)
    env = {**os.environ, "RAY_gcs_rpc_server_reconnect_timeout_s": str(int(timeout) + 5),
           "RAY_gcs_server_request_timeout_seconds": str(int(timeout) + 5)}
    child = subprocess.Popen([sys.executable, "-c", probe], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, errors="replace")
    said = []
    reader = threading.Thread(target=lambda: said.extend(_until_refused(child)), daemon=True)
    reader.start()
    reader.join(timeout)
    timed_out = reader.is_alive()  # before the kill below ends its reading
    refused = any(AUTH_REFUSED in line for line in said)
    if child.poll() is None:
        child.kill()
    child.wait()
    if refused:
        # Ray's clusters started with `ray start` ask for a token (Ray >= 2.50), and ray.init would retry for
        # a minute before saying so
        raise ValueError(f"--address {address}: the Ray cluster there asks for its authentication token: set "
                         "RAY_AUTH_MODE=token, with the cluster's token in ~/.ray/auth_token or RAY_AUTH_TOKEN")
    if timed_out:
        raise ValueError(f"--address {address}: no Ray cluster answered within {timeout:g} s")
    if child.returncode != 0:
        raise ValueError(f"--address {address}: no Ray cluster answered there (connecting failed)")


AUTH_REFUSED = "InvalidAuthToken"


def _until_refused(child):
    """The probe's stderr lines, up to its end or the first that says the cluster refused its token."""
    for line in child.stderr:
        yield line
        if AUTH_REFUSED in line:
            return


def ray(tasks, workers, address):
    """Yield ``(number, result)`` as trials finish, from Ray tasks: on the cluster at ``address``, on a Ray this
    process already started, or on a local Ray started here (with ``workers`` CPUs) and stopped at the end."""
    try:
        import ray as ray_module
    except ImportError:
        raise ValueError("--engine ray needs Ray: pip install 'glassnet[ray]' (or pip install ray)") from None
    started = False
    if not ray_module.is_initialized():
        kwargs = {"address": address} if address else {"num_cpus": workers}
        try:
            ray_module.init(include_dashboard=False, log_to_driver=False, logging_level="ERROR", **kwargs)
        except (ConnectionError, RuntimeError, TimeoutError) as exc:
            raise ValueError(f"--engine ray: Ray did not start: {str(exc).strip().splitlines()[0]}") from None
        started = True
    remote = ray_module.remote(num_cpus=1, max_retries=0)(run_task)
    pending = [remote.remote(task) for task in tasks]
    try:
        while pending:
            done, pending = ray_module.wait(pending, num_returns=1)
            yield ray_module.get(done[0])
    finally:
        for ref in pending:  # Ctrl-C: stop what is still running
            ray_module.cancel(ref, force=True)
        if started:
            ray_module.shutdown()


__all__ = ["CONNECT_TIMEOUT", "ENGINES", "check_address", "local", "ray", "run_task"]
