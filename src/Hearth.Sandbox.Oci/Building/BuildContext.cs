using System.Formats.Tar;
using System.IO.Compression;

namespace Hearth.Sandbox.Oci.Building;

/// <summary>
/// Unpacks a build context (a gzip'd tar from the CLI) into a fresh directory. The archive is the user's input and the
/// agent writes as root: only directories and regular files are taken (no links, so nothing can be written through
/// one), names must stay below the root, every file is created new, and the unpacked size is bounded.
/// </summary>
public static class BuildContext
{
    public const long MaxUnpackedBytes = 2L * 1024 * 1024 * 1024;

    /// <exception cref="SandboxStartException">The archive is not a gzip'd tar, or holds something refused.</exception>
    public static void Unpack(byte[] archive, string root)
    {
        Directory.CreateDirectory(root);
        var fullRoot = Path.GetFullPath(root);
        long total = 0;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(archive), CompressionMode.Decompress);
            using var reader = new TarReader(gzip);
            while (reader.GetNextEntry() is { } entry)
            {
                var name = entry.Name.TrimEnd('/');
                if (name.Length == 0 || name == ".")
                    continue;
                if (name.StartsWith('/') || name.Split('/').Any(p => p is ".." or ""))
                    throw new SandboxStartException(
                        $"build context: entry '{entry.Name}' is not a relative path inside the context"
                    );
                var path = Path.GetFullPath(Path.Combine(fullRoot, name));
                if (!path.StartsWith(fullRoot + "/", StringComparison.Ordinal))
                    throw new SandboxStartException($"build context: entry '{entry.Name}' leaves the context");
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(path);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                        total += entry.Length;
                        if (total > MaxUnpackedBytes)
                            throw new SandboxStartException(
                                $"build context: more than {MaxUnpackedBytes} bytes unpacked"
                            );
                        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
                            entry.DataStream?.CopyTo(file);
                        File.SetUnixFileMode(path, (UnixFileMode)((int)entry.Mode & 0x1ED)); // rwxr-xr-x at most
                        break;
                    default:
                        throw new SandboxStartException(
                            $"build context: entry '{entry.Name}' is a {entry.EntryType}; "
                                + "only directories and regular files are sent"
                        );
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new SandboxStartException($"build context: not a gzip'd tar ({e.Message})");
        }
        catch (IOException e)
        {
            throw new SandboxStartException($"build context: {e.Message}");
        }
    }
}
