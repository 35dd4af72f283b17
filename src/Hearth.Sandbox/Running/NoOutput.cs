namespace Hearth.Sandbox.Running;

/// <summary>Drops every line: for a sandbox that is only being destroyed.</summary>
internal sealed class NoOutput : ISandboxOutput
{
    public static readonly NoOutput Instance = new();

    public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;
}
