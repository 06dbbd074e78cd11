namespace GridTrain.Domain.Jobs.Validation;

/// <summary>Rules of <c>spec.data</c>: exactly one source, absolute paths, Drive ids, and the ranges of each source.</summary>
internal static class DataRules
{
    public static void Check(DataSpec data, List<string> errors)
    {
        var hasIdx = !string.IsNullOrEmpty(data.IdxDirectory);
        var hasDrive = !string.IsNullOrEmpty(data.DriveFolderId);
        var sources = (hasIdx ? 1 : 0) + (hasDrive ? 1 : 0) + (data.Synthetic is null ? 0 : 1) + (data.Csv is null ? 0 : 1);
        if (sources != 1)
        {
            errors.Add("spec.data: set exactly one of idx_directory, csv, synthetic and drive_folder_id");
        }

        if (hasDrive && !SpecText.IsDriveId(data.DriveFolderId!))
        {
            errors.Add($"spec.data.drive_folder_id: must be a Drive folder id (letters, digits, '-' and '_'), got '{SpecText.Truncate(data.DriveFolderId!)}'");
        }

        if (data.Csv is { } csv)
        {
            CheckCsv(csv, errors);
            if (data.Augmentation is not null)
            {
                errors.Add("spec.data.augmentation: only for image data (idx_directory, synthetic or drive_folder_id), not csv");
            }
        }

        if (data.Augmentation is { CropPadding: < 0 or > 64 } augmentation)
        {
            errors.Add($"spec.data.augmentation.crop_padding: must be between 0 and 64, got {augmentation.CropPadding}");
        }

        if (hasIdx && !Path.IsPathFullyQualified(data.IdxDirectory!))
        {
            errors.Add($"spec.data.idx_directory: must be an absolute path, got '{SpecText.Truncate(data.IdxDirectory!)}'");
        }

        if (data.Synthetic is { } synthetic)
        {
            CheckSynthetic(synthetic, errors);
        }

        if (data.TrainLimit < 0)
        {
            errors.Add($"spec.data.train_limit: must not be negative, got {data.TrainLimit}");
        }

        if (data.TestLimit < 0)
        {
            errors.Add($"spec.data.test_limit: must not be negative, got {data.TestLimit}");
        }
    }

    private static void CheckSynthetic(SyntheticDataSpec s, List<string> errors)
    {
        if (s.TrainExamples is < 1 or > 10_000_000)
        {
            errors.Add($"spec.data.synthetic.train_examples: must be between 1 and 10000000, got {s.TrainExamples}");
        }

        if (s.TestExamples is < 0 or > 10_000_000)
        {
            errors.Add($"spec.data.synthetic.test_examples: must be between 0 and 10000000, got {s.TestExamples}");
        }

        if (s.ImageSize is < 8 or > 512)
        {
            errors.Add($"spec.data.synthetic.image_size: must be between 8 and 512, got {s.ImageSize}");
        }

        if (s.Classes is < 2 or > 1000)
        {
            errors.Add($"spec.data.synthetic.classes: must be between 2 and 1000, got {s.Classes}");
        }
    }

    private static void CheckCsv(CsvDataSpec csv, List<string> errors)
    {
        SpecText.Defined(csv.Normalization, "spec.data.csv.normalization", "normalization", errors);
        if (string.IsNullOrEmpty(csv.TrainPath) || !Path.IsPathFullyQualified(csv.TrainPath))
        {
            errors.Add($"spec.data.csv.train_path: must be an absolute path, got '{SpecText.Truncate(csv.TrainPath ?? "")}'");
        }

        if (!string.IsNullOrEmpty(csv.TestPath) && !Path.IsPathFullyQualified(csv.TestPath))
        {
            errors.Add($"spec.data.csv.test_path: must be an absolute path, got '{SpecText.Truncate(csv.TestPath)}'");
        }

        if (csv.TestFraction is < 0 or > 0.9 || double.IsNaN(csv.TestFraction))
        {
            errors.Add($"spec.data.csv.test_fraction: must be in [0, 0.9], got {csv.TestFraction}");
        }

        if (csv.FeatureColumns.Contains(csv.LabelColumn) && csv.LabelColumn.Length > 0)
        {
            errors.Add($"spec.data.csv.feature_columns: must not include the label column '{SpecText.Truncate(csv.LabelColumn)}'");
        }
    }
}
