using System.Reflection;
using System.Text.Json.Serialization;

namespace GridTrain.Domain.Jobs;

/// <summary>
/// The spellings of a closed choice of a job spec (<see cref="ModelKind"/>, <see cref="OptimizerKind"/>, …): one per
/// member, its <see cref="JsonStringEnumMemberNameAttribute"/>. Text from users is parsed here and nowhere else.
/// </summary>
public static class Choice<T>
    where T : struct, Enum
{
    private static readonly (T Value, string Name)[] s_choices =
        [.. Enum.GetValues<T>().Select(value => (value, typeof(T).GetField(value.ToString())!.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? value.ToString().ToLowerInvariant()))];

    /// <summary>Every spelling, in ordinal order (as error messages list them).</summary>
    public static IReadOnlyList<string> Names { get; } = [.. s_choices.Select(c => c.Name).Order(StringComparer.Ordinal)];

    /// <summary>The spelling of <paramref name="value"/>.</summary>
    public static string NameOf(T value)
    {
        foreach (var (choice, name) in s_choices)
        {
            if (EqualityComparer<T>.Default.Equals(choice, value))
            {
                return name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(value), value, $"not a {typeof(T).Name}");
    }

    /// <summary>The member spelled <paramref name="name"/> (exactly, case included).</summary>
    public static bool TryParse(string name, out T value)
    {
        foreach (var (choice, spelling) in s_choices)
        {
            if (spelling == name)
            {
                value = choice;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>
    /// Parses what a user wrote in <paramref name="field"/>: empty means <paramref name="whenEmpty"/> (an error when
    /// null); an unknown spelling adds an error naming the field and the allowed values, and gives the default.
    /// </summary>
    /// <param name="name">What the user wrote; null or empty when nothing.</param>
    /// <param name="whenEmpty">The default for nothing written; null when the choice is required.</param>
    /// <param name="field">The field's path, for the error (<c>spec.model.name</c>).</param>
    /// <param name="noun">What the choice is, for the error (<c>model</c>, <c>optimizer</c>).</param>
    /// <param name="errors">Where an unknown spelling is reported.</param>
    public static T Parse(string? name, T? whenEmpty, string field, string noun, ICollection<string> errors)
    {
        if (string.IsNullOrEmpty(name) && whenEmpty is { } fallback)
        {
            return fallback;
        }

        if (name is not null && TryParse(name, out var value))
        {
            return value;
        }

        errors.Add(Unknown(field, noun, name ?? ""));
        return whenEmpty ?? default;
    }

    /// <summary>The error for an unknown spelling: the field, what was given, and the allowed values.</summary>
    public static string Unknown(string field, string noun, string given) =>
        $"{field}: unknown {noun} '{(given.Length <= 64 ? given : given[..64] + "…")}'; use one of {string.Join(", ", Names)}";
}
