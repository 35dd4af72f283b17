using Hearth.Sandbox.Oci.Runtime;

namespace Hearth.Sandbox.Oci.Tests;

public sealed class UserNamespaceSelectorTests
{
    [Fact]
    public void Auto_is_on_for_root_where_the_kernel_allows_it_with_the_default_range() =>
        Assert.Equal(
            new IdMapping(100000, 65536),
            UserNamespaceSelector.Select("auto", root: true, kernelAllows: true, subuid: null, subgid: null)
        );

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void Auto_is_off_without_root_or_without_kernel_support(bool root, bool kernelAllows) =>
        Assert.Null(UserNamespaceSelector.Select("auto", root, kernelAllows, subuid: null, subgid: null));

    [Fact]
    public void Auto_takes_the_hearth_entry_of_subuid_and_subgid()
    {
        const string file = "dockremap:165536:65536\nhearth:300000:65536\n";
        Assert.Equal(new IdMapping(300000, 65536), UserNamespaceSelector.Select("auto", true, true, file, file));
        Assert.Equal(
            new IdMapping(100000, 65536),
            UserNamespaceSelector.Select("auto", true, true, "dockremap:165536:65536\n", "dockremap:165536:65536\n")
        );
    }

    [Fact]
    public void Auto_refuses_subuid_and_subgid_ranges_that_differ()
    {
        var error = Assert.Throws<FormatException>(() =>
            UserNamespaceSelector.Select("auto", true, true, "hearth:300000:65536\n", "hearth:400000:65536\n")
        );
        Assert.Contains("/etc/subuid (300000:65536) and /etc/subgid (400000:65536) differ", error.Message);
    }

    [Fact]
    public void Off_and_an_explicit_range_are_taken_as_given()
    {
        Assert.Null(UserNamespaceSelector.Select("off", true, true, null, null));
        Assert.Equal(
            new IdMapping(500000, 1000),
            UserNamespaceSelector.Select("500000:1000", root: false, kernelAllows: false, null, null)
        );
    }

    [Theory]
    [InlineData("on")]
    [InlineData("100000")]
    [InlineData("0:65536")]
    public void Anything_else_is_a_format_error(string requested) =>
        Assert.Throws<FormatException>(() => UserNamespaceSelector.Select(requested, true, true, null, null));
}
