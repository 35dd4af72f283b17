using Hearth.Workflows.Diagnostics;
using Hearth.Workflows.Imports;
using Hearth.Workflows.Loading;
using Hearth.Workflows.Model;

namespace Hearth.Workflows.Tests;

public class LoaderTests
{
    private const string Header = "version \"0.1\"\ntriggers \"push\" \"pull_request\"\n";

    [Fact]
    public async Task Worked_example_flattens_like_the_spec()
    {
        using var tree = new TempTree();
        tree.Write("lib/setup.kdl", "fragment { run \"npm ci\" }\nfragment { run \"npm run build\" }\n");
        string ci = tree.Write(
            "ci.kdl",
            Header
                + """
                chain {
                    machine "std"
                    fragment { from "https://example.test/ci/setup.kdl" }
                    parallel {
                        fragment { run "npm test" }
                        fragment { run "npm run lint"; machine "small" }
                    }
                    fragment { condition "$BRANCH == 'main'"; run "./deploy.sh"; machine "deploy" }
                }
                """
        );

        var workflow = await LoadOk(ci, new ImportRootFetcher(Path.Combine(tree.Root, "lib")));

        Assert.Equal("std", workflow.DefaultMachine);
        Assert.Equal(["push", "pull_request"], workflow.Triggers);
        var steps = workflow.Graph.Steps;
        Assert.Equal(["0", "1", "2", "2.0", "2.1", "3"], steps.Select(s => s.Id));
        Assert.Equal(
            [
                WorkflowStepKind.Run,
                WorkflowStepKind.Run,
                WorkflowStepKind.Parallel,
                WorkflowStepKind.Run,
                WorkflowStepKind.Run,
                WorkflowStepKind.Run,
            ],
            steps.Select(s => s.Kind)
        );
        Assert.Equal(
            ["npm ci", "npm run build", null, "npm test", "npm run lint", "./deploy.sh"],
            steps.Select(s => s.Run)
        );
        Assert.Equal(["std", "std", null, "std", "small", "deploy"], steps.Select(s => s.Machine));
        Assert.Equal([null, null, null, "2", "2", null], steps.Select(s => s.ParentId));
        Assert.Equal([0, 1, 2, 0, 1, 3], steps.Select(s => s.Order));
        Assert.Equal("https://example.test/ci/setup.kdl", steps[0].ImportedFrom);
        Assert.Null(steps[5].ImportedFrom);
        Assert.Equal("$BRANCH == 'main'", steps[5].Condition!.Text);

        // Dependencies: A, then B, then (C ∥ D), then E.
        Assert.Empty(steps[0].DependsOn);
        Assert.Equal(["0"], steps[1].DependsOn);
        Assert.Equal(["1"], steps[2].DependsOn);
        Assert.Empty(steps[3].DependsOn);
        Assert.Empty(steps[4].DependsOn);
        Assert.Equal(["2"], steps[5].DependsOn);
        Assert.Equal(Path.Combine(tree.Root, "lib", "setup.kdl"), steps[0].Source.File);
        Assert.Equal(2, steps[1].Source.Line);
        Assert.Equal(new SourceLocation(ci, 10, 5), steps[5].Source);
        Assert.Equal(["std", "small", "deploy"], workflow.Graph.MachineGroups());
    }

    [Fact]
    public async Task Multi_step_import_inside_parallel_keeps_its_order()
    {
        using var tree = new TempTree();
        tree.Write("two.kdl", "fragment { run \"a\" }\nfragment { run \"b\" }\n");
        tree.Write("one.kdl", "fragment { run \"solo\" }\n");
        string ci = tree.Write(
            "ci.kdl",
            Header
                + """
                chain {
                    machine "m"
                    parallel {
                        fragment { from "two.kdl" }
                        fragment { from "one.kdl" }
                    }
                }
                """
        );

        var graph = (await LoadOk(ci)).Graph;
        var group = graph.Roots.Single();
        Assert.Equal([WorkflowStepKind.Sequence, WorkflowStepKind.Run], group.Children.Select(c => c.Kind));
        var sequence = group.Children[0];
        Assert.Equal(["0.0.0", "0.0.1"], sequence.Children.Select(c => c.Id));
        Assert.Equal(["0.0.0"], sequence.Children[1].DependsOn);
        Assert.Empty(group.Children[1].DependsOn);
        Assert.Equal("solo", group.Children[1].Run);
    }

    [Fact]
    public async Task Machine_and_condition_on_a_from_fragment_apply_to_imported_steps()
    {
        using var tree = new TempTree();
        tree.Write(
            "lib/deploy.kdl",
            """
            fragment { run "push image" }
            fragment { run "notify"; machine "chat"; condition "$TRIGGER == 'push'" }
            """
        );
        string ci = tree.Write(
            "ci.kdl",
            Header
                + """
                chain {
                    machine "default"
                    fragment { from "lib/deploy.kdl"; machine "deployers"; condition "$BRANCH == 'main'" }
                }
                """
        );

        var steps = (await LoadOk(ci)).Graph.Steps;
        Assert.Equal(["deployers", "chat"], steps.Select(s => s.Machine));
        Assert.Equal("$BRANCH == 'main'", steps[0].Condition!.Text);
        Assert.Equal("($BRANCH == 'main') && ($TRIGGER == 'push')", steps[1].Condition!.Text);
        var vars = new Dictionary<string, string> { ["BRANCH"] = "main", ["TRIGGER"] = "tag" };
        Assert.True(steps[0].Condition!.Evaluate(vars));
        Assert.False(steps[1].Condition!.Evaluate(vars));
        Assert.Equal(
            Path.Combine("lib", "deploy.kdl"),
            Path.GetRelativePath(tree.Root, Path.GetFullPath(steps[0].ImportedFrom!))
        );
    }

