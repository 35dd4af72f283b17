namespace Hearth.Compose.Loading;

/// <summary>Reads files from disk.</summary>
public sealed class PhysicalComposeFileSystem : IComposeFileSystem
{
    public string? ReadAllText(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
