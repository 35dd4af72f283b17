namespace Hearth.Sandbox.Oci.Images;

/// <summary>A tar entry name reduced to safe relative components, or refused.</summary>
internal static class LayerPath
{
    /// <summary>
    /// Splits <paramref name="name"/> into components. Absolute names and any <c>..</c> component are refused
    /// (an image has no business naming either); <c>.</c> and empty components are dropped.
    /// An empty result means the layer root itself.
    /// </summary>
    public static string[] Split(string name)
    {
        if (name.Length == 0)
            throw new UnsafeLayerException("empty entry name");
        if (name.Contains('\0'))
            throw new UnsafeLayerException("entry name contains NUL");
        if (name[0] == '/')
            throw new UnsafeLayerException($"absolute entry name '{name}'");
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var kept = new List<string>(parts.Length);
        foreach (var part in parts)
        {
            if (part == ".")
                continue;
            if (part == "..")
                throw new UnsafeLayerException($"entry name '{name}' climbs out with '..'");
            kept.Add(part);
        }
        return kept.ToArray();
    }

    public static string Join(IEnumerable<string> components) => string.Join('/', components);
}
