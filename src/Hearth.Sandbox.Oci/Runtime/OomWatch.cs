using Hearth.Sandbox.Oci.Unix;
using Microsoft.Win32.SafeHandles;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// Sees OOM kills of a container whose runtime removes its cgroup before the exit is seen (crun has no
/// <c>run --keep</c>; the v1 <c>oom_kill</c> counter is per cgroup and dies with it). The memory limit is put on a
/// parent cgroup the driver owns, <c>/hearth/ID</c>, with the container's own cgroup below it at <c>/hearth/ID/ctr</c>
/// and a page of headroom, so the parent is the one that runs out; an eventfd registered on the parent's
/// <c>memory.oom_control</c> before the container starts (cgroup v1's OOM notification) counts that.
/// </summary>
internal sealed class OomWatch : IDisposable
{
    public const string ContainerLeaf = "ctr";
    private const string Root = "/sys/fs/cgroup";
    private readonly string _parent;
    private readonly EventFd _events;
    private readonly SafeFileHandle _oomControl;

    private OomWatch(string parent, EventFd events, SafeFileHandle oomControl)
    {
        _parent = parent;
        _events = events;
        _oomControl = oomControl;
    }

    /// <summary>Whether this host offers v1 OOM notifications (a cgroup v1 memory hierarchy).</summary>
    public static bool IsSupported => File.Exists(Path.Combine(Root, "memory", "cgroup.event_control"));

    /// <summary>
    /// Creates the parent cgroup (relative to each hierarchy, e.g. <c>/hearth/ID</c>) with the limit, watched.
    /// </summary>
    public static OomWatch Create(string parent, long memoryBytes, bool limitSwap)
    {
        var directory = Path.Combine(Root, "memory", parent.TrimStart('/'));
        Directory.CreateDirectory(directory);
        EventFd? events = null;
        SafeFileHandle? oomControl = null;
        try
        {
            File.WriteAllText(
                Path.Combine(directory, "memory.limit_in_bytes"),
                memoryBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)
            );
            if (limitSwap)
                File.WriteAllText(
                    Path.Combine(directory, "memory.memsw.limit_in_bytes"),
                    memoryBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)
                );
            events = EventFd.Create();
            oomControl = File.OpenHandle(Path.Combine(directory, "memory.oom_control"));
            File.WriteAllText(
                Path.Combine(directory, "cgroup.event_control"),
                $"{events.Descriptor} {oomControl.DangerousGetHandle()}"
            );
            return new OomWatch(parent, events, oomControl);
        }
        catch
        {
            events?.Dispose();
            oomControl?.Dispose();
            Remove(parent);
            throw;
        }
    }

    /// <summary>The container's cgroup path for the runtime spec.</summary>
    public string ContainerPath => $"{_parent.TrimEnd('/')}/{ContainerLeaf}";

    /// <summary>True once the kernel has found the parent out of memory (and so OOM-killed in the container).</summary>
    public bool Fired() => _events.TryRead() > 0;

    /// <summary>
    /// Closes the watch and removes the parent from every hierarchy the runtime made it in; call after the container is
    /// gone.
    /// </summary>
    public void Dispose()
    {
        _events.Dispose();
        _oomControl.Dispose();
        Remove(_parent);
    }

    private static void Remove(string parent)
    {
        foreach (var hierarchy in Directory.EnumerateDirectories(Root))
        {
            var directory = Path.Combine(hierarchy, parent.TrimStart('/'));
            try
            {
                // rmdir only: a cgroup directory holds control files, never removable ones, and must be empty of
                // children.
                if (Directory.Exists(directory))
                    Directory.Delete(directory);
            }
            catch (IOException) { }
        }
    }
}
