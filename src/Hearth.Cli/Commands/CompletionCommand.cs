using System.CommandLine;
using Hearth.Cli.Client;

namespace Hearth.Cli.Commands;

/// <summary>
/// `hearth completion bash|zsh|fish`: a script for the shell that asks hearth itself what may come next, through
/// System.CommandLine's [suggest:POSITION] directive (the dotnet-suggest protocol), so completions follow the command
/// tree.
/// </summary>
public static class CompletionCommand
{
    private const string Bash = """
        _hearth_complete() {
          local IFS=$'\n'
          COMPREPLY=($(compgen -W "$(hearth "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _hearth_complete hearth
        """;

    private const string Zsh = """
        #compdef hearth
        _hearth() {
          local -a completions
          completions=("${(@f)$(hearth "[suggest:${#BUFFER}]" "${BUFFER}" 2>/dev/null)}")
          compadd -a completions
        }
        compdef _hearth hearth
        """;

    private const string Fish = """
        complete -c hearth -f -a '(set -l line (commandline -cp); hearth "[suggest:"(string length -- $line)"]" "$line" 2>/dev/null)'
        """;

    public static Command Create()
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish" };
        shell.CompletionSources.Add("bash", "zsh", "fish");
        var command = new Command(
            "completion",
            "Print the shell completion script (e.g. source <(hearth completion bash))"
        )
        {
            shell,
        };
        command.SetAction(result =>
        {
            var script = result.GetValue(shell) switch
            {
                "bash" => Bash,
                "zsh" => Zsh,
                "fish" => Fish,
                var other => throw new CliException($"'{other}': expected bash, zsh or fish", 2),
            };
            Console.Out.WriteLine(script);
            return 0;
        });
        return command;
    }
}
