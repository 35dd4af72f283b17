using System.Text.RegularExpressions;

namespace Hearth.Server.Secrets;

/// <summary>
/// Whether a task's code comes from its repository, which a repository-scoped secret requires: the command is a script
/// of the checkout ("./deploy.sh prod", or sh -c with only that), not a command line the caller wrote; no image (its
/// entrypoint and shell are the caller's choice); and no variable that makes a shell, loader or interpreter run code
/// the caller wrote (BASH_ENV, LD_PRELOAD, PATH, …). Who can push to the repository can use its secrets, as in any CI.
/// </summary>
public static partial class RepositoryCode
{
    private static readonly HashSet<string> Shells = new(StringComparer.Ordinal)
    {
        "sh",
        "/bin/sh",
        "bash",
        "/bin/bash",
        "/usr/bin/bash",
    };

    private static readonly string[] InjectingPrefixes = ["LD_", "GIT_", "PYTHON", "PERL5", "BASH_FUNC_", "DYLD_"];

    private static readonly HashSet<string> InjectingNames = new(StringComparer.Ordinal)
    {
        "PATH",
        "BASH_ENV",
        "ENV",
        "SHELLOPTS",
        "BASHOPTS",
        "PS4",
        "PROMPT_COMMAND",
        "IFS",
        "CDPATH",
        "GCONV_PATH",
        "PERLLIB",
        "RUBYOPT",
        "RUBYLIB",
        "NODE_OPTIONS",
        "NODE_PATH",
        "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS",
        "HOSTALIASES",
        "LOCPATH",
    };

    /// <summary>Null when the command runs a script of the checkout, else why it does not.</summary>
    public static string? Problem(IReadOnlyList<string> command, bool image, IEnumerable<string> envNames)
    {
        if (image)
            return "it runs in an image the caller chose";
        if (command.Count == 3 && Shells.Contains(command[0]) && command[1] == "-c")
            return IsScriptInvocation(command[2]) ? EnvProblem(envNames) : NotAScript;
        if (command.Count == 0 || !IsScriptPath(command[0]))
            return NotAScript;
        return EnvProblem(envNames);
    }

    /// <summary>
    /// Shell text that only runs a script of the checkout with plain words as arguments ("./ci/deploy.sh prod").
    /// </summary>
    public static bool IsScriptInvocation(string shellText)
    {
        var words = shellText.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words.Length > 0 && IsScriptPath(words[0]) && words.Skip(1).All(w => PlainWord().IsMatch(w));
    }

    public static bool IsInjecting(string variable) =>
        InjectingNames.Contains(variable)
        || InjectingPrefixes.Any(p => variable.StartsWith(p, StringComparison.Ordinal));

    private const string NotAScript =
        "its command is not a script of the repository's checkout (e.g. ./deploy.sh ARGS)";

    private static string? EnvProblem(IEnumerable<string> envNames) =>
        envNames.FirstOrDefault(IsInjecting) is { } name
            ? $"it sets {name}, which can make the shell run other code"
            : null;

    private static bool IsScriptPath(string path) =>
        path.Contains('/') && ScriptPath().IsMatch(path) && !path.Split('/').Any(part => part is ".." or "");

    [GeneratedRegex(@"^(\./)?[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")]
    private static partial Regex ScriptPath();

    [GeneratedRegex(@"^[A-Za-z0-9_.,:=@+/%-]+$")]
    private static partial Regex PlainWord();
}
