using System.CommandLine;
using System.Net;
using GridTrain.Cli.Commands.Controller;

namespace GridTrain.Cli.Commands;

/// <summary>An optional <c>HOST:PORT</c> to listen on (see <see cref="ListenAddress"/>); null when not given.</summary>
internal sealed class ListenOption : Option<IPEndPoint>
{
    /// <param name="name">The option, e.g. <c>--listen</c>.</param>
    /// <param name="examples">Addresses the error message suggests, e.g. "127.0.0.1:7070 or 0.0.0.0:7070".</param>
    public ListenOption(string name, string examples)
        : base(name)
    {
        HelpName = "HOST:PORT";
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (!ListenAddress.TryParse(text, out var endpoint))
            {
                result.AddError($"{name}: '{text}' is not HOST:PORT; use e.g. {examples}");
            }

            return endpoint;
        };
    }

    /// <summary><c>--web-listen</c>: the controller's web console and HTTP/JSON API.</summary>
    public static ListenOption Web() => new("--web-listen", "127.0.0.1:8080 or 0.0.0.0:8080")
    {
        Description = "HOST:PORT to serve the web console (/) and the HTTP/JSON API (/v1/..., OpenAPI at /openapi/v1.json) on, over HTTP/1.1 and HTTP/2 (TLS with --tls-cert); port 0 picks a free one [default: off]",
    };

    /// <summary><c>--metrics-listen</c>, the same on the controller and the agent.</summary>
    public static ListenOption Metrics() => new("--metrics-listen", "127.0.0.1:9464 or 0.0.0.0:9464")
    {
        Description = "HOST:PORT to serve /metrics (Prometheus), /livez and /readyz on, over HTTP/1.1 without authentication; port 0 picks a free one [default: off]",
    };
}
