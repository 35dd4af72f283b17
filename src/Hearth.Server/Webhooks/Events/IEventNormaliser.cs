using System.Text.Json;

namespace Hearth.Server.Webhooks.Events;

/// <summary>
/// One forge's payloads to <see cref="ForgeEvent"/>s. Pure: the event header's value and the parsed body.
/// </summary>
public interface IEventNormaliser
{
    ForgeEvent Normalise(string @event, JsonElement payload);
}
