using System.Text;

namespace GridTrain.Testing.FakeDrive;

/// <summary>
/// The subset of Drive's <c>q</c> language the fake understands: terms joined by <c>and</c> — <c>name = 'x'</c>,
/// <c>'id' in parents</c>, <c>mimeType = 'x'</c>, <c>mimeType != 'x'</c>, <c>trashed = false</c>. Anything else is a
/// <see cref="FormatException"/> (Drive's 400 Invalid Value).
/// </summary>
internal static class DriveQuery
{
    public static Func<FakeDriveFile, bool> Parse(string query)
    {
        var filters = new List<Func<FakeDriveFile, bool>>();
        foreach (var term in SplitAnd(query))
        {
            var tokens = Tokenize(term);
            filters.Add(tokens switch
            {
                [{ Literal: true } id, { Text: "in" }, { Text: "parents" }] => f => f.Parents.Contains(id.Text),
                [{ Text: "name" }, { Text: "=" }, { Literal: true } name] => f => f.Name == name.Text,
                [{ Text: "mimeType" }, { Text: "=" }, { Literal: true } type] => f => f.MimeType == type.Text,
                [{ Text: "mimeType" }, { Text: "!=" }, { Literal: true } type] => f => f.MimeType != type.Text,
                [{ Text: "trashed" }, { Text: "=" }, { Text: "false" }] => _ => true,
                _ => throw new FormatException($"unsupported query term '{term}'"),
            });
        }

        return f => filters.All(filter => filter(f));
    }

    private static IEnumerable<string> SplitAnd(string query)
    {
        var terms = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < query.Length; i++)
        {
            var c = query[i];
            if (c == '\\' && quoted && i + 1 < query.Length)
            {
                current.Append(c).Append(query[++i]);
                continue;
            }

            if (c == '\'')
            {
                quoted = !quoted;
            }

            if (!quoted && query.AsSpan(i).StartsWith(" and ", StringComparison.Ordinal))
            {
                terms.Add(current.ToString().Trim());
                current.Clear();
                i += 4;
                continue;
            }

            current.Append(c);
        }

        if (quoted)
        {
            throw new FormatException("unterminated string literal");
        }

        terms.Add(current.ToString().Trim());
        return terms.Where(t => t.Length > 0);
    }

    private static List<Token> Tokenize(string term)
    {
        var tokens = new List<Token>();
        for (var i = 0; i < term.Length;)
        {
            if (term[i] == ' ')
            {
                i++;
            }
            else if (term[i] == '\'')
            {
                var literal = new StringBuilder();
                for (i++; i < term.Length && term[i] != '\''; i++)
                {
                    literal.Append(term[i] == '\\' && i + 1 < term.Length ? term[++i] : term[i]);
                }

                i++;
                tokens.Add(new Token(literal.ToString(), true));
            }
            else
            {
                var start = i;
                while (i < term.Length && term[i] != ' ')
                {
                    i++;
                }

                tokens.Add(new Token(term[start..i], false));
            }
        }

        return tokens;
    }

    private sealed record Token(string Text, bool Literal);
}
