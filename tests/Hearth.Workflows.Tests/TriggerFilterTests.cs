using Hearth.Workflows.Loading;
using Hearth.Workflows.Model;

namespace Hearth.Workflows.Tests;

/// <summary>
/// The <c>triggers { }</c> block: filters per trigger, their errors, and which events they let through.
/// </summary>
public sealed class TriggerFilterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-wf-triggers-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<WorkflowLoadResult> LoadAsync(string triggers)
    {
        var path = Path.Combine(_dir, "w.kdl");
        await File.WriteAllTextAsync(
            path,
            $"version \"0.1\"\n{triggers}\nchain {{\n    machine \"m\"\n    fragment {{ run \"make\" }}\n}}\n"
        );
        return await new WorkflowLoader(WorkflowLoaderOptions.Default).LoadFileAsync(path);
    }

    private const string Block = """
        triggers {
            push {
                branches "main" "release/**"
                branches-ignore "release/old/**"
                paths "src/**" "*.kdl"
                paths-ignore "docs/**"
            }
            pull_request {
                types "opened" "synchronize" "merged"
                branches "main"
            }
            tag { patterns "v*"; ignore "v*-rc*" }
            manual
        }
        """;

    [Fact]
    public async Task The_block_lists_its_triggers_and_their_filters()
    {
        var result = await LoadAsync(Block);
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        var workflow = result.Workflow!;
        Assert.Equal(["push", "pull_request", "tag", "manual"], workflow.Triggers);
        Assert.Equal(["main", "release/**"], workflow.TriggerFilters["push"].Branches);
        Assert.Equal(["docs/**"], workflow.TriggerFilters["push"].PathsIgnore);
        Assert.Equal(["opened", "synchronize", "merged"], workflow.TriggerFilters["pull_request"].Types);
        Assert.Equal(["v*-rc*"], workflow.TriggerFilters["tag"].Ignore);
        Assert.False(workflow.TriggerFilters.ContainsKey("manual"));
    }

    [Theory]
    [InlineData("push", "main", null, null, null, null)]
    [InlineData("push", "release/2.0", null, null, "src/a.cs", null)]
    [InlineData(
        "push",
        "feature/x",
        null,
        null,
        null,
        "branch 'feature/x' matches none of branches \"main\" \"release/**\""
    )]
    [InlineData(
        "push",
        "release/old/1",
        null,
        null,
        null,
        "branch 'release/old/1' matches branches-ignore \"release/old/**\""
    )]
    [InlineData("push", "main", null, null, "README.md", "no changed path matches paths \"src/**\" \"*.kdl\"")]
    [InlineData("push", "main", null, null, "ci.kdl", null)]
    [InlineData("push", "main", null, null, "docs/a.md|src/docs.cs", null)]
    [InlineData("pull_request", "main", null, "opened", null, null)]
    [InlineData("pull_request", "main", null, "merged", null, null)]
    [InlineData(
        "pull_request",
        "main",
        null,
        "closed",
        null,
        "pull request action 'closed' is not one of types \"opened\" \"synchronize\" \"merged\""
    )]
    [InlineData("pull_request", "dev", null, "opened", null, "branch 'dev' matches none of branches \"main\"")]
    [InlineData("tag", null, "v1.2", null, null, null)]
    [InlineData("tag", null, "v1.2-rc1", null, null, "tag 'v1.2-rc1' matches ignore \"v*-rc*\"")]
    [InlineData("tag", null, "nightly", null, null, "tag 'nightly' matches none of patterns \"v*\"")]
    [InlineData("manual", "anything", null, null, null, null)]
    [InlineData("schedule", null, null, null, null, "its triggers are push, pull_request, tag, manual, not schedule")]
    public async Task Events_pass_or_are_refused_with_the_filter_that_refused_them(
        string trigger,
        string? branch,
        string? tag,
        string? action,
        string? paths,
        string? refusal
    )
    {
        var workflow = (await LoadAsync(Block)).Workflow!;
        var e = new TriggerEvent(trigger, branch, tag, action, paths?.Split('|'));
        Assert.Equal(refusal, TriggerMatcher.Refusal(workflow, e));
    }

    [Fact]
    public async Task Unknown_changed_paths_do_not_hold_a_push_back_and_every_ignored_path_does()
    {
        var workflow = (await LoadAsync(Block)).Workflow!;
        Assert.Null(TriggerMatcher.Refusal(workflow, new TriggerEvent("push", "main", ChangedPaths: null)));
        var ignoring = (await LoadAsync("triggers { push { paths-ignore \"docs/**\" \"*.md\" } }")).Workflow!;
        Assert.Equal(
            "every changed path matches paths-ignore \"docs/**\" \"*.md\"",
            TriggerMatcher.Refusal(
                ignoring,
                new TriggerEvent("push", "main", ChangedPaths: ["docs/x.kdl", "README.md"])
            )
        );
        Assert.Null(
            TriggerMatcher.Refusal(ignoring, new TriggerEvent("push", "main", ChangedPaths: ["docs/x.kdl", "src/a.cs"]))
        );
    }

    [Fact]
    public async Task A_pull_request_without_types_takes_opened_synchronize_and_reopened()
    {
        var workflow = (await LoadAsync("triggers { pull_request { branches \"main\" } }")).Workflow!;
        Assert.Null(
            TriggerMatcher.Refusal(workflow, new TriggerEvent("pull_request", "main", PullRequestAction: "reopened"))
        );
        Assert.NotNull(
            TriggerMatcher.Refusal(workflow, new TriggerEvent("pull_request", "main", PullRequestAction: "closed"))
        );
        // The flat form has no filters: every push.
        var flat = (await LoadAsync("triggers \"push\"")).Workflow!;
        Assert.Null(TriggerMatcher.Refusal(flat, new TriggerEvent("push", "anything")));
    }

    [Theory]
    [InlineData(
        "triggers { push { branch \"main\" } }",
        ":2:",
        "unknown filter 'branch' in 'push'; expected one of branches, branches-ignore, paths, paths-ignore"
    )]
    [InlineData(
        "triggers { pull_request { types \"open\" } }",
        ":2:",
        "unknown pull request type \"open\"; expected one of opened, synchronize, reopened, closed, merged"
    )]
    [InlineData("triggers { tag { patterns } }", ":2:", "'patterns' needs at least one pattern")]
    [InlineData("triggers { tag { patterns 5 } }", ":2:", "'patterns' takes non-empty strings; found 5")]
    [InlineData(
        "triggers { release }",
        ":2:",
        "unknown trigger 'release'; expected one of push, pull_request, tag, schedule, manual"
    )]
    [InlineData("triggers { push; push }", ":2:", "trigger 'push' is given twice")]
    [InlineData("triggers { manual { branches \"x\" } }", ":2:", "trigger 'manual' takes no filters")]
    [InlineData(
        "triggers \"push\" { tag }",
        ":2:",
        "'triggers' takes either names (triggers \"push\") or a { } block, not both"
    )]
    [InlineData("triggers { push { paths \"a\"; paths \"b\" } }", ":2:", "'paths' is given twice in 'push'")]
    [InlineData("triggers { push \"main\" }", ":2:", "'push' takes no values, only a { } block")]
    public async Task Bad_filters_are_refused_where_they_are_written(string triggers, string at, string message)
    {
        var result = await LoadAsync(triggers);
        Assert.False(result.Succeeded);
        var diagnostic = Assert.Single(result.Diagnostics, d => d.Message.Contains(message));
        Assert.Contains(at, diagnostic.ToString());
    }
}
