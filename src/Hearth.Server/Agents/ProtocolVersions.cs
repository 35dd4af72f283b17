using System.Globalization;
using Hearth.Core.Api;
using Hearth.Server.Api;

namespace Hearth.Server.Agents;

/// <summary>
/// Which agent protocol versions this server speaks, and the refusal an agent speaking another gets: 400
/// AGENT_PROTOCOL_UNSUPPORTED naming both sides, on every agent call, before anything else is done. An agent that
/// sends no version at all speaks protocol 1 (it predates the header).
/// </summary>
public static class ProtocolVersions
{
    public static readonly IReadOnlyList<int> Supported = [AgentProtocolVersion.Current];

    /// <summary>
    /// Null when the server speaks <paramref name="sent"/> (the header's value), else why not, for the agent's
    /// operator.
    /// </summary>
    public static string? Refusal(string? sent)
    {
        if (
            int.TryParse(sent, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            && Supported.Contains(version)
        )
            return null;
        var speaks = string.Join(", ", Supported);
        var said = sent is null ? "sent no protocol version (it speaks protocol 1)" : $"speaks agent protocol '{sent}'";
        return $"this agent {said}, but this server (hearth {HealthEndpoints.Version}) speaks agent protocol {speaks} "
            + "only: upgrade the agent to the server's release";
    }

    /// <summary>Refuses every call of the group that does not name a protocol version this server speaks.</summary>
    public static RouteGroupBuilder RequireProtocolVersion(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(
            async (context, next) =>
            {
                var sent = context.HttpContext.Request.Headers[AgentProtocolVersion.Header];
                var value = sent.Count == 0 ? null : sent.ToString();
                return Refusal(value) is { } refusal
                    ? ApiResults.Error(
                        StatusCodes.Status400BadRequest,
                        AgentProtocolVersion.UnsupportedCode,
                        refusal,
                        new ProtocolUnsupportedDetails(value, Supported)
                    )
                    : await next(context);
            }
        );
        return group;
    }
}
