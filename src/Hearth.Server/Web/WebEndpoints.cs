using Hearth.Server.Auth;
using Hearth.Server.Placement;
using Hearth.Store;
using Hearth.Store.Access;
using Hearth.Store.Locks;

namespace Hearth.Server.Web;

/// <summary>
/// The web UI: server-rendered pages behind the same policy table as the API (each page is a row of
/// <see cref="Policy.Endpoints"/> with the permission of the API call it shows), a session cookie instead of a key
/// header, and one small script for live logs. Excluded from the OpenAPI documents: pages are not the API.
/// </summary>
public static class WebEndpoints
{
    public static void MapWebEndpoints(this IEndpointRouteBuilder app)
    {
        Page(app.MapGet("/login", (HttpContext http) => LoginPage.Render(http)));
        Page(
            app.MapPost(
                "/login",
                (
                    HttpContext http,
                    IAccessStore store,
                    VerifiedKeys verified,
                    AuthFailureThrottle throttle,
                    WebSessions sessions,
                    CancellationToken ct
                ) => LoginPage.SignInAsync(http, store, verified, throttle, sessions, ct)
            )
        );
        Page(
            app.MapPost("/logout", (HttpContext http, WebSessions sessions) => LoginPage.SignOutAsync(http, sessions))
        );
        Page(app.MapGet("/assets/{name}", (HttpContext http, string name) => WebAssets.Serve(http, name)));

        Page(
            app.MapGet("/", (HttpContext http, IRunStore store, TimeProvider time, CancellationToken ct) =>
                RunsPage.RenderAsync(http, store, time, ct)
            )
        );
        Page(
            app.MapGet(
                "/runs/{id}",
                (
                    HttpContext http,
                    string id,
                    IRunStore store,
                    AgentFleet fleet,
                    TimeProvider time,
                    CancellationToken ct
                ) => RunPage.RenderAsync(http, id, store, fleet, time, ct)
            )
        );
        Page(
            app.MapPost("/runs/{id}/kill", (HttpContext http, string id, RunService service, CancellationToken ct) =>
                RunPage.KillAsync(http, id, service, ct)
            )
        );
        Page(
            app.MapGet(
                "/agents",
                (HttpContext http, IRunStore store, AgentFleet fleet, TimeProvider time, CancellationToken ct) =>
                    AgentsPage.RenderAsync(http, store, fleet, time, ct)
            )
        );
        Page(
            app.MapGet("/locks", (HttpContext http, ILockStore store, TimeProvider time, CancellationToken ct) =>
                LocksPage.RenderAsync(http, store, time, ct)
            )
        );
    }

    private static void Page(RouteHandlerBuilder page) =>
        page.WithMetadata(WebPageMarker.Instance).ExcludeFromDescription();
}
