using System.Globalization;
using System.Security.Cryptography;
using GridTrain.Domain.Jobs;
using GridTrain.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTrain.Training.Data;

/// <summary>
/// Loads a CSV table as [N, F] float features and int64 labels. Integer labels are class indices; any other labels
/// become classes in ordinal order. Features are normalized with statistics of the training rows only. Without a test
/// table, a seeded shuffle holds out <see cref="CsvDataSpec.TestFraction"/> of the rows.
/// </summary>
internal static class CsvDataLoader
{
    private const ulong HoldOutSalt = 0x5DEECE66DUL;

    public static TrainingData Load(CsvDataSpec spec, long seed, int trainLimit, int testLimit)
    {
        var train = CsvTable.Read(spec.TrainPath, "spec.data.csv.train_path");
        var labelIndex = LabelIndex(spec, train);
        var featureIndexes = FeatureIndexes(spec, train, labelIndex);
        var (trainFeatures, trainLabelNames) = Parse(train, featureIndexes, labelIndex);

        double[][] testFeatures;
        string[] testLabelNames;
        if (spec.TestPath is { } testPath)
        {
            var test = CsvTable.Read(testPath, "spec.data.csv.test_path");
            if (!test.Header.SequenceEqual(train.Header, StringComparer.Ordinal))
            {
                throw new TrainingUserException($"spec.data.csv.test_path: '{testPath}' has columns [{string.Join(", ", test.Header)}], the training table has [{string.Join(", ", train.Header)}]");
            }

            (testFeatures, testLabelNames) = Parse(test, featureIndexes, labelIndex);
        }
        else
        {
            (trainFeatures, trainLabelNames, testFeatures, testLabelNames) = HoldOut(trainFeatures, trainLabelNames, spec.TestFraction, seed);
        }

        (trainFeatures, trainLabelNames) = Limit(trainFeatures, trainLabelNames, trainLimit);
        (testFeatures, testLabelNames) = Limit(testFeatures, testLabelNames, testLimit);
        if (trainFeatures.Length == 0)
        {
            throw new TrainingUserException($"spec.data.csv.train_path: '{spec.TrainPath}' has no training rows");
        }

        var classes = LabelClasses.From(trainLabelNames, testLabelNames, spec.TrainPath);
        var normalizer = FeatureNormalizer.Fit(spec.Normalization, trainFeatures);
        var shape = new ImageShape(1, 1, featureIndexes.Length);
        var identity = Identity(spec, featureIndexes.Length, classes.Count, trainFeatures.Length, testFeatures.Length);
        return new TrainingData(
            ToTensors(normalizer.Apply(trainFeatures), classes.Indexes(trainLabelNames)),
            ToTensors(normalizer.Apply(testFeatures), classes.Indexes(testLabelNames)),
            shape,
            Math.Max(2, classes.Count),
            identity,
            isTabular: true);
    }

    private static int LabelIndex(CsvDataSpec spec, CsvTable table)
    {
        if (spec.LabelColumn.Length == 0)
        {
            return table.Header.Count - 1;
        }

        var index = IndexOf(table, spec.LabelColumn);
        return index >= 0
            ? index
            : throw new TrainingUserException($"spec.data.csv.label_column: '{table.Path}' has no column '{spec.LabelColumn}'; its columns are {string.Join(", ", table.Header)}");
    }

    private static int[] FeatureIndexes(CsvDataSpec spec, CsvTable table, int labelIndex)
    {
        if (spec.FeatureColumns.Count == 0)
        {
            var all = Enumerable.Range(0, table.Header.Count).Where(i => i != labelIndex).ToArray();
            return all.Length > 0 ? all : throw new TrainingUserException($"spec.data.csv: '{table.Path}' has no feature columns besides the label");
        }

        return [.. spec.FeatureColumns.Select((name, i) =>
        {
            var index = IndexOf(table, name);
            return index >= 0
                ? index
                : throw new TrainingUserException($"spec.data.csv.feature_columns[{i}]: '{table.Path}' has no column '{name}'; its columns are {string.Join(", ", table.Header)}");
        })];
    }

    private static int IndexOf(CsvTable table, string name) => table.Header.ToList().IndexOf(name);

    private static (double[][] Features, string[] Labels) Parse(CsvTable table, int[] featureIndexes, int labelIndex)
    {
        var features = new double[table.Rows.Count][];
        var labels = new string[table.Rows.Count];
        for (var r = 0; r < table.Rows.Count; r++)
        {
            var (line, fields) = table.Rows[r];
            var row = new double[featureIndexes.Length];
            for (var f = 0; f < featureIndexes.Length; f++)
            {
                var text = fields[featureIndexes[f]];
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out row[f]))
                {
                    throw new TrainingUserException($"{table.Path}:{line}: column '{table.Header[featureIndexes[f]]}' is not a number: '{text}'");
                }
            }

            features[r] = row;
            labels[r] = fields[labelIndex];
        }

        return (features, labels);
    }

    private static (double[][], string[], double[][], string[]) HoldOut(double[][] features, string[] labels, double fraction, long seed)
    {
        var order = EpochOrder.Create((long)((ulong)seed ^ HoldOutSalt), 0, features.Length);
        var testCount = (int)Math.Round(features.Length * fraction);
        var test = order.Take(testCount).Order().ToArray();
        var train = order.Skip(testCount).Order().ToArray();
        return ([.. train.Select(i => features[i])], [.. train.Select(i => labels[i])], [.. test.Select(i => features[i])], [.. test.Select(i => labels[i])]);
    }

    private static (double[][], string[]) Limit(double[][] features, string[] labels, int limit) =>
        limit > 0 && limit < features.Length ? (features[..limit], labels[..limit]) : (features, labels);

    private static string Identity(CsvDataSpec spec, int features, int classes, int train, int test)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in new[] { spec.TrainPath, spec.TestPath }.OfType<string>())
        {
            hash.AppendData(File.ReadAllBytes(path));
        }

        var columns = string.Join(",", spec.FeatureColumns);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"csv sha256={Convert.ToHexStringLower(hash.GetHashAndReset())} label={spec.LabelColumn} features=[{columns}] normalization={Choice<CsvNormalization>.NameOf(spec.Normalization)} features={features} classes={classes} train={train} test={test}");
    }

    private static LabeledImages ToTensors(float[] features, long[] labels)
    {
        var count = labels.Length;
        var width = count == 0 ? 0 : features.Length / count;
        return new LabeledImages(torch.tensor(features, [count, width]), torch.tensor(labels));
    }
}
