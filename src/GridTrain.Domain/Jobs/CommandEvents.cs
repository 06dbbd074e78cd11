using System.Globalization;
using System.Text.Json;

namespace GridTrain.Domain.Jobs;

/// <summary>
/// The events file of a command job (<c>GRIDTRAIN_EVENTS</c>): one JSON object per line, with any of <c>step</c>,
/// <c>total_steps</c>, <c>epoch</c>, <c>loss</c>, <c>samples_per_second</c>, <c>test_loss</c> and <c>test_accuracy</c>.
/// A line with <c>test_accuracy</c> is an end-of-epoch evaluation (<see cref="EpochEvaluated"/>); any other line is
/// progress (<see cref="ProgressReported"/>). See <c>docs/user-code.md</c>.
/// </summary>
public static class CommandEvents
{
    /// <summary>Longest line read, in characters; longer ones are refused.</summary>
    public const int MaxLineLength = 4096;

    /// <summary>
    /// Parses one line into its event, or explains why it is not one (<paramref name="problem"/>). A blank line is
    /// neither: null without a problem.
    /// </summary>
    public static TrainingEvent? Parse(string line, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(line))
        {
            return null;
        }

        if (line.Length > MaxLineLength)
        {
            problem = $"line longer than {MaxLineLength} characters";
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                problem = "not a JSON object";
                return null;
            }

            var root = document.RootElement;
            var epoch = (int)Number(root, "epoch", 0, 1_000_000, ref problem);
            var loss = Number(root, "loss", double.MinValue, double.MaxValue, ref problem);
            if (root.TryGetProperty("test_accuracy", out _))
            {
                var accuracy = Number(root, "test_accuracy", 0, 1, ref problem);
                var testLoss = Number(root, "test_loss", double.MinValue, double.MaxValue, ref problem);
                return problem is null ? new EpochEvaluated(epoch, loss, testLoss, accuracy) : null;
            }

            var step = (long)Number(root, "step", 0, long.MaxValue, ref problem);
            var total = (long)Number(root, "total_steps", 0, long.MaxValue, ref problem);
            var speed = Number(root, "samples_per_second", 0, double.MaxValue, ref problem);
            if (problem is null && !root.TryGetProperty("step", out _))
            {
                problem = "needs \"step\" (progress) or \"test_accuracy\" (an epoch's evaluation)";
            }

            return problem is null ? new ProgressReported(step, total, epoch, loss, speed, 0) : null;
        }
        catch (JsonException ex)
        {
            problem = $"not JSON ({ex.Message})";
            return null;
        }
    }

    private static double Number(JsonElement root, string name, double min, double max, ref string? problem)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return 0;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || double.IsNaN(number) || double.IsInfinity(number))
        {
            problem ??= $"\"{name}\" must be a finite number, got {value.GetRawText()[..Math.Min(32, value.GetRawText().Length)]}";
            return 0;
        }

        if (number < min || number > max)
        {
            problem ??= $"\"{name}\" must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}, got {number.ToString(CultureInfo.InvariantCulture)}";
            return 0;
        }

        return number;
    }
}
