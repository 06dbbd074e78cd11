namespace GridTrain.Cli.Config;

/// <summary>One entry of the CLI config file: a controller and how to talk to it.</summary>
internal sealed record ControllerContext
{
    /// <summary>The controller's address, e.g. <c>https://gridtrain.example.com:7070</c>.</summary>
    public string? Controller { get; init; }

    /// <summary>The API token to send.</summary>
    public string? Token { get; init; }

    /// <summary>PEM CA certificate to verify the controller with.</summary>
    public string? CaFile { get; init; }
}
