namespace Hearth.Sandbox.Oci.Images;

/// <summary>Keeps an image from garbage collection while a sandbox uses it. Dispose to release.</summary>
public sealed class ImageLease : IDisposable
{
    private readonly string _path;

    internal ImageLease(string path, StoredImage image)
    {
        _path = path;
        Image = image;
    }

    public StoredImage Image { get; }

    public void Dispose() => File.Delete(_path);
}
