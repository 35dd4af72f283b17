namespace Hearth.Server.Webhooks.Signatures;

/// <summary>
/// The outcome of checking a delivery's authentication: verified, or refused with the reason (never the secret).
/// </summary>
public readonly record struct Verification(bool Verified, string? Problem)
{
    public static Verification Ok { get; } = new(true, null);

    public static Verification Refused(string problem) => new(false, problem);
}
