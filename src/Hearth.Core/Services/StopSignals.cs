namespace Hearth.Core.Services;

/// <summary>Compose's <c>stop_signal</c>: a Linux signal by name (<c>SIGINT</c>, <c>INT</c>) or number.</summary>
public static class StopSignals
{
    private static readonly Dictionary<string, int> Numbers = new(StringComparer.Ordinal)
    {
        ["SIGHUP"] = 1,
        ["SIGINT"] = 2,
        ["SIGQUIT"] = 3,
        ["SIGILL"] = 4,
        ["SIGTRAP"] = 5,
        ["SIGABRT"] = 6,
        ["SIGBUS"] = 7,
        ["SIGFPE"] = 8,
        ["SIGKILL"] = 9,
        ["SIGUSR1"] = 10,
        ["SIGSEGV"] = 11,
        ["SIGUSR2"] = 12,
        ["SIGPIPE"] = 13,
        ["SIGALRM"] = 14,
        ["SIGTERM"] = 15,
        ["SIGSTKFLT"] = 16,
        ["SIGCHLD"] = 17,
        ["SIGCONT"] = 18,
        ["SIGSTOP"] = 19,
        ["SIGTSTP"] = 20,
        ["SIGTTIN"] = 21,
        ["SIGTTOU"] = 22,
        ["SIGURG"] = 23,
        ["SIGXCPU"] = 24,
        ["SIGXFSZ"] = 25,
        ["SIGVTALRM"] = 26,
        ["SIGPROF"] = 27,
        ["SIGWINCH"] = 28,
        ["SIGIO"] = 29,
        ["SIGPWR"] = 30,
        ["SIGSYS"] = 31,
    };

    /// <summary>The canonical name (<c>SIGINT</c>) of <paramref name="text"/>, or null when it is no signal.</summary>
    public static string? Normalize(string? text)
    {
        var value = text?.Trim().ToUpperInvariant() ?? "";
        if (int.TryParse(value, System.Globalization.NumberStyles.None, null, out var number))
            return Numbers.FirstOrDefault(n => n.Value == number).Key;
        if (!value.StartsWith("SIG", StringComparison.Ordinal))
            value = "SIG" + value;
        return Numbers.ContainsKey(value) ? value : null;
    }

    /// <summary>The number of a name <see cref="Normalize"/> returned.</summary>
    public static int Number(string name) => Numbers[name];
}
