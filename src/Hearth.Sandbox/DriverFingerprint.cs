namespace Hearth.Sandbox;

/// <summary>Result of probing the host for a driver.</summary>
/// <param name="Healthy">The driver can run sandboxes on this host.</param>
/// <param name="Reason">Why not, when unhealthy.</param>
/// <param name="Attributes">Become agent labels, e.g. "driver.bubblewrap" = "0.8.0".</param>
public sealed record DriverFingerprint(bool Healthy, string? Reason, IReadOnlyDictionary<string, string> Attributes)
{
    public static DriverFingerprint Unhealthy(string reason) => new(false, reason, new Dictionary<string, string>());
}
