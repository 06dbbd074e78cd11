using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridTrain.Controller.Security;
using GridTrain.Protos.V1;

namespace GridTrain.Controller.Grpc;

/// <summary>Token management (admins) and "who am I" (anyone with a token).</summary>
internal sealed class TokenGrpcService(TokenRegistry tokens) : TokenService.TokenServiceBase
{
    public override async Task<CreateTokenResponse> CreateToken(CreateTokenRequest request, ServerCallContext context)
    {
        FleetGrpcService.RequireAdmin(context);
        var role = request.Role switch
        {
            TokenRole.Unspecified or TokenRole.User => Domain.Security.TokenRole.User,
            TokenRole.Admin => Domain.Security.TokenRole.Admin,
            TokenRole.AgentJoin => Domain.Security.TokenRole.AgentJoin,
            _ => throw RequestLimits.Invalid($"role: unknown role {(int)request.Role}; use user, admin or agent-join"),
        };
        var user = role == Domain.Security.TokenRole.AgentJoin && request.User.Length == 0 ? "agents" : request.User;
        RequestLimits.UserName(user, "user");
        RequestLimits.Text(request.Description, "description", RequestLimits.MaxDescription);
        var (text, token) = await tokens.CreateAsync(user, role, request.Description, context.Caller().User, context.CancellationToken);
        return new CreateTokenResponse { Token = text, Info = ToProto(token) };
    }

    public override async Task<ListTokensResponse> ListTokens(ListTokensRequest request, ServerCallContext context)
    {
        FleetGrpcService.RequireAdmin(context);
        return new ListTokensResponse { Tokens = { (await tokens.ListAsync(context.CancellationToken)).Select(ToProto) } };
    }

    public override async Task<TokenInfo> RevokeToken(RevokeTokenRequest request, ServerCallContext context)
    {
        FleetGrpcService.RequireAdmin(context);
        var id = TokenText.TryParse(request.Id, out _, out var parsed, out _) ? parsed : request.Id;
        RequestLimits.Id(id, "id");
        var token = await tokens.RevokeAsync(id, context.Caller().User, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"token '{id}' not found"));
        return ToProto(token);
    }

    public override Task<WhoAmIResponse> WhoAmI(WhoAmIRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        return Task.FromResult(new WhoAmIResponse { User = caller.User, Role = ToProto(caller.Role), TokenId = caller.TokenId });
    }

    private static TokenInfo ToProto(GridTrain.Domain.Security.ApiToken token) => new()
    {
        Id = token.Id,
        User = token.Subject,
        Role = ToProto(token.Role),
        Description = token.Description,
        CreatedBy = token.CreatedBy,
        CreatedAt = Timestamp.FromDateTimeOffset(token.CreatedAt),
        RevokedAt = token.RevokedAt is { } revoked ? Timestamp.FromDateTimeOffset(revoked) : null,
    };

    private static TokenRole ToProto(Domain.Security.TokenRole role) => role switch
    {
        Domain.Security.TokenRole.User => TokenRole.User,
        Domain.Security.TokenRole.Admin => TokenRole.Admin,
        Domain.Security.TokenRole.AgentJoin => TokenRole.AgentJoin,
        _ => TokenRole.Unspecified,
    };
}
