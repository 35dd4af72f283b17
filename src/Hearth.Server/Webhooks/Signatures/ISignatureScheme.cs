using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Webhooks.Signatures;

/// <summary>
/// One forge's way of authenticating a delivery, checked over the raw body bytes, in constant time, against every
/// secret that is active (two during a rotation). No active secret refuses everything: Hearth never skips verification.
/// </summary>
public interface ISignatureScheme
{
    Verification Verify(IHeaderDictionary headers, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets);
}
