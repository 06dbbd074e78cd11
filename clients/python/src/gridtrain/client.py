"""The connection to a controller: ``gridtrain.connect()``."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc

from ._durations import Span, to_proto
from ._rpc import Rpc
from .config import ConnectionSettings, resolve
from .jobs import Jobs
from .sessions import Sessions
from .v1 import agents_pb2, agents_pb2_grpc, sessions_pb2, tokens_pb2, tokens_pb2_grpc


@dataclass(frozen=True)
class WhoAmI:
    """Who the caller's token acts as."""

    user: str
    role: str
    token_id: str


class Tokens:
    """``client.tokens``: API tokens (creating, listing and revoking them is for admins)."""

    def __init__(self, rpc: Rpc) -> None:
        self._rpc = rpc
        self._stub = tokens_pb2_grpc.TokenServiceStub(rpc.channel)

    def whoami(self) -> WhoAmI:
        response = self._rpc.unary(self._stub.WhoAmI, tokens_pb2.WhoAmIRequest())
        role = tokens_pb2.TokenRole.Name(response.role).removeprefix("TOKEN_ROLE_").lower()
        return WhoAmI(response.user, role, response.token_id)

    def create(self, user: str, role: str = "user", description: str = "") -> tokens_pb2.CreateTokenResponse:
        """A new token for ``user`` (``role`` "user", "admin" or "agent_join"); its text is in ``.token``, shown once."""
        try:
            role_value = tokens_pb2.TokenRole.Value("TOKEN_ROLE_" + role.upper())
        except ValueError:
            from .errors import InvalidArgument

            raise InvalidArgument(f"role: '{role}' is not a token role; use user, admin or agent_join") from None
        request = tokens_pb2.CreateTokenRequest(user=user, role=role_value, description=description)
        return self._rpc.unary(self._stub.CreateToken, request)

    def list(self) -> list[tokens_pb2.TokenInfo]:
        return list(self._rpc.unary(self._stub.ListTokens, tokens_pb2.ListTokensRequest()).tokens)

    def revoke(self, token_id: str) -> tokens_pb2.TokenInfo:
        return self._rpc.unary(self._stub.RevokeToken, tokens_pb2.RevokeTokenRequest(id=token_id))


class Agents:
    """``client.agents``: the grid's machines (cordon and drain are for admins)."""

    def __init__(self, rpc: Rpc) -> None:
        self._rpc = rpc
        self._stub = agents_pb2_grpc.FleetServiceStub(rpc.channel)

    def list(self) -> list[agents_pb2.Agent]:
        return list(self._rpc.unary(self._stub.ListAgents, agents_pb2.ListAgentsRequest()).agents)

    def cordon(self, agent_id: str, uncordon: bool = False) -> agents_pb2.Agent:
        return self._rpc.unary(self._stub.CordonAgent, agents_pb2.CordonAgentRequest(agent_id=agent_id, uncordon=uncordon))

    def drain(self, agent_id: str, deadline: Span | None = None) -> agents_pb2.Agent:
        request = agents_pb2.DrainAgentRequest(agent_id=agent_id)
        if deadline is not None:
            request.deadline.CopyFrom(to_proto(deadline, "deadline"))
        return self._rpc.unary(self._stub.DrainAgent, request)


class Client:
    """A connection to a GridTrain controller. Use :func:`connect` to make one; close it (or use ``with``) when done."""

    def __init__(self, settings: ConnectionSettings, timeout: float = 30.0) -> None:
        self.settings = settings
        address = settings.address
        if address.tls:
            root = Path(settings.ca_file).read_bytes() if settings.ca_file else None
            self._channel = grpc.secure_channel(address.target, grpc.ssl_channel_credentials(root_certificates=root))
        else:
            self._channel = grpc.insecure_channel(address.target)
        rpc = Rpc(self._channel, settings.token, timeout)
        self.jobs = Jobs(rpc)
        self.sessions = Sessions(rpc, self.jobs)
        self.tokens = Tokens(rpc)
        self.agents = Agents(rpc)

    @property
    def address(self) -> str:
        return self.settings.address.url

    def whoami(self) -> WhoAmI:
        return self.tokens.whoami()

    def quota(self) -> sessions_pb2.Quota:
        """The caller's GPU use against their quota (a limit of 0 means none)."""
        return self.sessions.quota()

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.address!r})"


def connect(controller: str | None = None, *, token: str | None = None, ca_file: str | os.PathLike[str] | None = None,
            context: str | None = None, timeout: float = 30.0, environ: Mapping[str, str] | None = None) -> Client:
    """Connects to a controller.

    Each setting comes from its argument, else ``GRIDTRAIN_CONTROLLER`` / ``GRIDTRAIN_TOKEN`` / ``GRIDTRAIN_CA_FILE``
    / ``GRIDTRAIN_CONTEXT``, else the CLI's current context (``gridtrain context``), as the CLI resolves them.
    ``https://`` addresses use TLS, verified against ``ca_file`` or the system's roots. ``timeout`` is the deadline
    (seconds) of each unary call. The channel connects lazily: errors surface on the first call.
    """
    return Client(resolve(controller, token=token, ca_file=ca_file, context=context, environ=environ), timeout)
