namespace Hearth.Sandbox.Oci.Unix;

/// <summary>What a path is, without following a final symlink.</summary>
internal enum PathKind
{
    Missing,
    Directory,
    Symlink,
    Other,
}

internal static class PathInspector
{
    public static PathKind Lstat(string path)
    {
        var attributes = new FileInfo(path).Attributes;
        if ((int)attributes == -1)
            return PathKind.Missing;
        if (attributes.HasFlag(FileAttributes.ReparsePoint))
            return PathKind.Symlink;
        return attributes.HasFlag(FileAttributes.Directory) ? PathKind.Directory : PathKind.Other;
    }

    /// <summary>Removes whatever is at <paramref name="path"/>; symlinks are removed, never followed.</summary>
    public static void Remove(string path)
    {
        switch (Lstat(path))
        {
            case PathKind.Directory:
                Directory.Delete(path, recursive: true);
                break;
            case PathKind.Symlink:
            case PathKind.Other:
                File.Delete(path);
                break;
        }
    }
}
