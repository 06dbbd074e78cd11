namespace GridTrain.Domain.Security;

/// <summary>What a credential lets its holder do.</summary>
public enum TokenRole
{
    /// <summary>A user: works with their own sessions, jobs and events.</summary>
    User,

    /// <summary>An administrator: sees and acts on everything, manages tokens and the fleet.</summary>
    Admin,

    /// <summary>An agent join token: may only register an agent.</summary>
    AgentJoin,

    /// <summary>The credential one registered agent got from the controller: acts only as that agent.</summary>
    Agent,
}
