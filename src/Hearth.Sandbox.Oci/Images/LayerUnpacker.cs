using System.Formats.Tar;
using Hearth.Sandbox.Oci.Unix;

namespace Hearth.Sandbox.Oci.Images;

/// <summary>
/// Applies one layer (an uncompressed tar, attacker-controlled) onto a root directory, following the OCI
/// layer rules: later entries replace earlier ones, <c>.wh.NAME</c> deletes NAME from lower layers and
/// <c>.wh..wh..opq</c> empties a directory of what lower layers put there.
/// Nothing is ever written outside the root: absolute names and <c>..</c> are refused, no path is walked
/// through a symlink, an existing entry is unlinked (never followed) before it is replaced, and hard links
/// must point at a regular file or symlink already inside the root.
/// Device nodes and FIFOs are skipped: the runtime provides /dev, and so every non-directory,
/// non-symlink path in a rootfs is a regular file that the host can read without blocking.
/// With an <see cref="IdMapping"/> every owner is shifted into it (container id N is written as host id BASE+N), and
/// directories the layer implies but does not list, and the root itself, belong to the shifted root. An entry owned
/// by an id outside the range is refused: the container could not own it, and a chown to an unshifted id would
/// hand the file to a host user.
/// </summary>
internal sealed class LayerUnpacker
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";

    private readonly bool _applyOwnership;
    private readonly IdMapping? _ids;

    public LayerUnpacker(bool applyOwnership, IdMapping? ids = null)
    {
        if (ids is not null && !applyOwnership)
            throw new ArgumentException("shifting ids needs ownership applied (root)", nameof(ids));
        _applyOwnership = applyOwnership;
        _ids = ids;
    }

    public async Task ApplyAsync(Stream tar, string root, CancellationToken cancellationToken)
    {
        if (_ids is not null)
            Libc.LChown(root, _ids.HostIdBase, _ids.HostIdBase);
        var createdThisLayer = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes)
                continue;
            var components = LayerPath.Split(entry.Name);
            if (components.Length == 0)
                continue;
            var name = components[^1];
            var parent = components[..^1];

            if (name == OpaqueMarker)
            {
                var directory = WalkDirectories(root, parent, create: true);
                ClearLowerChildren(directory, LayerPath.Join(parent), createdThisLayer);
                continue;
            }
            if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                var hidden = name[WhiteoutPrefix.Length..];
                if (hidden.Length == 0 || hidden is "." or "..")
                    throw new UnsafeLayerException($"bad whiteout '{entry.Name}'");
                var directory = WalkDirectories(root, parent, create: true);
                var relative = LayerPath.Join([.. parent, hidden]);
                if (!createdThisLayer.Contains(relative))
                    PathInspector.Remove(Path.Combine(directory, hidden));
                continue;
            }

            var parentPath = WalkDirectories(root, parent, create: true);
            var target = Path.Combine(parentPath, name);
            var relativeTarget = LayerPath.Join(components);
            if (await CreateAsync(entry, root, target, cancellationToken))
                createdThisLayer.Add(relativeTarget);
        }
    }

    private async Task<bool> CreateAsync(
        TarEntry entry,
        string root,
        string target,
        CancellationToken cancellationToken
    )
    {
        var existing = PathInspector.Lstat(target);
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (existing != PathKind.Directory)
                {
                    PathInspector.Remove(target);
                    Directory.CreateDirectory(target);
                }
                ApplyMetadata(entry, target, isSymlink: false);
                return true;

            case TarEntryType.RegularFile
            or TarEntryType.V7RegularFile
            or TarEntryType.ContiguousFile:
                PathInspector.Remove(target);
                // CreateNew is O_CREAT|O_EXCL: it cannot follow a symlink planted in the meantime.
                await using (
                    var file = new FileStream(
                        target,
                        FileMode.CreateNew,
                        FileAccess.Write,
                        FileShare.None,
                        1 << 16,
                        useAsync: true
                    )
                )
                {
                    if (entry.DataStream is { } data)
                        await data.CopyToAsync(file, cancellationToken);
                }
                ApplyMetadata(entry, target, isSymlink: false);
                File.SetLastWriteTimeUtc(target, entry.ModificationTime.UtcDateTime);
                return true;

            case TarEntryType.SymbolicLink:
                if (string.IsNullOrEmpty(entry.LinkName) || entry.LinkName.Contains('\0'))
                    throw new UnsafeLayerException($"symlink '{entry.Name}' has no valid target");
                // The target is kept as written: it is resolved inside the container's root at run time,
                // and the unpacker itself never walks through a symlink.
                PathInspector.Remove(target);
                File.CreateSymbolicLink(target, entry.LinkName);
                ApplyMetadata(entry, target, isSymlink: true);
                return true;

            case TarEntryType.HardLink:
                var sourceComponents = LayerPath.Split(entry.LinkName);
                if (sourceComponents.Length == 0)
                    throw new UnsafeLayerException($"hard link '{entry.Name}' points at the root");
                var sourceParent = WalkDirectories(root, sourceComponents[..^1], create: false);
                var source = Path.Combine(sourceParent, sourceComponents[^1]);
                var kind = PathInspector.Lstat(source);
                if (kind is PathKind.Missing or PathKind.Directory)
                    throw new UnsafeLayerException(
                        $"hard link '{entry.Name}' points at '{entry.LinkName}', which is not a file in this image"
                    );
                if (source == target)
                    return true;
                PathInspector.Remove(target);
                Libc.HardLink(source, target);
                return true;

            case TarEntryType.CharacterDevice
            or TarEntryType.BlockDevice
            or TarEntryType.Fifo:
                return false;

            default:
                throw new UnsafeLayerException($"unsupported tar entry type {entry.EntryType} for '{entry.Name}'");
        }
    }

    /// <summary>
    /// Walks (and creates) the directories of <paramref name="components"/> below root, refusing symlinks.
    /// </summary>
    private string WalkDirectories(string root, IReadOnlyList<string> components, bool create)
    {
        var current = root;
        foreach (var component in components)
        {
            var next = Path.Combine(current, component);
            switch (PathInspector.Lstat(next))
            {
                case PathKind.Directory:
                    break;
                case PathKind.Missing when create:
                    Directory.CreateDirectory(next);
                    if (_ids is not null)
                        Libc.LChown(next, _ids.HostIdBase, _ids.HostIdBase);
                    break;
                case PathKind.Missing:
                    throw new UnsafeLayerException($"'{Path.GetRelativePath(root, next)}' does not exist");
                case PathKind.Symlink:
                    throw new UnsafeLayerException(
                        $"entry path passes through symlink '{Path.GetRelativePath(root, next)}'"
                    );
                default:
                    throw new UnsafeLayerException(
                        $"entry path passes through non-directory '{Path.GetRelativePath(root, next)}'"
                    );
            }
            current = next;
        }
        return current;
    }

    private static void ClearLowerChildren(string directory, string relative, HashSet<string> createdThisLayer)
    {
        foreach (var child in Directory.EnumerateFileSystemEntries(directory).ToList())
        {
            var childRelative =
                relative.Length == 0 ? Path.GetFileName(child) : relative + "/" + Path.GetFileName(child);
            if (!createdThisLayer.Contains(childRelative))
                PathInspector.Remove(child);
        }
    }

    private void ApplyMetadata(TarEntry entry, string target, bool isSymlink)
    {
        if (_ids is not null)
            Libc.LChown(target, Shift(entry, entry.Uid, "uid"), Shift(entry, entry.Gid, "gid"));
        else if (_applyOwnership)
            Libc.LChown(target, entry.Uid, entry.Gid);
        // chown clears set-id bits, so the mode goes last.
        if (!isSymlink)
            File.SetUnixFileMode(target, entry.Mode);
    }

    private uint Shift(TarEntry entry, int id, string kind) =>
        _ids!.TryMap(id, out var host)
            ? host
            : throw new UnsafeLayerException(
                $"'{entry.Name}' belongs to {kind} {id}, outside the user namespace's range (container ids 0-{_ids.Size - 1} map to host ids from {_ids.HostIdBase})"
            );
}
