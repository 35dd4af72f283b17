using System.Text;

namespace Hearth.Compose.Loading;

/// <summary>
/// Project names as Compose allows them: lowercase letters, digits, '-' and '_', starting with a letter or digit.
/// </summary>
public static class ProjectName
{
    public static bool IsValid(string name) =>
        name.Length > 0
        && (char.IsAsciiLetterLower(name[0]) || char.IsAsciiDigit(name[0]))
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_');

    /// <summary>Turns a directory name into a valid project name (lowercased, other characters dropped).</summary>
    public static string FromDirectory(string directory)
    {
        var sb = new StringBuilder();
        foreach (var c in directory.ToLowerInvariant())
            if (char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || ((c is '-' or '_') && sb.Length > 0))
                sb.Append(c);
        return sb.Length == 0 ? "default" : sb.ToString();
    }
}
