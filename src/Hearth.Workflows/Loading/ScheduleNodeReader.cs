using Hearth.Core.Schedules;
using Hearth.Kdl;
using Hearth.Workflows.Diagnostics;
using Hearth.Workflows.Model;
using Hearth.Workflows.Schedules;

namespace Hearth.Workflows.Loading;

/// <summary>
/// Reads <c>schedule "15 3 * * 1-5" tz="Europe/Berlin" missed="once"</c> (also spelled <c>schedule cron="…"</c>, as in
/// Vulcan's proposed trigger block): the spec is parsed now, so a bad one is an error at its line and column.
/// </summary>
internal sealed class ScheduleNodeReader(string file, DiagnosticBag diagnostics)
{
    public WorkflowSchedule? Read(KdlNode node)
    {
        string? spec = null,
            zone = null;
        KdlValue? specValue = null;
        var missed = MissedRunPolicy.Skip;
        var ok = true;
        if (node.Children.Count > 0)
            ok = Error(node.Children[0].Location, "'schedule' takes no { } block");
        foreach (var property in node.Properties)
        {
            if (property.Value.AsString() is not { } text)
            {
                ok = Error(property.Location, $"schedule: {property.Key}= must be a string");
                continue;
            }
            switch (property.Key)
            {
                case "cron":
                    spec = text;
                    specValue = property.Value;
                    break;
                case "tz":
                    zone = text;
                    break;
                case "missed" when text is "skip":
                    missed = MissedRunPolicy.Skip;
                    break;
                case "missed" when text is "once":
                    missed = MissedRunPolicy.Once;
                    break;
                case "missed":
                    ok = Error(
                        property.Location,
                        $"schedule: missed=\"{text}\" is not a policy; expected \"skip\" or \"once\""
                    );
                    break;
                default:
                    ok = Error(
                        property.Location,
                        $"schedule: unknown property '{property.Key}='; expected cron=, tz= or missed="
                    );
                    break;
            }
        }
        if (node.Arguments.Count > 1 || (node.Arguments.Count == 1 && spec is not null))
            return Fail(
                node.Arguments[^1].Location,
                "'schedule' takes one spec (an argument or cron=); write one schedule node per spec"
            );
        if (node.Arguments.Count == 1)
        {
            specValue = node.Arguments[0];
            if ((spec = specValue.AsString()) is null)
                return Fail(specValue.Location, "'schedule' spec must be a string, such as \"15 3 * * *\"");
        }
        if (spec is null)
            return Fail(node.Location, "'schedule' needs a cron spec: schedule \"15 3 * * *\" (or @daily, @every 1h)");
        if (!ScheduleSpecParser.TryParse(spec, out var parsed, out var error))
            return Fail(specValue!.Location, $"schedule: {error}");
        if (zone is not null)
        {
            if (parsed!.Zone is not null)
                return Fail(node.Location, "schedule: the spec has a TZ= prefix and tz= too; give the zone once");
            if (parsed.Interval is not null)
                return Fail(
                    node.Location,
                    "schedule: tz= has no meaning for @every (an interval counts from 1970-01-01T00:00:00Z)"
                );
            if (!ScheduleZones.TryResolve(zone, out _, out var zoneError))
                return Fail(node.Location, $"schedule: tz=: {zoneError}");
        }
        return ok ? new WorkflowSchedule(spec, zone, missed, DiagnosticBag.At(file, node.Location)) : null;
    }

    private bool Error(KdlLocation at, string message)
    {
        diagnostics.Add(WorkflowErrorCode.InvalidValue, DiagnosticBag.At(file, at), message);
        return false;
    }

    private WorkflowSchedule? Fail(KdlLocation at, string message)
    {
        Error(at, message);
        return null;
    }
}
