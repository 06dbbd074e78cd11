namespace GridTrain.Domain.Jobs.Validation;

/// <summary>Helpers shared by the section rules.</summary>
internal static class SpecText
{
    /// <summary>A user's value cut to 64 characters for an error message.</summary>
    public static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";

    /// <summary>Drive ids are URL-safe: letters, digits, '-' and '_'; at most 200 characters here.</summary>
    public static bool IsDriveId(string id) => id.Length <= 200 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static bool IsFinite(double value) => !double.IsNaN(value) && !double.IsInfinity(value);

    /// <summary>Reports a choice that is no member of its enum (a number cast, or a newer peer's value).</summary>
    public static void Defined<T>(T value, string field, string noun, List<string> errors)
        where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            errors.Add(Choice<T>.Unknown(field, noun, value.ToString()));
        }
    }
}
