using System.Net;
using System.Text;
using System.Text.Json;
using Hearth.Core.Secrets;

namespace Hearth.Server.Tests;

public sealed class SecretMaskerTests
{
    private const string Secret = "p@ss w0rd/+&\"é<tag>";

    private static readonly SecretMasker Masker = new([Secret]);

    public static TheoryData<string, string> Encodings =>
        new()
        {
            { "raw", Secret },
            { "base64", Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret)) },
            {
                "base64 of value and newline (echo | base64)",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret + "\n"))
            },
            { "base64 after one byte", Convert.ToBase64String(Encoding.UTF8.GetBytes("x" + Secret + "tail")) },
            { "base64 after two bytes", Convert.ToBase64String(Encoding.UTF8.GetBytes("xy" + Secret + "tail")) },
            {
                "base64url",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret)).Replace('+', '-').Replace('/', '_').TrimEnd('=')
            },
            { "url escaped", Uri.EscapeDataString(Secret) },
            { "form encoded", WebUtility.UrlEncode(Secret) },
            { "json escaped", JsonSerializer.Serialize(Secret) },
            {
                "json relaxed",
                JsonSerializer.Serialize(
                    Secret,
                    new JsonSerializerOptions
                    {
                        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
                    }
                )
            },
            { "json with \\/ (PHP, some JS)", JsonSerializer.Serialize(Secret).Replace("/", "\\/") },
            { "json relaxed with \\/", JsonSerializer.Serialize(Secret, Relaxed).Replace("/", "\\/") },
            { "hex lowercase", Convert.ToHexStringLower(Encoding.UTF8.GetBytes(Secret)) },
            { "hex uppercase", Convert.ToHexString(Encoding.UTF8.GetBytes(Secret)) },
            { "hex bytes apart", string.Join(' ', Encoding.UTF8.GetBytes(Secret).Select(b => b.ToString("x2"))) },
            { "HEX BYTES APART", string.Join(' ', Encoding.UTF8.GetBytes(Secret).Select(b => b.ToString("X2"))) },
            { "base32", "OBAHG4ZAO4YHEZBPFMTCFQ5JHR2GCZZ6" },
            { "html (WebUtility)", WebUtility.HtmlEncode(Secret) },
            { "html (HtmlEncoder)", System.Text.Encodings.Web.HtmlEncoder.Default.Encode(Secret) },
            { "html decimal entities", string.Concat(Secret.EnumerateRunes().Select(r => $"&#{r.Value};")) },
            { "html hex entities", string.Concat(Secret.EnumerateRunes().Select(r => $"&#x{r.Value:x};")) },
            { "shell single quotes", "'p@ss w0rd/+&\"é<tag>'" },
            { "shell double quotes", "\"p@ss w0rd/+&\\\"é<tag>\"" },
            { "bash printf %q", "p@ss\\ w0rd/+\\&\\\"é\\<tag\\>" },
        };

    private static readonly JsonSerializerOptions Relaxed = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// What the real tools print for a value with a quote in it: od, base32, base64 -w0, and bash's own quoting.
    /// </summary>
    public static TheoryData<string, string> Tools =>
        new()
        {
            { "od", "printf %s \"$S\" | od -An -tx1" },
            { "od uppercase", "printf %s \"$S\" | od -An -tx1 | tr a-f A-F" },
            { "base32", "printf %s \"$S\" | base32 -w0" },
            { "base32 of echo", "echo \"$S\" | base32" },
            { "printf %q", "printf '%q\\n' \"$S\"" },
            { "bash @Q", "echo \"${S@Q}\"" },
            { "declare -p", "declare -p S" },
            { "set -x trace", "{ set -x; : \"$S\"; } 2>&1" },
        };

    [Theory]
    [MemberData(nameof(Tools))]
    public async Task What_real_tools_print_is_masked(string tool, string script)
    {
        const string value = "it's a p@ss w0rd/+&\"é<tag> that is long enough to wrap";
        var start = new System.Diagnostics.ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true };
        start.Environment["LC_ALL"] = "C.UTF-8";
        start.Environment["S"] = value;
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0 && output.Length > 0, $"{tool}: exit {process.ExitCode}");
        var masker = new SecretMasker([value]);
        var lines = output.TrimEnd('\n').Split('\n').Select(masker.Apply).ToArray();
        for (var i = 1; i < lines.Length; i++)
            (lines[i - 1], lines[i]) = masker.ApplyAcross(lines[i - 1], lines[i]);
        var masked = string.Join('\n', lines);
        Assert.Contains(SecretMasker.Mask, masked);
        // What is left may hold the first and last few bytes' encodings (they share groups with what surrounds the
        // value).
        foreach (var word in new[] { "w0rd", "that", "long", "wrap", "enough" })
            Assert.DoesNotContain(word, masked);
        var left = new string(masked.Replace(SecretMasker.Mask, "").Where(c => !char.IsWhiteSpace(c)).ToArray());
        Assert.True(left.Length < 24, $"{tool}: '{masked}'");
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Every_encoding_is_masked(string encoding, string form)
    {
        var line = $"before {form} after";
        var masked = Masker.Apply(line);
        Assert.Contains(SecretMasker.Mask, masked);
        Assert.DoesNotContain(Secret, masked);
        // Of a base64 form only the groups that also encode the neighbouring bytes ("x", "tail") are left.
        Assert.True(masked.Length < line.Length - form.Length + 20, $"{encoding}: '{masked}'");
        Assert.StartsWith("before ", masked);
    }

    [Fact]
    public void Multi_line_values_are_masked_line_by_line_and_whole()
    {
        var key =
            "-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\nKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END KEY-----";
        var masker = new SecretMasker([key]);
        Assert.Equal(SecretMasker.Mask, masker.Apply(key));
        foreach (var line in key.Split('\n'))
            Assert.Equal(SecretMasker.Mask, masker.Apply(line));
        Assert.DoesNotContain("MIIBOg", masker.Apply(JsonSerializer.Serialize(key)));
    }

    [Fact]
    public void A_value_split_across_two_lines_is_masked_on_both_sides()
    {
        var (left, right) = Masker.ApplyAcross("prefix " + Secret[..7], Secret[7..] + " suffix");
        Assert.Equal("prefix ***", left);
        Assert.Equal("*** suffix", right);
        var (l2, r2) = Masker.ApplyAcross("nothing here", "nor here");
        Assert.Equal(("nothing here", "nor here"), (l2, r2));
    }

    [Fact]
    public void Lines_are_masked_across_continuation_marks_and_from_the_line_shipped_before()
    {
        var mark = SecretMasker.ContinuationMark;
        var (lines, last) = Masker.ApplyToLines(["a " + Secret[..4] + mark, Secret[4..] + " b", "c " + Secret[..9]]);
        // A value's start at the very end cannot be told from text yet: the shipper holds such a piece back.
        Assert.Equal(["a ***" + mark, "*** b", "c " + Secret[..9]], lines);
        Assert.Equal("c " + Secret[..9], last);

        var (next, _) = Masker.ApplyToLines([Secret[9..] + " d"], "c " + Secret[..9]);
        Assert.Equal(["*** d"], next);
        Assert.True(Masker.EndsWithPartial("x " + Secret[..3] + mark));
        Assert.False(Masker.EndsWithPartial("x " + mark));
    }

    [Fact]
    public void Every_split_point_of_every_form_is_caught()
    {
        var masker = new SecretMasker(["hunter2-longer-secret"]);
        foreach (var form in SecretForms.Of("hunter2-longer-secret"))
        {
            for (var cut = 1; cut < form.Length; cut++)
            {
                var (left, right) = masker.ApplyAcross("a " + form[..cut], form[cut..] + " b");
                Assert.Equal("a ***", left);
                Assert.Equal("*** b", right);
            }
        }
    }

    [Fact]
    public void Overlapping_and_repeated_values_become_one_mask_each_and_other_text_stays()
    {
        var masker = new SecretMasker(["abcdef", "defghi"]);
        Assert.Equal("x *** y *** z", masker.Apply("x abcdefghi y abcdef z"));
        Assert.Equal("plain text", masker.Apply("plain text"));
        Assert.True(SecretMasker.None.IsEmpty);
        Assert.Equal("anything", SecretMasker.None.Apply("anything"));
    }

    [Fact]
    public void Long_base64_wrapped_at_76_columns_is_masked_per_line()
    {
        var value = new string('k', 40) + "-" + new string('z', 40) + "-end";
        var wrapped = Convert.ToBase64String(Encoding.UTF8.GetBytes(value));
        var masker = new SecretMasker([value]);
        for (var i = 0; i < wrapped.Length; i += 76)
        {
            var line = wrapped.Substring(i, Math.Min(76, wrapped.Length - i));
            if (line.Length == 76)
                Assert.Equal(SecretMasker.Mask, masker.Apply(line));
        }
    }
}
