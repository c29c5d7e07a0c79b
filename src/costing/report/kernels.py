"""Worker side of the report batch: execute the template for one municipality, export its HTML.

Each worker process of the batch (see :func:`costing.report.runner.run_reports`) keeps

* one nbconvert HTML exporter (building it loads the templates: done once, not per report), and
* a small **warm kernel pool**: a kernel starts ahead of need with the library already imported
  (``IPKernelApp.exec_lines``) and serves several reports; between two reports its namespace is
  reset to a new IPython session, so no variable passes from one municipality's notebook to the
  next while the imports (seconds per report) are paid once. A kernel whose report failed is
  discarded.

Execution goes through :func:`papermill.execute_notebook` with the pre-started kernel manager and
a papermill engine that closes its client afterwards, so the record notebook has papermill's
injected-parameters cell, metadata and error markers. A kernel that fails to start is replaced
once before the report is given up. Files are written to a temporary file in the target folder
and moved into place with :func:`os.replace` (atomic), through :mod:`costing.data.files`: the
temporary's name carries the writer's process id, so
:func:`~costing.data.files.remove_stale_temporaries` removes those of a killed worker and never
one a live process is writing, and a failed write (a full disk) names the file.

Faults
------
*A kernel that dies* while it runs a cell (killed, out of memory, a crash in a C extension) fails
that report only: the notebook client talks to the kernel through an **asynchronous** client, so
nbclient's once-a-second liveness check runs while it waits for output, and the report fails
within about a second with "kernel died while running cell N" (:class:`KernelDied`). The dead
process is reaped and the next report gets a new kernel. (With the manager's default *blocking*
client, nbclient's wait for output, ``iopub.get_msg(timeout=None)``, blocked the event loop for
ever, so the liveness check never ran and the batch hung with the kernel a zombie.)

*Stopping*: a worker ignores SIGINT (the parent process handles Ctrl-C for the whole batch); on
SIGTERM (sent by the parent when the batch is interrupted) it kills its kernels, the report
running fails at once as "interrupted", any report still queued for it is not started, and it
leaves when the pool shuts down (or by itself ten seconds later).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import io
import logging
import os
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing import util
from pathlib import Path
from queue import Empty

from ..data.files import WriteError, atomic_write, new_temporary, publish, write_error
from ..privacy import PrivacyError, assert_no_worker_ids
from .html import exporter, notebook_to_html

#: Modules a warm kernel imports before it is handed a notebook (failures are ignored).
WARM_MODULES = ("numpy", "pandas", "matplotlib", "matplotlib.figure", "IPython.display",
                "costing", "costing.report.plots", "costing.report.html",
                "costing.report.sections", "costing.report.position")

_WARM_CODE = "import costing.report.kernels as _k; _k.warm_up(); del _k"

#: Kernel name recorded in the executed notebooks; the kernel that runs them is always this
#: interpreter (:func:`this_python_spec`), whatever kernels other environments registered.
KERNEL_NAME = "python3"

#: The client nbclient gets from a pool kernel's manager: an asynchronous one, so waiting for
#: the kernel's output never blocks the event loop that checks the kernel is still alive.
ASYNC_CLIENT = "jupyter_client.asynchronous.AsyncKernelClient"

#: Seconds a stopped worker waits for the pool to shut it down before it leaves by itself.
STOP_GRACE = 10.0

#: Reason given to a report the batch stopped before it finished.
INTERRUPTED = "interrupted"


def this_python_spec():
    """A Jupyter kernel spec that starts an IPython kernel with the Python running this batch.

    A registered kernel name (``costing``, ``python3``) can point at another environment (an
    older install, a system Jupyter), whose kernel would import another ``costing`` or none;
    the batch's kernels must run the library that started them.
    """
    from jupyter_client.kernelspec import KernelSpec

    return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f",
                            "{connection_file}"],
                      display_name=f"Python {sys.version.split()[0]} ({sys.prefix})",
                      language="python", name=KERNEL_NAME)


def _this_python_manager():
    """A kernel-spec manager whose every name resolves to :func:`this_python_spec`."""
    from jupyter_client.kernelspec import KernelSpecManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return this_python_spec()

    return ThisPython()


_RESET_CODE = "get_ipython().reset(new_session=True); __import__('gc').collect()"


def warm_up(modules: tuple[str, ...] = WARM_MODULES) -> None:
    """Import ``modules`` (run by a starting kernel, so a report finds them loaded)."""
    for name in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    with contextlib.suppress(Exception):  # load fonts and the PNG writer before the first chart

        from matplotlib.figure import Figure

        fig = Figure(figsize=(2, 1), layout="constrained")
        fig.subplots().set_title("ā 1 234,5")
        fig.savefig(io.BytesIO(), format="png")


class NotebookStopped(RuntimeError):
    """A notebook run ended in a cell without the kernel reporting an error in it.

    ``notebook`` is the notebook as far as it ran (the cell's output says what happened, for
    the record), or ``None``.
    """

    def __init__(self, message: str, notebook=None):
        super().__init__(message)
        self.notebook = notebook


class KernelDied(NotebookStopped):
    """The kernel process ended while the batch was waiting for it (see :func:`exit_status`)."""


class CellTimedOut(NotebookStopped):
    """A cell ran longer than the batch's execution timeout (``--timeout``)."""


