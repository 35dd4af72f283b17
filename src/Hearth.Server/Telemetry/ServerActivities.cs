using System.Diagnostics;

namespace Hearth.Server.Telemetry;

/// <summary>
/// The server's spans beyond the request spans of ASP.NET Core: creating a run, claiming a lease, storing a result.
/// An <see cref="ActivitySource"/> costs nothing while no tracer listens (tracing off: no span is made).
/// </summary>
public static class ServerActivities
{
    public const string SourceName = "Hearth.Server";

    public static readonly ActivitySource Source = new(SourceName);
}
