namespace Hearth.Core.Secrets;

/// <summary>
/// Replaces every known spelling of a set of secret values by <see cref="Mask"/> in log text. Matching is ordinal;
/// overlapping matches are merged into one mask.
/// </summary>
public sealed class SecretMasker
{
    public const string Mask = "***";

    /// <summary>
    /// Ends a log line that is a piece of a longer one (cut at the sandbox's line limit); the next line continues it.
    /// </summary>
    public const string ContinuationMark = " [continues]";

    private readonly string[] _patterns;

    public SecretMasker(IEnumerable<string> values)
    {
        _patterns = values
            .SelectMany(SecretForms.Of)
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(p => p.Length)
            .ToArray();
    }

    public static SecretMasker None { get; } = new([]);

    public bool IsEmpty => _patterns.Length == 0;

    public string Apply(string text)
    {
        if (_patterns.Length == 0 || text.Length == 0)
            return text;
        List<(int Start, int End)>? spans = null;
        foreach (var pattern in _patterns)
        {
            for (
                var at = text.IndexOf(pattern, StringComparison.Ordinal);
                at >= 0;
                at = text.IndexOf(pattern, at + 1, StringComparison.Ordinal)
            )
                (spans ??= []).Add((at, at + pattern.Length));
        }
        return spans is null ? text : Replace(text, spans);
    }

    /// <summary>
    /// Masks a value cut in two by a line split (a line longer than the sandbox's limit, or a chunk boundary): the end
    /// of <paramref name="left"/> and the start of <paramref name="right"/> that together spell a pattern.
    /// </summary>
    public (string Left, string Right) ApplyAcross(string left, string right)
    {
        foreach (var pattern in _patterns)
        {
            for (var cut = 1; cut < pattern.Length; cut++)
            {
                if (cut > left.Length || pattern.Length - cut > right.Length)
                    continue;
                if (
                    left.EndsWith(pattern.AsSpan(0, cut), StringComparison.Ordinal)
                    && right.AsSpan().StartsWith(pattern.AsSpan(cut), StringComparison.Ordinal)
                )
                {
                    left = left[..^cut] + Mask;
                    right = Mask + right[(pattern.Length - cut)..];
                    break;
                }
            }
        }
        return (left, right);
    }

    /// <summary>
    /// Masks consecutive lines of one stream: each line, and any value cut across two neighbours (a line's
    /// <see cref="ContinuationMark"/> is not part of its text). <paramref name="before"/> is the (masked) line shipped
    /// before these, if any: a value that began there has its rest masked here. Returns the masked lines and the last
    /// one's text without its mark, the next call's <paramref name="before"/>.
    /// </summary>
    public (string[] Lines, string? Last) ApplyToLines(IReadOnlyList<string> lines, string? before = null)
    {
        if (_patterns.Length == 0 || lines.Count == 0)
            return ([.. lines], before);
        var marked = new bool[lines.Count];
        var texts = new string[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            marked[i] = lines[i].EndsWith(ContinuationMark, StringComparison.Ordinal);
            texts[i] = Apply(marked[i] ? lines[i][..^ContinuationMark.Length] : lines[i]);
        }
        if (before is not null)
            texts[0] = ApplyAcross(before, texts[0]).Right;
        for (var i = 1; i < texts.Length; i++)
            (texts[i - 1], texts[i]) = ApplyAcross(texts[i - 1], texts[i]);
        var last = texts[^1];
        for (var i = 0; i < texts.Length; i++)
        {
            if (marked[i])
                texts[i] += ContinuationMark;
        }
        return (texts, last);
    }

    /// <summary>
    /// True when the end of <paramref name="text"/> (less a <see cref="ContinuationMark"/>) could be the start of a
    /// pattern cut off by a split.
    /// </summary>
    public bool EndsWithPartial(string text)
    {
        if (text.EndsWith(ContinuationMark, StringComparison.Ordinal))
            text = text[..^ContinuationMark.Length];
        foreach (var pattern in _patterns)
        {
            for (var cut = Math.Min(pattern.Length - 1, text.Length); cut >= 1; cut--)
            {
                if (text.AsSpan().EndsWith(pattern.AsSpan(0, cut), StringComparison.Ordinal))
                    return true;
            }
        }
        return false;
    }

    private static string Replace(string text, List<(int Start, int End)> spans)
    {
        spans.Sort((a, b) => a.Start.CompareTo(b.Start));
        var builder = new System.Text.StringBuilder(text.Length);
        var position = 0;
        var i = 0;
        while (i < spans.Count)
        {
            var (start, end) = spans[i++];
            while (i < spans.Count && spans[i].Start <= end)
                end = Math.Max(end, spans[i++].End);
            if (start < position)
                start = position;
            builder.Append(text, position, start - position).Append(Mask);
            position = end;
        }
        return builder.Append(text, position, text.Length - position).ToString();
    }
}
