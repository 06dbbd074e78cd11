using System.Globalization;
using System.Net;

namespace GridTrain.Cli.Commands.Controller;

/// <summary><c>HOST:PORT</c> to listen on: an IP address (IPv6 in brackets), <c>localhost</c>, or <c>*</c> for all interfaces.</summary>
internal static class ListenAddress
{
    public static bool TryParse(string text, out IPEndPoint endpoint)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            return false;
        }

        var host = text[..colon];
        IPAddress? address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" => IPAddress.Any,
            _ when host.StartsWith('[') && host.EndsWith(']') => IPAddress.TryParse(host[1..^1], out var v6) ? v6 : null,
            _ => IPAddress.TryParse(host, out var v4) && !host.Contains(':') ? v4 : null,
        };
        if (address is null)
        {
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }
}
