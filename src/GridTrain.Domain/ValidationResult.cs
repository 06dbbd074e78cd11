namespace GridTrain.Domain;

/// <summary>A validated value, or every problem that prevented it.</summary>
public sealed class ValidationResult<T>
    where T : class
{
    private ValidationResult(T? value, IReadOnlyList<string> errors)
    {
        Value = value;
        Errors = errors;
    }

    public T? Value { get; }

    public IReadOnlyList<string> Errors { get; }

    public bool IsValid => Value is not null;

    public static ValidationResult<T> Valid(T value) => new(value, []);

    public static ValidationResult<T> Invalid(IReadOnlyList<string> errors) => new(null, errors);
}
