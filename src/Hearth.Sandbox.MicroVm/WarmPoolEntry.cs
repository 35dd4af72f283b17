namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// One warm pool: <see cref="Count"/> VMs of <see cref="Size"/> booted from <see cref="Image"/>, kept waiting for
/// tasks.
/// </summary>
public sealed record WarmPoolEntry(VmSizeClass Size, string Image, int Count)
{
    /// <summary>Parses <c>SIZE=COUNT@IMAGE</c>, e.g. <c>2cpu-512mb=2@registry.example/app:1</c>.</summary>
    public static WarmPoolEntry Parse(string text)
    {
        var equals = text.IndexOf('=');
        var at = text.IndexOf('@', Math.Max(equals, 0));
        if (equals <= 0 || at < 0 || at == text.Length - 1)
            throw new FormatException(
                $"warm pool '{text}': expected SIZE=COUNT@IMAGE, e.g. 2cpu-512mb=2@registry.example/app:1"
            );
        var size = VmSizeClass.Parse(text[..equals]);
        if (
            !int.TryParse(
                text[(equals + 1)..at],
                System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture,
                out var count
            ) || count is < 1 or > 64
        )
            throw new FormatException($"warm pool '{text}': the count must be a number from 1 to 64");
        return new WarmPoolEntry(size, text[(at + 1)..], count);
    }
}
