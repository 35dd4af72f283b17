using System.Text;

namespace Hearth.Core.Locks;

/// <summary>Which lock names are valid, and the sandbox variable that carries a lock's fencing token.</summary>
public static class LockNames
{
    public static int MaxLength => Names.Names.Lock.MaxLength;

    /// <summary>The grammar is <see cref="Names.Names.Lock"/>: one place for the API, workflows and the CLI.</summary>
    public static bool IsValid(string name) => Names.Names.Lock.IsValid(name);

    /// <summary>
    /// HEARTH_LOCK_TOKEN_ and the name upper-cased, every other character as '_' ("deploy-prod" →
    /// HEARTH_LOCK_TOKEN_DEPLOY_PROD).
    /// </summary>
    public static string TokenVariable(string name)
    {
        var variable = new StringBuilder("HEARTH_LOCK_TOKEN_", 18 + name.Length);
        foreach (var c in name)
            variable.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        return variable.ToString();
    }
}
