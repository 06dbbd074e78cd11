using System.Net;
using GridTrain.Cli.Commands;
using GridTrain.Cli.Commands.Controller;

namespace GridTrain.Cli.Tests.CommandLine;

public sealed class ValueParserTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("2s", 2000)]
    [InlineData("1.5s", 1500)]
    [InlineData("1m", 60_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("00:00:03", 3000)]
    public void Duration_UnitsAndTimeSpans_Parse(string text, int milliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("5x")]
    [InlineData("s")]
    [InlineData("")]
    public void Duration_Nonsense_IsRefused(string text) => Assert.False(DurationParser.TryParse(text, out _));

    [Theory]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0)]
    [InlineData("0.0.0.0:7070", "0.0.0.0", 7070)]
    [InlineData("localhost:7070", "127.0.0.1", 7070)]
    [InlineData("*:7070", "0.0.0.0", 7070)]
    [InlineData("[::1]:7070", "::1", 7070)]
    public void Listen_HostAndPort_Parse(string text, string address, int port)
    {
        Assert.True(ListenAddress.TryParse(text, out var endpoint));
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endpoint);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("example.com:7070")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("::1:7070")]
    public void Listen_WithoutPortOrIp_IsRefused(string text) => Assert.False(ListenAddress.TryParse(text, out _));

    [Theory]
    [InlineData("http://10.0.0.5:7070", "http://10.0.0.5:7070/")]
    [InlineData("controller:7070", "http://controller:7070/")]
    [InlineData("https://grid.example.com", "https://grid.example.com/")]
    public void ControllerAddress_UrlOrHostPort_Parses(string text, string expected)
    {
        Assert.True(ControllerOption.TryParseAddress(text, out var address));
        Assert.Equal(new Uri(expected), address);
    }

    [Theory]
    [InlineData("ftp://host:21")]
    [InlineData("http://host:7070/api")]
    public void ControllerAddress_OtherSchemeOrPath_IsRefused(string text) => Assert.False(ControllerOption.TryParseAddress(text, out _));
}
