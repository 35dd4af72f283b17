namespace Hearth.Compose.Loading;

/// <summary>The only I/O the loader does: read a text file by absolute path. Null when it does not exist.</summary>
public interface IComposeFileSystem
{
    string? ReadAllText(string path);
}
