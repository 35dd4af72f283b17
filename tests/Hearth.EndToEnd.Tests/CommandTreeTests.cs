using System.CommandLine;
using Hearth.Cli;

namespace Hearth.EndToEnd.Tests;

/// <summary>The `hearth` command tree itself: what --help shows must name each flag once.</summary>
public class CommandTreeTests
{
    [Fact]
    public void No_command_has_two_options_or_subcommands_under_one_name()
    {
        var clashes = new List<string>();
        Walk(HearthCommands.CreateRoot(), "hearth", [], clashes);
        Assert.Empty(clashes);
    }

    [Fact]
    public void Git_path_has_no_short_alias_that_publish_owns()
    {
        var run = HearthCommands.CreateRoot().Subcommands.Single(c => c.Name == "run");
        Assert.Empty(run.Options.Single(o => o.Name == "--git-path").Aliases);
        Assert.Contains("-p", run.Options.Single(o => o.Name == "--publish").Aliases);
    }

    [Theory]
    [InlineData("stauts", "status")]
    [InlineData("lsit", "list")]
    [InlineData("--imgae", "--image")]
    [InlineData("wrokflow", "workflow")]
    public void A_mistyped_name_gets_the_nearest_one(string typed, string expected)
    {
        string[] names = ["status", "list", "logs", "kill", "workflow", "--image", "--imports", "run", "--timeout"];
        Assert.Equal([expected], Suggestions.Nearest(typed, names));
    }

    [Fact]
    public void A_word_near_nothing_gets_no_suggestion()
    {
        Assert.Empty(Suggestions.Nearest("frobnicate", ["status", "list", "run"]));
        Assert.Empty(Suggestions.Nearest("x", ["status", "list", "run"]));
    }

    private static void Walk(Command command, string path, IReadOnlyList<Option> inherited, List<string> clashes)
    {
        var visible = inherited.Concat(command.Options).ToList();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var option in visible)
        {
            foreach (var name in option.Aliases.Prepend(option.Name))
            {
                if (seen.TryGetValue(name, out var owner) && owner != option.Name)
                    clashes.Add($"{path}: {name} is both {owner} and {option.Name}");
                seen[name] = option.Name;
            }
        }
        foreach (var sub in command.Subcommands)
        {
            foreach (var name in sub.Aliases.Prepend(sub.Name))
            {
                if (seen.TryGetValue(name, out var owner) && owner != sub.Name) clashes.Add($"{path}: {name} is both {owner} and {sub.Name}");
                seen[name] = sub.Name;
            }
        }
        var passedOn = inherited.Concat(command.Options.Where(o => o.Recursive)).ToList();
        foreach (var sub in command.Subcommands) Walk(sub, $"{path} {sub.Name}", passedOn, clashes);
    }
}
