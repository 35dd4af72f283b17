namespace Hearth.Sandbox.Oci.Images;

/// <summary>
/// docker pull-style words for a pull's events: a line when a layer changes phase, none for each chunk downloaded.
/// Shared by `hearth images pull` and the oci driver, which shows a run's pull in its log.
/// </summary>
public static class PullLines
{
    /// <summary>
    /// The line for <paramref name="progress"/>, or null for an event that gets none (bytes downloading).
    /// </summary>
    public static string? Describe(PullProgress progress)
    {
        var layer = progress.Layer is null ? "" : ShortDigest(progress.Layer) + ": ";
        return progress.Phase switch
        {
            PullPhase.Downloading => null,
            PullPhase.Resolved => $"resolved: {progress.LayerCount} layer(s), {Megabytes(progress.TotalSize)} MB",
            PullPhase.AlreadyExists => $"{layer}already exists",
            PullPhase.Waiting => $"{layer}waiting for another pull",
            PullPhase.Downloaded =>
                $"{layer}downloaded {Megabytes(progress.LayerBytes)} MB ({progress.LayersDone}/{progress.LayerCount})",
            PullPhase.Extracting => $"{layer}extracting",
            _ => "complete",
        };
    }

    /// <summary>The closing line of a pull whose last event was <paramref name="last"/>.</summary>
    public static string Summary(PullProgress last) =>
        $"pulled {Megabytes(last.TotalBytes)} MB in {last.LayerCount} layer(s)";

    private static string ShortDigest(string digest)
    {
        var hex = digest.Replace("sha256:", "", StringComparison.Ordinal);
        return hex.Length > 12 ? hex[..12] : hex;
    }

    private static string Megabytes(long bytes) =>
        (bytes / 1024.0 / 1024.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
}
