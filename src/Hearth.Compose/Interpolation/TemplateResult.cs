namespace Hearth.Compose.Interpolation;

/// <summary>The substituted text, or why the template could not be substituted.</summary>
public readonly record struct TemplateResult(string? Value, string? Error)
{
    public bool Ok => Error is null;

    public static TemplateResult Success(string value) => new(value, null);

    public static TemplateResult Failure(string error) => new(null, error);
}
