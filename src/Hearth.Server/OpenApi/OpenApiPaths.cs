using System.Text;
using System.Text.RegularExpressions;

namespace Hearth.Server.OpenApi;

/// <summary>Route patterns as OpenAPI paths, and the tag and operation id derived from a path.</summary>
public static partial class OpenApiPaths
{
    [GeneratedRegex(@"\{\*?([^}:=?]+)[^}]*\}")]
    private static partial Regex Parameter();

    /// <summary><c>/api/v1/images/{*reference}</c> → <c>/api/v1/images/{reference}</c> (nor constraints).</summary>
    public static string Of(string routePattern)
    {
        var path = Parameter().Replace(routePattern, m => "{" + m.Groups[1].Value + "}");
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    /// <summary>The first segment after <c>/api/v1</c> (<c>runs</c>, <c>agent</c>, …), else the first one.</summary>
    public static string TagOf(string path)
    {
        var segments = Segments(path);
        var name = segments.FirstOrDefault(s => !s.StartsWith('{')) ?? "root";
        return name.EndsWith(".json", StringComparison.Ordinal) ? name[..^5] : name;
    }

    /// <summary><c>POST /api/v1/runs/{id}/kill</c> → <c>postRunsByIdKill</c>, unique as method and path.</summary>
    public static string OperationIdOf(string method, string path)
    {
        var id = new StringBuilder(method.ToLowerInvariant());
        foreach (var segment in Segments(path))
        {
            if (segment.StartsWith('{'))
                id.Append("By").Append(Pascal(segment.Trim('{', '}')));
            else
                id.Append(Pascal(segment));
        }
        return id.ToString();
    }

    private static IEnumerable<string> Segments(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments is ["api", "v1", ..] ? segments[2..] : segments;
    }

    private static string Pascal(string text)
    {
        var result = new StringBuilder();
        var upper = true;
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                upper = true;
                continue;
            }
            result.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        return result.ToString();
    }
}
