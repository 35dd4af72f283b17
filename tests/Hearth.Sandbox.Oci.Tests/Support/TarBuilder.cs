using System.Formats.Tar;
using System.IO.Compression;

namespace Hearth.Sandbox.Oci.Tests.Support;

/// <summary>Builds layer tarballs entry by entry, including hostile ones.</summary>
public sealed class TarBuilder
{
    private readonly List<TarEntry> _entries = [];

    public TarBuilder File(
        string name,
        string content,
        UnixFileMode mode = (UnixFileMode)0b110_100_100,
        int uid = 0,
        int gid = 0
    )
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = mode,
            Uid = uid,
            Gid = gid,
            DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)),
        };
        _entries.Add(entry);
        return this;
    }

    public TarBuilder HostFile(string name, string hostPath, UnixFileMode mode)
    {
        _entries.Add(
            new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                Mode = mode,
                DataStream = new MemoryStream(System.IO.File.ReadAllBytes(hostPath)),
            }
        );
        return this;
    }

    public TarBuilder Directory(string name, int uid = 0, int gid = 0, UnixFileMode mode = (UnixFileMode)0b111_101_101)
    {
        _entries.Add(
            new PaxTarEntry(TarEntryType.Directory, name)
            {
                Mode = mode,
                Uid = uid,
                Gid = gid,
            }
        );
        return this;
    }

    public TarBuilder Symlink(string name, string target, int uid = 0, int gid = 0)
    {
        _entries.Add(
            new PaxTarEntry(TarEntryType.SymbolicLink, name)
            {
                LinkName = target,
                Mode = (UnixFileMode)0b111_111_111,
                Uid = uid,
                Gid = gid,
            }
        );
        return this;
    }

    public TarBuilder HardLink(string name, string target)
    {
        _entries.Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target });
        return this;
    }

    public byte[] Build()
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in _entries)
            {
                entry.DataStream?.Seek(0, SeekOrigin.Begin);
                writer.WriteEntry(entry);
            }
        }
        return buffer.ToArray();
    }

    public static byte[] Gzip(byte[] tar)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(tar);
        return buffer.ToArray();
    }

    /// <summary>A busybox-static rootfs: /bin/busybox, its applets as symlinks, /etc/passwd and /etc/group.</summary>
    public static TarBuilder Busybox()
    {
        var tar = new TarBuilder()
            .Directory("bin")
            .Directory("etc")
            .Directory("tmp")
            .Directory("root")
            .HostFile("bin/busybox", "/bin/busybox", (UnixFileMode)0b111_101_101)
            .File(
                "etc/passwd",
                "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\napp:x:1000:1000:app:/tmp:/bin/sh\n"
            )
            .File("etc/group", "root:x:0:\nnogroup:x:65534:\napp:x:1000:\nstaff:x:50:\n");
        foreach (
            var applet in new[]
            {
                "sh",
                "echo",
                "cat",
                "ls",
                "sleep",
                "dd",
                "true",
                "false",
                "id",
                "test",
                "env",
                "pwd",
                "seq",
                "touch",
                "grep",
                "wc",
                "head",
                "rm",
                "mkdir",
                "hostname",
            }
        )
            tar.Symlink($"bin/{applet}", "busybox");
        return tar;
    }
}
