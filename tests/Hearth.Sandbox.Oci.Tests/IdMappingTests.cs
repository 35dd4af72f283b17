namespace Hearth.Sandbox.Oci.Tests;

public sealed class IdMappingTests
{
    [Theory]
    [InlineData("100000:65536", 100000u, 65536u)]
    [InlineData("1:1", 1u, 1u)]
    [InlineData("4294901759:65536", 4294901759u, 65536u)]
    public void Parses_base_and_size(string text, uint hostIdBase, uint size)
    {
        var ids = IdMapping.Parse(text);
        Assert.Equal(new IdMapping(hostIdBase, size), ids);
        Assert.Equal(text, ids.ToString());
        Assert.Equal($"{hostIdBase}-{size}", ids.DirectorySuffix);
    }

    [Theory]
    [InlineData("")]
    [InlineData("100000")]
    [InlineData("100000:")]
    [InlineData("-1:65536")]
    [InlineData("100000:65536:1")]
    [InlineData(" 100000:65536")]
    [InlineData("0:65536")]
    [InlineData("100000:0")]
    [InlineData("4294967295:2")]
    public void Refuses_anything_else(string text) => Assert.Throws<FormatException>(() => IdMapping.Parse(text));

    [Fact]
    public void Maps_ids_inside_the_range_only()
    {
        var ids = new IdMapping(100000, 65536);
        Assert.True(ids.TryMap(0, out var root));
        Assert.Equal(100000u, root);
        Assert.True(ids.TryMap(65535, out var last));
        Assert.Equal(165535u, last);
        Assert.False(ids.TryMap(65536, out _));
        Assert.False(ids.TryMap(-1, out _));
    }
}
