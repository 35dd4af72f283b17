namespace Hearth.Server.Configuration;

/// <summary>
/// Which sandbox drivers each role may ask for (the drivers.ROLE settings). The process driver runs a command as the
/// agent's user with the host's filesystem and network, so by default only admins may use it.
/// </summary>
public sealed record DriverOptions
{
    public const string Process = "process";

    public static readonly IReadOnlyList<string> Isolating = ["bubblewrap", "oci", "microvm", "buildah"];

    public IReadOnlyDictionary<string, IReadOnlyList<string>> Roles { get; init; } =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
        {
            ["admin"] = [Process, .. Isolating],
            ["operator"] = Isolating,
            ["developer"] = Isolating,
            ["viewer"] = [],
        };

    public IReadOnlyList<string> For(string role) => Roles.GetValueOrDefault(role) ?? [];

    public DriverOptions With(string role, IReadOnlyList<string> drivers) =>
        this with
        {
            Roles = new Dictionary<string, IReadOnlyList<string>>(Roles, StringComparer.Ordinal) { [role] = drivers },
        };
}
