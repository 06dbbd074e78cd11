namespace GridTrain.Domain.Jobs.Validation;

/// <summary>Rules of <c>spec.model</c>: hidden sizes, and a TorchScript module from exactly one source.</summary>
internal static class ModelRules
{
    public static void Check(ModelSpec model, List<string> errors)
    {
        SpecText.Defined(model.Name, "spec.model.name", "model", errors);
        for (var i = 0; i < model.HiddenSizes.Count; i++)
        {
            if (model.HiddenSizes[i] is < 1 or > 65536)
            {
                errors.Add($"spec.model.hidden_sizes[{i}]: must be between 1 and 65536, got {model.HiddenSizes[i]}");
            }
        }

        if (model.Name != ModelKind.TorchScript)
        {
            if (model.TorchScript is not null)
            {
                errors.Add($"spec.model.torchscript: only for model torchscript, not '{Choice<ModelKind>.NameOf(model.Name)}'");
            }

            return;
        }

        var script = model.TorchScript;
        var hasPath = !string.IsNullOrEmpty(script?.Path);
        var hasModule = script?.Module is { Length: > 0 };
        var hasDrive = !string.IsNullOrEmpty(script?.DriveFileId);
        if ((hasPath ? 1 : 0) + (hasModule ? 1 : 0) + (hasDrive ? 1 : 0) != 1)
        {
            errors.Add("spec.model.torchscript: set exactly one of path (a .pt file on the agent), module (the file's bytes) and drive_file_id (a .pt file on Google Drive)");
        }

        if (hasDrive && !SpecText.IsDriveId(script!.DriveFileId!))
        {
            errors.Add($"spec.model.torchscript.drive_file_id: must be a Drive file id (letters, digits, '-' and '_'), got '{SpecText.Truncate(script.DriveFileId!)}'");
        }

        if (hasPath && !Path.IsPathFullyQualified(script!.Path!))
        {
            errors.Add($"spec.model.torchscript.path: must be an absolute path, got '{SpecText.Truncate(script.Path!)}'");
        }

        if (hasModule && script!.Module!.Length > TorchScriptSpec.MaxModuleBytes)
        {
            errors.Add($"spec.model.torchscript.module: at most {TorchScriptSpec.MaxModuleBytes} bytes, got {script.Module.Length}; put larger modules on the agent and give their path");
        }
    }
}
