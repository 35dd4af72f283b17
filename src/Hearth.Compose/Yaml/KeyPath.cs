namespace Hearth.Compose.Yaml;

/// <summary>Builds key paths in the form <c>services.web.ports[1]</c>.</summary>
public static class KeyPath
{
    public static string Child(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

    public static string Index(string parent, int index) => $"{parent}[{index}]";
}
