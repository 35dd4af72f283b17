using System.Text.Json;
using Hearth.Server.Webhooks;
using Hearth.Server.Webhooks.Events;

namespace Hearth.Server.Tests.Webhooks;

/// <summary>
/// Every payload of the shared fixtures folder, sent with the event header INDEX.json gives it, reads as expected.
/// </summary>
public sealed class FixtureNormalisationTests
{
    private const string Ignored = "ignored";

    /// <summary>
    /// file → "kind branch-or-tag sha8 [#pr action] [paths]", checked by hand against each payload. The Gitea and
    /// Forgejo woodpecker captures are the same events, so they share their expectations.
    /// </summary>
    private static readonly Dictionary<string, string> Expected = Build();

    private static Dictionary<string, string> Build()
    {
        var expected = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var forge in new[] { "gitea", "forgejo" })
        {
            var w = $"{forge}/woodpecker/";
            expected[w + "HookPullRequest.json"] = "pull_request main 0d1a26e6 #1 opened head=feature/changes";
            expected[w + "HookPullRequestClosed.json"] = "pull_request main d555a5dd #1 closed head=anbraten-patch-1";
            expected[w + "HookPullRequestMerged.json"] = "pull_request main d555a5dd #1 merged head=anbraten-patch-1";
            expected[w + "HookPullRequestReopened.json"] = "pull_request main 36b58132 #1 reopened head=6543-patch-1";
            expected[w + "HookPullRequestUpdated.json"] = "pull_request main 788ed8d0 #2 synchronize head=test-patch-1";
            expected[w + "HookPush.json"] = "push main ef98532a paths=CHANGELOG.md,app/controller/application.rb";
            expected[w + "HookPushBranch.json"] = "push fdsafdsa 28c3613a";
            expected[w + "HookPushMulti.json"] = "push main 29be01c0 paths=aaa,aa";
            expected[w + "HookRelease.json"] = Ignored;
            expected[w + "HookTag.json"] = "tag v1.0.0 ef98532a";
        }
        expected["gitea/docs/push.json"] = "push develop bffeb742";
        expected["gitea/go-playground/create-event.json"] = Ignored;
        expected["gitea/go-playground/delete-event.json"] = Ignored;
        expected["gitea/go-playground/pull-request-event.json"] = "pull_request master 48e773f8 #2 opened head=master";
        expected["gitea/go-playground/push-event.json"] = "push master 67b56589 paths=example";
        expected["gitea/go-playground/release-event.json"] = Ignored;

        foreach (
            var name in new[]
            {
                "payload",
                "with-description.payload",
                "with-installation.payload",
                "with-organization.payload",
            }
        )
            expected[$"github/create/{name}.json"] = Ignored;
        foreach (var name in new[] { "opened.payload", "opened.with-null-body", "opened.with-organization.payload" })
            expected[$"github/pull_request/{name}.json"] = "pull_request master ec26c3e5 #2 opened head=changes";
        expected["github/pull_request/synchronize.payload.json"] =
            "pull_request master ec26c3e5 #2 synchronize head=changes";
        // The octokit push examples are tag deletions; the two new-branch pushes carry one commit.
        foreach (var name in new[] { "1.payload", "payload", "with-installation.payload", "with-organization.payload" })
            expected[$"github/push/{name}.json"] = Ignored;
        expected["github/push/with-new-branch.payload.json"] = "push master 6113728f paths=README.md";
        expected["github/push/with-no-username-committer.payload.json"] = "push master 6113728f paths=README.md";
        expected["github/woodpecker/HookPullRequest.json"] = "pull_request main 0d1a26e6 #1 opened head=changes";
        expected["github/woodpecker/HookPullRequestMerged.json"] =
            "pull_request main c88b9ee7 #62 merged head=anbraten-patch-3";
        expected["github/woodpecker/HookPush.json"] =
            "push main 366701fd paths=pipeline/shared/replace_secrets.go,pipeline/shared/replace_secrets_test.go";
        expected["github/woodpecker/HookPushForced.json"] =
            "push main f7220f1f paths=.clippy.toml,.gitignore,.woodpecker/build.yml,"
            + ".woodpecker/lint.yml,Cargo.lock,Cargo.toml,LICENSE,README.md,contrib/example.toml,rustfmt.toml,src/cli.rs,"
            + "src/config.rs,src/main.rs,src/proxy/mod.rs,src/proxy/tcp.rs,src/proxy/udp.rs,src/socket_opts.rs";
        expected["github/woodpecker/HookTag.json"] = "tag the-tag-v1 67012991";
        foreach (
            var name in new[]
            {
                "completed.failure.with-organization.payload",
                "completed.success.with-organization.payload",
                "in_progress.payload",
                "in_progress.with-queued-steps.payload",
                "queued.payload",
                "queued.with-deployment.payload",
                "waiting.payload",
            }
        )
            expected[$"github/workflow_job/{name}.json"] = Ignored;

