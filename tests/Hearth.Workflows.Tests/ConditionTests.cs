using Hearth.Workflows.Conditions;

namespace Hearth.Workflows.Tests;

public class ConditionTests
{
    private static readonly Dictionary<string, string> PushToMain = new()
    {
        ["TRIGGER"] = "push",
        ["BRANCH"] = "main",
        ["COMMIT_SHA"] = "abc123",
    };

    [Theory]
    [InlineData("$TRIGGER == 'push' && $BRANCH == 'main'", true)]
    [InlineData("$BRANCH == \"main\"", true)]
    [InlineData("$BRANCH != 'main'", false)]
    [InlineData("$TRIGGER == 'tag' || $BRANCH == 'main'", true)]
    [InlineData("!($BRANCH == 'main')", false)]
    [InlineData("! $TAG", true)]
    [InlineData("$PR_NUMBER", false)]
    [InlineData("$COMMIT_SHA", true)]
    [InlineData("$PR_NUMBER == ''", true)]
    [InlineData("$BRANCH =~ 'ma*'", true)]
    [InlineData("$BRANCH !~ 'release/*'", true)]
    [InlineData("'release/1.2/x' =~ 'release/*'", false)]
    [InlineData("'release/1.2/x' =~ 'release/**'", true)]
    [InlineData("'v1.2' =~ 'v?.?'", true)]
    [InlineData("'a*b' =~ 'a\\*b'", true)]
    [InlineData("'axb' =~ 'a\\*b'", false)]
    [InlineData("$TRIGGER == 'push' || $TRIGGER == 'tag' && $BRANCH == 'dev'", true)]
    [InlineData("($TRIGGER == 'push' || $TRIGGER == 'tag') && $BRANCH == 'dev'", false)]
    [InlineData("'it\\'s' == \"it's\"", true)]
    [InlineData("${BRANCH} == 'main'", true)]
    public void Evaluates(string text, bool expected)
    {
        Assert.Equal(expected, Condition.Parse(text).Evaluate(PushToMain));
    }

    [Theory]
    [InlineData("", 0, "empty")]
    [InlineData("$BRANCH = 'main'", 8, "'=' is not an operator")]
    [InlineData("$BRANCH == main", 11, "must be quoted")]
    [InlineData("$BRANCH == 'main", 11, "never closed")]
    [InlineData("($BRANCH == 'main'", 0, "'(' is never closed")]
    [InlineData("$BRANCH == 'a' & $TAG", 15, "'&' is not an operator")]
    [InlineData("$NOPE == 'x'", 0, "unknown variable $NOPE")]
    [InlineData("$BRANCH == 'a' $TAG", 15, "expected '&&'")]
    [InlineData("$BRANCH ==", 10, "ends too early")]
    public void Reports_syntax_errors_with_position(string text, int position, string reasonPart)
    {
        var error = Assert.Throws<ConditionSyntaxException>(() => Condition.Parse(text));
        Assert.Equal(position, error.Position);
        Assert.Contains(reasonPart, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Extra_variables_can_be_allowed()
    {
        var condition = Condition.Parse("$DEPLOY == 'yes'", new HashSet<string> { "DEPLOY" });
        Assert.True(condition.Evaluate(new Dictionary<string, string> { ["DEPLOY"] = "yes" }));
        Assert.False(condition.Evaluate(new Dictionary<string, string>()));
    }

    [Fact]
    public void Deep_nesting_is_an_error_not_a_stack_overflow()
    {
        Assert.Throws<ConditionSyntaxException>(() =>
            Condition.Parse(new string('(', 10_000) + "$TAG" + new string(')', 10_000))
        );
        Assert.Throws<ConditionSyntaxException>(() => Condition.Parse(new string('!', 10_000) + "$TAG"));
    }

    [Fact]
    public void Combined_conditions_require_both()
    {
        var both = Condition.And(Condition.Parse("$BRANCH == 'main'"), Condition.Parse("$TRIGGER == 'tag'"));
        Assert.False(both.Evaluate(PushToMain));
        Assert.Equal("($BRANCH == 'main') && ($TRIGGER == 'tag')", both.Text);
    }

    [Fact]
    public void Glob_matching_is_linear_on_pathological_patterns()
    {
        string value = new('a', 5_000);
        string pattern = string.Concat(Enumerable.Repeat("*a", 200)) + "b";
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(GlobPattern.IsMatch(pattern, value));
        Assert.True(watch.ElapsedMilliseconds < 2_000);
    }
}
