using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using GridTrain.Client;
using GridTrain.Controller.Security;

namespace GridTrain.Testing;

/// <summary>
/// The credentials every controller of this test run accepts unless a test configures its own: set as the
/// environment (<c>GRIDTRAIN_ADMIN_TOKEN</c>, <c>GRIDTRAIN_JOIN_TOKEN</c>, <c>GRIDTRAIN_TOKEN</c>) when the test
/// assembly loads, so in-process controllers, <c>new GridTrainClient(address)</c>, and controller and agent processes
/// all authenticate without each test passing tokens. Fresh random values per run. Compiled into each test project
/// that starts controllers (linked from tests/Shared), so each assembly sets its own environment.
/// </summary>
public static class TestCredentials
{
    public static string AdminToken { get; } = "test-admin-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static string JoinToken { get; } = "test-join-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

#pragma warning disable CA2255 // The environment must be set before any test starts a controller; this assembly is a test run, not a library.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        Environment.SetEnvironmentVariable(ControllerSecurityOptions.AdminTokenVariable, AdminToken);
        Environment.SetEnvironmentVariable(ControllerSecurityOptions.JoinTokenVariable, JoinToken);
        Environment.SetEnvironmentVariable(ControllerChannel.TokenVariable, AdminToken);
        // The suite polls and submits from one token per controller; the limit itself is tested with its own settings.
        Environment.SetEnvironmentVariable(ControllerSecurityOptions.RateLimitVariable, "0");
    }
}
