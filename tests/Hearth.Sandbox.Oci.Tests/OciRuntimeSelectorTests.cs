using Hearth.Sandbox.Oci.Runtime;

namespace Hearth.Sandbox.Oci.Tests;

public sealed class OciRuntimeSelectorTests
{
    private static Func<string, bool> Installed(params string[] runtimes) => runtimes.Contains;

    [Fact]
    public void Auto_prefers_crun_and_sends_memory_limited_runs_to_runc_on_cgroup_v1()
    {
        var selection = OciRuntimeSelector.Select("auto", false, Installed("crun", "runc"), hybridCgroups: false, unifiedCgroups: false);
        Assert.Equal(new OciRuntimeSelection("crun", "runc"), selection);
    }

    [Fact]
    public void Auto_uses_crun_for_everything_on_cgroup_v2()
    {
        var selection = OciRuntimeSelector.Select("auto", false, Installed("crun", "runc"), hybridCgroups: false, unifiedCgroups: true);
        Assert.Equal(new OciRuntimeSelection("crun", null), selection);
    }

    [Fact]
    public void Auto_uses_crun_alone_when_runc_is_missing()
    {
        var selection = OciRuntimeSelector.Select("auto", false, Installed("crun"), hybridCgroups: false, unifiedCgroups: false);
        Assert.Equal(new OciRuntimeSelection("crun", null), selection);
    }

    [Theory]
    [InlineData(false, true)] // crun not installed
    [InlineData(true, true)] // hybrid cgroups and no permission to fix them
    public void Auto_falls_back_to_runc_where_crun_cannot_run(bool crunInstalled, bool hybrid)
    {
        var works = crunInstalled ? Installed("crun", "runc") : Installed("runc");
        Assert.Equal(new OciRuntimeSelection("runc", null), OciRuntimeSelector.Select("auto", false, works, hybrid, unifiedCgroups: false));
    }

    [Fact]
    public void Auto_uses_crun_on_a_hybrid_host_when_allowed_to_fix_it()
    {
        var selection = OciRuntimeSelector.Select("auto", true, Installed("crun", "runc"), hybridCgroups: true, unifiedCgroups: false);
        Assert.Equal("crun", selection.Runtime);
    }

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    [InlineData("/opt/bin/crun")]
    public void An_explicit_runtime_runs_everything(string runtime)
    {
        Assert.Equal(new OciRuntimeSelection(runtime, null), OciRuntimeSelector.Select(runtime, false, _ => true, hybridCgroups: false, unifiedCgroups: false));
    }
}
