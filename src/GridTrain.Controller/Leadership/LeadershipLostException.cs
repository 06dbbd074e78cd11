namespace GridTrain.Controller.Leadership;

/// <summary>
/// A write refused because this replica no longer holds the leader lease under its term (a standby took over while
/// it was paused or cut off). Nothing of the write was committed; the replica steps down.
/// </summary>
public sealed class LeadershipLostException(string message) : Exception(message);
