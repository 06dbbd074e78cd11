using System.Text.RegularExpressions;
using System.Xml.Linq;
using GridTrain.IntegrationTests.Infrastructure;

namespace GridTrain.IntegrationTests.PythonClient;

/// <summary>
/// The Python client's pytest suite (clients/python/tests): its test functions, read from the source so that each one
/// is a .NET test case, and the outcomes of a run, read from pytest's JUnit XML report.
/// </summary>
public static partial class PytestSuite
{
    public static string ClientDirectory { get; } = Path.Combine(RepositoryRoot.Path, "clients", "python");

    public static string TestsDirectory { get; } = Path.Combine(ClientDirectory, "tests");

    /// <summary>Every test function as <c>module.py::test_name</c>, one theory case each.</summary>
    public static TheoryData<string> TestFunctions()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(TestsDirectory, "test_*.py").Order(StringComparer.Ordinal))
        {
            foreach (Match match in TestFunction().Matches(File.ReadAllText(file)))
            {
                data.Add($"{Path.GetFileName(file)}::{match.Groups[1].Value}");
            }
        }

        return data;
    }

    /// <summary>
    /// The outcome of one test function in a JUnit report: null when it passed (every parametrized case included),
    /// else what went wrong (a failure's text, a skip's reason, or that it did not run).
    /// </summary>
    public static string? Problem(XDocument report, string testFunction)
    {
        var (file, name) = (testFunction.Split("::")[0], testFunction.Split("::")[1]);
        var module = Path.GetFileNameWithoutExtension(file);
        var cases = report.Descendants("testcase")
            .Where(c => ((string?)c.Attribute("classname") ?? "").Split('.')[^1] == module && ((string?)c.Attribute("name") ?? "").Split('[')[0] == name)
            .ToList();
        if (cases.Count == 0)
        {
            return $"pytest did not run {testFunction}";
        }

        var problems = cases
            .SelectMany(c => c.Elements().Where(e => e.Name.LocalName is "failure" or "error" or "skipped")
                .Select(e => $"{c.Attribute("name")?.Value} {e.Name.LocalName.ToUpperInvariant()}: {e.Attribute("message")?.Value}\n{e.Value}"))
            .ToList();
        return problems.Count == 0 ? null : string.Join("\n\n", problems);
    }

    [GeneratedRegex(@"^def (test_\w+)\(", RegexOptions.Multiline)]
    private static partial Regex TestFunction();
}
