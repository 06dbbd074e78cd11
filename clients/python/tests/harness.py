"""Real GridTrain processes for the client's tests: controllers and agents started from the built CLI (gridtrain.dll),
and a TCP proxy that can cut connections. No fakes: everything speaks gRPC over loopback."""
from __future__ import annotations

import os
import queue
import secrets
import shutil
import socket
import struct
import subprocess
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[3]
HANG_BOUND = 300.0  # seconds: a bound on hangs, never a performance check (CI machines are slow and shared)


def find_gridtrain_dll() -> Path:
    """The built CLI: $GRIDTRAIN_DLL, else the newest gridtrain.dll built in the repository."""
    if explicit := os.environ.get("GRIDTRAIN_DLL"):
        return Path(explicit)
    built = [p for p in REPOSITORY.glob("**/bin/*/net*/gridtrain.dll") if (p.parent / "GridTrain.Worker.dll").exists()]
    if not built:
        raise RuntimeError("no built gridtrain.dll: run `dotnet build tests/GridTrain.IntegrationTests` (or set GRIDTRAIN_DLL)")
    return max(built, key=lambda p: p.stat().st_mtime)


class Process:
    """A child process whose output lines are collected, so a test can await one."""

    def __init__(self, name: str, args: list[str], env: Mapping[str, str]) -> None:
        self.name = name
        self._process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(env))
        self._lines: list[str] = []
        self._incoming: queue.Queue[str | None] = queue.Queue()
        self._pump = threading.Thread(target=self._read, name=f"{name}-output", daemon=True)
        self._pump.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.append(line.rstrip("\n"))
            self._incoming.put(line.rstrip("\n"))
        self._incoming.put(None)

    def wait_for_line(self, text: str, timeout: float = HANG_BOUND) -> str:
        """The first output line containing ``text`` (already printed or still to come)."""
        for line in list(self._lines):
            if text in line:
                return line
        while True:
            try:
                line = self._incoming.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"{self.name} printed no line with '{text}' within {timeout} s:\n{self.output()}") from None
            if line is None:
                raise RuntimeError(f"{self.name} exited ({self._process.wait()}) without printing '{text}':\n{self.output()}")
            if text in line:
                return line

    def output(self) -> str:
        return "\n".join(self._lines[-60:])

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._pump.join(timeout=10)


class Controller:
    """``gridtrain controller run`` on a free loopback port; ``address`` is its URL."""

    def __init__(self, dll: Path, data_dir: Path, admin_token: str, join_token: str, arguments: Iterable[str] = ()) -> None:
        env = {**os.environ, "GRIDTRAIN_ADMIN_TOKEN": admin_token, "GRIDTRAIN_JOIN_TOKEN": join_token,
               "GRIDTRAIN_RATE_LIMIT": os.environ.get("GRIDTRAIN_RATE_LIMIT", "0")}
        self.admin_token = admin_token
        self.join_token = join_token
        self._process = Process("controller", [dotnet(), "exec", str(dll), "controller", "run", "--listen", "127.0.0.1:0",
                                               "--data-dir", str(data_dir), "--heartbeat-interval", "500ms", *arguments], env)
        line = self._process.wait_for_line("listening on ")
        self.address = line.split("listening on ", 1)[1].strip()

    def output(self) -> str:
        return self._process.output()

    def stop(self) -> None:
        self._process.stop()


class Agent:
    """``gridtrain agent run`` with CPU slots, registered with the controller's join token."""

    def __init__(self, dll: Path, controller: str, join_token: str, work_dir: Path, name: str = "py-agent", cpu_slots: int = 2) -> None:
        env = {**os.environ, "GRIDTRAIN_JOIN_TOKEN": join_token, "Logging__Console__FormatterName": "simple"}
        self.name = name
        self._process = Process(name, [dotnet(), "exec", str(dll), "agent", "run", "--controller", controller, "--name", name,
                                       "--work-dir", str(work_dir), "--cpu-slots", str(cpu_slots), "--threads-per-job", "1"], env)
        self._process.wait_for_line("registered as")

    def output(self) -> str:
        return self._process.output()

    def stop(self) -> None:
        self._process.stop()


def dotnet() -> str:
    return os.environ.get("DOTNET_HOST_PATH") or shutil.which("dotnet") or "dotnet"


def new_token(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(16)}"


class CuttableProxy:
    """A TCP proxy on loopback in front of ``upstream`` (``host:port``). ``pause()`` stops forwarding (bytes are held,
    connections stay up, as in a network cut); ``drop()`` resets every open connection, as a broken network does;
    ``resume()`` forwards again. New connections are accepted throughout."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.rsplit(":", 1)
        self._upstream = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self.connections = 0
        self._stopped = False
        self._accepting = self._start(self._accept)

    def _start(self, target, *args) -> threading.Thread:  # type: ignore[no-untyped-def]
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self._upstream)
            with self._lock:
                self._sockets += [client, server]
                self.connections += 1
            self._start(self._pump, client, server)
            self._start(self._pump, server, client)

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._open.wait()
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def pause(self) -> None:
        self._open.clear()

    def resume(self) -> None:
        self._open.set()

    def drop(self) -> None:
        """Resets all open connections (RST, not a clean close)."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.shutdown(socket.SHUT_RD)
                s.close()
            except OSError:
                pass

    def close(self) -> None:
        self._stopped = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close() alone does not
        except OSError:
            pass
        self._listener.close()
        self.drop()
        self._open.set()
        for thread in self._threads:
            thread.join(timeout=10)
