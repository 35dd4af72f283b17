using System.Text.Json;
using Hearth.Server.Webhooks;
using Hearth.Server.Webhooks.Events;

namespace Hearth.Server.Tests.Webhooks;

/// <summary>
/// Payloads the fixtures do not have: Bitbucket Cloud and Data Center (shaped as Atlassian's event payload pages
/// document them, trimmed to the fields Hearth reads), GitLab's metadata-only update, deletions, and the generic
/// envelope.
/// </summary>
public sealed class EventNormalisationTests
{
    private static ForgeEvent Read(Forge forge, string @event, string json)
    {
        using var document = JsonDocument.Parse(json);
        return forge.Events.Normalise(@event, document.RootElement.Clone());
    }

    [Fact]
    public void BitbucketCloudPushTagAndPullRequests()
    {
        var push = Read(
            Forge.Bitbucket,
            "repo:push",
            """
            {"push":{"changes":[{"old":null,"new":{"type":"branch","name":"main","target":{"hash":"1111111111111111111111111111111111111111"}},
              "created":true,"closed":false}]},"repository":{"full_name":"team/app"}}
            """
        );
        Assert.Equal(
            (ForgeEventKind.Push, "main", "1111111111111111111111111111111111111111"),
            (push.Kind, push.Branch, push.CommitSha)
        );
        Assert.Null(push.ChangedPaths);

        var tag = Read(
            Forge.Bitbucket,
            "repo:push",
            """
            {"push":{"changes":[{"new":{"type":"tag","name":"v2.0","target":{"hash":"2222222222222222222222222222222222222222"}}}]}}
            """
        );
        Assert.Equal((ForgeEventKind.Tag, "v2.0"), (tag.Kind, tag.Tag));

        var deleted = Read(
            Forge.Bitbucket,
            "repo:push",
            """{"push":{"changes":[{"old":{"type":"branch","name":"x"},"new":null,"closed":true}]}}"""
        );
        Assert.Equal(ForgeEventKind.Ignored, deleted.Kind);

        const string pr = """
            {"pullrequest":{"id":7,"source":{"branch":{"name":"feature"},"commit":{"hash":"3333333333333333333333333333333333333333"}},
              "destination":{"branch":{"name":"main"},"commit":{"hash":"4444444444444444444444444444444444444444"}}}}
            """;
        foreach (
            var (key, action) in new[]
            {
                ("pullrequest:created", "opened"),
                ("pullrequest:updated", "synchronize"),
                ("pullrequest:fulfilled", "merged"),
                ("pullrequest:rejected", "closed"),
            }
        )
        {
            var e = Read(Forge.Bitbucket, key, pr);
            Assert.Equal(
                (ForgeEventKind.PullRequest, action, 7, "main", "feature", "3333333333333333333333333333333333333333"),
                (e.Kind, e.PrAction, e.PrNumber, e.Branch, e.HeadBranch, e.CommitSha)
            );
        }
        Assert.Equal(ForgeEventKind.Ignored, Read(Forge.Bitbucket, "pullrequest:comment_created", pr).Kind);
    }

    [Fact]
    public void BitbucketDataCenterRefsChangedAndPullRequests()
    {
        var push = Read(
            Forge.Bitbucket,
            "repo:refs_changed",
            """
            {"eventKey":"repo:refs_changed","changes":[{"ref":{"id":"refs/heads/main","displayId":"main","type":"BRANCH"},
              "refId":"refs/heads/main","fromHash":"aaaa","toHash":"5555555555555555555555555555555555555555","type":"UPDATE"}]}
            """
        );
        Assert.Equal(
            (ForgeEventKind.Push, "main", "5555555555555555555555555555555555555555"),
            (push.Kind, push.Branch, push.CommitSha)
        );

        var tag = Read(
            Forge.Bitbucket,
            "repo:refs_changed",
            """
            {"changes":[{"ref":{"id":"refs/tags/v1","displayId":"v1","type":"TAG"},"toHash":"6666666666666666666666666666666666666666","type":"ADD"}]}
            """
        );
        Assert.Equal((ForgeEventKind.Tag, "v1"), (tag.Kind, tag.Tag));
        Assert.Equal(
            ForgeEventKind.Ignored,
            Read(
                Forge.Bitbucket,
                "repo:refs_changed",
                """{"changes":[{"ref":{"id":"refs/heads/x"},"toHash":"0000000000000000000000000000000000000000","type":"DELETE"}]}"""
            ).Kind
        );

        const string pr = """
            {"pullRequest":{"id":12,"fromRef":{"id":"refs/heads/fix","displayId":"fix","latestCommit":"7777777777777777777777777777777777777777"},
              "toRef":{"id":"refs/heads/main","displayId":"main","latestCommit":"8888888888888888888888888888888888888888"}}}
            """;
        foreach (
            var (key, action) in new[]
            {
                ("pr:opened", "opened"),
                ("pr:from_ref_updated", "synchronize"),
                ("pr:merged", "merged"),
                ("pr:declined", "closed"),
            }
        )
        {
            var e = Read(Forge.Bitbucket, key, pr);
            Assert.Equal(
                (action, 12, "main", "fix", "7777777777777777777777777777777777777777"),
                (e.PrAction, e.PrNumber, e.Branch, e.HeadBranch, e.CommitSha)
            );
        }
    }

    [Fact]
    public void GitLabUpdateWithoutNewCommitsAndOtherPullRequestActionsAreIgnored()
    {
        var update = Read(
            Forge.GitLab,
            "Merge Request Hook",
            """{"object_attributes":{"iid":3,"action":"update","target_branch":"main"}}"""
        );
        Assert.Equal(("merge request updated without new commits"), update.IgnoredBecause);
        var labeled = Read(
            Forge.GitHub,
            "pull_request",
            """{"action":"labeled","number":2,"pull_request":{"number":2}}"""
        );
        Assert.Equal("pull request action 'labeled' starts no runs", labeled.IgnoredBecause);
        var giteaTagPush = Read(
            Forge.Gitea,
            "push",
            """{"ref":"refs/tags/v1","after":"9999999999999999999999999999999999999999"}"""
        );
        Assert.Equal("a tag is started by its create event", giteaTagPush.IgnoredBecause);
    }

    [Fact]
    public void TheGenericEnvelopeNamesItsEventInType()
    {
        var push = Read(
            Forge.Standard,
            "",
            """
            {"type":"push","timestamp":"2026-12-06T05:00:00Z","data":{"branch":"main","commit_sha":"abc","changed_paths":["src/a.cs"]}}
            """
        );
        Assert.Equal(
            (ForgeEventKind.Push, "main", "abc", "src/a.cs"),
            (push.Kind, push.Branch, push.CommitSha, push.ChangedPaths!.Single())
        );
        var pr = Read(
            Forge.Standard,
            "",
            """{"type":"pull_request","data":{"action":"reopened","pr_number":4,"branch":"main","commit_sha":"d"}}"""
        );
        Assert.Equal((ForgeEventKind.PullRequest, "reopened", 4), (pr.Kind, pr.PrAction, pr.PrNumber));
        Assert.Equal(ForgeEventKind.Ignored, Read(Forge.Standard, "", """{"type":"invoice.paid","data":{}}""").Kind);
    }
}
