using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Webhooks.Signatures;

/// <summary>
/// A hex HMAC-SHA256 of the raw body in one header, with or without a prefix. GitHub sends
/// <c>X-Hub-Signature-256: sha256=HEX</c>; Bitbucket Cloud and Data Center send <c>X-Hub-Signature: sha256=HEX</c>;
/// Gitea sends <c>X-Gitea-Signature: HEX</c> and Forgejo <c>X-Forgejo-Signature: HEX</c> (no prefix).
/// </summary>
public sealed class HexHmacScheme(string header, string prefix) : ISignatureScheme
{
    public static HexHmacScheme GitHub { get; } = new("X-Hub-Signature-256", "sha256=");

    public static HexHmacScheme Bitbucket { get; } = new("X-Hub-Signature", "sha256=");

    public static HexHmacScheme Gitea { get; } = new("X-Gitea-Signature", "");

    public static HexHmacScheme Forgejo { get; } = new("X-Forgejo-Signature", "");

    public string Header { get; } = header;

    public Verification Verify(IHeaderDictionary headers, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets)
    {
        if (secrets.Count == 0)
            return SignatureHeaders.NoSecret();
        var (value, problem) = SignatureHeaders.Single(headers, Header);
        if (problem is not null)
            return Verification.Refused(problem);
        if (!value!.StartsWith(prefix, StringComparison.Ordinal))
            return Verification.Refused($"{Header} header: expected '{prefix}' followed by 64 hex digits");
        var digest = SignatureHeaders.Hex(value[prefix.Length..], 32);
        if (digest is null)
            return Verification.Refused(
                $"{Header} header: expected {(prefix.Length > 0 ? $"'{prefix}' followed by " : "")}64 hex digits"
            );
        return SignatureHeaders.AnyHmacMatches(secrets, body, digest)
            ? Verification.Ok
            : Verification.Refused($"{Header} does not match the body signed with the repository's secret");
    }
}
