using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Hearth.Core.Secrets;

/// <summary>
/// The spellings of a secret value that a command is likely to print: the value itself, each line of a multi-line
/// value, base64 (standard and URL-safe, at each of the three byte alignments, and as base64(1) wraps it at 76
/// columns), base32 (at each of the five alignments), hex in both cases (plain, as xxd -p wraps it, and as od -tx1 and
/// hexdump spell it, bytes apart), URL-escaped, JSON-escaped (also with '\/'), HTML entities, and shell-quoted ('…'
/// with '\'' inside, "…" escapes, printf %q). Double encodings are not covered: masking is a safety net, not a
/// boundary.
/// </summary>
public static class SecretForms
{
    /// <summary>Fragments shorter than this are not masked on their own (they would mask ordinary text).</summary>
    public const int MinFragment = 4;

    public static IEnumerable<string> Of(string value)
    {
        if (value.Length == 0)
            yield break;
        var forms = new HashSet<string>(StringComparer.Ordinal) { value };
        foreach (var line in value.Split('\n'))
        {
            var trimmed = line.TrimEnd('\r');
            if (trimmed.Trim().Length >= MinFragment)
                forms.Add(trimmed);
        }
        var bytes = Encoding.UTF8.GetBytes(value);
        foreach (var encoded in Base64Forms(bytes))
        {
            forms.Add(encoded);
            forms.Add(encoded.Replace('+', '-').Replace('/', '_'));
            for (var i = 0; i + 76 < encoded.Length; i += 76)
                forms.Add(encoded.Substring(i, 76));
        }
        foreach (var encoded in Base32Forms(bytes))
            forms.Add(encoded);
        foreach (var encoded in HexForms(bytes))
            forms.Add(encoded);
        forms.Add(Uri.EscapeDataString(value));
        forms.Add(WebUtility.UrlEncode(value));
        foreach (
            var json in new[]
            {
                JsonEncodedText.Encode(value).ToString(),
                JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString(),
            }
        )
        {
            forms.Add(json);
            forms.Add(json.Replace("/", "\\/", StringComparison.Ordinal));
        }
        forms.Add(WebUtility.HtmlEncode(value));
        forms.Add(HtmlEncoder.Default.Encode(value));
        forms.Add(NumericEntities(value, hex: false));
        forms.Add(NumericEntities(value, hex: true));
        foreach (var quoted in ShellQuotings(value))
            forms.Add(quoted);
        foreach (var form in forms)
        {
            if (form.Length >= Math.Min(MinFragment, value.Length))
                yield return form;
        }
    }

    /// <summary>
    /// Contiguous hex (both cases, and as xxd -p wraps it at 60 columns), and bytes apart as od -tx1 prints them.
    /// </summary>
    private static IEnumerable<string> HexForms(byte[] bytes)
    {
        foreach (var lower in new[] { true, false })
        {
            var hex = lower ? Convert.ToHexStringLower(bytes) : Convert.ToHexString(bytes);
            yield return hex;
            for (var i = 0; i < hex.Length; i += 60)
                yield return hex.Substring(i, Math.Min(60, hex.Length - i));
            var pairs = Enumerable.Range(0, bytes.Length).Select(i => hex.Substring(i * 2, 2)).ToArray();
            yield return string.Join(' ', pairs);
            // od -An -tx1 prints 16 bytes a line: the rows of a value that starts a stream.
            for (var i = 0; i < pairs.Length; i += 16)
            {
                if (pairs.Length - i >= MinFragment)
                    yield return string.Join(' ', pairs.Skip(i).Take(16));
            }
        }
    }

    /// <summary>
    /// RFC 4648 base32 (as base32(1) writes it, and the part that depends only on the value at each alignment).
    /// </summary>
    private static IEnumerable<string> Base32Forms(byte[] bytes)
    {
        var whole = Base32.Encode(bytes);
        yield return whole;
        yield return whole.TrimEnd('=');
        for (var offset = 1; offset < 5; offset++)
        {
            var padded = new byte[offset + bytes.Length];
            bytes.CopyTo(padded, offset);
            var encoded = Base32.Encode(padded);
            var end = (padded.Length / 5) * 8;
            if (end - 8 >= MinFragment * 2)
                yield return encoded[8..end];
        }
    }

    private static string NumericEntities(string value, bool hex) =>
        string.Concat(value.EnumerateRunes().Select(r => hex ? $"&#x{r.Value:x};" : $"&#{r.Value};"));

    /// <summary>
    /// The value as shells quote it: inside '…' ('\'' for a quote), inside "…", and as bash's printf %q writes it.
    /// </summary>
    private static IEnumerable<string> ShellQuotings(string value)
    {
        yield return value.Replace("'", "'\\''", StringComparison.Ordinal);
        yield return value.Replace("'", "'\"'\"'", StringComparison.Ordinal);
        var doubleQuoted = new StringBuilder(value.Length);
        foreach (var c in value)
            doubleQuoted.Append(c is '"' or '\\' or '$' or '`' ? "\\" + c : c.ToString());
        yield return doubleQuoted.ToString();
        var printfQ = new StringBuilder(value.Length * 2);
        foreach (var c in value)
        {
            if (
                char.IsAscii(c)
                && !char.IsAsciiLetterOrDigit(c)
                && c is not ('_' or '.' or '/' or ':' or '=' or '@' or '%' or '+' or '-' or '#' or '~')
            )
                printfQ.Append('\\');
            printfQ.Append(c);
        }
        yield return printfQ.ToString();
    }

    /// <summary>
    /// The standalone encoding, then for each alignment the part of the encoding that depends on the value's bytes
    /// only (whatever comes before or after it in the encoded stream).
    /// </summary>
    private static IEnumerable<string> Base64Forms(byte[] bytes)
    {
        yield return Convert.ToBase64String(bytes);
        yield return Convert.ToBase64String(bytes).TrimEnd('=');
        for (var offset = 0; offset < 3; offset++)
        {
            var padded = new byte[offset + bytes.Length];
            bytes.CopyTo(padded, offset);
            var encoded = Convert.ToBase64String(padded);
            var start = offset == 0 ? 0 : 4;
            var end = (padded.Length / 3) * 4;
            if (end - start >= MinFragment * 2)
                yield return encoded[start..end];
        }
    }
}
