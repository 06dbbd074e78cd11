using System.Text.Json;
using System.Text.Json.Serialization;
using GridTrain.Cli.Errors;

namespace GridTrain.Cli.Config;

/// <summary>
/// The CLI config file: named contexts (controller, token, CA) and the current one. It lives at
/// <c>$GRIDTRAIN_CONFIG</c>, else <c>$XDG_CONFIG_HOME/gridtrain/config.json</c>, else
/// <c>~/.config/gridtrain/config.json</c>, and is written readable by its owner only (it holds tokens).
/// </summary>
internal sealed record CliConfig
{
    public const string PathVariable = "GRIDTRAIN_CONFIG";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Name of the context used when none is named.</summary>
    public string? Current { get; init; }

    public Dictionary<string, ControllerContext> Contexts { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Where the config file is for this environment; null when there is no home to put it in.</summary>
    public static string? PathFor(CliContext context)
    {
        if (context.GetEnvironmentVariable(PathVariable) is { Length: > 0 } explicitPath)
        {
            return explicitPath;
        }

        if (context.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg)
        {
            return Path.Combine(xdg, "gridtrain", "config.json");
        }

        return context.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? Path.Combine(home, ".config", "gridtrain", "config.json") : null;
    }

    /// <summary>The config at <paramref name="path"/>; empty when the file does not exist.</summary>
    public static CliConfig Load(string? path)
    {
        if (path is null || !File.Exists(path))
        {
            return new CliConfig();
        }

        try
        {
            return JsonSerializer.Deserialize<CliConfig>(File.ReadAllText(path), s_json) ?? new CliConfig();
        }
        catch (JsonException ex)
        {
            throw new CliException($"config file {path}: not valid JSON ({ex.Message})");
        }
    }

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, this, s_json);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The context named <paramref name="name"/>, else the current one; null when none applies.</summary>
    public ControllerContext? Select(string? name)
    {
        if (name is not null)
        {
            return Contexts.TryGetValue(name, out var named) ? named : throw new CliException($"--context: no context named '{name}' in the config file", ExitCodes.Usage);
        }

        return Current is not null && Contexts.TryGetValue(Current, out var current) ? current : null;
    }
}
