using Microsoft.Extensions.Logging;

namespace Hearth.Agent.Services;

/// <summary>
/// <c>hearth down -v</c> on this agent: asks the server, every few seconds, which gone projects' volumes are to be
/// removed, removes those it holds that no replica here mounts any more, and reports each one removed. A volume still
/// in use is left and tried again on the next pass; a project up again under the same name keeps its volumes.
/// </summary>
public sealed class VolumeSweeper(
    AgentApiClient api,
    ServiceRuntime services,
    string agentName,
    ILogger logger,
    TimeProvider time
)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!await SweepAsync(stop))
                    return;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
                when (e
                        is HttpRequestException
                            or AgentProtocolException
                            or TaskCanceledException
                            or IOException
                            or UnauthorizedAccessException
                )
            {
                logger.LogDebug("volume sweep failed ({Error}); trying again", e.Message);
            }
            try
            {
                await Task.Delay(Interval, time, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass; false when the server has no removals endpoint (nothing to sweep for).</summary>
    public async Task<bool> SweepAsync(CancellationToken ct)
    {
        var held = services.Volumes.List();
        if (held.Count == 0)
            return true;
        if (await api.VolumeRemovalsAsync(ct) is not { } removals)
            return false;
        foreach (var removal in removals)
        {
            var removed = new List<string>();
            foreach (
                var (project, volume) in held.Where(h =>
                    h.Project == removal.Project && removal.Volumes.Contains(h.Volume)
                )
            )
            {
                if (services.VolumeInUse(project, volume))
                    continue;
                if (services.Volumes.Remove(project, volume))
                    removed.Add(volume);
            }
            if (removed.Count == 0)
                continue;
            logger.LogInformation(
                "down -v: removed volume(s) {Volumes} of project {Project}",
                string.Join(", ", removed),
                removal.Project
            );
            await api.ReportVolumesRemovedAsync(
                new Core.Services.VolumesRemovedBody(agentName, removal.Project, removed),
                ct
            );
        }
        return true;
    }
}
