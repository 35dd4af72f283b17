using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Webhooks.Signatures;

/// <summary>
/// GitLab's classic hook authentication: <c>X-Gitlab-Token</c> is the shared secret itself. Both sides are hashed
/// first, so the fixed-time compare is over equal lengths and says nothing about the secret's length.
/// </summary>
public sealed class GitLabTokenScheme : ISignatureScheme
{
    public const string Header = "X-Gitlab-Token";

    public static GitLabTokenScheme Instance { get; } = new();

    public Verification Verify(IHeaderDictionary headers, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets)
    {
        if (secrets.Count == 0)
            return SignatureHeaders.NoSecret();
        var (value, problem) = SignatureHeaders.Single(headers, Header);
        if (problem is not null)
            return Verification.Refused(problem);
        var sent = SHA256.HashData(Encoding.UTF8.GetBytes(value!));
        var matched = false;
        foreach (var secret in secrets)
            matched |= CryptographicOperations.FixedTimeEquals(sent, SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
        return matched ? Verification.Ok : Verification.Refused($"{Header} does not match the repository's secret");
    }
}
