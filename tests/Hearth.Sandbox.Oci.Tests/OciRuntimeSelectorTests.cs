using Hearth.Sandbox.Oci.Runtime;

namespace Hearth.Sandbox.Oci.Tests;

public sealed class OciRuntimeSelectorTests
{
    private static Func<string, bool> Installed(params string[] runtimes) => runtimes.Contains;

    [Fact]
    public void Auto_uses_crun_for_everything_where_its_oom_kills_are_seen()
    {
        var selection = OciRuntimeSelector.Select(
            "auto",
            false,
            Installed("crun", "runc"),
            hybridCgroups: false,
            crunOomKillsSeen: true
        );
        Assert.Equal(new OciRuntimeSelection("crun", null), selection);
    }

    [Fact]
    public void Auto_sends_memory_limited_runs_to_runc_where_crun_oom_kills_go_unseen()
    {
        var selection = OciRuntimeSelector.Select(
            "auto",
            false,
            Installed("crun", "runc"),
            hybridCgroups: false,
            crunOomKillsSeen: false
        );
        Assert.Equal(new OciRuntimeSelection("crun", "runc"), selection);
    }

    [Fact]
    public void Auto_uses_crun_alone_when_runc_is_missing()
    {
        var selection = OciRuntimeSelector.Select(
            "auto",
            false,
            Installed("crun"),
            hybridCgroups: false,
            crunOomKillsSeen: false
        );
        Assert.Equal(new OciRuntimeSelection("crun", null), selection);
    }

    [Theory]
    [InlineData(false, true)] // crun not installed
    [InlineData(true, true)] // hybrid cgroups and no permission to fix them
    public void Auto_falls_back_to_runc_where_crun_cannot_run(bool crunInstalled, bool hybrid)
    {
        var works = crunInstalled ? Installed("crun", "runc") : Installed("runc");
        Assert.Equal(
            new OciRuntimeSelection("runc", null),
            OciRuntimeSelector.Select("auto", false, works, hybrid, crunOomKillsSeen: true)
        );
    }

    [Fact]
    public void Auto_uses_crun_on_a_hybrid_host_when_allowed_to_fix_it()
    {
        var selection = OciRuntimeSelector.Select(
            "auto",
            true,
            Installed("crun", "runc"),
            hybridCgroups: true,
            crunOomKillsSeen: true
        );
        Assert.Equal("crun", selection.Runtime);
    }

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    [InlineData("/opt/bin/crun")]
    public void An_explicit_runtime_runs_everything(string runtime)
    {
        Assert.Equal(
            new OciRuntimeSelection(runtime, null),
            OciRuntimeSelector.Select(runtime, false, _ => true, hybridCgroups: false, crunOomKillsSeen: true)
        );
    }
}
