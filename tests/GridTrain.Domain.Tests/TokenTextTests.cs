using GridTrain.Controller.Security;

namespace GridTrain.Domain.Tests;

public sealed class TokenTextTests
{
    private static readonly string s_secret = new string('a', 32) + new string('9', 32);

    [Theory]
    [InlineData(TokenText.TokenPrefix, "0123abcd")]
    [InlineData(TokenText.AgentPrefix, "agent-7f3e")]
    public void TryParse_IssuedText_GivesItsParts(string prefix, string id)
    {
        Assert.True(TokenText.TryParse(TokenText.Format(prefix, id, s_secret), out var parsedPrefix, out var parsedId, out var secret));
        Assert.Equal(prefix, parsedPrefix);
        Assert.Equal(id, parsedId);
        Assert.Equal(s_secret, secret.ToString());
    }

    [Theory]
    [InlineData("a configured token")]
    [InlineData("gx_abc_SECRET")]
    [InlineData("gt__SECRET")]
    [InlineData("gt_ABC_SECRET")]
    [InlineData("gt_a_b_SECRET")]
    [InlineData("gtaa_abc_SECRET")]
    [InlineData("gt_abc_SECRETx")]
    [InlineData("gt_abc_SECRET\n")]
    public void TryParse_AnythingElse_IsNotIssuedText(string template)
    {
        Assert.False(TokenText.TryParse(template.Replace("SECRET", s_secret, StringComparison.Ordinal), out _, out _, out _));
    }

    [Fact]
    public void TryParse_IdAndSecretLengths_AreBounded()
    {
        Assert.True(TokenText.TryParse($"gt_{new string('a', 64)}_{s_secret}", out _, out _, out _));
        Assert.False(TokenText.TryParse($"gt_{new string('a', 65)}_{s_secret}", out _, out _, out _));
        Assert.False(TokenText.TryParse($"gt_abc_{s_secret[1..]}", out _, out _, out _));
        Assert.False(TokenText.TryParse($"gt_abc_{s_secret.ToUpperInvariant()}", out _, out _, out _));
    }

    [Fact]
    public void Matches_OnlyTheSecretItsHashWasMadeFrom()
    {
        var stored = TokenText.Hash(s_secret);
        Assert.True(TokenText.Matches(stored, s_secret));
        Assert.False(TokenText.Matches(stored, s_secret[..^1] + "0"));
        Assert.False(TokenText.Matches(stored[..^2], s_secret));
        Assert.True(TokenText.Matches(TokenText.Hash("a configured token, not hex"), "a configured token, not hex"));
        Assert.True(TokenText.Matches(TokenText.Hash(new string('z', 2000)), new string('z', 2000)));
    }
}
