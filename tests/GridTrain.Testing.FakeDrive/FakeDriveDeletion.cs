namespace GridTrain.Testing.FakeDrive;

/// <summary>A file the fake deleted (its content dropped): what it was, how large, and when it went.</summary>
public sealed record FakeDriveDeletion(FakeDriveFile File, long Size, DateTimeOffset DeletedAt);
