using System.Globalization;
using System.Text;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using static Hearth.Server.Web.WebPage;

namespace Hearth.Server.Web;

/// <summary>
/// A run's startup breakdown as one bar per attempt of each task: the current attempt split into its phases (from
/// <see cref="StartupView"/>), earlier attempts as one segment ending with why they ended. One time scale for all bars,
/// drawn as SVG (no inline styles, so the pages' strict CSP holds).
/// </summary>
public static class StartupBars
{
    private sealed record Segment(string Phase, DateTimeOffset From, DateTimeOffset To, string? Note = null);

    private sealed record Bar(string Label, IReadOnlyList<Segment> Segments);

    public static readonly (string Phase, string Label)[] Phases =
    [
        ("queued", "queued"),
        ("sandbox", "sandbox start"),
        ("output", "to first output"),
        ("running", "running"),
        ("reporting", "result stored"),
        ("earlier", "earlier attempt"),
        ("live", "in progress"),
    ];

    public static string Render(Run run, DateTimeOffset now)
    {
        var bars = new List<Bar>();
        foreach (var task in run.Tasks)
        {
            var prefix = run.Plan is null ? "" : $"step {task.Name} · ";
            var start = run.CreatedAt;
            foreach (var earlier in task.History)
            {
                bars.Add(
                    new Bar(
                        $"{prefix}attempt {earlier.Attempt}",
                        [new Segment("earlier", start, earlier.EndedAt, earlier.Reason)]
                    )
                );
                start = earlier.EndedAt;
            }
            bars.Add(
                new Bar(
                    $"{prefix}attempt {task.Attempt}",
                    Current(StartupView.From(task), Transitions.Task.IsTerminal(task.State), now)
                )
            );
        }
        bars.RemoveAll(b => b.Segments.Count == 0);
        if (bars.Count == 0)
            return "<p class=\"muted\">No attempt yet.</p>";
        var origin = bars.Min(b => b.Segments[0].From);
        var span = Math.Max(0.001, bars.Max(b => (b.Segments[^1].To - origin).TotalSeconds));

        var html = new StringBuilder("<ol class=\"bars\">");
        foreach (var bar in bars)
        {
            var total = bar.Segments[^1].To - bar.Segments[0].From;
            html.Append("<li><span class=\"bar-label\">")
                .Append(E(bar.Label))
                .Append("</span>")
                .Append(
                    "<svg class=\"bar\" viewBox=\"0 0 1000 16\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\""
                )
                .Append(E(bar.Label + ": " + string.Join(", ", bar.Segments.Select(Describe))))
                .Append("\">");
            foreach (var segment in bar.Segments)
            {
                var x = (segment.From - origin).TotalSeconds / span * 1000;
                var width = Math.Max(2, (segment.To - segment.From).TotalSeconds / span * 1000);
                html.Append("<rect class=\"p-")
                    .Append(segment.Phase)
                    .Append("\" x=\"")
                    .Append(x.ToString("0.#", CultureInfo.InvariantCulture))
                    .Append("\" y=\"0\" height=\"16\" width=\"")
                    .Append(width.ToString("0.#", CultureInfo.InvariantCulture))
                    .Append("\"><title>")
                    .Append(E(Describe(segment)))
                    .Append("</title></rect>");
            }
            html.Append("</svg><span class=\"bar-total\">").Append(E(Format.Duration(total))).Append("</span></li>");
        }
        html.Append("</ol><ul class=\"legend\" aria-label=\"Phases\">");
        foreach (var (phase, label) in Phases)
            html.Append("<li><span class=\"swatch p-")
                .Append(phase)
                .Append("\" aria-hidden=\"true\"></span>")
                .Append(E(label))
                .Append("</li>");
        return html.Append("</ul>").ToString();
    }

    private static List<Segment> Current(StartupView startup, bool ended, DateTimeOffset now)
    {
        var points = new List<(string Phase, DateTimeOffset? At)>
        {
            ("queued", startup.LeasedAt),
            ("sandbox", startup.SandboxStartedAt),
            ("output", startup.FirstOutputAt),
            ("running", startup.ExitedAt),
            ("reporting", startup.ResultStoredAt),
        };
        var segments = new List<Segment>();
        if (startup.QueuedAt is not { } from)
            return segments;
        var phase = "queued";
        foreach (var (name, at) in points)
        {
            if (at is not { } to)
                continue;
            // No first output: the sandbox ran silently until it exited, all of it "running".
            segments.Add(
                new Segment(
                    name == "running" && startup.FirstOutputAt is null ? "running" : name,
                    from,
                    to < from ? from : to
                )
            );
            from = to < from ? from : to;
            phase = name;
        }
        if (!ended && now > from)
            segments.Add(new Segment("live", from, now, $"after {phase}"));
        return segments;
    }

    private static string Describe(Segment segment)
    {
        var label = Phases.First(p => p.Phase == segment.Phase).Label;
        return $"{label} {Format.Duration(segment.To - segment.From)}"
            + (segment.Note is null ? "" : $" ({segment.Note})");
    }
}
