namespace GridTrain.Domain;

/// <summary>Why a grid operation was refused. Transports map these to their status codes.</summary>
public enum GridError
{
    InvalidArgument,
    NotFound,
    FailedPrecondition,
    ResourceExhausted,
}

/// <summary>A refused operation, with a message that says what to fix.</summary>
public sealed class GridException(GridError error, string message) : Exception(message)
{
    public GridError Error { get; } = error;

    public static GridException NotFound(string kind, string id) => new(GridError.NotFound, $"{kind} '{id}' not found");

    public static GridException Invalid(IEnumerable<string> problems) => new(GridError.InvalidArgument, string.Join("; ", problems));
}
