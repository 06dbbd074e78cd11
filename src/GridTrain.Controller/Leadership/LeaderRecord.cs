namespace GridTrain.Controller.Leadership;

/// <summary>The lease row as a standby reads it: who leads, under which term, and where clients reach it.</summary>
public sealed record LeaderRecord(string Holder, long Term, string Address, bool Expired);
