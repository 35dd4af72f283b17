using System.Numerics;

namespace Hearth.Kdl.Tests;

public class DataModelTests
{
    [Fact]
    public void Nodes_expose_arguments_properties_children_and_locations()
    {
        var document = KdlReader.Parse(
            """
            // leading comment
            (t)parent 1 "two" key=#true key=#false {
                child; other x=(u8)0x10
            }
            """,
            "doc.kdl"
        );

        var parent = Assert.Single(document.Nodes);
        Assert.Equal("parent", parent.Name);
        Assert.Equal("t", parent.TypeAnnotation);
        Assert.Equal(new KdlLocation(2, 1), parent.Location);
        Assert.Equal(2, parent.Arguments.Count);
        Assert.True(((KdlNumber)parent.Arguments[0]).TryGetInt64(out long one) && one == 1);
        Assert.Equal("two", parent.Arguments[1].AsString());
        Assert.Equal(new KdlLocation(2, 13), parent.Arguments[1].Location);
        Assert.False(((KdlBoolean)parent.GetProperty("key")!).Value);
        Assert.Equal(2, parent.Properties.Count);
        Assert.Null(parent.GetProperty("missing"));

        Assert.Equal(["child", "other"], parent.Children.Select(c => c.Name));
        var x = (KdlNumber)parent.Children[1].GetProperty("x")!;
        Assert.Equal("u8", x.TypeAnnotation);
        Assert.Equal(16, (int)x.ToBigInteger());
        Assert.Equal(new KdlLocation(3, 12), parent.Children[1].Location);
    }

    [Fact]
    public void Numbers_keep_arbitrary_size_and_convert_on_request()
    {
        var args = KdlReader
            .Parse("n 0xFFFF_FFFF_FFFF_FFFF_FF -0b101 1_000.5e-3 #inf #nan 0o777")
            .Nodes[0]
            .Arguments.Cast<KdlNumber>()
            .ToArray();
        Assert.Equal(BigInteger.Parse("4722366482869645213695"), args[0].ToBigInteger());
        Assert.False(args[0].TryGetInt64(out _));
        Assert.Equal(-5, (int)args[1].ToBigInteger());
        Assert.Equal(KdlNumberKind.Decimal, args[2].Kind);
        Assert.Equal(1.0005, args[2].ToDouble(), 12);
        Assert.Equal(double.PositiveInfinity, args[3].ToDouble());
        Assert.True(double.IsNaN(args[4].ToDouble()));
        Assert.Equal(511, (int)args[5].ToBigInteger());
        Assert.Throws<InvalidOperationException>(() => args[2].ToBigInteger());
    }

    [Fact]
    public void Multi_line_strings_are_dedented_by_the_closing_line()
    {
        var run = KdlReader
            .Parse("run \"\"\"\n        npm ci\n          npm test\n        \"\"\"\n")
            .Nodes[0]
            .Arguments[0]
            .AsString();
        Assert.Equal("npm ci\n  npm test", run);
    }

    [Fact]
    public void Writer_quotes_only_what_must_be_quoted()
    {
        var document = KdlReader.Parse("\"a b\" \"true\" \"1x\" plain \"\\u{7}\" \"-\"");
        Assert.Equal("\"a b\" \"true\" \"1x\" plain \"\\u{7}\" -\n", KdlWriter.Write(document));
    }
}
