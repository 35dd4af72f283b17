using Hearth.Core.Api;
using Hearth.Server.Configuration;
using Hearth.Store.GitLab;

namespace Hearth.Server.GitLab;

/// <summary>
/// What a Job Hook announcing a job asks an agent to ready (pure: no I/O): a microVM of the size its tags name, from
/// the image of the first microvm runner the job's tags fit (the runner's <c>--image</c>: the event does not carry the
/// job's own image), with a network, as the job's task will ask for. None when no runner is a microvm one, no tag names
/// a size (the agent's default size is not known here), or the size is malformed or out of bounds (the job fails on its
/// own when it is taken).
/// </summary>
public static class JobPrewarm
{
    public static PrewarmHint? For(
        long jobId,
        IReadOnlyList<string> tags,
        IReadOnlyList<GitLabRunnerRecord> runners,
        GitLabOptions options
    )
    {
        JobSize.Size? size = null;
        foreach (var tag in tags.Where(t => JobSize.PrefixOf(t) is not null))
        {
            var (parsed, error) = JobSize.Parse(tag, options.MaxCpus, options.MaxMemoryBytes);
            if (error is not null)
                return null;
            if (parsed is not null)
            {
                size = parsed;
                break;
            }
        }
        if (size is null)
            return null;
        var runner = runners.FirstOrDefault(r => r.Driver == "microvm" && !string.IsNullOrEmpty(r.Image));
        return runner is null
            ? null
            : new PrewarmHint(
                "microvm",
                runner.Image!,
                size.Cpus,
                size.MemoryBytes,
                Network: true,
                $"gitlab job {jobId} ({runner.Name})"
            );
    }
}
