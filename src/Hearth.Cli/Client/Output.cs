using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Runs;

namespace Hearth.Cli.Client;

public enum OutputFormat
{
    Text,
    Json,
}

/// <summary>Data to stdout, in the format asked for.</summary>
public static class Output
{
    /// <summary>
    /// "queued → leased +12ms → sandbox started +340ms → first output +5ms → exited +1.2s → result stored +8ms".
    /// </summary>
    public static string Startup(StartupView startup)
    {
        var steps = new (string Name, DateTimeOffset? At)[]
        {
            ("queued", startup.QueuedAt),
            ("leased", startup.LeasedAt),
            ("sandbox started", startup.SandboxStartedAt),
            ("first output", startup.FirstOutputAt),
            ("exited", startup.ExitedAt),
            ("result stored", startup.ResultStoredAt),
        };
        var parts = new List<string>();
        DateTimeOffset? previous = null;
        foreach (var (name, at) in steps)
        {
            if (at is null)
                continue;
            parts.Add(previous is null ? name : $"{name} +{Elapsed(at.Value - previous.Value)}");
            previous = at;
        }
        return parts.Count == 0
            ? "-"
            : string.Join(" → ", parts) + (startup.Attempt > 1 ? $" (attempt {startup.Attempt})" : "");
    }

    private static string Elapsed(TimeSpan span) =>
        span < TimeSpan.Zero ? "0ms"
        : span < TimeSpan.FromSeconds(1) ? $"{span.TotalMilliseconds:F0}ms"
        : $"{span.TotalSeconds:F1}s";

    public static void Json<T>(T value) =>
        Console.Out.WriteLine(JsonSerializer.Serialize(value, CliJson.Options.TypeInfo<T>()));

    public static string State(RunState state) => JsonNamingPolicy.SnakeCaseUpper.ConvertName(state.ToString());

    public static string Name(TaskState state) => JsonNamingPolicy.SnakeCaseUpper.ConvertName(state.ToString());

    public static string Duration(RunView run)
    {
        if (run.StartedAt is not { } start)
            return "-";
        var end = run.EndedAt ?? DateTimeOffset.UtcNow;
        return Durations.Format(end - start);
    }

    /// <summary>"1 of 3" (the same in status and list), or "-" before any task exists.</summary>
    public static string Attempt(RunView run) =>
        run.MaxAttempts == 0 ? "-"
        : run.MaxAttempts > 1 ? $"{run.Attempt} of {run.MaxAttempts}"
        : run.Attempt.ToString();

    /// <summary>The driver asked for, or that the agent picks its own (bubblewrap where it exists).</summary>
    public static string Driver(RunView run) => run.Driver ?? "agent default";

    /// <summary>"cpus 1.5, memory 512M, pids 64, timeout 10m", or "-" for none.</summary>
    public static string Limits(RunView run)
    {
        var parts = new List<string>();
        if (run.Cpus is { } cpus)
            parts.Add($"cpus {cpus.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        if (run.MemoryBytes is { } bytes)
            parts.Add($"memory {Size(bytes)}");
        if (run.Pids is { } pids)
            parts.Add($"pids {pids}");
        if (run.TimeoutSeconds is { } seconds)
            parts.Add($"timeout {Durations.Format(TimeSpan.FromSeconds(seconds))}");
        return parts.Count == 0 ? "-" : string.Join(", ", parts);
    }

    /// <summary>512M, 1.5G, 64K or bytes, as --memory takes them.</summary>
    public static string Size(long bytes) =>
        bytes >= 1L << 30
            ? $"{(bytes / (double)(1L << 30)).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}G"
        : bytes >= 1L << 20
            ? $"{(bytes / (double)(1L << 20)).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}M"
        : bytes >= 1L << 10
            ? $"{(bytes / (double)(1L << 10)).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}K"
        : bytes.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = headers
            .Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length)))
            .ToArray();
        Console.Out.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in all)
            Console.Out.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
    }
}
