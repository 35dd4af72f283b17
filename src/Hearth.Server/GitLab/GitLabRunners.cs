using Hearth.Core.Api;
using Hearth.Store.GitLab;

namespace Hearth.Server.GitLab;

/// <summary>Adds (after GitLab verified the token), lists and removes stored runners.</summary>
public sealed class GitLabRunners(
    IGitLabStore store,
    GitLabClient client,
    GitLabVault vault,
    GitLabSignals signals,
    TimeProvider time
)
{
    public static readonly IReadOnlyList<string> Drivers = ["oci", "microvm", "bubblewrap"];

    public sealed record AddResult(GitLabRunnerView? Runner, string? Error, string? Code);

    public async Task<AddResult> AddAsync(
        string name,
        Uri url,
        string token,
        IReadOnlyList<string> tags,
        string driver,
        string? image,
        string? createdBy,
        CancellationToken ct
    )
    {
        if (await store.GetRunnerAsync(name, ct) is not null)
            return new AddResult(
                null,
                $"a GitLab runner named '{name}' exists already (remove it first)",
                "GITLAB_RUNNER_EXISTS"
            );
        var verified = await client.VerifyAsync(url, token, GitLabRunnerInfo.SystemId(name, url.ToString()), ct);
        if (!verified.Valid)
            return new AddResult(
                null,
                $"GitLab at {url} did not verify the token: {verified.Error}",
                "GITLAB_TOKEN_REFUSED"
            );
        var (keyId, cipher) = vault.SealToken(name, token);
        var record = new GitLabRunnerRecord(
            name,
            url.ToString(),
            verified.RunnerId,
            keyId,
            cipher,
            tags,
            driver,
            image,
            createdBy,
            time.GetUtcNow()
        );
        if (!await store.AddRunnerAsync(record, ct))
            return new AddResult(
                null,
                $"a GitLab runner named '{name}' exists already (remove it first)",
                "GITLAB_RUNNER_EXISTS"
            );
        // A new runner asks for jobs at once, not at the poller's next round.
        signals.WakePoller();
        return new AddResult(View(record), null, null);
    }

    public static GitLabRunnerView View(GitLabRunnerRecord r) =>
        new(r.Name, r.Url, r.RunnerId, r.Tags, r.Driver, r.Image, r.CreatedBy, r.CreatedAt);
}
