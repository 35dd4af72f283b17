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

    public override string ToString() =>
        Path.Length == 0 || Message.Contains(Path, StringComparison.Ordinal)
            ? $"{File}:{Line}:{Column}: {Message}"
            : $"{File}:{Line}:{Column}: {Path}: {Message}";
}
