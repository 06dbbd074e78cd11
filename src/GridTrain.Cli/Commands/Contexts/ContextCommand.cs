using System.CommandLine;
using GridTrain.Cli.Config;
using GridTrain.Cli.Errors;
using GridTrain.Cli.Output;

namespace GridTrain.Cli.Commands.Contexts;

/// <summary><c>gridtrain context set|use|ls</c>: the config file's named controllers (address, token, CA).</summary>
internal static class ContextCommand
{
    public static Command Create(CliContext context) => new("context", "Named controllers in the config file (address, token, CA); flags and environment variables win over them")
    {
        Set(context),
        Use(context),
        List(context),
    };

    private static Command Set(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "Context name" };
        var controller = new Option<string>("--controller") { Description = "The controller's address, e.g. https://gridtrain.example.com:7070", HelpName = "URL" };
        var command = new Command("set", "Create or update a context (--controller, --token, --ca-file) and make it the current one; the file is readable by you only") { name, controller };
        command.SetAction(parseResult =>
        {
            var path = ConfigPath(context);
            var config = CliConfig.Load(path);
            var contextName = parseResult.GetRequiredValue(name);
            var existing = config.Contexts.GetValueOrDefault(contextName) ?? new ControllerContext();
            if (parseResult.GetValue(controller) is { } address && !ControllerOption.TryParseAddresses(address, out _, out _))
            {
                throw new CliException($"--controller: '{address}' is not a controller address; use http(s)://HOST:PORT", ExitCodes.Usage);
            }

            config.Contexts[contextName] = existing with
            {
                Controller = parseResult.GetValue(controller) ?? existing.Controller,
                Token = ConnectionOptions.Value(parseResult, ConnectionOptions.Token) ?? existing.Token,
                CaFile = ConnectionOptions.Value(parseResult, ConnectionOptions.CaFile) is { } caFile ? Path.GetFullPath(caFile) : existing.CaFile,
            };
            (config with { Current = contextName }).Save(path);
            context.Out.WriteLine($"context {contextName} saved to {path} and made current");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Use(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "Context name" };
        var command = new Command("use", "Make a context the current one") { name };
        command.SetAction(parseResult =>
        {
            var path = ConfigPath(context);
            var config = CliConfig.Load(path);
            var contextName = parseResult.GetRequiredValue(name);
            if (!config.Contexts.ContainsKey(contextName))
            {
                throw new CliException($"no context named '{contextName}' in {path}", ExitCodes.Usage);
            }

            (config with { Current = contextName }).Save(path);
            context.Out.WriteLine($"current context: {contextName}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List(CliContext context)
    {
        var command = new Command("ls", "List contexts (tokens are not shown)");
        command.SetAction(_ =>
        {
            var config = CliConfig.Load(ConfigPath(context));
            var table = new Table("CURRENT", "NAME", "CONTROLLER", "TOKEN", "CA");
            foreach (var (name, entry) in config.Contexts.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                table.Add(name == config.Current ? "*" : "", name, entry.Controller ?? "-", entry.Token is null ? "-" : "set", entry.CaFile ?? "-");
            }

            table.WriteTo(context.Out);
            return ExitCodes.Success;
        });
        return command;
    }

    private static string ConfigPath(CliContext context) =>
        CliConfig.PathFor(context) ?? throw new CliException($"no place for the config file: set {CliConfig.PathVariable} or HOME", ExitCodes.Usage);
}