class BatchStopped(RuntimeError):
    """The batch is stopping: no report is started, no kernel is started."""


def exit_status(km) -> str:
    """How a dead kernel ended, in words: ``"killed by signal SIGKILL"``, ``"exit code 1"``."""
    proc = getattr(getattr(km, "provisioner", None), "process", None)
    code = proc.poll() if proc is not None else None
    if code is None:
        return "ended"
    if code < 0:
        with contextlib.suppress(ValueError):
            name = signal.Signals(-code).name
            hint = " (out of memory, or killed by hand)" if -code == signal.SIGKILL else ""
            return f"killed by signal {name}{hint}"
        return f"killed by signal {-code}"
    return f"exit code {code}"


@dataclass
class Task:
    """One report to produce (all plain data: it crosses the process boundary)."""

    code: str
    title: str
    parameters: dict
    template: str
    notebook_path: str
    html_path: str
    lang: str
    prefetch: bool = True


@dataclass
class Outcome:
    """What happened to one report.

    ``status`` is ``"ok"``, ``"failed"``, ``"excluded"`` (the shared results leave the
    municipality out, no kernel ran) or ``"interrupted"`` (the batch stopped first).
    """

    code: str
    ok: bool
    reason: str = ""
    seconds: float = 0.0
    notebook_path: str = ""
    html_path: str = ""
    attempts: int = 1
    timings: dict = field(default_factory=dict)
    status: str = ""

    def __post_init__(self):
        if not self.status:
            self.status = "ok" if self.ok else "failed"


