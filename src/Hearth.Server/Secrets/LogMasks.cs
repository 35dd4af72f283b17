using Hearth.Core.Logs;
using Hearth.Core.Secrets;
using Hearth.Store;
using Microsoft.Extensions.Caching.Memory;
using Hearth.Core.Runs;

namespace Hearth.Server.Secrets;

/// <summary>
/// Masks secrets in log lines before the server stores them (and so before anyone can stream them), whatever the
/// agent did: the masker a lease was handed out with, or, on another server or after a restart, one built from the
/// current values of the secrets the run names.
/// </summary>
public sealed class LogMasks(IMemoryCache cache, IRunStore runs, SecretService secrets, ILogger<LogMasks> logger)
{
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(30);

    public void Remember(string taskId, IEnumerable<string> values) =>
        cache.Set(Key(taskId), new SecretMasker(values), new MemoryCacheEntryOptions { SlidingExpiration = Keep, Size = 1 });

    public async Task<IReadOnlyList<AgentLogLine>> MaskAsync(string taskId, IReadOnlyList<AgentLogLine> lines, CancellationToken ct)
    {
        if (lines.Count == 0) return lines;
        var masker = await ForTaskAsync(taskId, ct);
        if (masker.IsEmpty) return lines;
        var texts = lines.Select(l => masker.Apply(l.Text)).ToArray();
        for (var i = 1; i < texts.Length; i++) (texts[i - 1], texts[i]) = masker.ApplyAcross(texts[i - 1], texts[i]);
        return lines.Select((l, i) => ReferenceEquals(l.Text, texts[i]) ? l : l with { Text = texts[i] }).ToArray();
    }

    private async Task<SecretMasker> ForTaskAsync(string taskId, CancellationToken ct)
    {
        if (cache.TryGetValue(Key(taskId), out SecretMasker? known) && known is not null) return known;
        var task = await runs.GetTaskAsync(taskId, ct);
        var run = task is null ? null : await runs.GetRunAsync(task.RunId, ct);
        var names = task is null ? [] : SecretsOf(run, task);
        var values = new List<string>();
        foreach (var name in names)
        {
            try
            {
                values.AddRange((await secrets.ResolveAsync([name], ct)).Values);
            }
            catch (SecretUnavailableException e)
            {
                logger.LogWarning("task {Task}: cannot mask secret {Name}: {Error}", taskId, name, e.Message);
            }
        }
        var masker = values.Count == 0 ? SecretMasker.None : new SecretMasker(values);
        cache.Set(Key(taskId), masker, new MemoryCacheEntryOptions { SlidingExpiration = Keep, Size = 1 });
        return masker;
    }

    /// <summary>The task's own secrets: a workflow step's (in the plan), or the run's and its git secret.</summary>
    private static IEnumerable<string> SecretsOf(Run? run, RunTask task)
    {
        if (run is null) return [];
        if (task.Kind == TaskKind.WorkflowStep && run.Plan is { } plan)
            return plan.Steps.FirstOrDefault(s => s.Id == task.Name)?.Secrets ?? [];
        return run.Spec.Git?.Secret is { } git ? [.. run.Spec.Secrets, git] : run.Spec.Secrets;
    }

    /// <summary>Masks one text the agent sends besides log lines (a task's error).</summary>
    public async Task<string?> MaskTextAsync(string taskId, string? text, CancellationToken ct) =>
        text is null ? null : (await ForTaskAsync(taskId, ct)).Apply(text);

    private static string Key(string taskId) => "mask:" + taskId;
}
