using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Logs;
using Hearth.Core.Runs;
using Hearth.Core.Secrets;
using Hearth.Store;
using Microsoft.Extensions.Caching.Memory;

namespace Hearth.Server.Secrets;

/// <summary>
/// Masks secrets in log lines before the server stores them (and so before anyone can stream them), whatever the
/// agent did. The values a task was given (its secrets, a workflow step's, its git credentials) are kept with the task,
/// encrypted under the secrets key, when its lease is handed out: every server, and the same one after a restart, masks
/// with exactly those values, even if the secret was changed or deleted since. A task leased before tasks kept their
/// values is masked with the current values of the secrets its run names.
/// </summary>
public sealed class LogMasks(
    IMemoryCache cache,
    IRunStore runs,
    SecretService secrets,
    SecretKeyring keyring,
    ILogger<LogMasks> logger
)
{
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Remembers the secret values an assignment hands out and keeps them with the task, before the agent can print any
    /// of them. False when <paramref name="epoch"/> is no longer the task's current lease.
    /// </summary>
    public async Task<bool> KeepAsync(string taskId, long epoch, IReadOnlyList<string> values, CancellationToken ct)
    {
        if (values.Count == 0)
            return true;
        Remember(taskId, values);
        var json = JsonSerializer.Serialize(values.ToList(), HearthJson.Options.TypeInfo<List<string>>());
        var (keyId, ciphertext) = keyring.Encrypt(MaskName(taskId), json);
        var written = await runs.SetSecretMaskAsync(taskId, epoch, $"{keyId}:{Convert.ToBase64String(ciphertext)}", ct);
        return written.Status == WriteStatus.Accepted;
    }

    public void Remember(string taskId, IEnumerable<string> values) =>
        cache.Set(
            Key(taskId),
            new SecretMasker(values),
            new MemoryCacheEntryOptions { SlidingExpiration = Keep, Size = 1 }
        );

    public async Task<IReadOnlyList<AgentLogLine>> MaskAsync(
        string taskId,
        IReadOnlyList<AgentLogLine> lines,
        CancellationToken ct
    )
    {
        if (lines.Count == 0)
            return lines;
        var masker = await ForTaskAsync(taskId, ct);
        if (masker.IsEmpty)
            return lines;
        var (texts, _) = masker.ApplyToLines(lines.Select(l => l.Text).ToArray());
        return lines.Select((l, i) => ReferenceEquals(l.Text, texts[i]) ? l : l with { Text = texts[i] }).ToArray();
    }

    private async Task<SecretMasker> ForTaskAsync(string taskId, CancellationToken ct)
    {
        if (cache.TryGetValue(Key(taskId), out SecretMasker? known) && known is not null)
            return known;
        if (await KeptAsync(taskId, ct) is { } kept)
        {
            var fromTask = kept.Count == 0 ? SecretMasker.None : new SecretMasker(kept);
            cache.Set(Key(taskId), fromTask, new MemoryCacheEntryOptions { SlidingExpiration = Keep, Size = 1 });
            return fromTask;
        }
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
        if (run is null)
            return [];
        if (task.Kind == TaskKind.WorkflowStep && run.Plan is { } plan)
            return plan.Steps.FirstOrDefault(s => s.Id == task.Name)?.Secrets ?? [];
        return run.Spec.Git?.Secret is { } git ? [.. run.Spec.Secrets, git] : run.Spec.Secrets;
    }

    /// <summary>Masks one text the agent sends besides log lines (a task's error).</summary>
    public async Task<string?> MaskTextAsync(string taskId, string? text, CancellationToken ct) =>
        text is null ? null : (await ForTaskAsync(taskId, ct)).Apply(text);

    /// <summary>
    /// The values kept with the task, or null when it kept none (or they cannot be decrypted here: logged).
    /// </summary>
    private async Task<List<string>?> KeptAsync(string taskId, CancellationToken ct)
    {
        if (await runs.GetSecretMaskAsync(taskId, ct) is not { } stored)
            return null;
        var colon = stored.IndexOf(':');
        try
        {
            var json = keyring.Decrypt(
                MaskName(taskId),
                stored[..colon],
                Convert.FromBase64String(stored[(colon + 1)..])
            );
            return JsonSerializer.Deserialize(json, HearthJson.Options.TypeInfo<List<string>>());
        }
        catch (Exception e)
            when (e is SecretUnavailableException or FormatException or ArgumentOutOfRangeException or JsonException)
        {
            logger.LogWarning(
                "task {Task}: cannot read the secret values kept with it ({Error}); masking with the run's current secrets",
                taskId,
                e.Message
            );
            return null;
        }
    }

    /// <summary>The associated data of a task's kept values: they decrypt for this task only.</summary>
    private static string MaskName(string taskId) => "task-mask:" + taskId;

    private static string Key(string taskId) => "mask:" + taskId;
}
