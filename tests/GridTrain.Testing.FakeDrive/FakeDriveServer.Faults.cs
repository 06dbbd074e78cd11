using System.Net;
using Microsoft.AspNetCore.Http;

namespace GridTrain.Testing.FakeDrive;

// Fault injection: what the next matching requests fail with, and holding a chunk in flight.
public sealed partial class FakeDriveServer
{
    /// <summary>Makes the next <paramref name="count"/> requests of <paramref name="target"/> fail with <paramref name="fault"/>.</summary>
    public void Inject(FakeDriveFault fault, FakeDriveTarget target = FakeDriveTarget.UploadChunk, int count = 1)
    {
        lock (_faults)
        {
            for (var i = 0; i < count; i++)
            {
                _faults.Add((fault, target));
            }
        }
    }

    /// <summary>
    /// Holds the next chunk that carries bytes until <see cref="Release"/>, then drops its connection without keeping
    /// anything: the moment a process dies mid-upload. Completes the returned task when the chunk arrives.
    /// </summary>
    public Task HoldNextChunk()
    {
        _hold = new Hold();
        return _hold.Arrived.Task;
    }

    /// <summary>Lets a held chunk go (its connection is dropped) and stops holding.</summary>
    public void Release()
    {
        var hold = _hold;
        _hold = null;
        hold?.Released.TrySetResult();
    }

    /// <summary>Drops the faults not fired yet.</summary>
    public void ClearFaults()
    {
        lock (_faults)
        {
            _faults.Clear();
        }
    }

    private FakeDriveFault? Take(params FakeDriveTarget[] targets)
    {
        lock (_faults)
        {
            var index = _faults.FindIndex(f => f.Target == FakeDriveTarget.Any || targets.Contains(f.Target));
            if (index < 0)
            {
                return null;
            }

            var fault = _faults[index].Fault;
            _faults.RemoveAt(index);
            Interlocked.Increment(ref _faultsFired);
            return fault;
        }
    }

    /// <summary>Faults that do not depend on an upload's bytes; true when one answered the request.</summary>
    private async Task<bool> ApplyGenericFaultAsync(HttpContext context, FakeDriveTarget target)
    {
        switch (Take(target))
        {
            case null:
                return false;
            case FakeDriveFault.TooManyRequests:
                await ErrorAsync(context, 429, "rateLimitExceeded", "Rate Limit Exceeded");
                return true;
            case FakeDriveFault.RateLimited:
                await ErrorAsync(context, 403, "userRateLimitExceeded", "User Rate Limit Exceeded");
                return true;
            case FakeDriveFault.StorageQuotaExceeded:
                await ErrorAsync(context, 403, "storageQuotaExceeded", "The user's Drive storage quota has been exceeded.");
                return true;
            case FakeDriveFault.ExpiredToken:
                foreach (var token in _accessTokens.Keys)
                {
                    _accessTokens[token] = false;
                }

                await ErrorAsync(context, 401, "authError", "Request had invalid authentication credentials.");
                return true;
            case FakeDriveFault.DropConnection:
                context.Abort();
                return true;
            default:
                await ErrorAsync(context, 503, "backendError", "Backend Error");
                return true;
        }
    }

    private sealed class Hold
    {
        public TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
