namespace GridTrain.Controller.Security;

/// <summary>Which credential a method takes.</summary>
internal enum CallKind
{
    /// <summary>None (health checks).</summary>
    Anonymous,

    /// <summary>A user or admin token.</summary>
    User,

    /// <summary>An agent join token (Register).</summary>
    AgentJoin,

    /// <summary>The credential a registered agent got.</summary>
    Agent,
}
