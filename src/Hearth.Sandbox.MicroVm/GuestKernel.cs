using System.Text.RegularExpressions;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// The guest's kernel: its image, version and the modules the guest needs from its module tree (Debian's cloud kernel
/// builds its virtio drivers as modules), in load order: each module after the ones it depends on (modules.dep).
/// </summary>
internal sealed partial record GuestKernel(string ImagePath, string Version, string ModulesDirectory)
{
    /// <summary>
    /// virtio-mmio transport, the root disk, the virtio-serial ports of the guest protocol, the network device.
    /// </summary>
    public static readonly string[] NeededModules = ["virtio_mmio", "virtio_blk", "virtio_console", "virtio_net"];

    public static GuestKernel Find(string? configuredPath, string modulesRoot)
    {
        var path = configuredPath ?? Newest("/boot");
        if (!File.Exists(path))
            throw new FileNotFoundException($"guest kernel {path} not found");
        var match = VersionPattern().Match(Path.GetFileName(path));
        if (!match.Success)
            throw new FormatException(
                $"guest kernel {path}: cannot tell its version from the name (expected vmlinuz-VERSION)"
            );
        var version = match.Groups[1].Value;
        var modules = Path.Combine(modulesRoot, version);
        if (!File.Exists(Path.Combine(modules, "modules.dep")))
            throw new FileNotFoundException(
                $"the modules of guest kernel {version} are not in {modules} (modules.dep missing)"
            );
        return new GuestKernel(path, version, modules);
    }

    private static string Newest(string boot)
    {
        var candidates = Directory.Exists(boot) ? Directory.GetFiles(boot, "vmlinuz-*-cloud-amd64") : [];
        return candidates.OrderBy(c => c, Comparer<string>.Create(CompareVersions)).LastOrDefault()
            ?? throw new FileNotFoundException(
                "no guest kernel: /boot/vmlinuz-*-cloud-amd64 not found (install linux-image-cloud-amd64 or set the kernel path)"
            );
    }

    private static int CompareVersions(string a, string b)
    {
        var x = NumberPattern().Matches(a).Select(m => long.Parse(m.Value)).ToList();
        var y = NumberPattern().Matches(b).Select(m => long.Parse(m.Value)).ToList();
        for (var i = 0; i < Math.Min(x.Count, y.Count); i++)
        {
            if (x[i] != y[i])
                return x[i].CompareTo(y[i]);
        }
        return x.Count.CompareTo(y.Count);
    }

    /// <summary>
    /// The .ko files (relative to <see cref="ModulesDirectory"/>) to load, dependencies first; built-in ones are
    /// skipped.
    /// </summary>
    public IReadOnlyList<string> ModuleFiles()
    {
        var dependencies = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(ModulesDirectory, "modules.dep")))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
                continue;
            dependencies[line[..colon]] = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }
        var byName = dependencies.Keys.ToDictionary(k => NameOf(k), k => k, StringComparer.Ordinal);
        var builtin = File.Exists(Path.Combine(ModulesDirectory, "modules.builtin"))
            ? File.ReadLines(Path.Combine(ModulesDirectory, "modules.builtin"))
                .Select(NameOf)
                .ToHashSet(StringComparer.Ordinal)
            : [];
        var order = new List<string>();
        void Add(string file)
        {
            if (order.Contains(file))
                return;
            foreach (var dependency in dependencies.GetValueOrDefault(file) ?? [])
                Add(dependency);
            order.Add(file);
        }
        foreach (var name in NeededModules)
        {
            if (byName.TryGetValue(name, out var file))
                Add(file);
            else if (!builtin.Contains(name))
                throw new FileNotFoundException($"guest kernel {Version} has no module {name}, built in or loadable");
        }
        return order;
    }

    private static string NameOf(string file) => Path.GetFileName(file).Split('.')[0].Replace('-', '_');

    [GeneratedRegex(@"^vmlinuz-(.+)$")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"\d+")]
    private static partial Regex NumberPattern();
}
