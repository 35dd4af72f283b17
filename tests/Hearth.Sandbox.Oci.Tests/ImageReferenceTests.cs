using Hearth.Sandbox.Oci.References;

namespace Hearth.Sandbox.Oci.Tests;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("alpine", "docker.io", "library/alpine", "latest")]
    [InlineData("alpine:3.20", "docker.io", "library/alpine", "3.20")]
    [InlineData("ghcr.io/acme/tool:v1", "ghcr.io", "acme/tool", "v1")]
    [InlineData("localhost:5000/name:tag", "localhost:5000", "name", "tag")]
    [InlineData("127.0.0.1:5000/a/b/c", "127.0.0.1:5000", "a/b/c", "latest")]
    [InlineData("user/repo", "docker.io", "user/repo", "latest")]
    public void Parses_registry_repository_and_tag(string text, string registry, string repository, string tag)
    {
        var reference = ImageReference.Parse(text);
        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Null(reference.Digest);
    }

    [Fact]
    public void Digest_references_name_the_digest()
    {
        var hex = new string('a', 64);
        var reference = ImageReference.Parse($"localhost:5000/name@sha256:{hex}");
        Assert.Null(reference.Tag);
        Assert.Equal($"sha256:{hex}", reference.ManifestReference);
        Assert.Equal($"localhost:5000/name@sha256:{hex}", reference.ToString());
        Assert.Equal("registry-1.docker.io", ImageReference.Parse("alpine").ApiHost);
    }

    [Theory]
    [InlineData("")]
    [InlineData("UPPER/case")]
    [InlineData("name@sha256:short")]
    [InlineData("name:bad tag")]
    [InlineData("a//b")]
    [InlineData("name@md5:d41d8cd98f00b204e9800998ecf8427e")]
    public void Refuses_malformed_references(string text) => Assert.False(ImageReference.TryParse(text, out _, out _));
}
