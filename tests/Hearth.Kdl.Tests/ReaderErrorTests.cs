namespace Hearth.Kdl.Tests;

public class ReaderErrorTests
{
    [Theory]
    [InlineData("node \"unclosed", 1, 6, "never closed")]
    [InlineData("a\nb {\n  c\n", 2, 3, "children block is never closed")]
    [InlineData("a\n}\n", 2, 1, "unexpected '}'")]
    [InlineData("node true", 1, 6, "reserved")]
    [InlineData("node 1.2.3", 1, 6, "not a valid number")]
    [InlineData("node /* open", 1, 6, "block comment is never closed")]
    [InlineData("one\ntwo \"x\"y", 2, 8, "expected whitespace")]
    [InlineData("node \"\\q\"", 1, 7, "unknown escape")]
    [InlineData("node #maybe", 1, 6, "unknown keyword")]
    [InlineData("node (t", 1, 6, "type annotation is never closed")]
    [InlineData("ノード \"\\u{D800}\"", 1, 6, "not a Unicode scalar value")]
    [InlineData("node \"😀\" \\ x", 1, 10, "line continuation")]
    public void Errors_carry_line_column_and_reason(string text, int line, int column, string reasonPart)
    {
        var error = Assert.Throws<KdlParseException>(() => KdlReader.Parse(text, "f.kdl"));
        Assert.Equal(new KdlLocation(line, column), error.Location);
        Assert.Contains(reasonPart, error.Reason, StringComparison.Ordinal);
        Assert.StartsWith($"f.kdl:{line}:{column}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Line_numbers_count_crlf_once_and_every_newline_kind()
    {
        var error = Assert.Throws<KdlParseException>(() => KdlReader.Parse("a\r\nb\u2028c\u0085d\re\u000Cf \"x", "f"));
        Assert.Equal(new KdlLocation(6, 3), error.Location);
    }

    [Fact]
    public void Invalid_utf8_is_a_parse_error_not_a_crash()
    {
        byte[] bytes = [(byte)'a', (byte)'\n', (byte)'b', 0xC3, 0x28];
        var error = Assert.Throws<KdlParseException>(() => KdlReader.Parse(bytes, "bad.kdl"));
        Assert.Contains("UTF-8", error.Reason, StringComparison.Ordinal);
        Assert.Equal(2, error.Location.Line);
    }

    [Fact]
    public void Deep_nesting_is_rejected_instead_of_overflowing_the_stack()
    {
        string text = string.Concat(Enumerable.Repeat("a {", 100_000));
        var error = Assert.Throws<KdlParseException>(() => KdlReader.Parse(text));
        Assert.Contains("nested more than", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Deeply_nested_block_comments_do_not_use_the_stack()
    {
        string text =
            "node "
            + string.Concat(Enumerable.Repeat("/*", 100_000))
            + string.Concat(Enumerable.Repeat("*/", 100_000))
            + " 1";
        var document = KdlReader.Parse(text);
        Assert.Equal("1", document.Nodes[0].Arguments[0].ToString());
    }

    [Fact]
    public void TryParse_reports_without_throwing()
    {
        Assert.False(KdlReader.TryParse("node \"x", out var document, out var error, "t.kdl"));
        Assert.Null(document);
        Assert.NotNull(error);
        Assert.True(KdlReader.TryParse("node x", out document, out error));
        Assert.Equal("node", document!.Nodes[0].Name);
        Assert.Null(error);
    }
}
