namespace GridTrain.Controller.Leadership;

/// <summary>A won election: who holds the lease and under which strictly increasing term.</summary>
public sealed record LeaderTerm(string Holder, long Term);
