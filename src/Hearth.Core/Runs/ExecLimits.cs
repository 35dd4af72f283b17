using System.Text;

namespace Hearth.Core.Runs;

/// <summary>
/// What execve(2) can take, so that a run the API accepts can start: Linux refuses one string (an argument, or one
/// NAME=value of the environment) of MAX_ARG_STRLEN (32 pages, 128 KiB) or more with its NUL, and all of them together
/// past ARG_MAX (a quarter of the stack limit: 2 MiB with the usual 8 MiB stack), counting each string's NUL and
/// pointer. Hearth keeps a run's own argv and environment within 1 MiB, leaving the rest for what the agent adds
/// (secrets, lock tokens, HEARTH_* variables).
/// </summary>
public static class ExecLimits
{
    /// <summary>MAX_ARG_STRLEN less the NUL: the longest one argument or NAME=value may be (UTF-8 bytes).</summary>
    public const int MaxStringBytes = 128 * 1024 - 1;

    /// <summary>A run's argv and environment together, each string with its NUL and an 8-byte pointer.</summary>
    public const int MaxTotalBytes = 1024 * 1024;

    /// <summary>
    /// Field errors for argv and environment ("command[3]: …", "env.X: …"); none when execve takes them.
    /// </summary>
    public static List<string> Check(
        IReadOnlyList<string> command,
        IReadOnlyDictionary<string, string>? env,
        string commandField = "command",
        string envField = "env"
    )
    {
        var errors = new List<string>();
        long total = 0;
        for (var i = 0; i < command.Count; i++)
            total += One(command[i], $"{commandField}[{i}]", errors);
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            if (value.Contains('\0'))
                errors.Add($"{envField}.{key}: must not contain NUL (an environment value ends at the first one)");
            total += One(key + "=" + value, $"{envField}.{key}", errors, checkNul: false);
        }
        if (total > MaxTotalBytes)
            errors.Add(
                $"{commandField} and {envField}: {total} bytes together; at most {MaxTotalBytes} "
                    + "(each string counted with its NUL and pointer)"
            );
        return errors;
    }

    private static long One(string text, string field, List<string> errors, bool checkNul = true)
    {
        if (checkNul && text.Contains('\0'))
            errors.Add($"{field}: must not contain NUL (an argument ends at the first one)");
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > MaxStringBytes)
            errors.Add(
                $"{field}: {bytes} bytes; one argument or variable may be at most {MaxStringBytes} bytes (MAX_ARG_STRLEN)"
            );
        return bytes + 1 + 8;
    }
}
