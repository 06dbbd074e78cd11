using Grpc.Core;

namespace GridTrain.Controller.Security;

/// <summary>The authenticated caller of a call, as <see cref="CallAuthenticator"/> left it.</summary>
internal static class CallerContext
{
    public static Caller Caller(this ServerCallContext context) =>
        context.UserState.TryGetValue(CallAuthenticator.CallerKey, out var caller) && caller is Caller known
            ? known
            : throw new RpcException(new Status(StatusCode.Unauthenticated, "missing credentials: send 'authorization: Bearer <token>' metadata"));
}
