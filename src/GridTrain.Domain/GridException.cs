namespace GridTrain.Domain;

/// <summary>Why a grid operation was refused. Transports map these to their status codes.</summary>
public enum GridError
{
    InvalidArgument,
    NotFound,
    FailedPrecondition,
    ResourceExhausted,
    PermissionDenied,

    /// <summary>Data arrived damaged (a checksum did not match).</summary>
    DataLoss,

    /// <summary>The request could not be carried out for a reason of the grid's own (see the log).</summary>
    Internal,
}

/// <summary>A refused operation, with a message that says what to fix.</summary>
public sealed class GridException(GridError error, string message) : Exception(message)
{
    public GridError Error { get; } = error;

    public static GridException NotFound(string kind, string id) => new(GridError.NotFound, $"{kind} '{id}' not found");

    /// <summary>The grid's operator turned user code off (<c>controller run --user-code off</c>).</summary>
    public static GridException UserCodeOff(string what) =>
        new(GridError.PermissionDenied, $"{what} runs your own code, and this grid runs built-in jobs only (its controller runs with --user-code off); ask its operator");

    public static GridException Invalid(IEnumerable<string> problems) => new(GridError.InvalidArgument, string.Join("; ", problems));
}
