namespace Hearth.Kdl;

/// <summary>Thrown when a document is not valid KDL 2. The message reads <c>file:line:col: reason</c>.</summary>
public sealed class KdlParseException : Exception
{
    public KdlParseException(string? sourceName, KdlLocation location, string reason)
        : base(Format(sourceName, location, reason))
    {
        SourceName = sourceName;
        Location = location;
        Reason = reason;
    }

    public string? SourceName { get; }

    public KdlLocation Location { get; }

    /// <summary>The message without the file and position prefix.</summary>
    public string Reason { get; }

    private static string Format(string? sourceName, KdlLocation location, string reason) =>
        $"{sourceName ?? "<input>"}:{location.Line}:{location.Column}: {reason}";
}
