namespace Hearth.Server.Auth;

/// <summary>The <see cref="Policy"/> rule of the endpoint routing chose for this request.</summary>
public static class EndpointRules
{
    public static EndpointRule? Of(HttpContext context)
    {
        if (context.Items.TryGetValue(typeof(EndpointRule), out var cached))
            return cached as EndpointRule;
        if (context.GetEndpoint() is not RouteEndpoint endpoint)
            return null;
        var rule = Policy.Find(context.Request.Method, endpoint.RoutePattern.RawText ?? "");
        context.Items[typeof(EndpointRule)] = rule;
        return rule;
    }

    /// <summary>The id the route names (a run id, a secret's name), for the owner rule and the audit target.</summary>
    public static string? RouteId(HttpContext context)
    {
        foreach (var name in (string[])["id", "name", "email", "requestId"])
        {
            if (context.Request.RouteValues.TryGetValue(name, out var value) && value is string text)
                return text;
        }
        return null;
    }
}
