namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>The checkout the tests run from: the directory holding GridTrain.sln above the test binaries.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "GridTrain.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no GridTrain.sln above {AppContext.BaseDirectory}");
    }
}
