namespace Hearth.Kdl;

/// <summary>
/// The text a document was read from, with a name for messages. Line starts are computed on first use,
/// so parsing stays cheap and locations cost nothing until somebody asks for one.
/// </summary>
public sealed class KdlSource
{
    private int[]? _lineStarts;

    public KdlSource(string text, string? name = null)
    {
        Text = text ?? throw new ArgumentNullException(nameof(text));
        Name = name;
    }

    public string Text { get; }

    /// <summary>A file path or other label used in messages; null when the text has no name.</summary>
    public string? Name { get; }

    public KdlLocation GetLocation(int offset)
    {
        var starts = _lineStarts ??= ComputeLineStarts(Text);
        offset = Math.Clamp(offset, 0, Text.Length);
        int index = Array.BinarySearch(starts, offset);
        if (index < 0)
        {
            index = ~index - 1;
        }

        int lineStart = starts[index];
        int column = 1;
        for (int i = lineStart; i < offset; i++)
        {
            // A surrogate pair is one column.
            if (!char.IsLowSurrogate(Text[i]) || i == lineStart || !char.IsHighSurrogate(Text[i - 1]))
            {
                column++;
            }
        }

        return new KdlLocation(index + 1, column);
    }

    private static int[] ComputeLineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (!KdlChars.IsNewline(c))
            {
                continue;
            }

            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                i++;
            }

            starts.Add(i + 1);
        }

        return starts.ToArray();
    }
}
