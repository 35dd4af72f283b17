namespace Hearth.Server.OpenApi;

/// <summary>One kind of Server-Sent Event an endpoint sends: its <c>event:</c> name and the type of its JSON <c>data:</c>.</summary>
public sealed record StreamEvent(string Name, Type Data, string Description);

/// <summary>The endpoint also answers <c>text/event-stream</c> (with status 200) and sends these events.</summary>
public sealed record EventStreamMetadata(IReadOnlyList<StreamEvent> Events, string Description);
