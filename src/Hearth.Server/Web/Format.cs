using System.Globalization;
using Hearth.Core.Runs;
using Hearth.Server.Api;
using static Hearth.Server.Web.WebPage;

namespace Hearth.Server.Web;

/// <summary>How pages show times, durations and states.</summary>
public static class Format
{
    /// <summary>A UTC time as text, in a &lt;time&gt; element whose datetime the script shows in local time.</summary>
    public static string Time(DateTimeOffset? at) =>
        at is { } t
            ? $"<time datetime=\"{t.UtcDateTime:O}\">{t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z</time>"
            : "<span class=\"muted\">–</span>";

    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
            span = TimeSpan.Zero;
        if (span.TotalSeconds < 1)
            return $"{span.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms";
        if (span.TotalMinutes < 1)
            return $"{span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s";
        if (span.TotalHours < 1)
            return $"{(int)span.TotalMinutes}m {span.Seconds}s";
        return $"{(int)span.TotalHours}h {span.Minutes}m";
    }

    public static string Ago(DateTimeOffset at, DateTimeOffset now) => Duration(now - at) + " ago";

    public static string State(RunState state) => Badge(RunStates.ToName(state));

    public static string State(TaskState state) =>
        Badge(System.Text.Json.JsonNamingPolicy.SnakeCaseUpper.ConvertName(state.ToString()));

    /// <summary>
    /// A state as a badge: its colour class from the name, its text the name (colour is never the only cue).
    /// </summary>
    public static string Badge(string name) =>
        $"<span class=\"badge s-{E(name.ToLowerInvariant())}\" data-state=\"{E(name)}\">{E(name)}</span>";
}