class KernelPool:
    """Warm kernels for one worker: each serves up to ``max_uses`` reports, reset in between.

    A kernel is started ahead of need (``prefetch``) with the library already imported. Before
    it runs a second report its IPython namespace is reset to a new session
    (``InteractiveShell.reset(new_session=True)``: no variable of the previous municipality's
    notebook survives, the execution count starts again at 1); imported modules stay loaded,
    which is the saving. A kernel whose report failed is never reused. ``max_uses=1`` gives a
    fresh kernel per report. Every wait on a kernel checks once a second that its process is
    alive, so a dead kernel is noticed at once, not after a timeout.
    """

    def __init__(self, kernel_name: str = KERNEL_NAME, start_timeout: float = 60.0,
                 retries: int = 1, max_uses: int = 8):
        self.kernel_name = kernel_name
        self.start_timeout = start_timeout
        self.retries = retries
        self.max_uses = max(1, int(max_uses))
        self.stopping = False
        self._spare = None
        self._current = None
        self._uses = 0
        self._live: list = []  # every kernel started and not yet discarded

    def _spawn(self):
        from jupyter_client import KernelManager
        from jupyter_core.paths import jupyter_runtime_dir

        if self.stopping:
            raise BatchStopped(INTERRUPTED)
        # IPC sockets under a name of their own: kernels of parallel workers never collide
        runtime = Path(jupyter_runtime_dir())
        runtime.mkdir(parents=True, exist_ok=True)
        ip = str(runtime / f"costing-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        km = KernelManager(kernel_name=self.kernel_name, transport="ipc", ip=ip,
                           kernel_spec_manager=_this_python_manager(),
                           client_class=ASYNC_CLIENT)
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # the kernel's own inline backend, whatever the caller uses
        self._live.append(km)
        try:
            km.start_kernel(extra_arguments=[f"--IPKernelApp.exec_lines={_WARM_CODE}"],
                            env=env)
        except BaseException:
            self.discard(km)
            raise
        return km

    def _ready(self, km) -> None:
        kc = km.blocking_client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=self.start_timeout)  # checks the process every second
        finally:
            kc.stop_channels()

    def _reset(self, km) -> None:
        kc = km.blocking_client()
        kc.start_channels()
        try:
            msg_id = kc.execute(_RESET_CODE, silent=True, store_history=False)
            deadline = time.monotonic() + self.start_timeout
            while True:
                try:
                    reply = kc.get_shell_msg(timeout=1.0)
                except Empty:
                    if not km.is_alive():
                        raise KernelDied(f"kernel died during reset: {exit_status(km)}") from None
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"kernel reset took over {self.start_timeout:g} s"
                                           ) from None
                    continue
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            if reply["content"].get("status") != "ok":
                raise RuntimeError(f"kernel reset failed: {reply['content']}")
        finally:
            kc.stop_channels()

    def _fresh(self):
        attempts = 0
        while True:
            attempts += 1
            km, self._spare = self._spare, None
            try:
                if km is None:
                    km = self._spawn()
                self._ready(km)
                return km, attempts
            except Exception as exc:  # kernel died or timed out during start
                self.discard(km)
                if self.stopping:
                    raise BatchStopped(INTERRUPTED) from None
                if attempts > self.retries:
                    raise RuntimeError(f"kernel {self.kernel_name!r} failed to start "
                                       f"{attempts} times: {exc}") from exc

    def get(self, prefetch: bool = True):
        """A ready kernel manager for the next report; retries a kernel that fails to start.

        Returns ``(km, attempts)``. With ``prefetch`` the kernel that will replace this one
        starts at once when this is its last use.
        """
        if self.stopping:
            raise BatchStopped(INTERRUPTED)
        attempts = 1
        if self._current is not None and self._uses < self.max_uses:
            try:
                self._reset(self._current)
            except Exception:
                self.discard(self._current)
                self._current = None
        if self._current is None or self._uses >= self.max_uses:
            self.discard(self._current)
            self._current, attempts = self._fresh()
            self._uses = 0
        self._uses += 1
        if prefetch and self._uses >= self.max_uses and self._spare is None:
            try:
                self._spare = self._spawn()
            except Exception:
                self._spare = None
        return self._current, attempts

    def release(self, km, healthy: bool) -> None:
        """Done with ``km``: keep it for the next report only if its report went well."""
        if km is not None and (not healthy or self._uses >= self.max_uses
                               or km is not self._current):
            self.discard(km)
            if km is self._current:
                self._current = None

    def discard(self, km) -> None:
        """Shut ``km``'s kernel down now and reap its process (a dead one too)."""
        if km is None:
            return
        with contextlib.suppress(ValueError):
            self._live.remove(km)
        with contextlib.suppress(Exception):
            km.shutdown_kernel(now=True)
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        if proc is not None:  # shutdown gave up (or failed): kill and reap it ourselves
            with contextlib.suppress(Exception):
                proc.kill()
                proc.wait(timeout=5)

    def kill_all(self) -> None:
        """Kill every kernel of this pool at once (signal-safe: no waiting, no messages).

        Each kernel leads a process group of its own (jupyter_client starts it in a new
        session), so the group is killed, with anything the kernel started.
        """
        for km in list(self._live):
            proc = getattr(getattr(km, "provisioner", None), "process", None)
            if proc is None or proc.returncode is not None:
                continue
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                with contextlib.suppress(OSError):
                    os.kill(proc.pid, signal.SIGKILL)

    def close(self) -> None:
        self.discard(self._spare)
        self.discard(self._current)
        self._spare = self._current = None
        for km in list(self._live):
            self.discard(km)


