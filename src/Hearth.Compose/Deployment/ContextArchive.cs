using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Hearth.Compose.Deployment;

/// <summary>
/// A build context packed for the agent: a gzip'd tar of the directory's regular files and directories (less what its
/// <c>.dockerignore</c> leaves out), in name order, with no owners and no times. <see cref="Digest"/> is computed over
/// the entries themselves (kind, name, mode, a SHA-256 of each file's bytes), never over the tar's bytes, so the same
/// files give the same digest whatever the tar format adds (a PAX header's access and change times are the time of
/// packing). A symbolic link is sent as what it points at when that is a file inside the context, and left out
/// otherwise.
/// </summary>
public sealed record ContextArchive(byte[] Compressed, string Digest, int Files)
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    /// <exception cref="DirectoryNotFoundException">The context directory does not exist.</exception>
    public static ContextArchive Pack(string directory)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException(directory);
        var root = Path.GetFullPath(directory).TrimEnd('/');
        var ignore = new DockerIgnore(
            File.Exists(Path.Combine(root, ".dockerignore"))
                ? File.ReadAllText(Path.Combine(root, ".dockerignore"))
                : null
        );
        var tar = new MemoryStream();
        var files = 0;
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (relative, full, isDirectory) in Walk(root, root, ignore))
            {
                if (isDirectory)
                {
                    digest.AppendData(System.Text.Encoding.UTF8.GetBytes($"D\0{relative}\0"));
                    writer.WriteEntry(
                        Entry(
                            TarEntryType.Directory,
                            relative + "/",
                            UnixFileMode.UserRead
                                | UnixFileMode.UserWrite
                                | UnixFileMode.UserExecute
                                | UnixFileMode.GroupRead
                                | UnixFileMode.GroupExecute
                                | UnixFileMode.OtherRead
                                | UnixFileMode.OtherExecute
                        )
                    );
                    continue;
                }
                var executable = (File.GetUnixFileMode(full) & UnixFileMode.UserExecute) != 0;
                var entry = Entry(
                    TarEntryType.RegularFile,
                    relative,
                    executable ? (UnixFileMode)0x1ED : (UnixFileMode)0x1A4
                );
                var bytes = File.ReadAllBytes(full);
                digest.AppendData(System.Text.Encoding.UTF8.GetBytes($"F\0{relative}\0{(executable ? "x" : "-")}\0"));
                digest.AppendData(SHA256.HashData(bytes));
                entry.DataStream = new MemoryStream(bytes);
                writer.WriteEntry(entry);
                files++;
            }
        }
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            tar.Position = 0;
            tar.CopyTo(gzip);
        }
        return new ContextArchive(compressed.ToArray(), Convert.ToHexStringLower(digest.GetHashAndReset()), files);
    }

    /// <summary>ustar (no access or change times) where the name fits, PAX for longer names.</summary>
    private static PosixTarEntry Entry(TarEntryType type, string name, UnixFileMode mode) =>
        System.Text.Encoding.UTF8.GetByteCount(name) <= 100
            ? new UstarTarEntry(type, name)
            {
                Mode = mode,
                ModificationTime = Epoch,
                Uid = 0,
                Gid = 0,
            }
            : new PaxTarEntry(type, name)
            {
                Mode = mode,
                ModificationTime = Epoch,
                Uid = 0,
                Gid = 0,
            };

    private static IEnumerable<(string Relative, string Full, bool IsDirectory)> Walk(
        string root,
        string directory,
        DockerIgnore ignore
    )
    {
        foreach (var full in Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(root, full).Replace('\\', '/');
            if (ignore.Excludes(relative))
                continue;
            var info = new FileInfo(full);
            if (info.LinkTarget is not null)
            {
                var target = info.ResolveLinkTarget(returnFinalTarget: true);
                if (
                    target is FileInfo { Exists: true } file
                    && file.FullName.StartsWith(root + "/", StringComparison.Ordinal)
                )
                    yield return (relative, file.FullName, false);
                continue;
            }
            if (Directory.Exists(full))
            {
                yield return (relative, full, true);
                foreach (var inner in Walk(root, full, ignore))
                    yield return inner;
            }
            else if (File.Exists(full) && (info.Attributes & FileAttributes.Device) == 0)
            {
                yield return (relative, full, false);
            }
        }
    }
}
