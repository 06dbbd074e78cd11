using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Hosting;

/// <summary>Checks <see cref="AgentOptions"/> when the agent starts, reporting every problem at once, each with a hint.</summary>
internal sealed class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        var problems = options.Validate().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
