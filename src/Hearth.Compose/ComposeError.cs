using Hearth.Compose.Yaml;

namespace Hearth.Compose;

/// <summary>
/// One reason a compose project was refused. <see cref="Path"/> is the key path
/// (<c>services.web.ports[1]</c>), empty for the document itself; <see cref="Message"/> says what was expected.
/// </summary>
public sealed record ComposeError(string File, int Line, int Column, string Path, string Message)
{
    public static ComposeError At(SourceMark mark, string path, string message) =>
        new(mark.File, mark.Line, mark.Column, path, message);

    /// <summary>
    /// "file:line:col: path: message"; a file that could not be read at all has no line ("file: no such file").
    /// </summary>
    public override string ToString()
    {
        var where = Line > 0 ? $"{File}:{Line}:{Column}" : File;
        return Path.Length == 0 || Message.Contains(Path, StringComparison.Ordinal)
            ? $"{where}: {Message}"
            : $"{where}: {Path}: {Message}";
    }
}
