using Hearth.Compose.Interpolation;

namespace Hearth.Compose.Tests;

public class DotEnvTests
{
    private static Dictionary<string, string> Parse(string text, Dictionary<string, string>? env = null)
    {
        var result = DotEnv.Parse(text, k => env?.GetValueOrDefault(k));
        Assert.Null(result.Error);
        return result.Variables.ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    [Fact]
    public void Reads_plain_quoted_exported_and_commented_lines()
    {
        var vars = Parse(
            "# comment\nA=1\nexport B=two words # trailing\nC='single $A'\nD=\"double $A\\n\"\n\nE=x#not-comment\n"
        );
        Assert.Equal("1", vars["A"]);
        Assert.Equal("two words", vars["B"]);
        Assert.Equal("single $A", vars["C"]);
        Assert.Equal("double 1\n", vars["D"]);
        Assert.Equal("x#not-comment", vars["E"]);
    }

    [Fact]
    public void Double_quoted_values_span_lines()
    {
        Assert.Equal("line1\nline2", Parse("K=\"line1\nline2\"")["K"]);
    }

    [Fact]
    public void Bare_key_inherits_from_environment_or_is_dropped()
    {
        var vars = Parse("HOME\nNOPE\n", new() { ["HOME"] = "/root" });
        Assert.Equal("/root", vars["HOME"]);
        Assert.False(vars.ContainsKey("NOPE"));
    }

    [Fact]
    public void Unterminated_quote_is_an_error_with_its_line()
    {
        var result = DotEnv.Parse("A=1\nB=\"open\n", _ => null);
        Assert.Equal(2, result.ErrorLine);
        Assert.Contains("unterminated", result.Error);
    }
}
