using Grpc.Core;
using GridTrain.Protos.V1;
using static GridTrain.IntegrationTests.Security.RpcCatalog;

namespace GridTrain.IntegrationTests.Security;

/// <summary>
/// Every RPC: without a token UNAUTHENTICATED; with a revoked one UNAUTHENTICATED; with the wrong kind of credential
/// (user token on an agent call, agent credential or join token on a user call) refused; on another user's session or
/// job NOT_FOUND, exactly as for an unknown id; admin calls refused to users; an agent acts only as itself.
/// </summary>
public sealed class AuthorizationTests(SecuredController grid) : IClassFixture<SecuredController>
{
    public static TheoryData<string> EveryRpc() => Names();

    public static TheoryData<string> UserRpcs() => Names(r => r.Access is Access.User or Access.Admin);

    public static TheoryData<string> AgentRpcs() => Names(r => r.Access is Access.Agent or Access.Register);

    public static TheoryData<string> OwnedRpcs() => Names(r => r.TakesOwnedId);

    public static TheoryData<string> AdminRpcs() => Names(r => r.Access == Access.Admin);

    public static TheoryData<string> AgentCredentialRpcs() => Names(r => r.Access == Access.Agent);

    private Target BobsTarget => new(grid.BobOwns.SessionId, grid.BobOwns.JobId, grid.AgentA.AgentId);

    [Theory]
    [MemberData(nameof(EveryRpc))]
    public async Task Rpc_NoToken_Unauthenticated(string name)
    {
        var error = await CallAsync(name, "", BobsTarget);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("missing credentials", error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(EveryRpc))]
    public async Task Rpc_UnknownToken_UnauthenticatedWithoutEchoingIt(string name)
    {
        const string forged = "gt_0123456789abcdef_0000000000000000000000000000000000000000000000000000000000000000";

        var error = await CallAsync(name, forged, BobsTarget);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.DoesNotContain(forged, error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(EveryRpc))]
    public async Task Rpc_RevokedCredential_Unauthenticated(string name)
    {
        var rpc = All[name];
        string revoked;
        if (rpc.Access == Access.Agent)
        {
            // An agent's credential is replaced when it registers again: the old one no longer works.
            var first = await Infrastructure.TestAgent.RegisterAsync(grid.Anonymous.Channel, "agent-revoked", joinToken: grid.JoinToken);
            await Infrastructure.TestAgent.RegisterAsync(grid.Anonymous.Channel, "agent-revoked", joinToken: grid.JoinToken);
            revoked = first.Credential;
        }
        else
        {
            var role = rpc.Access switch { Access.Register => TokenRole.AgentJoin, Access.Admin => TokenRole.Admin, _ => TokenRole.User };
            var created = await grid.Admin.Tokens.CreateTokenAsync(new CreateTokenRequest { User = "carol", Role = role });
            await grid.Admin.Tokens.RevokeTokenAsync(new RevokeTokenRequest { Id = created.Info.Id });
            revoked = created.Token;
        }

        var error = await CallAsync(name, revoked, BobsTarget);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal("invalid or revoked token", error.Status.Detail);
    }

