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
    public static void Json<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, CliJson.Options.TypeInfo<T>()));

    public static string State(RunState state) => JsonNamingPolicy.SnakeCaseUpper.ConvertName(state.ToString());

    public static string Name(TaskState state) => JsonNamingPolicy.SnakeCaseUpper.ConvertName(state.ToString());

    public static string Duration(RunView run)
    {
        if (run.StartedAt is not { } start) return "-";
        var end = run.EndedAt ?? DateTimeOffset.UtcNow;
        return Durations.Format(end - start);
    }

    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        Console.Out.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in all) Console.Out.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
    }
}
