using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Webhooks.Signatures;

/// <summary>
/// The Standard Webhooks signature (also GitLab's signing token): <c>webhook-signature</c> holds space-separated
/// <c>v1,BASE64</c> entries, each an HMAC-SHA256 of <c>{webhook-id}.{webhook-timestamp}.{body}</c>; the timestamp (Unix
/// seconds) must be within <see cref="Tolerance"/> of now. A secret <c>whsec_BASE64</c> is the key's bytes in base64;
/// any other secret is used as its UTF-8 bytes. Written here rather than taken from the StandardWebhooks package: that
/// one signs a string (not the raw bytes), reads the system clock (not a TimeProvider) and takes one key at a time.
/// </summary>
public sealed class StandardWebhooksScheme(TimeProvider time) : ISignatureScheme
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";
    private const string KeyPrefix = "whsec_";

    public static TimeSpan Tolerance { get; } = TimeSpan.FromMinutes(5);

    public Verification Verify(IHeaderDictionary headers, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets)
    {
        if (secrets.Count == 0)
            return SignatureHeaders.NoSecret();
        var (id, idProblem) = SignatureHeaders.Single(headers, IdHeader);
        if (idProblem is not null)
            return Verification.Refused(idProblem);
        var (stamp, stampProblem) = SignatureHeaders.Single(headers, TimestampHeader);
        if (stampProblem is not null)
            return Verification.Refused(stampProblem);
        var (signature, signatureProblem) = SignatureHeaders.Single(headers, SignatureHeader);
        if (signatureProblem is not null)
            return Verification.Refused(signatureProblem);
        if (
            !long.TryParse(stamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > 253402300799
        )
            return Verification.Refused($"{TimestampHeader} header: expected Unix seconds");
        var sentAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
        var skew = time.GetUtcNow() - sentAt;
        if (skew.Duration() > Tolerance)
            return Verification.Refused(
                $"{TimestampHeader} is {(skew > TimeSpan.Zero ? "older" : "newer")} than the {Tolerance.TotalMinutes:0}-minute tolerance"
            );

        var signed = new byte[Encoding.UTF8.GetByteCount(id!) + Encoding.UTF8.GetByteCount(stamp!) + 2 + body.Length];
        var at = Encoding.UTF8.GetBytes(id!, signed);
        signed[at++] = (byte)'.';
        at += Encoding.UTF8.GetBytes(stamp!, signed.AsSpan(at));
        signed[at++] = (byte)'.';
        body.CopyTo(signed.AsSpan(at));

        var sent = new List<byte[]>();
        foreach (var entry in signature!.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!entry.StartsWith("v1,", StringComparison.Ordinal))
                continue;
            var bytes = new byte[32];
            if (Convert.TryFromBase64String(entry[3..], bytes, out var written) && written == 32)
                sent.Add(bytes);
        }
        if (sent.Count == 0)
            return Verification.Refused($"{SignatureHeader} header: expected 'v1,' followed by a base64 HMAC-SHA256");

        var matched = false;
        foreach (var secret in secrets)
        {
            var key = Key(secret);
            if (key is null)
                continue;
            var expected = HMACSHA256.HashData(key, signed);
            foreach (var candidate in sent)
                matched |= CryptographicOperations.FixedTimeEquals(expected, candidate);
        }
        return matched
            ? Verification.Ok
            : Verification.Refused($"{SignatureHeader} does not match the message signed with the secret");
    }

    private static byte[]? Key(string secret)
    {
        if (!secret.StartsWith(KeyPrefix, StringComparison.Ordinal))
            return Encoding.UTF8.GetBytes(secret);
        try
        {
            return Convert.FromBase64String(secret[KeyPrefix.Length..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
