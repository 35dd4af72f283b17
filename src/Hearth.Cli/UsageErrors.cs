using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Hearth.Cli;

/// <summary>
/// What the command-line parser refused, one line each ("hearth: --pids: expected a whole number, got 'abc'") and exit
/// code 2, as docker and gh answer a bad flag: not a .NET type name followed by the whole help text. A mistyped command
/// or option gets the nearest names ("did you mean 'status'?"), as git does.
/// </summary>
public static partial class UsageErrors
{
    public static int Report(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        if (
            command.Subcommands.Count > 0
            && parsed.UnmatchedTokens.FirstOrDefault() is { } word
            && !word.StartsWith('-')
        )
        {
            // A mistyped command: say that, not "Required command was not provided" and "Unrecognized argument".
            var under = CommandPath(parsed) is { Length: > 0 } p ? $"hearth {p}" : "hearth";
            Console.Error.WriteLine($"hearth: '{word}' is not a command of {under}");
            if (Suggestions.Nearest(word, Names(command)) is { Count: > 0 } close)
                Console.Error.WriteLine($"Did you mean {string.Join(" or ", close.Select(n => $"'{n}'"))}?");
            Console.Error.WriteLine($"See '{under} --help'.");
            return 2;
        }
        // An unknown word is the mistake; that no command was given is only its consequence, so it is not said too.
        var errors = parsed.Errors.Any(e => Unrecognized().IsMatch(e.Message))
            ? parsed.Errors.Where(e => e.Message != RequiredCommandMissing)
            : parsed.Errors;
        foreach (var error in errors)
        {
            Console.Error.WriteLine($"hearth: {Describe(error.Message)}");
            if (
                Unrecognized().Match(error.Message) is { Success: true } unknown
                && Suggestions.Nearest(unknown.Groups["token"].Value, Names(command)) is { Count: > 0 } near
            )
                Console.Error.WriteLine($"Did you mean {string.Join(" or ", near.Select(n => $"'{n}'"))}?");
        }
        var path = CommandPath(parsed);
        Console.Error.WriteLine($"See 'hearth {path}{(path.Length > 0 ? " " : "")}--help'.");
        return 2;
    }

    private const string RequiredCommandMissing = "Required command was not provided.";

    private static string CommandPath(ParseResult parsed)
    {
        var path = new List<string>();
        for (var result = parsed.CommandResult; result is { Parent: not null }; result = result.Parent as CommandResult)
            path.Insert(0, result.Command.Name);
        return string.Join(' ', path);
    }

    /// <summary>"Did you mean '--image'?" for an option a command does not have, or null when none is near.</summary>
    public static string? DidYouMean(string word, Command command) =>
        Suggestions.Nearest(word, Names(command)) is { Count: > 0 } close
            ? $"did you mean {string.Join(" or ", close.Select(n => $"'{n}'"))}?"
            : null;

    public static string Describe(string message)
    {
        var match = CannotParse().Match(message);
        return match.Success
            ? $"{match.Groups["option"].Value}: expected {Expected(match.Groups["type"].Value)}, got '{match.Groups["value"].Value}'"
            : message;
    }

    /// <summary>
    /// What may stand where the unknown word stood: the command's subcommands and options (with aliases).
    /// </summary>
    private static IEnumerable<string> Names(Command command)
    {
        foreach (var sub in command.Subcommands.Where(c => !c.Hidden))
        {
            yield return sub.Name;
            foreach (var alias in sub.Aliases)
                yield return alias;
        }
        var options = command.Options.Concat(Ancestors(command).SelectMany(c => c.Options.Where(o => o.Recursive)));
        foreach (var option in options.Where(o => !o.Hidden))
        {
            yield return option.Name;
            foreach (var alias in option.Aliases)
                yield return alias;
        }
    }

    private static IEnumerable<Command> Ancestors(Command command)
    {
        for (
            var parent = command.Parents.OfType<Command>().FirstOrDefault();
            parent is not null;
            parent = parent.Parents.OfType<Command>().FirstOrDefault()
        )
            yield return parent;
    }

    private static string Expected(string type) =>
        type.Contains("Int32") || type.Contains("Int64") ? "a whole number"
        : type.Contains("Double") || type.Contains("Single") || type.Contains("Decimal") ? "a number"
        : type.Contains("Boolean") ? "true or false"
        : "another form";

    [GeneratedRegex(
        @"Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?<type>[^']+)'"
    )]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"^Unrecognized command or argument '(?<token>[^']+)'")]
    private static partial Regex Unrecognized();
}
