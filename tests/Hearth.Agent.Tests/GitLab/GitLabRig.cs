using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;

namespace Hearth.Agent.Tests.GitLab;

/// <summary>
/// What every GitLab job test starts: the local fake of GitLab's runner API, a repository served by git daemon on
/// loopback, and a real server (its GitLab bridge polling the fake every <c>pollInterval</c>) whose agent the test
/// starts with the drivers it needs, then registers as a runner with <see cref="AddRunnerAsync"/>.
/// </summary>
internal sealed class GitLabRig : IAsyncDisposable
{
    private GitLabRig(FakeGitLab gitlab, GitDaemon git, AgentHarness harness) =>
        (GitLab, Git, Harness) = (gitlab, git, harness);

    public FakeGitLab GitLab { get; }

    public GitDaemon Git { get; }

    public AgentHarness Harness { get; }

    public static async Task<GitLabRig> StartAsync(TimeSpan pollInterval, string? webhookToken = null)
    {
        var gitlab = await FakeGitLab.StartAsync();
        var git = await GitDaemon.StartAsync();
        var harness = await AgentHarness.StartAsync(configure: o =>
            o with
            {
                GitLab = o.GitLab with
                {
                    PollInterval = pollInterval,
                    TraceInterval = TimeSpan.FromMilliseconds(200),
                    RetryDelay = TimeSpan.FromMilliseconds(50),
                    WebhookToken = webhookToken ?? o.GitLab.WebhookToken,
                },
            }
        );
        return new GitLabRig(gitlab, git, harness);
    }

    /// <summary>Registers the fake GitLab's runner (tag <c>linux</c>) for jobs on <paramref name="driver"/>.</summary>
    public async Task AddRunnerAsync(string name, string driver, string? image)
    {
        var added = await Harness.Admin.PostAsJsonAsync(
            "api/v1/gitlab/runners",
            new GitLabRunnerBody(name, GitLab.Url.ToString(), FakeGitLab.RunnerToken, ["linux"], driver, image),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.DisposeAsync();
        await Git.DisposeAsync();
        await GitLab.DisposeAsync();
    }
}
