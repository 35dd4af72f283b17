namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// The runtime for runs, and (when set) another one for runs with a memory limit, so their OOM kills are seen.
/// </summary>
public sealed record OciRuntimeSelection(string Runtime, string? MemoryLimitedRuntime);
