using System.Text;

namespace Hearth.Core.Locks;

/// <summary>Which lock names are valid, and the sandbox variable that carries a lock's fencing token.</summary>
public static class LockNames
{
    public const int MaxLength = 128;

    public static bool IsValid(string name) =>
        name.Length is > 0 and <= MaxLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':');

    /// <summary>HEARTH_LOCK_TOKEN_ and the name upper-cased, every other character as '_' ("deploy-prod" → HEARTH_LOCK_TOKEN_DEPLOY_PROD).</summary>
    public static string TokenVariable(string name)
    {
        var variable = new StringBuilder("HEARTH_LOCK_TOKEN_", 18 + name.Length);
        foreach (var c in name) variable.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        return variable.ToString();
    }
}
