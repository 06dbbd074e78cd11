namespace GridTrain.Domain.Sessions;

/// <summary>The kind of machine a session runs on.</summary>
public enum Runtime
{
    Cpu = 1,
    Gpu = 2,
}
