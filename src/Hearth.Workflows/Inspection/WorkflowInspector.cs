using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Hearth.Workflows.Model;

namespace Hearth.Workflows.Inspection;

/// <summary>
/// Entry point for <c>hearth workflow inspect FILE</c>: the flattened graph as rows, a table or JSON.
/// </summary>
public static class WorkflowInspector
{
    private static readonly InspectionJsonContext Json = new(
        new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            WriteIndented = true,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }
    );

    /// <summary>Every step, depth-first in document order.</summary>
    public static IReadOnlyList<WorkflowInspectionRow> Rows(WorkflowDefinition workflow)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        return workflow
            .Graph.Steps.Select(s => new WorkflowInspectionRow(
                s.Id,
                s.Kind.ToString().ToLowerInvariant(),
                s.ParentId,
                s.Order,
                s.Machine,
                s.Condition?.Text,
                s.Run,
                s.Source.ToString(),
                s.ImportedFrom,
                s.DependsOn
            ))
            .ToList();
    }

    /// <summary>The CLI's JSON convention: an object, snake_case keys, the rows under "fragments".</summary>
    public static string ToJson(IReadOnlyList<WorkflowInspectionRow> rows) =>
        JsonSerializer.Serialize(new WorkflowInspection(rows), Json.WorkflowInspection);

    /// <summary>A fixed-width table; scripts show their first line only.</summary>
    public static string ToTable(IReadOnlyList<WorkflowInspectionRow> rows)
    {
        string[] headers = ["ID", "KIND", "PARENT", "ORDER", "MACHINE", "CONDITION", "RUN", "SOURCE"];
        var cells = rows.Select(r =>
                new[]
                {
                    r.Id,
                    r.Kind,
                    r.Parent ?? "-",
                    r.Order.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    r.Machine ?? "-",
                    r.Condition ?? "-",
                    FirstLine(r.Run),
                    r.Source,
                }
            )
            .ToList();
        var widths = headers
            .Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length)))
            .ToArray();
        var sb = new StringBuilder();
        AppendRow(sb, headers, widths);
        foreach (var row in cells)
        {
            AppendRow(sb, row, widths);
        }

        return sb.ToString();
    }

    private static void AppendRow(StringBuilder sb, string[] cells, int[] widths)
    {
        for (int i = 0; i < cells.Length; i++)
        {
            sb.Append(i == cells.Length - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2));
        }

        sb.Append('\n');
    }

    private static string FirstLine(string? run)
    {
        if (run is null)
        {
            return "-";
        }

        int newline = run.IndexOf('\n', StringComparison.Ordinal);
        string line = newline < 0 ? run : run[..newline] + " …";
        return line.Length > 60 ? line[..57] + "..." : line;
    }
}
