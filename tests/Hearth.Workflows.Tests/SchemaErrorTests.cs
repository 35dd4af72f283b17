using Hearth.Workflows.Diagnostics;
using Hearth.Workflows.Loading;

namespace Hearth.Workflows.Tests;

public class SchemaErrorTests
{
    [Theory]
    [InlineData(
        "triggers \"push\"\nchain {\n machine \"m\"\n fragment { run \"x\" }\n}",
        WorkflowErrorCode.MissingRequired,
        1,
        1,
        "version"
    )]
    [InlineData(
        "version \"0.2\"\ntriggers \"push\"\nchain {\n machine \"m\"\n fragment { run \"x\" }\n}",
        WorkflowErrorCode.UnsupportedVersion,
        1,
        9,
        "0.1"
    )]
    [InlineData(
        "version \"0.1\"\nchain {\n machine \"m\"\n fragment { run \"x\" }\n}",
        WorkflowErrorCode.MissingRequired,
        1,
        1,
        "triggers"
    )]
    [InlineData(
        "version \"0.1\"\ntriggers \"push\" \"sometimes\"\nchain {\n machine \"m\"\n fragment { run \"x\" }\n}",
        WorkflowErrorCode.InvalidTrigger,
        2,
        17,
        "sometimes"
    )]
    [InlineData("version \"0.1\"\ntriggers \"push\"", WorkflowErrorCode.MissingRequired, 1, 1, "chain")]
    [InlineData("version \"0.1\"\ntriggers \"push\"\nchain", WorkflowErrorCode.MissingRequired, 3, 1, "needs a block")]
    [InlineData(
        "version \"0.1\"\ntriggers \"push\"\nchain {\n fragment { run \"x\" }\n}",
        WorkflowErrorCode.MissingRequired,
        3,
        1,
        "default machine"
    )]
    [InlineData(
        "version \"0.1\"\ntriggers \"push\"\nchain {\n machine \"m\"\n fragment { run \"x\"; from \"y.kdl\" }\n}",
        WorkflowErrorCode.MutualExclusion,
        5,
        22,
        "not both"
    )]
    [InlineData(
        "version \"0.1\"\ntriggers \"push\"\nchain {\n machine \"m\"\n fragment { machine \"x\" }\n}",
        WorkflowErrorCode.NoContent,
        5,
        2,
        "needs 'run"
    )]
    [InlineData(
        "version \"0.1\"\ntriggers \"push\"\nchain {\n machine \"m\"\n fragment { rn \"x\" }\n}",
        WorkflowErrorCode.UnknownNode,
        5,
        13,
        "'rn'"
    )]
    [InlineData(
        "version \"0.1\"\ntriggers \"push\"\nchain {\n machine \"m\"\n fragment { run \"x\"  machine \"y\" }\n}",
        WorkflowErrorCode.InvalidValue,
        5,
        22,
        "separate nodes on one line with ';'"
    )]
    [InlineData(
        "version \"0.1\"\ntriggers \"push\"\nchain {\n machine \"m\"\n fragment { run \"x\"; machine 5 }\n}",
        WorkflowErrorCode.InvalidValue,
        5,
        30,
        "must be a string"
    )]
    [InlineData(
        "version \"0.1\"\ntriggers \"push\"\nchain {\n machine \"m\"\n parallel { machine \"x\" }\n}",
        WorkflowErrorCode.UnknownNode,
        5,
        13,
        "not allowed in 'parallel'"
    )]
    [InlineData(
        "version \"0.1\"\ntriggers \"push\"\nchain {\n machine \"m\"\n fragment { run \"x\"; condition \"$BRANCH = 'main'\" }\n}",
        WorkflowErrorCode.InvalidCondition,
        5,
        32,
        "'=' is not an operator"
    )]
    [InlineData(
        "version \"0.1\"\ntriggers \"push\"\nchain {\n machine \"m\"\n machine \"n\"\n fragment { run \"x\" }\n}",
        WorkflowErrorCode.DuplicateNode,
        5,
        2,
        "first at line 4"
    )]
    [InlineData(
        "version \"0.1\"\ntriggers \"push\"\nchain {\n machine \"m\"\n fragment { run \"x\" }\n}\nfragment { run \"stray\" }",
        WorkflowErrorCode.UnknownNode,
        7,
        1,
        "inside 'chain"
    )]
    [InlineData(
        "version \"0.1\"\ntriggers \"push\"\nchain {\n machine \"m\"\n fragment { run \"\" }\n}",
        WorkflowErrorCode.InvalidValue,
        5,
        17,
        "must not be empty"
    )]
    [InlineData(
        "version \"0.1\"\ntriggers \"push\"\nchain {\n machine \"m\"\n fragment { from \"ftp://x/y.kdl\" }\n}",
        WorkflowErrorCode.InvalidImport,
        5,
        18,
        "https"
    )]
    [InlineData(
        "version \"0.1\"\ntriggers \"push\"\nchain {\n machine \"m\"\n fragment { run \"x\n}",
        WorkflowErrorCode.InvalidSyntax,
        5,
        17,
        "newline"
    )]
    public async Task Reports_one_clear_error(
        string text,
        WorkflowErrorCode code,
        int line,
        int column,
        string messagePart
    )
    {
        var result = await new WorkflowLoader().LoadTextAsync(text, "wf.kdl");
        Assert.Null(result.Workflow);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(code, diagnostic.Code);
        Assert.Equal(new SourceLocation("wf.kdl", line, column), diagnostic.Location);
        Assert.Contains(messagePart, diagnostic.Message, StringComparison.Ordinal);
        Assert.StartsWith($"wf.kdl:{line}:{column}: error: ", diagnostic.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reports_every_error_in_a_file_at_once()
    {
        var result = await new WorkflowLoader().LoadTextAsync(
            "version \"0.1\"\ntriggers \"push\"\nchain {\n machine \"m\"\n fragment { rn \"x\" }\n fragment { run \"y\"; condition \"$X\" }\n fragment { }\n}",
            "wf.kdl"
        );
        Assert.Equal(
            [WorkflowErrorCode.UnknownNode, WorkflowErrorCode.InvalidCondition, WorkflowErrorCode.NoContent],
            result.Diagnostics.Select(d => d.Code)
        );
    }
}
