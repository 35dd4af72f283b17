using Hearth.Core.Schedules;
using Hearth.Workflows.Diagnostics;

namespace Hearth.Workflows.Model;

/// <summary>
/// A <c>schedule "SPEC" tz="ZONE" missed="skip|once"</c> node of a workflow file: when the workflow runs by itself.
/// The spec was checked when the file was loaded.
/// </summary>
public sealed record WorkflowSchedule(string Spec, string? TimeZone, MissedRunPolicy Missed, SourceLocation Location);
