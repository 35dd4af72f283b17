namespace Hearth.Sandbox;

/// <summary>Byte offsets into a sandbox's stdout and stderr: where a consumer's reading (re)starts.</summary>
public readonly record struct OutputCursor(long Stdout, long Stderr)
{
    public static OutputCursor Start => default;

    public long Of(OutputStream stream) => stream == OutputStream.Stderr ? Stderr : Stdout;

    public OutputCursor With(OutputStream stream, long offset) =>
        stream == OutputStream.Stderr ? this with { Stderr = offset } : this with { Stdout = offset };
}
