namespace Hearth.Sandbox.Oci.Images;

public sealed class ImageNotStoredException(string message) : Exception(message);