ENGINE = "costing_warm"

#: nbclient's log: silent, because every failure it logs reaches the batch as the reason of
#: the report (a dead kernel, a timeout), which names the municipality.
_QUIET = logging.getLogger(__name__ + ".nbclient")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def _register_engine() -> None:
    """Register a papermill engine that closes its kernel client after the run.

    papermill's own engine leaves the client of a kernel it did not start open (it expects
    the caller to own it); this one behaves the same otherwise, so the record notebook has
    papermill's parameters cell, metadata and error markers. A kernel that dies during a cell
    becomes :class:`KernelDied`, a cell over the time limit :class:`CellTimedOut`, each naming
    the cell, whose record gets the error as its output.
    """
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import remove_args

    class Client(PapermillNotebookClient):
        running: int | None = None

        def execute_cell(self, cell, cell_index, *args, **kwargs):
            self.running = cell_index
            return super().execute_cell(cell, cell_index, *args, **kwargs)

    def stopped(kind, client, nb_man, what: str, before: str) -> NotebookStopped:
        index = client.running
        if index is None:
            return kind(before, nb_man.nb)
        cell = nb_man.nb.cells[index]
        number = cell.get("execution_count") or sum(
            c.cell_type == "code" for c in nb_man.nb.cells[:index + 1])
        exc = kind(what.format(cell=number), nb_man.nb)
        cell.outputs.append(nbformat.v4.new_output(
            "error", ename=kind.__name__, evalue=str(exc), traceback=[str(exc)]))
        with contextlib.suppress(Exception):
            nb_man.cell_exception(cell, cell_index=index, exception=exc)
        return exc

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            client = Client(
                nb_man, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=_QUIET, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
            try:
                return client.execute()
            except DeadKernelError:
                how = exit_status(kwargs.get("km"))
                raise stopped(KernelDied, client, nb_man,
                              f"kernel died while running cell {{cell}}: {how}",
                              f"kernel died before running a cell: {how}") from None
            except CellTimeoutError:
                limit = f"{execution_timeout:g} s" if execution_timeout else "its time limit"
                raise stopped(CellTimedOut, client, nb_man,
                              f"cell {{cell}} ran longer than {limit} (--timeout)",
                              f"timed out before running a cell ({limit})") from None
            finally:
                if getattr(client, "kc", None) is not None:
                    with contextlib.suppress(Exception):
                        client.kc.stop_channels()

    papermill_engines.register(ENGINE, WarmKernelEngine)


_STATE: dict = {}


def request_stop(signum=None, frame=None) -> None:
    """Stop this worker (its SIGTERM handler): kill its kernels, start no report.

    The report running fails within a second as "interrupted"; the worker then leaves when
    the pool shuts down, or by itself after :data:`STOP_GRACE` seconds.
    """
    if _STATE.get("stopping"):
        return
    _STATE["stopping"] = True
    pool = _STATE.get("pool")
    if pool is not None:
        pool.stopping = True
        pool.kill_all()
    timer = threading.Timer(STOP_GRACE, _leave)
    timer.daemon = True
    timer.start()


def _leave() -> None:  # pragma: no cover - only when the pool never shut this worker down
    pool = _STATE.get("pool")
    if pool is not None:
        pool.kill_all()
    os._exit(128 + signal.SIGTERM)


def init_worker(kernel_name: str, execution_timeout: float, start_timeout: float,
                max_uses: int = 8) -> None:
    """Process-pool initializer: one exporter and kernel pool per worker process.

    A worker forked from the batch inherits its parent's signal handlers and event loop: it
    gets its own handlers (SIGINT ignored: the parent stops the batch; SIGTERM:
    :func:`request_stop`) and its own event loop (one shared with the parent through a copied
    epoll descriptor would see the parent's events).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, request_stop)
    _fresh_event_loop()
    _register_engine()
    pool = KernelPool(kernel_name, start_timeout, max_uses=max_uses)
    _STATE.update(pool=pool, timeout=execution_timeout, exporters={}, stopping=False)
    util.Finalize(pool, pool.close, exitpriority=10)


def _fresh_event_loop() -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    with contextlib.suppress(Exception):  # jupyter_core's own per-context loop, if inherited
        from jupyter_core import utils

        if utils._loop.get() is not None:
            utils._loop.set(loop)


def _exporter(lang: str):
    cache = _STATE.setdefault("exporters", {})
    if lang not in cache:
        cache[lang] = exporter(lang)
    return cache[lang]


def _reason(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
    if isinstance(exc, NotebookStopped | BatchStopped | WriteError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def run_task(task: Task) -> Outcome:
    """Execute the template for ``task.code``, keep the record notebook, write the HTML.

    Never raises: any failure becomes ``Outcome(ok=False, reason=...)`` and the executed
    notebook (with the error) is kept for diagnosis, unless it would disclose a worker id. A
    report the batch stopped (see :func:`request_stop`) is ``status="interrupted"`` and leaves
    the files of an earlier run in place.
    """
    import nbformat
    import papermill as pm

    if "pool" not in _STATE:
        raise RuntimeError("run_task: call init_worker(...) first in this process")
    if _STATE.get("stopping"):
        return Outcome(task.code, ok=False, reason=INTERRUPTED, status="interrupted")
    pool: KernelPool = _STATE["pool"]
    t0 = time.perf_counter()
    nb_path = Path(task.notebook_path)
    out = Outcome(task.code, ok=False, notebook_path=str(nb_path))
    km = tmp_nb = None
    try:
        # papermill writes the record to a path: a temporary named as data.files names them
        tmp_nb = str(new_temporary(nb_path, ".tmp.ipynb"))
        km, out.attempts = pool.get(task.prefetch)
        if _STATE.get("stopping"):  # stopped while the kernel was starting
            raise BatchStopped(INTERRUPTED)
        t1 = time.perf_counter()
        nb = pm.execute_notebook(task.template, tmp_nb, task.parameters, engine_name=ENGINE,
                                 kernel_name=pool.kernel_name, km=km, progress_bar=False,
                                 execution_timeout=_STATE["timeout"], log_output=False,
                                 request_save_on_cell_execute=False)
        out.timings["execute"] = time.perf_counter() - t1
        assert_no_worker_ids(nb)
        t2 = time.perf_counter()
        html = notebook_to_html(nb, _exporter(task.lang), task.title, task.lang)
        assert_no_worker_ids(html)
        out.timings["html"] = time.perf_counter() - t2
        atomic_write(task.html_path, html)
        try:
            publish(tmp_nb, nb_path)
        except OSError as exc:
            raise write_error(exc, nb_path) from None
        out.ok, out.status, out.html_path = True, "ok", task.html_path
    except PrivacyError as exc:
        out.reason = f"not published: {exc}"
        out.notebook_path = ""
        with contextlib.suppress(OSError):
            os.unlink(nb_path)
    except Exception as exc:
        if _STATE.get("stopping"):  # the kernel was killed to stop the batch
            out.reason, out.status, out.notebook_path = INTERRUPTED, "interrupted", ""
        else:
            out.reason = _reason(exc)
            with contextlib.suppress(Exception):  # papermill saves no record of a dead kernel
                if tmp_nb is not None and getattr(exc, "notebook", None) is not None:
                    nbformat.write(exc.notebook, tmp_nb)
            try:  # papermill saved the notebook with the error marked: keep it as the record
                if tmp_nb is None:  # its temporary file could not be created
                    raise FileNotFoundError(nb_path)
                nbformat.read(tmp_nb, as_version=4)
                publish(tmp_nb, nb_path)
            except Exception:  # nothing executed (kernel never started): no record
                out.notebook_path = ""
                with contextlib.suppress(OSError):
                    os.unlink(nb_path)
    finally:
        pool.release(km, healthy=out.ok)
        if tmp_nb is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_nb)
        if out.status == "failed":
            with contextlib.suppress(OSError):
                os.unlink(task.html_path)  # never leave a stale report of an earlier run
    out.seconds = time.perf_counter() - t0
    return out
