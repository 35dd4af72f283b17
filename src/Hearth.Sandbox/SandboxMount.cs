namespace Hearth.Sandbox;

public enum SandboxMountKind
{
    /// <summary>
    /// A host directory or file (a compose bind, or a named volume's directory), bound at its target.
    /// </summary>
    Bind,

    /// <summary>A fresh tmpfs, gone with the sandbox.</summary>
    Tmpfs,
}

/// <param name="Source">The host path of a bind; null for tmpfs.</param>
/// <param name="Target">An absolute path inside the sandbox.</param>
/// <param name="SizeBytes">tmpfs only: its size limit; null for the driver's default.</param>
public sealed record SandboxMount(
    SandboxMountKind Kind,
    string? Source,
    string Target,
    bool ReadOnly = false,
    long? SizeBytes = null
);

/// <summary>A file written into the sandbox, read-only, before its command starts.</summary>
/// <param name="Target">An absolute path inside the sandbox.</param>
/// <param name="Mode">Unix permission bits.</param>
public sealed record SandboxFile(string Target, byte[] Content, int Mode = 0x124)
{
    /// <summary>Never the content: it may be a secret.</summary>
    public override string ToString() => $"{Target} ({Content.Length} bytes, mode {Convert.ToString(Mode, 8)})";
}
