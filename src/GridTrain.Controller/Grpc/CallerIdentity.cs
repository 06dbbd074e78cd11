using System.Text.RegularExpressions;
using Grpc.Core;
using GridTrain.Domain.Grid;

namespace GridTrain.Controller.Grpc;

/// <summary>
/// Who is calling. Until bearer tokens land, a caller names itself with <c>x-gridtrain-user</c> metadata (for
/// quotas and listings; not a security boundary); without it, the default owner.
/// </summary>
internal static partial class CallerIdentity
{
    public const string Header = "x-gridtrain-user";

    public static string Owner(ServerCallContext context)
    {
        var user = context.RequestHeaders.GetValue(Header);
        if (string.IsNullOrEmpty(user))
        {
            return GridCoordinator.DefaultOwner;
        }

        if (!UserName().IsMatch(user))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{Header}: 1-64 characters of a-z, 0-9, '.', '_' and '-'"));
        }

        return user;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex UserName();
}
