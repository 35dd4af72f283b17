using System.Text.Json;
using Hearth.Workflows.Inspection;
using Hearth.Workflows.Loading;

namespace Hearth.Workflows.Tests;

public class CliEntryPointTests
{
    [Fact]
    public async Task Validate_reports_lines_and_exit_code_over_several_files()
    {
        using var tree = new TempTree();
        tree.Write("lib/lint.kdl", "fragment { run \"lint\" }\n");
        string good = tree.Write(
            "good.kdl",
            "version \"0.1\"\ntriggers \"push\"\nchain {\n machine \"m\"\n fragment { from \"https://git.example/ci/raw/lint.kdl\" }\n}\n"
        );
        string bad = tree.Write(
            "bad.kdl",
            "version \"0.1\"\ntriggers \"push\"\nchain {\n machine \"m\"\n fragment { run \"x\"; condition \"$BRANCH ==\" }\n}\n"
        );

        var ok = await WorkflowValidator.ForCli(Path.Combine(tree.Root, "lib")).ValidateAsync([good]);
        Assert.True(ok.IsValid);
        Assert.Equal(0, ok.ExitCode);
        Assert.Empty(ok.Lines);

        var report = await WorkflowValidator
            .ForCli(Path.Combine(tree.Root, "lib"))
            .ValidateAsync([good, bad, Path.Combine(tree.Root, "nope.kdl")]);
        Assert.Equal(1, report.ExitCode);
        Assert.Equal(3, report.FileCount);
        var lines = report.Lines.ToList();
        Assert.Equal(2, lines.Count);
        Assert.StartsWith($"{bad}:5:32: error: invalid condition", lines[0], StringComparison.Ordinal);
        Assert.Equal(
            $"{Path.Combine(tree.Root, "nope.kdl")}:1:1: error: {Path.Combine(tree.Root, "nope.kdl")} does not exist",
            lines[1]
        );

        var offline = await WorkflowValidator.ForCli(null).ValidateAsync([good]);
        Assert.Equal(1, offline.ExitCode);
    }

    [Fact]
    public async Task Inspect_rows_render_as_table_and_json()
    {
        var result = await new WorkflowLoader().LoadTextAsync(
            """
            version "0.1"
            triggers "push"
            chain {
                machine "std"
                fragment { run "make"; condition "$BRANCH == 'main'" }
                parallel {
                    fragment { run "test one\nmore"; machine "big" }
                }
            }
            """,
            "ci.kdl"
        );
        var rows = WorkflowInspector.Rows(result.Workflow!);
        Assert.Equal(3, rows.Count);
        Assert.Equal(
            new WorkflowInspectionRow("1.0", "run", "1", 0, "big", null, "test one\nmore", "ci.kdl:7:9", null, []),
            rows[2] with
            {
                DependsOn = [],
            }
        );

        string table = WorkflowInspector.ToTable(rows);
        var tableLines = table.TrimEnd('\n').Split('\n');
        Assert.Equal(4, tableLines.Length);
        Assert.StartsWith("ID ", tableLines[0], StringComparison.Ordinal);
        Assert.Contains("$BRANCH == 'main'", tableLines[1], StringComparison.Ordinal);
        Assert.Contains("test one …", tableLines[3], StringComparison.Ordinal);
        Assert.EndsWith("ci.kdl:7:9", tableLines[3], StringComparison.Ordinal);

        using var json = JsonDocument.Parse(WorkflowInspector.ToJson(rows));
        var fragments = json.RootElement.GetProperty("fragments");
        var second = fragments[1];
        Assert.Equal("parallel", second.GetProperty("kind").GetString());
        Assert.Equal("0", second.GetProperty("depends_on")[0].GetString());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("machine").ValueKind);
        Assert.Equal("$BRANCH == 'main'", fragments[0].GetProperty("condition").GetString());
    }
}
