using GridTrain.Domain.Jobs;

namespace GridTrain.Training.Data;

/// <summary>Per-feature shift and scale fitted on the training rows: <c>(x - shift) / scale</c>.</summary>
internal sealed class FeatureNormalizer
{
    private readonly double[] _shift;
    private readonly double[] _scale;

    private FeatureNormalizer(double[] shift, double[] scale)
    {
        _shift = shift;
        _scale = scale;
    }

    /// <summary><c>standard</c>: mean and standard deviation; <c>minmax</c>: minimum and range; <c>none</c>: identity. A constant feature keeps scale 1.</summary>
    public static FeatureNormalizer Fit(CsvNormalization normalization, double[][] rows)
    {
        var width = rows.Length > 0 ? rows[0].Length : 0;
        var shift = new double[width];
        var scale = Enumerable.Repeat(1.0, width).ToArray();
        for (var f = 0; f < width && normalization != CsvNormalization.None; f++)
        {
            var column = rows.Select(r => r[f]).ToArray();
            if (normalization == CsvNormalization.MinMax)
            {
                shift[f] = column.Min();
                var range = column.Max() - shift[f];
                scale[f] = range > 0 ? range : 1;
            }
            else
            {
                shift[f] = column.Average();
                var mean = shift[f];
                var deviation = Math.Sqrt(column.Sum(x => (x - mean) * (x - mean)) / column.Length);
                scale[f] = deviation > 0 ? deviation : 1;
            }
        }

        return new FeatureNormalizer(shift, scale);
    }

    /// <summary>The rows normalized, flattened row-major.</summary>
    public float[] Apply(double[][] rows)
    {
        var width = _shift.Length;
        var values = new float[rows.Length * width];
        for (var r = 0; r < rows.Length; r++)
        {
            for (var f = 0; f < width; f++)
            {
                values[(r * width) + f] = (float)((rows[r][f] - _shift[f]) / _scale[f]);
            }
        }

        return values;
    }
}
