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
        Walk(HearthCommands.CreateCompletionRoot(), "hearth", [], clashes);
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

    [Fact]
    public async Task Bash_completion_offers_what_the_command_tree_allows()
    {
        var bin = Directory.CreateTempSubdirectory("hearth-completion-").FullName;
        try
        {
            // The script calls `hearth` by name, as it is installed.
            var wrapper = Path.Combine(bin, "hearth");
            await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec '{HearthBinary.Path}' \"$@\"\n");
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var script = await CliProcess.RunAsync(["completion", "bash"]);
            Assert.Equal(0, script.ExitCode);
            await File.WriteAllTextAsync(Path.Combine(bin, "completion.bash"), script.Stdout);

            var info = new System.Diagnostics.ProcessStartInfo("bash")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(
                "source \"$1/completion.bash\"; "
                    + "COMP_LINE='hearth run --im'; COMP_POINT=15; COMP_WORDS=(hearth run --im); COMP_CWORD=2; _hearth_complete; echo \"${COMPREPLY[*]}\"; "
                    + "COMP_LINE='hearth sta'; COMP_POINT=10; COMP_WORDS=(hearth sta); COMP_CWORD=1; _hearth_complete; echo \"${COMPREPLY[*]}\""
            );
            info.ArgumentList.Add("completion");
            info.ArgumentList.Add(bin);
            info.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
            var result = await CliProcess.RunAsync(info);

            Assert.Equal(["--image", "status"], result.Stdout.TrimEnd('\n').Split('\n'));
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    [Fact]
    public async Task Completion_scripts_exist_for_bash_zsh_and_fish_and_nothing_else()
    {
        foreach (var shell in new[] { "bash", "zsh", "fish" })
        {
            var script = await CliProcess.RunAsync(["completion", shell]);
            Assert.Equal(0, script.ExitCode);
            Assert.Contains("[suggest:", script.Stdout);
        }
        var other = await CliProcess.RunAsync(["completion", "tcsh"]);
        Assert.Equal(2, other.ExitCode);
        Assert.Equal("hearth: 'tcsh': expected bash, zsh or fish\n", other.Stderr);
    }

    [Fact]
    public async Task Help_and_version_answer_at_the_root_and_help_on_every_command()
    {
        var bare = await CliProcess.RunAsync([]);
        Assert.Equal(0, bare.ExitCode);
        Assert.Contains("Usage:\n  hearth [command] [options]", bare.Stdout);
        Assert.Contains("  run <command>", bare.Stdout);

        var version = await CliProcess.RunAsync(["--version"]);
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+(\+[0-9a-f]+)?\n$", version.Stdout);

        foreach (var help in new[] { "--help", "-h", "-?" })
        {
            var run = await CliProcess.RunAsync(["run", help]);
            Assert.Equal(0, run.ExitCode);
            Assert.Contains("Usage:\n  hearth run [<command>...] [options]", run.Stdout);
            Assert.Contains("--image", run.Stdout);
        }
        var nested = await CliProcess.RunAsync(["workflow", "run", "--help"]);
        Assert.Equal(0, nested.ExitCode);
        Assert.Contains("hearth workflow run", nested.Stdout);
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
                if (seen.TryGetValue(name, out var owner) && owner != sub.Name)
                    clashes.Add($"{path}: {name} is both {owner} and {sub.Name}");
                seen[name] = sub.Name;
            }
        }
        var passedOn = inherited.Concat(command.Options.Where(o => o.Recursive)).ToList();
        foreach (var sub in command.Subcommands)
            Walk(sub, $"{path} {sub.Name}", passedOn, clashes);
    }
}
