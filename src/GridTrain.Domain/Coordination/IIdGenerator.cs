using GridTrain.Domain.AgentProtocol;
using System.Security.Cryptography;

namespace GridTrain.Domain.Coordination;

/// <summary>Makes ids for sessions, jobs and agents.</summary>
public interface IIdGenerator
{
    /// <summary>A new id: <paramref name="prefix"/>, a dash, and 12 hex digits.</summary>
    string NewId(string prefix);
}

/// <summary>Ids from the system's cryptographic random source.</summary>
public sealed class RandomIdGenerator : IIdGenerator
{
    public string NewId(string prefix) => $"{prefix}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
}
