using Grpc.AspNetCore.Server;
using Grpc.Core;
using GridTrain.Domain.Security;
using Microsoft.AspNetCore.Http;

namespace GridTrain.Controller.Security;

/// <summary>
/// Authenticates a call from its <c>authorization: Bearer</c> metadata, refuses credentials of the wrong kind
/// (user tokens on agent calls and the other way round), enforces mutual TLS for agents when configured and the
/// per-credential rate limit, and leaves the <see cref="Caller"/> for the services. Tokens never appear in errors.
/// </summary>
internal sealed class CallAuthenticator(TokenRegistry tokens, CallRateLimiter limiter, ControllerSecurityOptions options)
{
    private const string AgentService = "/gridtrain.v1.AgentService/";

    /// <summary>
    /// The credential <paramref name="method"/> (a full gRPC method name) takes. Health checks (for probes) and
    /// reflection (the schema, public in the repository) need none.
    /// </summary>
    public static CallKind KindOf(string method) =>
        method.StartsWith("/grpc.health.v1.Health/", StringComparison.Ordinal) || method.StartsWith("/grpc.reflection.", StringComparison.Ordinal) ? CallKind.Anonymous
        : method == AgentService + "Register" ? CallKind.AgentJoin
        : method.StartsWith(AgentService, StringComparison.Ordinal) ? CallKind.Agent
        : CallKind.User;

    /// <summary>
    /// Authenticates a call (or, on a stream that carries one request after another, each request again: a credential
    /// revoked meanwhile is refused) and leaves its <see cref="Caller"/> in the context.
    /// </summary>
    public async Task AuthenticateAsync(ServerCallContext context)
    {
        var kind = KindOf(context.Method);
        if (kind == CallKind.Anonymous)
        {
            return;
        }

        if (kind is CallKind.Agent or CallKind.AgentJoin && options.AgentClientCaFile is not null
            && context.GetHttpContext().Connection.ClientCertificate is null)
        {
            throw Refuse(StatusCode.Unauthenticated, "agents must present a TLS client certificate signed by the agent CA");
        }

        var header = context.RequestHeaders.GetValue("authorization");
        if (string.IsNullOrEmpty(header))
        {
            throw Refuse(StatusCode.Unauthenticated, "missing credentials: send 'authorization: Bearer <token>' metadata");
        }

        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length == scheme.Length || header.Length > 512)
        {
            throw Refuse(StatusCode.Unauthenticated, "malformed authorization metadata: expected 'Bearer <token>'");
        }

        var caller = await tokens.AuthenticateAsync(header[scheme.Length..].Trim(), context.CancellationToken)
            ?? throw Refuse(StatusCode.Unauthenticated, "invalid or revoked token");

        var expected = caller.Role switch
        {
            TokenRole.Agent => CallKind.Agent,
            TokenRole.AgentJoin => CallKind.AgentJoin,
            _ => CallKind.User,
        };
        if (expected != kind)
        {
            throw Refuse(StatusCode.PermissionDenied, kind switch
            {
                CallKind.AgentJoin => "agent registration takes the agent join token; this credential is refused",
                CallKind.Agent => "agent calls take the credential the agent got from Register; this credential is refused",
                _ => "this call takes a user or admin API token; agent credentials are refused",
            });
        }

        if (!limiter.TryAcquire(caller))
        {
            throw Refuse(StatusCode.ResourceExhausted, $"rate limit: at most {limiter.RateOf(caller)} calls per second per token; retry later");
        }

        // A stream's later requests carry the same credential: the caller already kept stays (a new one per heartbeat
        // would be kept alive by the long-lived call until the next, and every collection would copy 10,000 of them).
        if (!context.UserState.TryGetValue(CallerKey, out var kept) || !caller.Equals(kept))
        {
            context.UserState[CallerKey] = caller;
        }
    }

    internal const string CallerKey = "gridtrain.caller";

    private static RpcException Refuse(StatusCode code, string message) => new(new Status(code, message));
}
