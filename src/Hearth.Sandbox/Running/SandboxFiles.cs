using System.Text.RegularExpressions;

namespace Hearth.Sandbox.Running;

/// <summary>
/// A sandbox's records in its state directory, which outlive the agent: <c>stdout</c> and <c>stderr</c> (the command's
/// streams, written straight by the command, appended, never truncated) and <c>status</c> (JSON lines; the monitor's
/// <c>{"exit-code": N}</c> when the command ends, where the driver has a monitor that writes one).
/// </summary>
internal sealed partial class SandboxFiles
{
    private const int WriteOnly = 1;
    private const int Append = 0x400;

    private SandboxFiles(string directory) => Directory = directory;

    public string Directory { get; }

    public string StatusPath => Path.Combine(Directory, "status");

    public string PathOf(OutputStream stream) =>
        Path.Combine(Directory, stream == OutputStream.Stderr ? "stderr" : "stdout");

    /// <summary>
    /// Creates the directory with empty files; refuses one that has records already (a reused sandbox id).
    /// </summary>
    public static SandboxFiles Create(string directory)
    {
        try
        {
            System.IO.Directory.CreateDirectory(directory);
            var files = new SandboxFiles(directory);
            if (File.Exists(files.PathOf(OutputStream.Stdout)))
                throw new SandboxStartException($"sandbox state directory {directory} is in use (sandbox id reused?)");
            foreach (
                var path in new[]
                {
                    files.PathOf(OutputStream.Stdout),
                    files.PathOf(OutputStream.Stderr),
                    files.StatusPath,
                }
            )
            {
                using var _ = File.Create(path, 1, FileOptions.None);
            }
            return files;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SandboxStartException($"cannot create the sandbox's state directory {directory}: {e.Message}", e);
        }
    }

    public static SandboxFiles Open(string directory) =>
        System.IO.Directory.Exists(directory)
            ? new SandboxFiles(directory)
            : throw new SandboxRecoveryException($"the sandbox's state directory {directory} is gone");

    /// <summary>The records of a sandbox being destroyed: the directory may be gone already.</summary>
    public static SandboxFiles OpenOrMissing(string directory) => new(directory);

    /// <summary>
    /// A write-only, appending, close-on-exec descriptor of <paramref name="path"/> for a child to inherit via dup2.
    /// </summary>
    public static unsafe int OpenForChild(string path)
    {
        var bytes = Native.Utf8(path);
        try
        {
            var fd = Native.Open(bytes, WriteOnly | Append | Native.CloseOnExec);
            if (fd < 0)
                throw new SandboxStartException(
                    $"cannot open {path}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}"
                );
            return fd;
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free(bytes);
        }
    }

    /// <summary>Where the records end now: a cursor that delivers nothing written before (a destroy's).</summary>
    public OutputCursor End => new(Length(OutputStream.Stdout), Length(OutputStream.Stderr));

    public long Length(OutputStream stream)
    {
        try
        {
            return new FileInfo(PathOf(stream)).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public async ValueTask<int> ReadAsync(
        OutputStream stream,
        long offset,
        Memory<byte> buffer,
        CancellationToken cancellationToken
    )
    {
        using var handle = File.OpenHandle(
            PathOf(stream),
            FileMode.Open,
            FileAccess.Read,
            FileShare.ReadWrite | FileShare.Delete
        );
        return await RandomAccess.ReadAsync(handle, buffer, offset, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The exit code the monitor recorded, or null when it has recorded none (yet).</summary>
    public int? RecordedExitCode() => Recorded(ExitCodePattern());

    /// <summary>bwrap's child-pid: the host pid of the sandbox's init, or null.</summary>
    public int? RecordedChildPid() => Recorded(ChildPidPattern());

    private int? Recorded(Regex pattern)
    {
        try
        {
            var match = pattern.Match(File.ReadAllText(StatusPath));
            return match.Success
                ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Delete()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (DirectoryNotFoundException) { }
    }

    [GeneratedRegex("\"exit-code\"\\s*:\\s*(\\d+)")]
    private static partial Regex ExitCodePattern();

    [GeneratedRegex("\"child-pid\"\\s*:\\s*(\\d+)")]
    private static partial Regex ChildPidPattern();
}