    [Fact]
    public async Task Same_file_imported_twice_is_not_a_cycle_but_a_real_cycle_is()
    {
        using var tree = new TempTree();
        tree.Write("lint.kdl", "fragment { run \"lint\" }\n");
        string ok = tree.Write(
            "ok.kdl",
            Header
                + "chain {\n machine \"m\"\n fragment { from \"lint.kdl\" }\n fragment { run \"x\" }\n fragment { from \"lint.kdl\" }\n}\n"
        );
        var workflow = await LoadOk(ok);
        Assert.Equal(["lint", "x", "lint"], workflow.Graph.Steps.Select(s => s.Run));

        tree.Write("a.kdl", "fragment { run \"a\" }\nfragment { from \"sub/b.kdl\" }\n");
        tree.Write("sub/b.kdl", "parallel {\n  fragment { from \"../a.kdl\" }\n}\n");
        string cyclic = tree.Write("cyclic.kdl", Header + "chain {\n machine \"m\"\n fragment { from \"a.kdl\" }\n}\n");
        var diagnostic = Assert.Single((await new WorkflowLoader().LoadFileAsync(cyclic)).Diagnostics);
        Assert.Equal(WorkflowErrorCode.CircularImport, diagnostic.Code);
        Assert.EndsWith(Path.Combine("sub", "b.kdl"), diagnostic.Location.File, StringComparison.Ordinal);
        Assert.Equal(2, diagnostic.Location.Line);
        Assert.Contains("a.kdl -> ", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_workflow_importing_itself_is_a_cycle()
    {
        using var tree = new TempTree();
        string self = tree.Write("self.kdl", Header + "chain {\n machine \"m\"\n fragment { from \"self.kdl\" }\n}\n");
        var diagnostic = Assert.Single((await new WorkflowLoader().LoadFileAsync(self)).Diagnostics);
        Assert.Equal(WorkflowErrorCode.CircularImport, diagnostic.Code);
    }

    [Fact]
    public async Task Exponential_import_fan_out_hits_the_step_limit()
    {
        using var tree = new TempTree();
        tree.Write("l0.kdl", "fragment { run \"x\" }\n");
        for (int i = 1; i <= 14; i++)
        {
            tree.Write($"l{i}.kdl", $"fragment {{ from \"l{i - 1}.kdl\" }}\nfragment {{ from \"l{i - 1}.kdl\" }}\n");
        }

        string ci = tree.Write("ci.kdl", Header + "chain {\n machine \"m\"\n fragment { from \"l14.kdl\" }\n}\n");
        var result = await new WorkflowLoader().LoadFileAsync(ci);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(WorkflowErrorCode.ImportLimitExceeded, diagnostic.Code);
        Assert.Null(result.Workflow);
    }

    [Fact]
    public async Task Remote_imports_need_a_fetcher_and_relative_imports_in_remote_files_stay_remote()
    {
        using var tree = new TempTree();
        string ci = tree.Write(
            "ci.kdl",
            Header + "chain {\n machine \"m\"\n fragment { from \"https://example.test/x/outer.kdl\" }\n}\n"
        );
        var diagnostic = Assert.Single((await new WorkflowLoader().LoadFileAsync(ci)).Diagnostics);
        Assert.Equal(WorkflowErrorCode.FetchFailed, diagnostic.Code);
        Assert.Contains("--import-root", diagnostic.Message, StringComparison.Ordinal);

        tree.Write("root/outer.kdl", "fragment { from \"inner.kdl\" }\n");
        tree.Write("root/inner.kdl", "fragment { run \"inner\" }\n");
        var workflow = await LoadOk(ci, new ImportRootFetcher(Path.Combine(tree.Root, "root")));
        var step = Assert.Single(workflow.Graph.Steps);
        Assert.Equal("https://example.test/x/inner.kdl", step.ImportedFrom);
    }

    [Fact]
    public async Task Imported_file_errors_point_into_the_imported_file()
    {
        using var tree = new TempTree();
        tree.Write("bad.kdl", "fragment { run \"ok\" }\nchain { }\nfragment { run \"x\" \n");
        tree.Write("bad2.kdl", "fragment { run \"ok\" }\nmachine \"m\"\n");
        string ci = tree.Write(
            "ci.kdl",
            Header
                + "chain {\n machine \"m\"\n fragment { from \"bad.kdl\" }\n fragment { from \"bad2.kdl\" }\n fragment { from \"missing.kdl\" }\n}\n"
        );
        var diagnostics = (await new WorkflowLoader().LoadFileAsync(ci)).Diagnostics;
        Assert.Equal(
            [WorkflowErrorCode.InvalidSyntax, WorkflowErrorCode.InvalidImportNode, WorkflowErrorCode.FetchFailed],
            diagnostics.Select(d => d.Code)
        );
        Assert.EndsWith("bad.kdl", diagnostics[0].Location.File, StringComparison.Ordinal);
        Assert.Equal(2, diagnostics[1].Location.Line);
        Assert.Equal(new SourceLocation(ci, 7, 18), diagnostics[2].Location);
    }

    private static async Task<WorkflowDefinition> LoadOk(string path, IImportFetcher? fetcher = null)
    {
        var result = await new WorkflowLoader(new WorkflowLoaderOptions { ImportFetcher = fetcher }).LoadFileAsync(
            path
        );
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        return result.Workflow!;
    }
}
