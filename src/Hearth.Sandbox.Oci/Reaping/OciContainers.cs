using System.Text.Json;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Reaping;

namespace Hearth.Sandbox.Oci.Reaping;

/// <summary>
/// Containers in Hearth's runtime state directories (the oci driver's <c>--root</c>, and its sibling per second
/// runtime): every container there is Hearth's; its annotations (or its bundle's place in a scratch root) name the
/// sandbox and owner. Removed with <c>RUNTIME delete --force</c>, by whichever of runc and crun knows it.
/// </summary>
public sealed class OciContainers(string stateRoot, IReadOnlyList<string>? runtimes = null) : IOrphanSource
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly IReadOnlyList<string> _runtimes = runtimes ?? ["runc", "crun"];

    public async Task<IReadOnlyList<MarkedResource>> DiscoverAsync(
        IReadOnlyCollection<string> scratchRoots,
        CancellationToken cancellationToken
    )
    {
        var found = new List<MarkedResource>();
        foreach (var root in StateRoots())
        {
            foreach (var directory in Directory.EnumerateDirectories(root))
            {
                var id = Path.GetFileName(directory);
                if (await StateAsync(root, id, cancellationToken) is not { } state)
                    continue;
                var (runtime, json) = state;
                var annotations =
                    json.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object ? a : default;
                var sandbox = Annotation(annotations, SandboxMarks.SandboxAnnotation) ?? id;
                var owner = Annotation(annotations, SandboxMarks.OwnerAnnotation) ?? OwnerOfBundle(json, id);
                found.Add(
                    new MarkedResource(ResourceKind.Container, id, sandbox, owner)
                    {
                        Destroy = ct => DeleteAsync(runtime, root, id, ct),
                    }
                );
            }
        }
        return found;
    }

    private IEnumerable<string> StateRoots()
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(stateRoot));
        var parent = Path.GetDirectoryName(root);
        if (parent is null || !Directory.Exists(parent))
            return [];
        // OciDriver keeps a second runtime's containers in ROOT-NAME.
        return Directory
            .EnumerateDirectories(parent)
            .Where(d => d == root || d.StartsWith(root + "-", StringComparison.Ordinal))
            .ToList();
    }

    private async Task<(RuntimeCommand Runtime, JsonElement State)?> StateAsync(
        string root,
        string id,
        CancellationToken cancellationToken
    )
    {
        foreach (var name in _runtimes)
        {
            var runtime = new RuntimeCommand(name, root);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(CommandTimeout);
                var (exit, output) = await runtime.RunAsync(timeout.Token, "state", id);
                if (exit != 0)
                    continue;
                var start = output.IndexOf('{');
                if (start < 0)
                    continue;
                using var document = JsonDocument.Parse(output[start..]);
                return (runtime, document.RootElement.Clone());
            }
            catch (Exception e)
                when (e is JsonException or System.ComponentModel.Win32Exception or InvalidOperationException
                    || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
                )
            {
                // Not this runtime's (or the runtime is not installed): try the next.
            }
        }
        return null;
    }

    private static string? Annotation(JsonElement annotations, string key) =>
        annotations.ValueKind == JsonValueKind.Object && annotations.TryGetProperty(key, out var value)
            ? value.GetString()
            : null;

    /// <summary>The oci driver's bundles are SCRATCH_ROOT/SANDBOX/bundle.</summary>
    private static string? OwnerOfBundle(JsonElement state, string id)
    {
        if (!state.TryGetProperty("bundle", out var bundle) || bundle.GetString() is not { } path)
            return null;
        var sandboxDirectory = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(path));
        return sandboxDirectory is not null && Path.GetFileName(sandboxDirectory) == id
            ? Path.GetDirectoryName(sandboxDirectory)
            : null;
    }

    private static async Task DeleteAsync(
        RuntimeCommand runtime,
        string root,
        string id,
        CancellationToken cancellationToken
    )
    {
        if (!Directory.Exists(Path.Combine(root, id)))
            return;
        var (exit, output) = await runtime.RunAsync(cancellationToken, "delete", "--force", id);
        if (exit != 0 && Directory.Exists(Path.Combine(root, id)))
            throw new IOException($"{runtime.Runtime} delete --force {id} failed: {output}");
    }
}
