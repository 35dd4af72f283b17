namespace Hearth.Sandbox.Oci.Images;

/// <summary>A layer tried to write outside its root (.., absolute paths, through symlinks, hard links out).</summary>
public sealed class UnsafeLayerException(string message) : Exception(message);
