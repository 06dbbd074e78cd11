using System.CommandLine;
using GridTrain.Cli.Output;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Tokens;

/// <summary><c>gridtrain token create|ls|revoke|whoami</c>: API tokens (admins), and who the current token is.</summary>
internal static class TokenCommand
{
    private static readonly Dictionary<string, TokenRole> Roles = new(StringComparer.Ordinal)
    {
        ["user"] = TokenRole.User,
        ["admin"] = TokenRole.Admin,
        ["agent-join"] = TokenRole.AgentJoin,
    };

    public static Command Create(CliContext context) => new("token", "API tokens: create, list and revoke them (admins), or see who yours is")
    {
        CreateToken(context),
        ListTokens(context),
        RevokeToken(context),
        WhoAmI(context),
    };

    private static Command CreateToken(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var user = new Option<string>("--user") { Description = "The user the token acts as (a-z, 0-9, '.', '_', '-'); required for user and admin tokens", HelpName = "NAME" };
        var role = new ChoiceOption<TokenRole>("--role", Roles) { Description = "user, admin, or agent-join (a join token for agents) [default: user]" };
        var description = new Option<string>("--description") { Description = "What the token is for", HelpName = "TEXT" };
        var command = new Command("create", "Create a token and print it once (it is stored hashed and cannot be shown again)") { controller, user, role, description, output };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var created = await client.Tokens.CreateTokenAsync(
                new CreateTokenRequest { User = parseResult.GetValue(user) ?? "", Role = parseResult.GetValue(role) is var r && r != TokenRole.Unspecified ? r : TokenRole.User, Description = parseResult.GetValue(description) ?? "" },
                deadline: context.CallDeadline(),
                cancellationToken: ct);
            context.Print(parseResult.GetValue(output), created, (w, _) =>
            {
                w.WriteLine(created.Token);
                context.Error.WriteLine($"token {created.Info.Id} for {created.Info.User} ({RoleName(created.Info.Role)}); shown only this once, keep it safe");
            });
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ListTokens(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var command = new Command("ls", "List tokens (never their secrets), revoked ones included") { controller, output };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var listed = await client.Tokens.ListTokensAsync(new ListTokensRequest(), deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), listed, (w, now) =>
            {
                var table = new Table("ID", "USER", "ROLE", "CREATED", "REVOKED", "DESCRIPTION");
                foreach (var token in listed.Tokens)
                {
                    table.Add(
                        token.Id,
                        token.User,
                        RoleName(token.Role),
                        Formats.Age(token.CreatedAt, now),
                        token.RevokedAt is null ? "-" : Formats.Age(token.RevokedAt, now),
                        token.Description);
                }

                table.WriteTo(w);
            });
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command RevokeToken(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var id = new Argument<string>("id") { Description = "Token id (as 'token ls' shows it)" };
        var command = new Command("revoke", "Revoke a token: calls with it are refused from now on") { controller, id, output };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var revoked = await client.Tokens.RevokeTokenAsync(new RevokeTokenRequest { Id = parseResult.GetRequiredValue(id) }, deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), revoked, (w, _) => w.WriteLine($"revoked token {revoked.Id} of {revoked.User}"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command WhoAmI(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var command = new Command("whoami", "Show the user and role of your token") { controller, output };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var me = await client.Tokens.WhoAmIAsync(new WhoAmIRequest(), deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), me, (w, _) => w.WriteLine($"{me.User} ({RoleName(me.Role)})"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static string RoleName(TokenRole role) => Roles.FirstOrDefault(r => r.Value == role).Key ?? "unknown";
}
