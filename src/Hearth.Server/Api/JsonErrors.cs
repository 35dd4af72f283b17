using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hearth.Server.Api;

/// <summary>
/// A body the JSON reader refused, said in the API's words ("field command: expected a list of strings") instead of
/// System.Text.Json's ("could not be converted to System.Collections.Generic.IReadOnlyList`1[System.String]").
/// </summary>
public static partial class JsonErrors
{
    public static string Describe(JsonException e)
    {
        var field = e.Path is { Length: > 1 } path ? path.TrimStart('$').TrimStart('.') : null;
        var line = e.LineNumber is { } n ? $" (line {n + 1})" : "";
        var converted = CouldNotConvert().Match(e.Message);
        if (converted.Success)
        {
            // A scalar of the wrong kind names the object that holds it; the inner exception says what the field reads.
            var expected =
                e.InnerException is { } inner && Scalar(inner.Message) is { } scalar
                    ? scalar
                    : Expected(converted.Groups["type"].Value);
            return field is null
                ? $"request body{line}: expected {expected}"
                : $"field {field}{line}: expected {expected}";
        }
        // Malformed JSON: the reader's own words (they name the character), without its Path/LineNumber suffix.
        var message = e.Message.Split(" Path:")[0].Split(" LineNumber:")[0].TrimEnd(' ', '|');
        return field is null ? $"request body{line}: {message}" : $"request body at {field}{line}: {message}";
    }

    /// <summary>A .NET type in the words of JSON.</summary>
    public static string Expected(string type)
    {
        if (type.StartsWith("System.Nullable`1[", StringComparison.Ordinal))
            return Expected(type["System.Nullable`1[".Length..^1]);
        var element = ElementType().Match(type);
        if (element.Success)
        {
            var item = Expected(element.Groups["item"].Value);
            return type.Contains("Dictionary", StringComparison.Ordinal)
                ? $"an object whose values are {Plural(item)}"
                : $"a list of {Plural(item)}";
        }
        if (type.EndsWith("[]", StringComparison.Ordinal))
            return $"a list of {Plural(Expected(type[..^2]))}";
        var name = type.Split('.')[^1].TrimEnd(']');
        return name switch
        {
            "String" => "a string",
            "Int32" or "Int64" or "Int16" or "UInt32" or "UInt64" => "a whole number",
            "Double" or "Single" or "Decimal" => "a number",
            "Boolean" => "true or false",
            "DateTimeOffset" or "DateTime" => "a date and time (ISO 8601)",
            "TimeSpan" => "a duration (hh:mm:ss)",
            _ when name.EndsWith("Body", StringComparison.Ordinal)
                    || name.EndsWith("Request", StringComparison.Ordinal) => "an object",
            _ => "a value of another kind",
        };
    }

    /// <summary>
    /// "Cannot get the value of a token type 'String' as a boolean." or "…out of bounds for an Int32."
    /// </summary>
    private static string? Scalar(string message)
    {
        var match = ScalarKind().Match(message);
        if (!match.Success)
            return null;
        var kind = match.Groups["kind"].Value;
        return kind switch
        {
            "boolean" => "true or false",
            "string" => "a string",
            "number" => "a number",
            _ => Expected(kind),
        };
    }

    [GeneratedRegex(@"(?:as|for) an? (?<kind>[A-Za-z0-9]+)\.?$")]
    private static partial Regex ScalarKind();

    private static string Plural(string phrase) =>
        phrase switch
        {
            "a string" => "strings",
            "a whole number" => "whole numbers",
            "a number" => "numbers",
            "true or false" => "true or false values",
            "an object" => "objects",
            _ => phrase,
        };

    [GeneratedRegex(@"could not be converted to (?<type>\S+?)\.? Path:|could not be converted to (?<type>\S+?)\.?$")]
    private static partial Regex CouldNotConvert();

    // List`1[System.String], IReadOnlyDictionary`2[System.String,System.String] (the item is the last type argument).
    [GeneratedRegex(@"`\d\[(?:[^,\[\]]+,)*(?<item>[^,\[\]]+)\]$")]
    private static partial Regex ElementType();
}
