namespace Hearth.Server.OpenApi;

/// <summary>A kind of Server-Sent Event an endpoint sends: <c>event:</c> name, JSON <c>data:</c> type.</summary>
public sealed record StreamEvent(string Name, Type Data, string Description);

/// <summary>The endpoint also answers <c>text/event-stream</c> (with status 200) and sends these events.</summary>
public sealed record EventStreamMetadata(IReadOnlyList<StreamEvent> Events, string Description);
