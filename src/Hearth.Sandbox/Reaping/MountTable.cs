namespace Hearth.Sandbox.Reaping;

/// <summary>This process's mount points, from /proc/self/mountinfo.</summary>
public static class MountTable
{
    public static IReadOnlyList<string> MountPoints()
    {
        var points = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4)
                points.Add(Unescape(fields[4]));
        }
        return points;
    }

    /// <summary>Mount points at or below <paramref name="directory"/>, deepest first.</summary>
    public static IEnumerable<string> Below(string directory)
    {
        var prefix = Path.TrimEndingDirectorySeparator(directory) + "/";
        return MountPoints()
            .Where(p => p == directory || p.StartsWith(prefix, StringComparison.Ordinal))
            .OrderByDescending(p => p.Length);
    }

    /// <summary>
    /// A mountinfo field as it is: mountinfo escapes space, tab, newline and backslash as three octal digits.
    /// </summary>
    internal static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var result = new System.Text.StringBuilder();
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length)
            {
                result.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                result.Append(field[i]);
            }
        }
        return result.ToString();
    }
}
