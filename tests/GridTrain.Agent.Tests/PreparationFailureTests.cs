using System.Net;
using GridTrain.Agent.Jobs;
using GridTrain.Checkpoints.Drive;

namespace GridTrain.Agent.Tests;

/// <summary>An attempt the agent could not prepare is retried when the fault is not the job's.</summary>
public sealed class PreparationFailureTests
{
    [Fact]
    public void TokenRefusedAfterARefresh_IsRetried() =>
        Assert.True(PreparationFailure.IsRetryable(new DriveException(HttpStatusCode.Unauthorized, "authError", "401 authError after a refresh")));

    [Fact]
    public void TransientDriveErrorsAndDroppedConnections_AreRetried()
    {
        Assert.True(PreparationFailure.IsRetryable(new DriveException(HttpStatusCode.ServiceUnavailable, "backendError", "503")));
        Assert.True(PreparationFailure.IsRetryable(new HttpRequestException("connection reset")));
    }

    [Fact]
    public void MissingFileOrRefusedAccess_FailsTheJob()
    {
        Assert.False(PreparationFailure.IsRetryable(new DriveException(HttpStatusCode.NotFound, "notFound", "File not found: ckpt")));
        Assert.False(PreparationFailure.IsRetryable(new DriveException(HttpStatusCode.Forbidden, "insufficientFilePermissions", "403")));
    }
}
