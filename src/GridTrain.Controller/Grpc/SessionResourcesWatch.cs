using Grpc.Core;
using GridTrain.Contracts.Mapping;
using GridTrain.Domain.Coordination;
using GridTrain.Protos.V1;

namespace GridTrain.Controller.Grpc;

/// <summary>
/// Streams a session's resource use: the current answer, then a new one whenever its agent reports a reading or the
/// session changes (it moves to another agent, or ends). An answer equal to the last one sent is not sent again.
/// </summary>
internal static class SessionResourcesWatch
{
    public static async Task RunAsync(GridCoordinator grid, string sessionId, string? agentId, IServerStreamWriter<SessionResources> responseStream, CancellationToken cancellationToken)
    {
        SessionResources? sent = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Both waits are taken before the read, so a reading or a move that lands between the read and the wait is
            // not missed. The readings waited for are those of the agent last seen holding the session; if the read
            // finds it on another agent, the loop takes that agent's wait before reading again.
            var sessionChanged = grid.Changes.NextChange(ChangeNotifier.SessionKey(sessionId));
            var agentRead = agentId is null ? null : grid.Changes.NextChange(ChangeNotifier.AgentResourcesKey(agentId));
            var current = (await grid.SessionResourcesAsync(sessionId, cancellationToken)).ToProto();
            var holder = current.AgentId.Length > 0 ? current.AgentId : null;
            if (!current.Equals(sent))
            {
                await responseStream.WriteAsync(current, cancellationToken);
                sent = current;
            }

            if (holder != agentId)
            {
                agentId = holder;
                continue;
            }

            await (agentRead is null ? sessionChanged : Task.WhenAny(sessionChanged, agentRead)).WaitAsync(cancellationToken);
        }
    }
}
