using System.Diagnostics;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// Picks the OCI runtime for <c>auto</c>: crun when it is installed and this host's cgroups let it run (it starts a
/// container in about half the time runc takes), else runc. crun cannot keep a stopped container, so the OOM counter of
/// a memory-limited run is gone before it can be read; where the driver cannot watch for OOM another way (it can on
/// cgroup v1, see <see cref="OomWatch"/>), such runs go to runc when it is there.
/// An explicit runtime (runc, crun or a path) is used as given, for every run.
/// </summary>
public static class OciRuntimeSelector
{
    public const string Auto = "auto";

    public static OciRuntimeSelection Select(string requested, bool fixHybridCgroupsForCrun = false) =>
        Select(
            requested,
            fixHybridCgroupsForCrun,
            Works,
            HybridCgroupFix.IsNeeded(),
            !new CgroupSupport().IsUnified && OomWatch.IsSupported
        );

    internal static OciRuntimeSelection Select(
        string requested,
        bool fixHybridCgroupsForCrun,
        Func<string, bool> works,
        bool hybridCgroups,
        bool crunOomKillsSeen
    )
    {
        if (requested != Auto)
            return new OciRuntimeSelection(requested, null);
        var crunRuns = works("crun") && (!hybridCgroups || fixHybridCgroupsForCrun);
        if (!crunRuns)
            return new OciRuntimeSelection("runc", null);
        var memoryLimited = !crunOomKillsSeen && works("runc") ? "runc" : null;
        return new OciRuntimeSelection("crun", memoryLimited);
    }

    private static bool Works(string runtime)
    {
        try
        {
            var start = new ProcessStartInfo(runtime, "--version")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start);
            if (process is null)
                return false;
            process.StandardOutput.ReadToEnd();
            return process.WaitForExit(TimeSpan.FromSeconds(5)) && process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
