using System.Text;

namespace GridTrain.IntegrationTests.UserCode;

/// <summary>Output that completes <see cref="Seen"/> once <c>text</c> has been written to it.</summary>
internal sealed class SignalingStream(string text) : MemoryStream
{
    private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Seen => _seen.Task;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await base.WriteAsync(buffer, cancellationToken);
        if (Encoding.UTF8.GetString(ToArray()).Contains(text, StringComparison.Ordinal))
        {
            _seen.TrySetResult();
        }
    }
}
