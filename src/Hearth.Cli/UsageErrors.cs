using System.CommandLine;
using System.Text.RegularExpressions;

namespace Hearth.Cli;

/// <summary>
/// What the command-line parser refused, one line each ("hearth: --pids: expected a whole number, got 'abc'") and exit
/// code 2, as docker and gh answer a bad flag: not a .NET type name followed by the whole help text.
/// </summary>
internal static partial class UsageErrors
{
    public static int Report(ParseResult parsed)
    {
        foreach (var error in parsed.Errors) Console.Error.WriteLine($"hearth: {Describe(error.Message)}");
        var path = new List<string>();
        for (var result = parsed.CommandResult; result is { Parent: not null }; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            path.Insert(0, result.Command.Name);
        Console.Error.WriteLine($"See 'hearth {string.Join(' ', path)}{(path.Count > 0 ? " " : "")}--help'.");
        return 2;
    }

    public static string Describe(string message)
    {
        var match = CannotParse().Match(message);
        return match.Success
            ? $"{match.Groups["option"].Value}: expected {Expected(match.Groups["type"].Value)}, got '{match.Groups["value"].Value}'"
            : message;
    }

    private static string Expected(string type) =>
        type.Contains("Int32") || type.Contains("Int64") ? "a whole number"
        : type.Contains("Double") || type.Contains("Single") || type.Contains("Decimal") ? "a number"
        : type.Contains("Boolean") ? "true or false"
        : "another form";

    [GeneratedRegex(@"Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?<type>[^']+)'")]
    private static partial Regex CannotParse();
}
