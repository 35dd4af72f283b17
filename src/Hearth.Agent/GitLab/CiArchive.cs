using System.IO.Compression;
using Microsoft.Extensions.FileSystemGlobbing;

namespace Hearth.Agent.GitLab;

/// <summary>
/// Zips what a GitLab job names from its project directory, and unzips archives into it, as gitlab-runner's helper
/// does. Paths are GitLab's globs relative to the project directory (a matched directory brings everything below it),
/// minus the excluded ones, plus (untracked) every file git did not check out. Only regular files are archived:
/// symbolic links are never followed nor stored, so a job cannot make the agent read outside its workspace. Unzipping
/// refuses an entry that would land outside the directory or write through a symbolic link.
/// </summary>
public static class CiArchive
{
    /// <summary>
    /// The files (relative, '/'-separated, sorted) that <paramref name="paths"/> and the rest select.
    /// </summary>
    public static IReadOnlyList<string> Select(
        string root,
        IReadOnlyList<string> paths,
        IReadOnlyList<string> exclude,
        IReadOnlySet<string>? untrackedBesides
    )
    {
        var files = RegularFiles(root);
        var include = new Matcher(StringComparison.Ordinal);
        foreach (var path in paths)
            AddPattern(include, path);
        var selected = new SortedSet<string>(
            include.Match(root, files.Select(f => Path.Combine(root, f))).Files.Select(m => m.Path.Replace('\\', '/')),
            StringComparer.Ordinal
        );
        if (untrackedBesides is not null)
            foreach (
                var file in files.Where(f =>
                    !untrackedBesides.Contains(f) && !f.StartsWith(".git/", StringComparison.Ordinal)
                )
            )
                selected.Add(file);
        if (exclude.Count > 0)
        {
            var excluded = new Matcher(StringComparison.Ordinal);
            foreach (var path in exclude)
                AddPattern(excluded, path);
            foreach (var match in excluded.Match(root, selected.Select(f => Path.Combine(root, f)).ToList()).Files)
                selected.Remove(match.Path.Replace('\\', '/'));
        }
        return [.. selected];
    }

    /// <summary>
    /// Writes <paramref name="files"/> (relative to <paramref name="root"/>) into a new zip at
    /// <paramref name="zipPath"/>.
    /// </summary>
    public static void Write(string root, IReadOnlyList<string> files, string zipPath)
    {
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create);
        foreach (var file in files)
            zip.CreateEntryFromFile(Path.Combine(root, file), file, CompressionLevel.Optimal);
    }

    /// <summary>
    /// Unzips <paramref name="zipPath"/> into <paramref name="root"/>, replacing files of the same name; returns how
    /// many files it wrote. An entry that escapes <paramref name="root"/> or goes through a symbolic link is refused
    /// (<see cref="InvalidDataException"/>, naming it) before anything of it is written.
    /// </summary>
    public static int Extract(string zipPath, string root)
    {
        root = Path.GetFullPath(root);
        using var zip = ZipFile.OpenRead(zipPath);
        var count = 0;
        foreach (var entry in zip.Entries)
        {
            var target = Path.GetFullPath(Path.Combine(root, entry.FullName));
            if (!target.StartsWith(root + "/", StringComparison.Ordinal) || entry.FullName.Contains('\0'))
                throw new InvalidDataException(
                    $"zip entry '{entry.FullName}' would be written outside the project directory"
                );
            CheckNoLink(root, target, entry.FullName);
            if (entry.FullName.EndsWith('/'))
            {
                Directory.CreateDirectory(target);
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (File.Exists(target))
                File.Delete(target);
            using (var source = entry.Open())
            using (var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write))
                source.CopyTo(output);
            // Permission bits only (no set-id bits), from the Unix mode the archive recorded, if it did.
            var mode = (entry.ExternalAttributes >> 16) & 0x1FF;
            if (mode != 0)
                File.SetUnixFileMode(target, (UnixFileMode)mode);
            count++;
        }
        return count;
    }

    private static void CheckNoLink(string root, string target, string name)
    {
        for (var path = target; path.Length > root.Length; path = Path.GetDirectoryName(path)!)
        {
            var info = new FileInfo(path);
            if (info.Exists || Directory.Exists(path))
            {
                if (info.LinkTarget is not null || new DirectoryInfo(path).LinkTarget is not null)
                    throw new InvalidDataException(
                        $"zip entry '{name}' would be written through the symbolic link {Path.GetRelativePath(root, path)}"
                    );
            }
        }
    }

    /// <summary>
    /// Every regular file below <paramref name="root"/>, relative and '/'-separated; links are not followed.
    /// </summary>
    public static List<string> RegularFiles(string root)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            IgnoreInaccessible = true,
            ReturnSpecialDirectories = false,
        };
        return
        [
            .. Directory
                .EnumerateFiles(root, "*", options)
                .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')),
        ];
    }

    /// <summary>A path and, as GitLab takes a matched directory whole, everything below what it matches.</summary>
    private static void AddPattern(Matcher matcher, string path)
    {
        var trimmed = path.Replace('\\', '/').TrimEnd('/');
        if (trimmed.StartsWith("./", StringComparison.Ordinal))
            trimmed = trimmed[2..];
        if (trimmed.Length == 0 || trimmed == ".")
        {
            matcher.AddInclude("**/*");
            return;
        }
        matcher.AddInclude(trimmed);
        matcher.AddInclude(trimmed + "/**/*");
    }
}
