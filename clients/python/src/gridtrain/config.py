"""Where to connect and with which credentials, resolved the way the ``gridtrain`` CLI resolves them.

Each setting comes from the argument, else the environment, else the CLI config file's context:

* controller: ``GRIDTRAIN_CONTROLLER``, else the context's ``controller``, else ``http://127.0.0.1:7070``;
* token: ``GRIDTRAIN_TOKEN``, else the context's ``token``, else none;
* CA file: ``GRIDTRAIN_CA_FILE``, else the context's ``caFile``, else the system's roots;
* context: ``GRIDTRAIN_CONTEXT``, else the file's ``current``.

The config file is ``$GRIDTRAIN_CONFIG``, else ``$XDG_CONFIG_HOME/gridtrain/config.json``, else
``~/.config/gridtrain/config.json`` (JSON written by ``gridtrain context``: ``{"current": NAME, "contexts": {NAME:
{"controller": URL, "token": TOKEN, "caFile": PATH}}}``; property names match case-insensitively, as in the CLI).
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigurationError

CONTROLLER_VARIABLE = "GRIDTRAIN_CONTROLLER"
TOKEN_VARIABLE = "GRIDTRAIN_TOKEN"
CA_FILE_VARIABLE = "GRIDTRAIN_CA_FILE"
CONTEXT_VARIABLE = "GRIDTRAIN_CONTEXT"
CONFIG_VARIABLE = "GRIDTRAIN_CONFIG"
DEFAULT_CONTROLLER = "http://127.0.0.1:7070"


@dataclass(frozen=True)
class Address:
    """A controller address: ``host:port`` to dial and whether to use TLS (``https://``)."""

    url: str
    target: str
    tls: bool

    @staticmethod
    def parse(text: str, source: str) -> Address:
        """An http(s) URL, or ``HOST:PORT`` meaning ``http://HOST:PORT``; ``source`` names where the text came from."""
        url = text if "://" in text else "http://" + text
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise ConfigurationError(f"{source}: '{text}' is not a controller address ({error}); use http://HOST:PORT") from None
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ConfigurationError(f"{source}: '{text}' is not a controller address; use http://HOST:PORT or https://HOST:PORT")
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        tls = parts.scheme == "https"
        return Address(url, f"{host}:{port or (443 if tls else 80)}", tls)


@dataclass(frozen=True)
class Context:
    """One entry of the CLI config file."""

    controller: str | None = None
    token: str | None = None
    ca_file: str | None = None


@dataclass(frozen=True)
class ConnectionSettings:
    """Resolved settings for :func:`gridtrain.connect`."""

    address: Address
    token: str
    ca_file: str | None
    context: str | None


def config_path(environ: Mapping[str, str]) -> Path | None:
    """Where the CLI's config file is for this environment; None when there is no home to put it in."""
    if explicit := environ.get(CONFIG_VARIABLE):
        return Path(explicit)
    if xdg := environ.get("XDG_CONFIG_HOME"):
        return Path(xdg, "gridtrain", "config.json")
    if home := environ.get("HOME"):
        return Path(home, ".config", "gridtrain", "config.json")
    return None


def _field(entry: Mapping[str, object], name: str, where: str) -> str | None:
    for key, value in entry.items():
        if key.lower() == name.lower():
            if value is None or isinstance(value, str):
                return value or None
            raise ConfigurationError(f"{where}.{key}: expected a string, got {json.dumps(value)}")
    return None


def load_contexts(path: Path | None) -> tuple[str | None, dict[str, Context]]:
    """The config file's current context name and its contexts; empty when the file does not exist."""
    if path is None or not path.is_file():
        return None, {}
    try:
        document = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"config file {path}: not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise ConfigurationError(f"config file {path}: expected a JSON object")
    current = _field(document, "current", f"config file {path}")
    contexts: dict[str, Context] = {}
    raw = next((v for k, v in document.items() if k.lower() == "contexts"), None) or {}
    if not isinstance(raw, dict):
        raise ConfigurationError(f"config file {path}: contexts must be an object of name -> context")
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            raise ConfigurationError(f"config file {path}: contexts.{name} must be an object")
        where = f"config file {path}: contexts.{name}"
        contexts[name] = Context(_field(entry, "controller", where), _field(entry, "token", where), _field(entry, "caFile", where))
    return current, contexts


def resolve(controller: str | None = None, *, token: str | None = None, ca_file: str | os.PathLike[str] | None = None,
            context: str | None = None, environ: Mapping[str, str] | None = None) -> ConnectionSettings:
    """The settings to connect with: arguments, else the environment, else the CLI config file's context."""
    env = os.environ if environ is None else environ
    name = context or env.get(CONTEXT_VARIABLE) or None
    current, contexts = load_contexts(config_path(env))
    if name is not None and name not in contexts:
        raise ConfigurationError(f"context: no context named '{name}' in the config file {config_path(env)}")
    selected = contexts.get(name or current or "", Context())

    if controller:
        address = Address.parse(controller, "controller")
    elif from_env := env.get(CONTROLLER_VARIABLE):
        address = Address.parse(from_env, CONTROLLER_VARIABLE)
    elif selected.controller:
        address = Address.parse(selected.controller, "config file")
    else:
        address = Address.parse(DEFAULT_CONTROLLER, "default")

    resolved_token = token if token is not None else (env.get(TOKEN_VARIABLE) or selected.token or "")
    ca = os.fspath(ca_file) if ca_file is not None else (env.get(CA_FILE_VARIABLE) or selected.ca_file)
    if ca is not None and not Path(ca).is_file():
        raise ConfigurationError(f"ca_file: '{ca}' does not exist")
    return ConnectionSettings(address, resolved_token, ca, name or current)
