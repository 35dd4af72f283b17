namespace Hearth.Sandbox.Cgroups;

/// <summary>
/// cgroup v2 (unified): one directory per sandbox, &lt;parent&gt;/&lt;sandbox-id&gt;, with memory.max,
/// memory.swap.max, pids.max and cpu.max. The parent must let the agent enable controllers in it,
/// which v2's "no internal processes" rule forbids in a cgroup that itself holds processes.
/// </summary>
internal sealed class CgroupV2Limiter : ICgroupLimiter
{
    private static readonly string[] Known = ["memory", "pids", "cpu"];

    private readonly string _parent;
    private readonly CgroupOptions _options;
    private readonly TimeProvider _time;

    private CgroupV2Limiter(
        string parent,
        HashSet<string> controllers,
        Dictionary<string, string> unavailable,
        CgroupOptions options,
        TimeProvider time
    )
    {
        _parent = parent;
        Controllers = controllers;
        Unavailable = unavailable;
        _options = options;
        _time = time;
    }

    public string Version => "v2";

    public IReadOnlySet<string> Controllers { get; }

    public IReadOnlyDictionary<string, string> Unavailable { get; }

    public static CgroupV2Limiter Probe(CgroupHierarchy hierarchy, CgroupOptions options, TimeProvider time)
    {
        var parent = options.Parent.StartsWith('/')
            ? Path.Combine(hierarchy.MountPoint, options.Parent.TrimStart('/'))
            : Path.Combine(hierarchy.OwnDirectory, options.Parent);
        var unavailable = new Dictionary<string, string>();
        var controllers = new HashSet<string>();
        try
        {
            EnableDownTo(hierarchy.MountPoint, parent);
            var enabled = File.ReadAllText(Path.Combine(parent, "cgroup.subtree_control")).Split(' ', '\n');
            foreach (var controller in Known)
            {
                if (enabled.Contains(controller))
                {
                    controllers.Add(controller);
                }
                else
                {
                    unavailable[controller] = $"not enabled in {parent}/cgroup.subtree_control";
                }
            }
            // Every v2 cgroup can be frozen (5.2+) or killed at once (5.14+); either finds the whole tree.
            if (File.Exists(Path.Combine(parent, "cgroup.freeze")) || File.Exists(Path.Combine(parent, "cgroup.kill")))
            {
                controllers.Add("freezer");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var controller in Known)
            {
                unavailable[controller] = $"cannot prepare {parent}: {e.Message}";
            }
        }
        return new CgroupV2Limiter(parent, controllers, unavailable, options, time);
    }

    /// <summary>
    /// Creates each level from the hierarchy's root down to <paramref name="parent"/>, enabling the controllers on the
    /// way.
    /// </summary>
    private static void EnableDownTo(string mountPoint, string parent)
    {
        var relative = Path.GetRelativePath(mountPoint, parent);
        var current = mountPoint;
        foreach (var segment in relative.Split('/', StringSplitOptions.RemoveEmptyEntries).Append(null))
        {
            var available = File.ReadAllText(Path.Combine(current, "cgroup.controllers")).Split(' ', '\n');
            var enabled = File.ReadAllText(Path.Combine(current, "cgroup.subtree_control")).Split(' ', '\n');
            var missing = Known.Where(c => available.Contains(c) && !enabled.Contains(c)).Select(c => "+" + c).ToList();
            if (missing.Count > 0)
            {
                try
                {
                    CgroupFiles.Write(current, "cgroup.subtree_control", string.Join(' ', missing));
                }
                catch (IOException e)
                {
                    throw new IOException(
                        $"cannot enable {string.Join(' ', missing)} in {current} ({e.Message}); a v2 cgroup holding processes "
                            + "cannot delegate controllers, so point CgroupOptions.Parent at a delegated subtree",
                        e
                    );
                }
            }
            if (segment is null)
            {
                break;
            }
            current = Path.Combine(current, segment);
            Directory.CreateDirectory(current);
        }
    }

    public ICgroup Reopen(IReadOnlyDictionary<string, string> byController) =>
        new CgroupV2Group(byController["unified"], _time);

    public ICgroup Create(string sandboxId, ResourceLimits limits)
    {
        Require(limits.MemoryBytes is not null, "memory", "a memory limit");
        Require(limits.Cpus is not null, "cpu", "a CPU limit");
        Require(limits.Pids is not null, "pids", "a pids limit");
        var directory = Path.Combine(_parent, sandboxId);
        if (Directory.Exists(directory))
        {
            throw new SandboxStartException($"cgroup {directory} already exists (sandbox id reused?)");
        }
        try
        {
            Directory.CreateDirectory(directory);
            if (limits.MemoryBytes is { } memory)
            {
                CgroupFiles.Write(directory, "memory.max", memory.ToString());
                if (File.Exists(Path.Combine(directory, "memory.swap.max")))
                {
                    CgroupFiles.Write(directory, "memory.swap.max", "0");
                }
            }
            if (limits.Pids is { } pids)
            {
                CgroupFiles.Write(directory, "pids.max", pids.ToString());
            }
            if (limits.Cpus is { } cpus)
            {
                var (quota, period) = CpuQuota.Compute(cpus, _options.CpuPeriod);
                CgroupFiles.Write(directory, "cpu.max", $"{quota} {period}");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SandboxStartException)
        {
            try
            {
                Directory.Delete(directory);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // nothing ran in it; leave it for the operator
            }
            throw e as SandboxStartException
                ?? new SandboxStartException($"cannot set up cgroup {directory}: {e.Message}", e);
        }
        return new CgroupV2Group(directory, _time);
    }

    private void Require(bool asked, string controller, string what)
    {
        if (asked && !Controllers.Contains(controller))
        {
            throw new SandboxStartException(
                $"the spec asks for {what} but the cgroup v2 {controller} controller is unusable: {Unavailable.GetValueOrDefault(controller, "unknown")}"
            );
        }
    }
}