    [Theory]
    [MemberData(nameof(UserRpcs))]
    public async Task UserRpc_AgentCredentialOrJoinToken_PermissionDenied(string name)
    {
        var withCredential = await CallAsync(name, grid.AgentA.Credential, BobsTarget);
        var withJoinToken = await CallAsync(name, grid.JoinToken, BobsTarget);

        Assert.Equal(StatusCode.PermissionDenied, withCredential.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, withJoinToken.StatusCode);
        Assert.Contains("agent credentials are refused", withCredential.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AgentRpcs))]
    public async Task AgentRpc_UserOrAdminToken_PermissionDenied(string name)
    {
        var asUser = await CallAsync(name, grid.AliceToken, BobsTarget);
        var asAdmin = await CallAsync(name, grid.AdminToken, BobsTarget);

        Assert.Equal(StatusCode.PermissionDenied, asUser.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, asAdmin.StatusCode);
    }

    [Theory]
    [MemberData(nameof(AgentRpcs))]
    public async Task AgentRpc_TheOtherKindOfAgentCredential_PermissionDenied(string name)
    {
        // Register takes the join token only; the other agent calls take the credential only.
        var wrong = All[name].Access == Access.Register ? grid.AgentA.Credential : grid.JoinToken;

        var error = await CallAsync(name, wrong, BobsTarget);

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Theory]
    [MemberData(nameof(AgentCredentialRpcs))]
    public async Task AgentRpc_AnotherAgentsId_PermissionDenied(string name)
    {
        var error = await CallAsync(name, grid.AgentA.Credential, BobsTarget with { AgentId = grid.AgentB.AgentId });

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal("agent_id: this credential acts only as the agent it was issued to", error.Status.Detail);
    }

    [Theory]
    [MemberData(nameof(OwnedRpcs))]
    public async Task OwnedRpc_AnotherUsersResource_NotFoundLikeAnUnknownId(string name)
    {
        var unknown = new Target("ses-0123456789ab", "job-0123456789ab", grid.AgentA.AgentId);

        var theirs = await CallAsync(name, grid.AliceToken, BobsTarget);
        var missing = await CallAsync(name, grid.AliceToken, unknown);

        Assert.Equal(StatusCode.NotFound, theirs.StatusCode);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Equal(
            missing.Status.Detail.Replace(unknown.SessionId, "ID", StringComparison.Ordinal).Replace(unknown.JobId, "ID", StringComparison.Ordinal),
            theirs.Status.Detail.Replace(BobsTarget.SessionId, "ID", StringComparison.Ordinal).Replace(BobsTarget.JobId, "ID", StringComparison.Ordinal));
        var session = await grid.Bob.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = grid.BobOwns.SessionId });
        var job = await grid.Bob.Jobs.GetJobAsync(new GetJobRequest { JobId = grid.BobOwns.JobId });
        Assert.Equal(SessionState.Pending, session.State);
        Assert.Equal(JobState.Queued, job.State);
    }

    [Theory]
    [MemberData(nameof(AdminRpcs))]
    public async Task AdminRpc_UserToken_PermissionDenied(string name)
    {
        var error = await CallAsync(name, grid.AliceToken, BobsTarget);

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal("admins only: this call needs an admin token", error.Status.Detail);
    }

    [Fact]
    public async Task Lists_ShowOnlyTheCallersOwnWork_AdminSeesAll()
    {
        var aliceSessions = (await grid.Alice.Sessions.ListSessionsAsync(new ListSessionsRequest { IncludeEnded = true })).Sessions.Select(s => s.Id).ToList();
        var aliceJobs = (await grid.Alice.Jobs.ListJobsAsync(new ListJobsRequest())).Jobs.Select(j => j.Id).ToList();
        var adminSessions = (await grid.Admin.Sessions.ListSessionsAsync(new ListSessionsRequest { IncludeEnded = true })).Sessions.Select(s => s.Id).ToList();
        var adminJobs = (await grid.Admin.Jobs.ListJobsAsync(new ListJobsRequest())).Jobs.Select(j => j.Id).ToList();

        Assert.Contains(grid.AliceOwns.SessionId, aliceSessions);
        Assert.DoesNotContain(grid.BobOwns.SessionId, aliceSessions);
        Assert.Contains(grid.AliceOwns.JobId, aliceJobs);
        Assert.DoesNotContain(grid.BobOwns.JobId, aliceJobs);
        Assert.Contains(grid.BobOwns.SessionId, adminSessions);
        Assert.Contains(grid.AliceOwns.SessionId, adminSessions);
        Assert.Contains(grid.BobOwns.JobId, adminJobs);
    }

    [Fact]
    public async Task Admin_ActsOnAnotherUsersResources()
    {
        var session = await grid.Admin.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = grid.BobOwns.SessionId });
        var job = await grid.Admin.Jobs.GetJobAsync(new GetJobRequest { JobId = grid.BobOwns.JobId });
        var idle = await grid.Admin.Sessions.ExplainIdlenessAsync(new ExplainIdlenessRequest { SessionId = grid.BobOwns.SessionId });

        Assert.Equal("bob", session.Owner);
        Assert.Equal(grid.BobOwns.SessionId, job.SessionId);
        Assert.Equal(grid.BobOwns.SessionId, idle.SessionId);
    }

    [Fact]
    public async Task WhoAmI_NamesTheTokensUserAndRole_NewSessionsBelongToIt()
    {
        var me = await grid.Alice.Tokens.WhoAmIAsync(new WhoAmIRequest());
        var admin = await grid.Admin.Tokens.WhoAmIAsync(new WhoAmIRequest());

        Assert.Equal(("alice", TokenRole.User), (me.User, me.Role));
        Assert.Equal(("admin", TokenRole.Admin), (admin.User, admin.Role));
        Assert.Equal("alice", (await grid.Alice.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = grid.AliceOwns.SessionId })).Owner);
    }

    [Fact]
    public async Task TokenLifecycle_CreatedTokenWorks_ListedWithoutSecret_RevokedAtOnce()
    {
        var created = await grid.Admin.Tokens.CreateTokenAsync(new CreateTokenRequest { User = "dave", Description = "ci" });
        using var dave = grid.ClientWith(created.Token);
        var before = await dave.Tokens.WhoAmIAsync(new WhoAmIRequest());
        var listed = await grid.Admin.Tokens.ListTokensAsync(new ListTokensRequest());

        await grid.Admin.Tokens.RevokeTokenAsync(new RevokeTokenRequest { Id = created.Info.Id });
        var after = await Assert.ThrowsAsync<RpcException>(() => dave.Tokens.WhoAmIAsync(new WhoAmIRequest()).ResponseAsync);

        Assert.Matches("^gt_[0-9a-f]{16}_[0-9a-f]{64}$", created.Token);
        Assert.Equal("dave", before.User);
        var info = Assert.Single(listed.Tokens, t => t.Id == created.Info.Id);
        Assert.Equal(("dave", "ci", TokenRole.User), (info.User, info.Description, info.Role));
        Assert.DoesNotContain(created.Token[^64..], listed.ToString(), StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unauthenticated, after.StatusCode);
        Assert.NotNull((await grid.Admin.Tokens.ListTokensAsync(new ListTokensRequest())).Tokens.Single(t => t.Id == created.Info.Id).RevokedAt);
    }

    [Fact]
    public async Task ListAgents_UserSeesCapacityButOnlyOwnSessionIds()
    {
        var agents = await grid.Alice.Fleet.ListAgentsAsync(new ListAgentsRequest());

        Assert.Contains(agents.Agents, a => a.Id == grid.AgentA.AgentId);
        Assert.DoesNotContain(agents.Agents.SelectMany(a => a.SessionIds), id => id == grid.BobOwns.SessionId);
    }

    private async Task<RpcException> CallAsync(string name, string token, Target target) =>
        await Assert.ThrowsAsync<RpcException>(() => All[name].Invoke(new Clients(grid.Anonymous.Channel, token), target));
}
