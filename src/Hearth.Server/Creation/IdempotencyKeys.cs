using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hearth.Core;
using Hearth.Store;

namespace Hearth.Server.Creation;

/// <summary>
/// Reads the idempotency key of a create request (the <c>Idempotency-Key</c> header or the body's
/// <c>idempotency_key</c>) and hashes the request it came with, so that a retry of the same request is told from a
/// reuse of the key.
/// </summary>
public static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int MaxLength = 255;

    /// <summary>The key (null when none was sent) or an error naming what is wrong with it.</summary>
    /// <param name="fromBody">The body's <c>idempotency_key</c> field.</param>
    /// <param name="request">The parsed request without its key, as it is hashed: the same fields give the same hash
    /// whatever the JSON's spacing or field order.</param>
    public static (IdempotencyKey? Key, string? Error) Read<T>(
        HttpContext http,
        string? fromBody,
        string kind,
        T request
    )
    {
        var header = http.Request.Headers[Header];
        if (header.Count > 1)
            return (null, $"{Header}: send one key, not {header.Count}");
        var fromHeader = header.Count == 1 ? header[0] : null;
        if (
            fromHeader is not null
            && fromBody is not null
            && !string.Equals(fromHeader, fromBody, StringComparison.Ordinal)
        )
            return (null, $"{Header} ('{fromHeader}') and idempotency_key ('{fromBody}') differ; send one of them");
        var key = fromHeader ?? fromBody;
        if (key is null)
            return (null, null);
        if (key.Length is 0 or > MaxLength || key.Any(c => c is < '!' or > '~'))
            return (
                null,
                $"{(fromHeader is not null ? Header : "idempotency_key")}: expected 1 to {MaxLength} printable ASCII characters without spaces"
            );
        var json = JsonSerializer.SerializeToUtf8Bytes(request, HearthJson.Options.TypeInfo<T>());
        var hash = SHA256.HashData([.. Encoding.UTF8.GetBytes(kind + "\n"), .. json]);
        return (new IdempotencyKey(key, Convert.ToHexStringLower(hash)), null);
    }
}
