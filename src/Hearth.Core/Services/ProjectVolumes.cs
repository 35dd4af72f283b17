namespace Hearth.Core.Services;

/// <summary>
/// The named volumes a project's replicas use: its top-level ones and those its services mount (anonymous ones named).
/// </summary>
public static class ProjectVolumes
{
    public static IReadOnlyList<string> Of(ProjectSpec spec) =>
        [
            .. spec
                .Volumes.Concat(
                    spec.Services.SelectMany(s => s.Mounts)
                        .Where(m => m.Kind == ServiceMountKind.Volume && !string.IsNullOrEmpty(m.Source))
                        .Select(m => m.Source!)
                )
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal),
        ];
}
