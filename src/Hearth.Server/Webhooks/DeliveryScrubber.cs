using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Core;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Webhooks;

/// <summary>
/// What of a delivery may be stored: headers without credentials (GitLab's token is the secret itself; Authorization,
/// cookies), and the body without Gitea's legacy <c>secret</c> field (payloads before Gitea 1.13 carried the hook's
/// secret) and without any active secret's value wherever it appears.
/// </summary>
public static class DeliveryScrubber
{
    public const string Mask = "***";

    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "X-Gitlab-Token",
        "Authorization",
        "Proxy-Authorization",
        "Cookie",
        "X-API-Key",
    };

    public static string Headers(IHeaderDictionary headers, IReadOnlyList<string> secrets)
    {
        var kept = new JsonObject();
        foreach (var (name, values) in headers.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            kept[name.ToLowerInvariant()] = Dropped.Contains(name) ? Mask : Hide(values.ToString(), secrets);
        }
        return kept.ToJsonString();
    }

    public static string Body(ReadOnlySpan<byte> body, JsonElement parsed, IReadOnlyList<string> secrets)
    {
        string text;
        if (parsed.ValueKind == JsonValueKind.Object && parsed.TryGetProperty("secret", out _))
        {
            var node = JsonNode.Parse(parsed.GetRawText())!.AsObject();
            node["secret"] = Mask;
            text = node.ToJsonString();
        }
        else
        {
            text = Encoding.UTF8.GetString(body);
        }
        return Hide(text, secrets);
    }

    private static string Hide(string text, IReadOnlyList<string> secrets)
    {
        foreach (var secret in secrets.Where(s => s.Length >= 4))
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        return text;
    }
}
