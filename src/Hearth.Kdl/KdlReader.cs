using System.Text;
using Hearth.Kdl.Parsing;

namespace Hearth.Kdl;

/// <summary>Reads KDL 2.0 documents.</summary>
public static class KdlReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(
        encoderShouldEmitUTF8Identifier: false,
        throwOnInvalidBytes: true
    );

    /// <summary>
    /// Parses <paramref name="text"/>; throws <see cref="KdlParseException"/> with line and column on error.
    /// </summary>
    public static KdlDocument Parse(string text, string? sourceName = null, KdlReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var source = new KdlSource(text, sourceName);
        return new KdlParser(source, options ?? KdlReaderOptions.Default).ParseDocument();
    }

    /// <summary>Parses UTF-8 bytes; invalid UTF-8 is reported as a parse error.</summary>
    public static KdlDocument Parse(
        ReadOnlySpan<byte> utf8,
        string? sourceName = null,
        KdlReaderOptions? options = null
    )
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException ex)
        {
            int offset = Math.Max(0, ex.Index);
            string valid = StrictUtf8.GetString(utf8[..Math.Min(offset, utf8.Length)]);
            var location = new KdlSource(valid, sourceName).GetLocation(valid.Length);
            throw new KdlParseException(sourceName, location, "the file is not valid UTF-8");
        }

        return Parse(text, sourceName, options);
    }

    /// <summary>Reads and parses a file; the path is used as the source name in messages.</summary>
    public static KdlDocument ParseFile(string path, KdlReaderOptions? options = null) =>
        Parse(File.ReadAllBytes(path), path, options);

    /// <summary>Parses without throwing; on failure <paramref name="error"/> holds the reason and position.</summary>
    public static bool TryParse(
        string text,
        out KdlDocument? document,
        out KdlParseException? error,
        string? sourceName = null,
        KdlReaderOptions? options = null
    )
    {
        try
        {
            document = Parse(text, sourceName, options);
            error = null;
            return true;
        }
        catch (KdlParseException ex)
        {
            document = null;
            error = ex;
            return false;
        }
    }
}
