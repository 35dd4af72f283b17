using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Cgroups;

/// <summary>
/// cgroup v1: one directory per controller, &lt;mount&gt;/&lt;controller&gt;/&lt;parent&gt;/&lt;sandbox-id&gt;.
/// pids and freezer are used for every sandbox (to find and kill the whole tree); memory and cpu only when
/// the spec limits them.
/// </summary>
internal sealed class CgroupV1Limiter : ICgroupLimiter
{
    private static readonly string[] Known = ["memory", "pids", "cpu", "freezer"];

    // Tracking cgroups (no limits) are the same every time: emptied ones are kept per controller and renamed into
    // place.
    private const int IdlePerController = 32;

    private readonly Dictionary<string, string> _parents;
    private readonly Dictionary<string, IdleDirectories> _idle;
    private readonly Dictionary<string, string> _mountPoints;
    private readonly CgroupOptions _options;
    private readonly TimeProvider _time;

    private CgroupV1Limiter(
        Dictionary<string, string> parents,
        Dictionary<string, string> mountPoints,
        Dictionary<string, string> unavailable,
        CgroupOptions options,
        TimeProvider time
    )
    {
        _parents = parents;
        // What an agent kept when it stopped is adopted by the next one on the same parent: the kept set stays bounded.
        _idle = parents.ToDictionary(
            p => p.Key,
            p =>
                IdleDirectories.Adopt(p.Value, IdlePerController, noReplace: false, unused: kept =>
                    CgroupFiles.ReadPids(kept).Count == 0
                )
        );
        _mountPoints = mountPoints;
        Unavailable = unavailable;
        _options = options;
        _time = time;
        Controllers = parents.Keys.ToHashSet();
    }

    public string Version => "v1";

    public IReadOnlySet<string> Controllers { get; }

    public IReadOnlyDictionary<string, string> Unavailable { get; }

    /// <summary>Probes every controller by creating and removing a cgroup under the parent.</summary>
    public static CgroupV1Limiter Probe(CgroupMounts mounts, CgroupOptions options, TimeProvider time)
    {
        var parents = new Dictionary<string, string>();
        var mountPoints = new Dictionary<string, string>();
        var unavailable = new Dictionary<string, string>();
        foreach (var controller in Known)
        {
            if (!mounts.V1ByController.TryGetValue(controller, out var hierarchy))
            {
                unavailable[controller] = "no cgroup v1 hierarchy mounts it";
                continue;
            }
            var parent = options.Parent.StartsWith('/')
                ? Path.Combine(hierarchy.MountPoint, options.Parent.TrimStart('/'))
                : Path.Combine(hierarchy.OwnDirectory, options.Parent);
            var probe = Path.Combine(parent, $"probe-{Guid.NewGuid():N}");
            try
            {
                Directory.CreateDirectory(probe);
                try
                {
                    var file = ProbeFile(controller);
                    if (!File.Exists(Path.Combine(probe, file)))
                    {
                        unavailable[controller] = $"{probe} has no {file}";
                        continue;
                    }
                }
                finally
                {
                    Directory.Delete(probe);
                }
                parents[controller] = parent;
                mountPoints[controller] = hierarchy.MountPoint;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                unavailable[controller] = $"cannot create {probe}: {e.Message}";
            }
        }
        return new CgroupV1Limiter(parents, mountPoints, unavailable, options, time);
    }

    private static string ProbeFile(string controller) =>
        controller switch
        {
            "memory" => "memory.limit_in_bytes",
            "pids" => "pids.max",
            "cpu" => "cpu.cfs_quota_us",
            _ => "freezer.state",
        };

    public ICgroup Reopen(IReadOnlyDictionary<string, string> byController) =>
        new CgroupV1Group(byController.Where(c => Directory.Exists(c.Value)).ToDictionary(), _mountPoints, null, _time);

    public ICgroup Create(string sandboxId, ResourceLimits limits)
    {
        var wanted = new List<string>();
        Require(limits.MemoryBytes is not null, "memory", "a memory limit", wanted);
        Require(limits.Cpus is not null, "cpu", "a CPU limit", wanted);
        Require(limits.Pids is not null, "pids", "a pids limit", wanted);
        foreach (var tracking in new[] { "pids", "freezer" })
        {
            if (Controllers.Contains(tracking) && !wanted.Contains(tracking))
            {
                wanted.Add(tracking);
            }
        }

        var directories = new Dictionary<string, string>();
        var reusable = limits.IsEmpty;
        try
        {
            foreach (var controller in wanted)
            {
                var directory = Path.Combine(_parents[controller], sandboxId);
                if (Directory.Exists(directory))
                {
                    throw new SandboxStartException($"cgroup {directory} already exists (sandbox id reused?)");
                }
                if (!reusable || !_idle[controller].TryTake(directory))
                    Directory.CreateDirectory(directory);
                directories[controller] = directory;
            }
            Apply(directories, limits);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var directory in directories.Values)
            {
                TryRemove(directory);
            }
            throw new SandboxStartException($"cannot set up cgroups for sandbox {sandboxId}: {e.Message}", e);
        }
        catch (SandboxStartException)
        {
            foreach (var directory in directories.Values)
            {
                TryRemove(directory);
            }
            throw;
        }
        return new CgroupV1Group(directories, _mountPoints, limits.Pids, _time, reusable ? _idle : null);
    }

    private void Require(bool asked, string controller, string what, List<string> wanted)
    {
        if (!asked)
        {
            return;
        }
        if (!Controllers.Contains(controller))
        {
            throw new SandboxStartException(
                $"the spec asks for {what} but the cgroup v1 {controller} controller is unusable: {Unavailable.GetValueOrDefault(controller, "unknown")}"
            );
        }
        wanted.Add(controller);
    }

    private void Apply(Dictionary<string, string> directories, ResourceLimits limits)
    {
        if (limits.MemoryBytes is { } memory)
        {
            var directory = directories["memory"];
            CgroupFiles.Write(directory, "memory.limit_in_bytes", memory.ToString());
            // Without memsw the limit only covers RAM and a process can dodge it by swapping.
            if (File.Exists(Path.Combine(directory, "memory.memsw.limit_in_bytes")))
            {
                CgroupFiles.Write(directory, "memory.memsw.limit_in_bytes", memory.ToString());
            }
            else
            {
                CgroupFiles.Write(directory, "memory.swappiness", "0");
            }
        }
        if (limits.Pids is { } pids)
        {
            CgroupFiles.Write(directories["pids"], "pids.max", pids.ToString());
        }
        if (limits.Cpus is { } cpus)
        {
            var (quota, period) = CpuQuota.Compute(cpus, _options.CpuPeriod);
            CgroupFiles.Write(directories["cpu"], "cpu.cfs_period_us", period.ToString());
            CgroupFiles.Write(directories["cpu"], "cpu.cfs_quota_us", quota.ToString());
        }
    }

    private static void TryRemove(string directory)
    {
        try
        {
            Directory.Delete(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // best effort while unwinding a failed start; nothing has run in it
        }
    }
}
