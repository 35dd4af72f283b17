using System.Diagnostics;

namespace Hearth.Sandbox.Running;

/// <summary>
/// Runs a host program (nsenter, runc exec) for an exec into a sandbox: its lines to the output, its exit code back.
/// </summary>
internal static class HostExec
{
    public static async Task<SandboxExit> RunAsync(
        IReadOnlyList<string> argv,
        IReadOnlyDictionary<string, string> environment,
        ISandboxOutput output,
        int maxLineBytes,
        CancellationToken cancellationToken
    )
    {
        var start = new ProcessStartInfo(argv[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in argv.Skip(1))
            start.ArgumentList.Add(arg);
        start.Environment.Clear();
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        using var process = Process.Start(start) ?? throw new SandboxCapabilityException($"cannot start {argv[0]}");
        process.StandardInput.Close();
        var serialized = new SerializedOutput(output);
        var stdout = Pump(process.StandardOutput.BaseStream, OutputStream.Stdout, serialized, maxLineBytes);
        var stderr = Pump(process.StandardError.BaseStream, OutputStream.Stderr, serialized, maxLineBytes);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        var code = process.ExitCode;
        return new SandboxExit(code, code is > 128 and <= 192 ? code - 128 : null);
    }

    private static Task Pump(Stream stream, OutputStream kind, SerializedOutput output, int maxLineBytes) =>
        new LineReader(stream, maxLineBytes).ReadAllAsync(
            (text, continues, ct) =>
                output.WriteAsync(new OutputPiece(kind, text, continues ? PieceEnd.Split : PieceEnd.Newline, 0), ct),
            CancellationToken.None
        );
}
