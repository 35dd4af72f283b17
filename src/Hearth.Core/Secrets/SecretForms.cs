using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Hearth.Core.Secrets;

/// <summary>
/// The spellings of a secret value that a command is likely to print: the value itself, each line of a multi-line
/// value, base64 (standard and URL-safe, at each of the three byte alignments, and as base64(1) wraps it at 76
/// columns), URL-escaped and JSON-escaped. Double encodings are not covered: masking is a safety net, not a boundary.
/// </summary>
public static class SecretForms
{
    /// <summary>Fragments shorter than this are not masked on their own (they would mask ordinary text).</summary>
    public const int MinFragment = 4;

    public static IEnumerable<string> Of(string value)
    {
        if (value.Length == 0) yield break;
        var forms = new HashSet<string>(StringComparer.Ordinal) { value };
        foreach (var line in value.Split('\n'))
        {
            var trimmed = line.TrimEnd('\r');
            if (trimmed.Trim().Length >= MinFragment) forms.Add(trimmed);
        }
        var bytes = Encoding.UTF8.GetBytes(value);
        foreach (var encoded in Base64Forms(bytes))
        {
            forms.Add(encoded);
            forms.Add(encoded.Replace('+', '-').Replace('/', '_'));
            for (var i = 0; i + 76 < encoded.Length; i += 76) forms.Add(encoded.Substring(i, 76));
        }
        forms.Add(Uri.EscapeDataString(value));
        forms.Add(WebUtility.UrlEncode(value));
        forms.Add(JsonEncodedText.Encode(value).ToString());
        forms.Add(JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString());
        foreach (var form in forms)
        {
            if (form.Length >= Math.Min(MinFragment, value.Length)) yield return form;
        }
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
            if (end - start >= MinFragment * 2) yield return encoded[start..end];
        }
    }
}
