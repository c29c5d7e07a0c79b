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
once before the report is given up. Files are written to a temporary
name in the target folder and moved into place with :func:`os.replace` (atomic).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing import util
from pathlib import Path

from ..data.files import atomic_write, publish
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
    """What happened to one report."""

    code: str
    ok: bool
    reason: str = ""
    seconds: float = 0.0
    notebook_path: str = ""
    html_path: str = ""
    attempts: int = 1
    timings: dict = field(default_factory=dict)


class KernelPool:
    """Warm kernels for one worker: each serves up to ``max_uses`` reports, reset in between.

    A kernel is started ahead of need (``prefetch``) with the library already imported. Before
    it runs a second report its IPython namespace is reset to a new session
    (``InteractiveShell.reset(new_session=True)``: no variable of the previous municipality's
    notebook survives, the execution count starts again at 1); imported modules stay loaded,
    which is the saving. A kernel whose report failed is never reused. ``max_uses=1`` gives a
    fresh kernel per report.
    """

    def __init__(self, kernel_name: str = KERNEL_NAME, start_timeout: float = 60.0,
                 retries: int = 1, max_uses: int = 8):
        self.kernel_name = kernel_name
        self.start_timeout = start_timeout
        self.retries = retries
        self.max_uses = max(1, int(max_uses))
        self._spare = None
        self._current = None
        self._uses = 0

    def _spawn(self):
        from jupyter_client import KernelManager
        from jupyter_core.paths import jupyter_runtime_dir

        # IPC sockets under a name of their own: kernels of parallel workers never collide
        runtime = Path(jupyter_runtime_dir())
        runtime.mkdir(parents=True, exist_ok=True)
        ip = str(runtime / f"costing-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        km = KernelManager(kernel_name=self.kernel_name, transport="ipc", ip=ip,
                           kernel_spec_manager=_this_python_manager())
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # the kernel's own inline backend, whatever the caller uses
        km.start_kernel(extra_arguments=[f"--IPKernelApp.exec_lines={_WARM_CODE}"], env=env)
        return km

    def _ready(self, km) -> None:
        kc = km.blocking_client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=self.start_timeout)
        finally:
            kc.stop_channels()

    def _reset(self, km) -> None:
        kc = km.blocking_client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=self.start_timeout)
            reply = kc.execute_interactive(_RESET_CODE, silent=True, store_history=False,
                                           timeout=self.start_timeout)
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
                if attempts > self.retries:
                    raise RuntimeError(f"kernel {self.kernel_name!r} failed to start "
                                       f"{attempts} times: {exc}") from exc

    def get(self, prefetch: bool = True):
        """A ready kernel manager for the next report; retries a kernel that fails to start.

        Returns ``(km, attempts)``. With ``prefetch`` the kernel that will replace this one
        starts at once when this is its last use.
        """
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

    @staticmethod
    def discard(km) -> None:
        if km is None:
            return
        with contextlib.suppress(Exception):
            km.shutdown_kernel(now=True)

    def close(self) -> None:
        self.discard(self._spare)
        self.discard(self._current)
        self._spare = self._current = None


ENGINE = "costing_warm"


def _register_engine() -> None:
    """Register a papermill engine that closes its kernel client after the run.

    papermill's own engine leaves the client of a kernel it did not start open (it expects
    the caller to own it); this one behaves the same otherwise, so the record notebook has
    papermill's parameters cell, metadata and error markers.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import remove_args

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            client = PapermillNotebookClient(
                nb_man, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
            try:
                return client.execute()
            finally:
                if getattr(client, "kc", None) is not None:
                    client.kc.stop_channels()

    papermill_engines.register(ENGINE, WarmKernelEngine)


_STATE: dict = {}


def init_worker(kernel_name: str, execution_timeout: float, start_timeout: float,
                max_uses: int = 8) -> None:
    """Process-pool initializer: one exporter and kernel pool per worker process."""

    _register_engine()
    pool = KernelPool(kernel_name, start_timeout, max_uses=max_uses)
    _STATE.update(pool=pool, timeout=execution_timeout, exporters={})
    util.Finalize(pool, pool.close, exitpriority=10)


def _exporter(lang: str):
    cache = _STATE.setdefault("exporters", {})
    if lang not in cache:
        cache[lang] = exporter(lang)
    return cache[lang]


def _reason(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
    return f"{type(exc).__name__}: {exc}"


def run_task(task: Task) -> Outcome:
    """Execute the template for ``task.code``, keep the record notebook, write the HTML.

    Never raises: any failure becomes ``Outcome(ok=False, reason=...)`` and the executed
    notebook (with the error) is kept for diagnosis, unless it would disclose a worker id.
    """
    import nbformat
    import papermill as pm


    if "pool" not in _STATE:
        raise RuntimeError("run_task: call init_worker(...) first in this process")
    pool: KernelPool = _STATE["pool"]
    t0 = time.perf_counter()
    nb_path = Path(task.notebook_path)
    nb_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_nb = tempfile.mkstemp(prefix=f".{nb_path.name}.", suffix=".tmp.ipynb",
                                  dir=nb_path.parent)
    os.close(fd)
    out = Outcome(task.code, ok=False, notebook_path=str(nb_path))
    km = None
    try:
        km, out.attempts = pool.get(task.prefetch)
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
        publish(tmp_nb, nb_path)
        out.ok, out.html_path = True, task.html_path
    except PrivacyError as exc:
        out.reason = f"not published: {exc}"
        out.notebook_path = ""
        with contextlib.suppress(OSError):
            os.unlink(nb_path)
    except Exception as exc:
        out.reason = _reason(exc)
        try:  # papermill saved the notebook with the error marked: keep it as the record
            nbformat.read(tmp_nb, as_version=4)
            publish(tmp_nb, nb_path)
        except Exception:  # nothing executed (kernel never started): no record, drop a stale one
            out.notebook_path = ""
            with contextlib.suppress(OSError):
                os.unlink(nb_path)
    finally:
        pool.release(km, healthy=out.ok)
        with contextlib.suppress(OSError):
            os.unlink(tmp_nb)
        if not out.ok:
            with contextlib.suppress(OSError):
                os.unlink(task.html_path)  # never leave a stale report of an earlier run
    out.seconds = time.perf_counter() - t0
    return out