        foreach (
            var source in new[]
            {
                "docs/job_hook",
                "docs/pipeline_hook",
                "go-gitlab/build",
                "go-gitlab/job",
                "go-gitlab/pipeline",
            }
        )
            expected[$"gitlab/{source}.json"] = Ignored;
        expected["gitlab/docs/merge_request_hook.json"] = "pull_request master da156088 #1 opened head=ms-viewport";
        expected["gitlab/go-gitlab/merge_request.json"] = "pull_request master da156088 #1 opened head=ms-viewport";
        expected["gitlab/docs/push_hook.json"] = "push master da156088 paths=CHANGELOG,app/controller/application.rb";
        expected["gitlab/go-gitlab/push.json"] = "push master da156088 paths=CHANGELOG,app/controller/application.rb";
        expected["gitlab/docs/tag_push_hook.json"] = "tag v1.0.0 82b3d5ae";
        expected["gitlab/go-gitlab/tag_push.json"] = "tag v1.0.0 82b3d5ae";
        expected["gitlab/woodpecker/HookPullRequestMerged.json"] = "pull_request main 3e4db358 #4 merged head=patch-1";
        expected["gitlab/woodpecker/HookPullRequestOpened.json"] =
            "pull_request main 2f767050 #3 opened head=real6543-main-patch-42541";
        expected["gitlab/woodpecker/HookPullRequestUpdated.json"] =
            "pull_request main c136499e #3 synchronize head=anbraten-main-patch-05373";
        expected["gitlab/woodpecker/HookPush.json"] = "push main 16862e36 paths=cmd/cli/main.go";
        // The tag's 'after' is the annotated tag object; checkout_sha the commit.
        expected["gitlab/woodpecker/HookTag.json"] = "tag v22 16862e36";
        return expected;
    }

    private static readonly Dictionary<string, Forge> ByHeader = new(StringComparer.OrdinalIgnoreCase)
    {
        ["X-GitHub-Event"] = Forge.GitHub,
        ["X-Gitlab-Event"] = Forge.GitLab,
        ["X-Gitea-Event"] = Forge.Gitea,
        ["X-Forgejo-Event"] = Forge.Forgejo,
    };

    private static List<string> Files() =>
        Directory
            .EnumerateFiles(Fixtures.Webhooks, "*.json", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(Fixtures.Webhooks, file).Replace('\\', '/'))
            .Where(relative => relative is not ("INDEX.json" or "github/signature-test-vector.json"))
            .Order(StringComparer.Ordinal)
            .ToList();

    public static TheoryData<string> Payloads()
    {
        var data = new TheoryData<string>();
        foreach (var file in Files())
            data.Add(file);
        return data;
    }

    [Fact]
    public void TheFolderHoldsEveryPayloadTheIndexAndTheExpectationsName()
    {
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Webhooks, "INDEX.json")));
        var indexed = index.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        var files = Files();
        Assert.Equal(indexed, files);
        Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), files);
        Assert.Equal(68, files.Count);
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void EveryFixturePayloadNormalisesAsExpected(string file)
    {
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Webhooks, "INDEX.json")));
        var entry = index.RootElement.GetProperty(file);
        var forge = ByHeader[entry.GetProperty("header").GetString()!];
        using var payload = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Fixtures.Webhooks, file)));

        var normalised = forge.Events.Normalise(entry.GetProperty("value").GetString()!, payload.RootElement);

        Assert.Equal(Expected[file], Describe(normalised));
        if (normalised.Kind == ForgeEventKind.Ignored)
            Assert.False(string.IsNullOrEmpty(normalised.IgnoredBecause));
        else
            Assert.Matches("^[0-9a-f]{40}$", normalised.CommitSha);
    }

    private static string Describe(ForgeEvent e)
    {
        if (e.Kind == ForgeEventKind.Ignored)
            return Ignored;
        var parts = new List<string>
        {
            e.Trigger!,
            (e.Kind == ForgeEventKind.Tag ? e.Tag : e.Branch)!,
            e.CommitSha![..8],
        };
        if (e.Kind == ForgeEventKind.PullRequest)
            parts.AddRange([$"#{e.PrNumber}", e.PrAction!, $"head={e.HeadBranch}"]);
        if (e.ChangedPaths is { } paths)
            parts.Add("paths=" + string.Join(',', paths));
        return string.Join(' ', parts);
    }
}
